"""Adadelta (Zeiler, 2012) with PyTorch's semantics and defaults."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .. import validate as check
from .._tensor import Tensor
from ..device import kernels_for
from .optimizer import Optimizer, Proximal


class Adadelta(Optimizer):
    """Adadelta, PyTorch's rule and defaults (one fused kernel per parameter, kernels/optim.py):

        g = g + weight_decay * w
        v = rho * v + (1 - rho) * g^2                 (state "square_avg")
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d^2                 (state "acc_delta")
        w = w - lr * d, then with prox= the penalty's proximal step (step size lr)

    Coming from PyTorch: `prox=` is tinyreg's (keyword-only); `foreach`, `capturable`,
    `maximize` and `differentiable` are not taken; state "step" is an int, not a tensor."""

    _state_keys = ("step", "square_avg", "acc_delta")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        prox: Proximal | Sequence[Proximal] | None = None,
    ):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      prox=prox))  # fmt: skip

    def _checked(self, group: dict[str, Any]) -> dict[str, Any]:
        group = super()._checked(group)
        group["rho"] = check.number("Adadelta", "rho", group["rho"], 0.0, 1.0)
        return group

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]
                ) -> None:  # fmt: skip
        if not state:
            state.update(step=0, square_avg=np.zeros_like(p.data), acc_delta=np.zeros_like(p.data))
        state["step"] += 1
        kernels_for(p.data).adadelta_step(
            p.data, grad, state["square_avg"], state["acc_delta"], group["lr"], group["rho"],
            group["eps"], group["weight_decay"],
        )  # fmt: skip
