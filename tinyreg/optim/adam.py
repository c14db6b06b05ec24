"""Adam (weight decay coupled into g) and AdamW (decoupled), PyTorch's semantics."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .. import validate as check
from .._tensor import Tensor
from ..device import (
    kernels_for,
)
from .optimizer import Optimizer, Proximal


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's defaults; weight_decay is coupled (added to g).
    amsgrad is not implemented."""

    _decoupled = False
    _state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        prox: Proximal | Sequence[Proximal] | None = None,
    ):
        if check.boolean(type(self).__name__, "amsgrad", amsgrad):
            raise ValueError(f"{type(self).__name__}: amsgrad=True is not implemented in tinyreg")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      prox=prox))  # fmt: skip

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]
                ) -> None:  # fmt: skip
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        state["step"] += 1
        beta1, beta2 = group["betas"]
        kernels_for(p.data).adam_step(
            p.data, grad, state["exp_avg"], state["exp_avg_sq"], group["lr"], beta1, beta2,
            group["eps"], group["weight_decay"], self._decoupled, state["step"],
        )  # fmt: skip


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter): w *= 1 - lr * wd, then Adam on the raw gradient.
    PyTorch's default weight_decay=0.01."""

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        prox: Proximal | Sequence[Proximal] | None = None,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, prox=prox)
