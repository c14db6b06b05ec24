"""Gradient clipping, PyTorch's nn.utils.clip_grad_norm_ and clip_grad_value_."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import validate as check
from ..._tensor import Tensor
from .parameters import parameter_list


def clip_grad_norm_(parameters: Any, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:  # fmt: skip
    """PyTorch's clip_grad_norm_: the norm of all gradients together,
    total = (sum_p ||g_p||^norm_type)^(1 / norm_type) (max |g| for norm_type=inf), and, when it
    exceeds max_norm, every gradient multiplied in place by max_norm / (total + 1e-6). Returns
    the total norm before clipping, as a 0-d tensor (float(total) is the number), computed in
    float64 and given in the gradients' dtype."""
    owner = "clip_grad_norm_"
    params = [p for p in _parameters(owner, parameters) if p.grad is not None]
    max_norm = check.finite(owner, "max_norm", max_norm, low=0.0)
    norm_type = check.number(owner, "norm_type", norm_type, low=0.0, low_open=True)
    grads = [p.grad.data for p in params]
    if math.isinf(norm_type):
        total = max((float(abs(g).max()) for g in grads if g.size), default=0.0)
    else:
        total = sum(float((abs(g.astype(np.float64)) ** norm_type).sum())
                    for g in grads) ** (1.0 / norm_type)  # fmt: skip
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of the gradients is {total}")
    coefficient = max_norm / (total + 1e-6)
    if not coefficient >= 1:  # a NaN norm makes every gradient NaN, as in PyTorch
        for p in params:
            p.grad.mul_(coefficient)
    return Tensor(np.asarray(total, dtype=grads[0].dtype if grads else np.float32))


def clip_grad_value_(parameters: Any, clip_value: float) -> None:
    """PyTorch's clip_grad_value_: every gradient clamped in place to [-clip_value, clip_value]."""
    clip_value = check.finite("clip_grad_value_", "clip_value", clip_value, low=0.0)
    for p in _parameters("clip_grad_value_", parameters):
        if p.grad is not None:
            p.grad.clamp_(-clip_value, clip_value)


def _parameters(owner: str, parameters: Any) -> list[Tensor]:
    """One tensor or an iterable of them, as PyTorch's clip_grad_* accept (`parameter_list`)."""
    if isinstance(parameters, Tensor):
        return [parameters]
    return parameter_list(owner, "parameters", parameters)
