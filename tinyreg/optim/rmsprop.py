"""RMSprop (Hinton's lecture 6e; centered: Graves, 2013) with PyTorch's semantics and defaults."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .. import validate as check
from .._tensor import Tensor
from ..device import kernels_for
from .optimizer import Optimizer, Proximal


class RMSprop(Optimizer):
    """RMSprop, PyTorch's rule and defaults (one fused kernel per parameter, kernels/optim.py):

        g = g + weight_decay * w
        v = alpha * v + (1 - alpha) * g^2             (state "square_avg")
        centered: a = a + (1 - alpha) * (g - a)       (state "grad_avg")
                  r = sqrt(v - a^2) + eps
        else:     r = sqrt(v) + eps
        momentum > 0: b = momentum * b + g / r; w = w - lr * b   (state "momentum_buffer")
        else:         w = w - lr * g / r
        then with prox= the penalty's proximal step (step size lr)

    Coming from PyTorch: `prox=` is tinyreg's (keyword-only); `capturable`, `foreach`,
    `maximize` and `differentiable` are not taken; state "step" is an int, not a tensor. alpha
    must lie in [0, 1] (PyTorch takes any alpha >= 0; above 1 the average of g^2 turns negative
    and the step is NaN). The state always holds "momentum_buffer" and "grad_avg", empty (shape
    (0,)) while momentum is 0 or centered is False, the way SGD keeps an unused momentum_buffer;
    PyTorch leaves those keys out. Either is created (as zeros) at the first step that uses it,
    so momentum and centered may be switched on in `param_groups` during training."""

    _state_keys = ("step", "square_avg", "momentum_buffer", "grad_avg")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        prox: Proximal | Sequence[Proximal] | None = None,
    ):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, prox=prox)  # fmt: skip
        super().__init__(params, defaults)

    def _checked(self, group: dict[str, Any]) -> dict[str, Any]:
        group = super()._checked(group)
        group["alpha"] = check.number("RMSprop", "alpha", group["alpha"], 0.0, 1.0)
        group["centered"] = check.boolean("RMSprop", "centered", group["centered"])
        return group

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]
                ) -> None:  # fmt: skip
        if not state:
            unused = np.empty_like(p.data, shape=(0,))
            state.update(step=0, square_avg=np.zeros_like(p.data), momentum_buffer=unused,
                         grad_avg=unused.copy())  # fmt: skip
        for name, used in (("momentum_buffer", group["momentum"] > 0),
                           ("grad_avg", group["centered"])):  # fmt: skip
            if used and state[name].shape != p.shape:
                state[name] = np.zeros_like(p.data)
        state["step"] += 1
        kernels_for(p.data).rmsprop_step(
            p.data, grad, state["square_avg"], state["grad_avg"], state["momentum_buffer"],
            group["lr"], group["alpha"], group["eps"], group["weight_decay"], group["momentum"],
            group["centered"],
        )  # fmt: skip

    def _state_value(self, owner: str, i: int, name: str, value: Any, param: Tensor,
                     groups: list[dict[str, Any]]) -> Any:  # fmt: skip
        """As the base class, and an unused grad_avg may be saved empty, like momentum_buffer."""
        if name == "grad_avg" and np.shape(check.unwrap(value)) == (0,):
            return np.empty_like(param.data, shape=(0,))
        return super()._state_value(owner, i, name, value, param, groups)
