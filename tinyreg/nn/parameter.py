"""Parameter: a leaf tensor that requires grad, marked for the default penalty or not, and the
axis of the units it feeds (what group penalties and constraints group by)."""

from __future__ import annotations

from typing import Any

from .. import validate as check
from .._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad (PyTorch's `nn.Parameter(data, requires_grad=True)`).

    Two tinyreg markings, keyword-only, that the layers set and `tinyreg.reg` reads:
    - `regularize`: whether the default penalty covers it (the weights of Dense, Linear and
      Conv2d are marked; biases and BatchNorm parameters are not, as in the seed);
    - `unit_axis`: the axis that indexes the units the weight feeds, so a group penalty or a
      max-norm constraint groups the weights into one unit together: 1 for a Dense weight
      (in, out), 0 for a Linear weight (out, in) and a Conv2d weight (out, in, kh, kw); None
      leaves it to `reg.group.unit_axis`'s rule for unmarked tensors.
    """

    __slots__ = ("regularize", "unit_axis")

    def __init__(self, data: Any, requires_grad: bool = True, *, regularize: bool = False,
                 unit_axis: int | None = None):  # fmt: skip
        requires_grad = check.boolean("Parameter", "requires_grad", requires_grad)
        regularize = check.boolean("Parameter", "regularize", regularize)
        if unit_axis is not None:
            unit_axis = check.integer("Parameter", "unit_axis", unit_axis, low=0, high=1)
        super().__init__(data, requires_grad=requires_grad)
        if unit_axis == 1 and self.ndim != 2:
            raise ValueError(f"Parameter: unit_axis=1 (the columns of a Dense weight) needs a "
                             f"2-D tensor, got shape {self.shape}")  # fmt: skip
        self.regularize = regularize
        self.unit_axis = unit_axis

    def like(self, data: Any) -> Parameter:
        """A new Parameter holding `data` with this one's markings (requires_grad, regularize,
        unit_axis): what a layer that reshapes its weights (pruning) builds."""
        return Parameter(data, self.requires_grad, regularize=self.regularize,
                         unit_axis=self.unit_axis)  # fmt: skip

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
