"""MaxNorm, Keras's constraint, as a projection after each step."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .. import validate as check
from .._tensor import Tensor
from ..device import (
    array_module,
    kernels_for,
)
from .group import group_norms, unit_axis, unit_groups
from .regularizer import Regularizer


class MaxNorm(Regularizer):
    """Keras's MaxNorm constraint as a projection: after each step, every unit's incoming weight
    vector w_g (a Dense column, axis=0 as Keras's default; a Linear row; a Conv2d filter) is
    rescaled to norm at most max_value, with Keras's formula

        w_g = w_g * min(||w_g||, max_value) / (||w_g|| + 1e-7)

    Use it as `prox=` (alone or in a list with a penalty); it adds no loss term. axis=1 groups a
    2-D weight per input instead (a Dense weight's rows, a Linear weight's columns); `axis`
    keeps Keras's meaning for a Dense weight whatever the layer's layout."""

    def __init__(self, max_value: float = 3.0, axis: int = 0,
                 params: Sequence[Tensor] | None = None):  # fmt: skip
        self.max_value = check.finite("MaxNorm", "max_value", max_value, low=0.0, low_open=True)
        self.axis = check.choice("MaxNorm", "axis", axis, (0, 1))
        super().__init__(params)

    def prox_step(self, params: Iterable[Tensor], lr: float) -> None:
        """w_g *= min(||w_g||, max_value) / (||w_g|| + 1e-7), in place (lr is not used)."""
        params, _ = self._prox_args(params, lr)
        for p in params:
            view, columns = unit_groups(p.data, unit_axis(p))
            if self.axis == 1 and p.ndim == 2:  # per input: the other axis of a 2-D weight
                columns = not columns
            norms, _ = group_norms(view, columns)
            xp = array_module(norms)
            factors = xp.minimum(norms, self.max_value) / (norms + 1e-7)
            kernels_for(view).group_scale(view, columns, factors)

    def __repr__(self) -> str:
        return f"MaxNorm({self.max_value:g})"
