"""SGD with momentum, dampening, Nesterov and coupled weight decay (PyTorch's semantics)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..device import (
    kernels_for,
)
from .optimizer import Optimizer, Proximal


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule (see kernels/optim.py):
    d = g + wd * w
    b = mu * b + (1 - dampening) * d      (b = d at the first step)
    d = b, or d + mu * b with Nesterov
    w = w - lr * d, then with prox= the penalty's proximal step."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        prox: Proximal | Sequence[Proximal] | None = None,
    ):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                        weight_decay=weight_decay, prox=prox)  # fmt: skip
        super().__init__(params, defaults)

    _state_keys = ("momentum_buffer",)

    def _checked(self, group: dict[str, Any]) -> dict[str, Any]:
        group = super()._checked(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )
        return group

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]
                ) -> None:  # fmt: skip
        buffer = state.get("momentum_buffer")
        first = buffer is None or (group["momentum"] != 0 and buffer.shape != p.shape)
        if first:
            state["momentum_buffer"] = (
                np.empty_like(p.data) if group["momentum"] else np.empty_like(p.data, shape=(0,))
            )
        kernels_for(p.data).sgd_step(
            p.data, grad, state["momentum_buffer"], group["lr"], group["momentum"],
            group["dampening"], group["weight_decay"], group["nesterov"], first,
        )  # fmt: skip
