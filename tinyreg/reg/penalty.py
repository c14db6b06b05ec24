"""Weight penalties: L1, L2 and elastic net, as loss terms (one fused op) and as proximal steps.

    L1(lam):            lam * sum(|w|)                         gradient lam * sign(w), sign(0) = 0
    L2(lam):            lam / 2 * sum(w^2)                     gradient lam * w
    ElasticNet(l1, l2): l1 * sum(|w|) + l2 / 2 * sum(w^2)

Keras's L2 has no 1/2 (its gradient is 2 lam w); tinyreg follows the seed, so L2(lam) adds exactly
`lam * w` to the gradient and equals SGD's `weight_decay=lam` step for step. The proximal step
    w = sign(w) * max(|w| - lr * l1, 0) / (1 + lr * l2)
sets small weights to exactly zero (ISTA), unlike the subgradient of L1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .. import validate as check
from .._tensor import Tensor
from ..autograd.function import op
from ..device import (
    contiguous,
    kernels_for,
)
from ..ops._args import scalar_array
from .regularizer import Regularizer


def penalty_term(params: list[Tensor], l1: float, l2: float) -> Tensor:
    """l1 * sum(|w|) + l2 / 2 * sum(w^2) over the tensors in `params`, as one fused op.

    The value is computed by one kernel pass per tensor (float64 accumulation); the backward adds
    g * (l1 * sign(w) + l2 * w) (sign(0) = 0) straight into each tensor's `.grad` in one pass, after
    the data loss's gradients have arrived, so no zero-filled gradient array is made. The
    strengths are checked by `reg.Penalty`, which calls this.
    """
    value = sum(kernels_for(p.data).penalty_value(contiguous(p.data), l1, l2) for p in params)

    def backward(g):
        scale = float(g)
        for p in params:
            kernels_for(p.data).penalty_value_grad(contiguous(p.data), p.writable_grad(), l1, l2,
                                                   scale)  # fmt: skip
        return (None,) * len(params)

    return op("penalty", scalar_array(value, params[0].dtype), tuple(params), backward,
              adds_into_grads=True)  # fmt: skip


class Penalty(Regularizer):
    """l1 * sum(|w|) + l2 / 2 * sum(w^2) over the selected parameters."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, params: Sequence[Tensor] | None = None):
        owner = type(self).__name__
        names = {"L1": ("lam", "l2"), "L2": ("l1", "lam")}.get(owner, ("l1", "l2"))
        self.l1 = check.finite(owner, names[0], l1, low=0.0)
        self.l2 = check.finite(owner, names[1], l2, low=0.0)
        super().__init__(params)

    def loss(self, params: list[Tensor]) -> Tensor:
        """l1 * sum(|w|) + l2 / 2 * sum(w^2) over `params`, one fused kernel pass per tensor."""
        return penalty_term(params, self.l1, self.l2)

    def prox_step(self, params: Iterable[Tensor], lr: float) -> None:
        """w = sign(w) * max(|w| - lr * l1, 0) / (1 + lr * l2), in place."""
        params, lr = self._prox_args(params, lr)
        for p in params:
            kernels_for(p.data).prox(p.data, lr, self.l1, self.l2)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(l1={self.l1:g}, l2={self.l2:g})"


class L1(Penalty):
    """lam * sum(|w|); gradient lam * sign(w) with sign(0) = 0 (as Keras L1)."""

    def __init__(self, lam: float, params: Sequence[Tensor] | None = None):
        super().__init__(l1=lam, params=params)

    def __repr__(self) -> str:
        return f"L1({self.l1:g})"


class L2(Penalty):
    """lam / 2 * sum(w^2); gradient lam * w (Keras's L2 has no 1/2)."""

    def __init__(self, lam: float, params: Sequence[Tensor] | None = None):
        super().__init__(l2=lam, params=params)

    def __repr__(self) -> str:
        return f"L2({self.l2:g})"


class ElasticNet(Penalty):
    """l1 * sum(|w|) + l2 / 2 * sum(w^2): sklearn's ElasticNet with alpha = l1 + l2 and
    l1_ratio = l1 / (l1 + l2) (for a loss scaled 1 / (2 n))."""
