"""Finite-difference gradient check in float64.

For a function f of tensors and a fixed random direction v (so a non-scalar output is checked too),
the analytic gradient of <v, f(x)> from `backward` is compared, entry by entry, with the central
difference (<v, f(x + eps e_i)> - <v, f(x - eps e_i)>) / (2 eps).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import validate as check
from .._tensor import Tensor
from .grad_mode import no_grad


class GradcheckError(AssertionError):
    """A gradient that disagrees with its finite-difference estimate."""


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """True if every entry satisfies |analytic - numeric| <= atol + rtol * |numeric|.

    Raises GradcheckError naming the input, the index and both values of the worst entry.
    `inputs` (tensors or arrays) are copied to float64 leaves; `fn` must compute in float64.
    """
    if not callable(fn):
        raise TypeError(f"gradcheck: fn must be callable, got a {type(fn).__name__}")
    if isinstance(inputs, Tensor | np.ndarray) or not isinstance(inputs, Sequence):
        raise TypeError("gradcheck: inputs must be a list of tensors or arrays, got a "
                        f"{type(inputs).__name__}")  # fmt: skip
    eps = check.finite("gradcheck", "eps", eps, low=0.0, low_open=True)
    atol = check.finite("gradcheck", "atol", atol, low=0.0)
    rtol = check.finite("gradcheck", "rtol", rtol, low=0.0)
    leaves = []
    for i, x in enumerate(inputs):
        array = np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
        if not np.all(np.isfinite(array)):
            raise ValueError(f"gradcheck: input {i} holds non-finite values")
        leaves.append(Tensor(array, requires_grad=True))
    out = fn(*leaves)
    if out.dtype != np.float64:
        raise ValueError(
            f"gradcheck: fn returned dtype {out.dtype}; it must compute in float64 "
            "(convert parameters with .to(np.float64))"
        )
    direction = np.random.default_rng(0).standard_normal(out.shape)
    (out * direction).sum().backward()

    def objective() -> float:
        with no_grad():
            return float(np.sum(fn(*leaves).data * direction))

    for i, leaf in enumerate(leaves):
        analytic = np.zeros_like(leaf.data) if leaf.grad is None else leaf.grad.data
        numeric = np.empty_like(leaf.data)
        flat = leaf.data.reshape(-1)
        for j in range(flat.size):
            saved = flat[j]
            flat[j] = saved + eps
            upper = objective()
            flat[j] = saved - eps
            lower = objective()
            flat[j] = saved
            numeric.reshape(-1)[j] = (upper - lower) / (2 * eps)
        excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if excess.size and excess.max() > 0:
            worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
            raise GradcheckError(
                f"gradcheck: input {i} at index {tuple(int(k) for k in worst)}: analytic "
                f"{analytic[worst]:.8g} vs numeric {numeric[worst]:.8g} "
                f"(atol={atol}, rtol={rtol})"
            )
    return True
