"""Unit groups (all the weights into one unit) and the group lasso over them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .. import validate as check
from .._tensor import Tensor
from ..autograd.function import op
from ..device import (
    array_module,
    contiguous,
    kernels_for,
)
from ..nn import Module
from ..ops._args import scalar_array
from .regularizer import Regularizer


def unit_axis(p: Tensor) -> int:
    """The axis of a weight that indexes the units it feeds: the Parameter's own `unit_axis`
    where its layer set one (Dense: 1; Linear, Conv2d: 0), else 1 for a 2-D tensor (the
    (in, out) layout of Dense, tinyreg's default) and 0 for any other."""
    axis = getattr(p, "unit_axis", None)
    if axis is None:
        axis = 1 if p.ndim == 2 else 0
    return axis


def unit_groups(array: Any, axis: int) -> tuple[Any, bool]:
    """(2-D view, columns) of a weight, grouped by the unit each weight feeds (`unit_axis`):
    with axis 1, a Dense weight (in, out) by column (one group per output unit); with axis 0,
    by row of the (out, in * ...) view, so a Linear weight (out, in) by row and a Conv2d weight
    (out, in, kh, kw) by filter; a vector is one group."""
    if array.ndim == 1:
        return array.reshape(1, -1), False
    if axis == 1:
        return array, True
    return array.reshape(array.shape[0], -1), False


def group_norms(view: Any, columns: bool) -> tuple[Any, int]:
    """(float64 norm of each group, group size) of a 2-D `unit_groups` view, in one kernel pass."""
    norms = array_module(view).empty(view.shape[1] if columns else view.shape[0], np.float64)
    kernels_for(view).group_norms(view, columns, norms)
    return norms, view.shape[0] if columns else view.shape[1]


def group_lasso_term(params: list[Tensor], lam: float) -> Tensor:
    """lam * sum over groups g of sqrt(|g|) * ||w_g||_2 (Yuan & Lin, 2006), a group being all the
    weights into one unit (`unit_groups`). The gradient, added into each `.grad` by one kernel
    pass, is lam * sqrt(|g|) * w_g / ||w_g||, and 0 for a group that is exactly 0 (the
    subgradient PyTorch's autograd would give for a norm at 0)."""
    pieces = []
    for p in params:
        view, columns = unit_groups(contiguous(p.data), unit_axis(p))
        norms, size = group_norms(view, columns)
        pieces.append((p, view, columns, norms, math.sqrt(size)))
    value = sum(lam * root * float(norms.sum()) for _, _, _, norms, root in pieces)

    def backward(g):
        scale = float(g)
        for p, view, columns, norms, root in pieces:
            xp = array_module(norms)
            factors = xp.where(norms > 0, scale * lam * root / xp.where(norms > 0, norms, 1), 0)
            grad, _ = unit_groups(p.writable_grad(), unit_axis(p))
            kernels_for(view).group_add_scaled(view, grad, columns, factors)
        return (None,) * len(params)

    return op("group_lasso", scalar_array(value, params[0].dtype), tuple(params), backward,
              adds_into_grads=True)  # fmt: skip


class GroupLasso(Regularizer):
    """lam * sum over units g of sqrt(|g|) * ||w_g||_2 (Yuan & Lin 2006): a group is all the
    weights into one unit (a Dense column, a Linear row, a Conv2d filter), so the penalty switches
    whole units off. As a loss term its gradient is lam * sqrt(|g|) * w_g / ||w_g|| (0 at
    w_g = 0); as a proximal step (`optim.SGD(prox=GroupLasso(lam))`, block soft-thresholding):

        w_g = w_g * max(0, 1 - lr * lam * sqrt(|g|) / ||w_g||)

    which sets whole groups exactly to 0; `reg.prune(model)` then removes those units. Neither
    PyTorch nor Keras has it; the formula is the one of Yuan & Lin and of sklearn's
    MultiTaskLasso (per row there)."""

    def __init__(self, lam: float, params: Sequence[Tensor] | None = None):
        self.lam = check.finite("GroupLasso", "lam", lam, low=0.0)
        super().__init__(params)

    def loss(self, params: list[Tensor]) -> Tensor:
        """lam * sum_g sqrt(|g|) * ||w_g||_2 over the units of `params`, fused."""
        return group_lasso_term(params, self.lam)

    def prox_step(self, params: Iterable[Tensor], lr: float) -> None:
        """w_g *= max(0, 1 - lr * lam * sqrt(|g|) / ||w_g||), in place."""
        params, lr = self._prox_args(params, lr)
        for p in params:
            view, columns = unit_groups(p.data, unit_axis(p))
            norms, size = group_norms(view, columns)
            xp = array_module(norms)
            safe = xp.where(norms > 0, norms, 1.0)
            factors = xp.maximum(0.0, 1.0 - lr * self.lam * math.sqrt(size) / safe)
            kernels_for(view).group_scale(view, columns, xp.where(norms > 0, factors, 0.0))

    def dead_units(self, target: Module | Iterable[Tensor]) -> int:
        """How many covered units (groups) are exactly 0."""
        total = 0
        for p in self.selected(target):
            view, columns = unit_groups(p.data, unit_axis(p))
            total += int((group_norms(view, columns)[0] == 0).sum())
        return total

    def __repr__(self) -> str:
        return f"GroupLasso({self.lam:g})"
