"""Weight penalties: L1, L2 and elastic net, as loss terms and as proximal steps.

    L1(lam):            lam * sum(|w|)                         gradient lam * sign(w), sign(0) = 0
    L2(lam):            lam / 2 * sum(w^2)                     gradient lam * w
    ElasticNet(l1, l2): l1 * sum(|w|) + l2 / 2 * sum(w^2)

Keras's L2 has no 1/2 (its gradient is 2 lam w); tinyreg follows the seed, so L2(lam) adds exactly
`lam * w` to the gradient and equals SGD's `weight_decay=lam` step for step.

`penalty(model)` returns a scalar tensor to add to the loss; its backward adds the gradient into
each weight's `.grad` with one fused kernel pass. By default only parameters marked `regularize`
(the weights of Dense layers) are penalized, never biases or BatchNorm parameters; `params=`
chooses others. `prox_step(params, lr)` is the proximal operator used by `optim.SGD(prox=...)`:
    w = sign(w) * max(|w| - lr * l1, 0) / (1 + lr * l2)
which sets small weights to exactly zero (ISTA), unlike the subgradient of L1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import functional as F
from . import validate as check
from .device import contiguous, kernels_for
from .nn import Module
from .tensor import Tensor


def parameter_list(owner: str, name: str, params: Any) -> list[Tensor]:
    """A list of tensors from an iterable of them; a Module, a single tensor or a non-tensor item
    is a TypeError that says what to pass instead (PyTorch's rule for optimizers)."""
    if isinstance(params, Module):
        raise TypeError(f"{owner}: {name} must be an iterable of tensors, got a Module; pass "
                        "model.parameters()")  # fmt: skip
    if isinstance(params, Tensor) or not isinstance(params, Iterable) or isinstance(params, str):
        raise TypeError(f"{owner}: {name} must be an iterable of tensors, got "
                        f"{type(params).__name__}")  # fmt: skip
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{owner}: {name}[{i}] must be a Tensor, got {type(p).__name__}")
    return params


def penalized(target: Module | Iterable[Tensor], params: Sequence[Tensor] | None = None
              ) -> list[Tensor]:  # fmt: skip
    """The one rule for which weights a penalty covers (and which weights sparsity counts):
    `params` if given; for a Module, its parameters marked `regularize` (the weights of Dense
    layers; never biases or BatchNorm parameters, as the seed asks); for a list, every tensor."""
    if params is not None:
        return list(params)
    if isinstance(target, Module):
        return [p for p in target.parameters() if p.regularize]
    return list(target)


def sparsity(params: Iterable[Tensor | np.ndarray], threshold: float = 0.0) -> float:
    """The fraction of entries with |w| <= threshold over all `params` (tensors or arrays;
    threshold 0: exact zeros, what a proximal step produces); 0.0 when there are no entries."""
    arrays = [p.data if isinstance(p, Tensor) else np.asarray(p) for p in params]
    total = sum(a.size for a in arrays)
    small = sum(int(np.count_nonzero(np.abs(a) <= threshold)) for a in arrays)
    return small / total if total else 0.0


class Penalty:
    """l1 * sum(|w|) + l2 / 2 * sum(w^2) over the selected parameters."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, params: Sequence[Tensor] | None = None):
        owner = type(self).__name__
        names = {"L1": ("lam", "l2"), "L2": ("l1", "lam")}.get(owner, ("l1", "l2"))
        self.l1 = check.finite(owner, names[0], l1, low=0.0)
        self.l2 = check.finite(owner, names[1], l2, low=0.0)
        self.params = None if params is None else parameter_list(owner, "params", params)

    def selected(self, target: Module | Iterable[Tensor]) -> list[Tensor]:
        """The tensors this penalty applies to: `params=` if given, else a model's Dense weights
        (parameters marked `regularize`), or every tensor of an explicit list."""
        return penalized(target, self.params)

    def applies_to(self, p: Tensor) -> bool:
        """Whether the proximal step touches p: a `params=` member, else a marked parameter."""
        if self.params is not None:
            return any(p is q for q in self.params)
        return getattr(p, "regularize", True)

    def __call__(self, target: Module | Iterable[Tensor]) -> Tensor:
        if not isinstance(target, Module):
            target = parameter_list(f"{type(self).__name__}()", "target", target)
        params = self.selected(target)
        if not params:
            raise ValueError(f"{type(self).__name__}: no parameters to penalize")
        return F.penalty(params, self.l1, self.l2)

    def prox_step(self, params: Iterable[Tensor], lr: float) -> None:
        """w = sign(w) * max(|w| - lr * l1, 0) / (1 + lr * l2), in place."""
        params = parameter_list(f"{type(self).__name__}.prox_step", "params", params)
        lr = check.finite(f"{type(self).__name__}.prox_step", "lr", lr, low=0.0)
        for p in params:
            p.data = contiguous(p.data)  # updated in place by the kernel
            kernels_for(p.data).prox(p.data, lr, self.l1, self.l2)

    def sparsity(self, target: Module | Iterable[Tensor]) -> float:
        """Fraction of penalized weights that are exactly zero (`reg.sparsity`)."""
        return sparsity(self.selected(target))

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
