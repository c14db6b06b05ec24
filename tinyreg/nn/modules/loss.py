"""Loss modules, PyTorch's: each holds its arguments and calls its function of
`tinyreg.nn.functional` (where the formulas are written), `criterion(input, target)`.

As in PyTorch, a class weight (and BCEWithLogitsLoss's pos_weight) is a buffer, so it moves with
`.to(...)` and appears in the state dict; `size_average` and `reduce` are the deprecated
spellings of `reduction`, turned into it once, with PyTorch's warning.
"""

from __future__ import annotations

from typing import Any

from ... import validate as check
from ..._tensor import Tensor
from .. import functional as F
from ..functional.loss import resolve_reduction
from .module import Module


class _Loss(Module):
    """What every loss module shares: `reduction` ("mean", "sum" or "none")."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__()
        self.reduction = resolve_reduction(type(self).__name__, size_average, reduce, reduction)

    def _weight_buffer(self, name: str, weight: Any) -> None:
        """Register a weight argument as a buffer (None stays None)."""
        if weight is not None:
            weight = check.float_array(type(self).__name__, name, weight)
        self.register_buffer(name, weight)

    def extra_repr(self) -> str:
        """ "reduction=..." when it is not the default."""
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class L1Loss(_Loss):
    """|input - target| per element, reduced (`functional.l1_loss`)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of `input` against `target` (the same shape)."""
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """(input - target)^2 per element, reduced (`functional.mse_loss`)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of `input` against `target` (the same shape)."""
        return F.mse_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (`functional.huber_loss`)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = check.finite("HuberLoss", "delta", delta, low=0.0, low_open=True)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of `input` against `target` (the same shape)."""
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (`functional.smooth_l1_loss`)."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", beta: float = 1.0) -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.beta = check.finite("SmoothL1Loss", "beta", beta, low=0.0)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of `input` against `target` (the same shape)."""
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class _WeightedLoss(_Loss):
    """A loss with an optional per-class (or per-element) `weight`, held as a buffer."""

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self._weight_buffer("weight", weight)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities against class indices, with an optional
    per-class `weight` and `ignore_index` (`functional.nll_loss`)."""

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = check.integer("NLLLoss", "ignore_index", ignore_index)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of log-probabilities (N, C) (or (C,), (N, C, d1, ...)) against labels."""
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)  # fmt: skip


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices or class probabilities, with an optional
    per-class `weight`, `ignore_index` and `label_smoothing` (`functional.cross_entropy`)."""

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:  # fmt: skip
        super().__init__(weight, size_average, reduce, reduction)
        owner = "CrossEntropyLoss"
        self.ignore_index = check.integer(owner, "ignore_index", ignore_index)
        self.label_smoothing = check.number(owner, "label_smoothing", label_smoothing, 0.0, 1.0)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of logits (N, C) (or (C,), (N, C, d1, ...)) against `target`."""
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities, with an optional `weight` that broadcasts to the
    input (`functional.binary_cross_entropy`)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of probabilities `input` against `target` (the same shape)."""
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)  # fmt: skip


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits, stable for any logit, with optional `weight` and
    `pos_weight` (`functional.binary_cross_entropy_with_logits`)."""

    def __init__(self, weight: Any = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean",
                 pos_weight: Any = None) -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self._weight_buffer("weight", weight)
        self._weight_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of logits `input` against `target` (the same shape)."""
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)  # fmt: skip
