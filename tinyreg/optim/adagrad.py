"""Adagrad (Duchi, Hazan & Singer, 2011) with PyTorch's semantics and defaults."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .. import validate as check
from .._tensor import Tensor
from ..device import kernels_for
from .optimizer import Optimizer, Proximal


class Adagrad(Optimizer):
    """Adagrad, PyTorch's rule and defaults (one fused kernel per parameter, kernels/optim.py);
    step t counted from 1:

        g = g + weight_decay * w
        s = s + g^2                   (state "sum", starting at initial_accumulator_value)
        w = w - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
        then with prox= the penalty's proximal step (step size lr)

    Coming from PyTorch: `prox=` is tinyreg's (keyword-only); `foreach`, `maximize`,
    `differentiable` and `fused` are not taken; state "step" is an int, not a tensor. A
    parameter's state is created at its first step (PyTorch creates it in the constructor; the
    values are the same), from its own group's initial_accumulator_value (PyTorch takes the
    constructor's value for every group)."""

    _state_keys = ("step", "sum")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        prox: Proximal | Sequence[Proximal] | None = None,
    ):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps, prox=prox,
                        initial_accumulator_value=initial_accumulator_value)  # fmt: skip
        super().__init__(params, defaults)

    def _checked(self, group: dict[str, Any]) -> dict[str, Any]:
        group = super()._checked(group)
        for name in ("lr_decay", "initial_accumulator_value"):
            group[name] = check.finite("Adagrad", name, group[name], low=0.0)
        return group

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]
                ) -> None:  # fmt: skip
        if not state:
            state.update(step=0, sum=np.full_like(p.data, group["initial_accumulator_value"]))
        state["step"] += 1
        kernels_for(p.data).adagrad_step(
            p.data, grad, state["sum"], group["lr"], group["lr_decay"], group["weight_decay"],
            group["eps"], state["step"],
        )  # fmt: skip
