"""The Regularizer interface, the rule for which weights a regularizer covers, and sparsity."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .. import validate as check
from .._tensor import Tensor
from ..device import (
    contiguous,
)
from ..nn import Module
from ..nn.utils.parameters import parameter_list


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


class Regularizer:
    """What every penalty and constraint shares: which parameters it covers (`params=`, else
    the weights `penalized` selects), `prox_step(params, lr)` for `optim.*(prox=...)`, and
    `sparsity`. Subclasses implement the proximal step and, for penalties, the loss term
    `__call__(model)`."""

    params: list[Tensor] | None = None

    def selected(self, target: Module | Iterable[Tensor]) -> list[Tensor]:
        """The tensors this penalty applies to: `params=` if given, else a model's Dense weights
        (parameters marked `regularize`), or every tensor of an explicit list."""
        return penalized(target, self.params)

    def applies_to(self, p: Tensor) -> bool:
        """Whether the proximal step touches p: a `params=` member, else a marked parameter."""
        if self.params is not None:
            return any(p is q for q in self.params)
        return getattr(p, "regularize", True)

    def _targets(self, target: Module | Iterable[Tensor]) -> list[Tensor]:
        if not isinstance(target, Module):
            target = parameter_list(f"{type(self).__name__}()", "target", target)
        params = self.selected(target)
        if not params:
            raise ValueError(f"{type(self).__name__}: no parameters to penalize")
        return params

    def _prox_args(self, params: Iterable[Tensor], lr: float) -> tuple[list[Tensor], float]:
        """The parameters (made contiguous: the kernels update them in place) and the step."""
        params = parameter_list(f"{type(self).__name__}.prox_step", "params", params)
        lr = check.finite(f"{type(self).__name__}.prox_step", "lr", lr, low=0.0)
        for p in params:
            p.data = contiguous(p.data)
        return params, lr

    def prox_step(self, params: Iterable[Tensor], lr: float) -> None:
        """The proximal operator (or projection) applied after an optimizer step of size lr."""
        raise NotImplementedError

    def sparsity(self, target: Module | Iterable[Tensor]) -> float:
        """Fraction of penalized weights that are exactly zero (`reg.sparsity`)."""
        return sparsity(self.selected(target))
