"""The Regularizer interface, the rule for which weights a regularizer covers, and sparsity."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

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
    """The one interface of every regularizer, built-in or your own:

    - which parameters it covers: `params=` if given, else the weights `penalized` selects (a
      model's parameters marked `regularize`: Dense and Conv2d weights);
    - its loss term, `loss(params) -> Tensor`, a scalar over the covered tensors (fused into one
      kernel pass where tinyreg has a kernel: L1/L2/elastic net, group lasso). `regularizer(model)`
      returns it; `Trainer(penalty=...)` adds it to the data loss;
    - its proximal step, `prox_step(params, lr)`, applied in place after each optimizer update
      (`optim.SGD(prox=...)`); for a constraint, the projection.

    A regularizer defines one or both: `loss` and `prox_step` are None here and methods in the
    subclasses that have them (MaxNorm has no loss term; a penalty of your own may have no
    proximal step). A subclass of your own is accepted everywhere a built-in one is: Trainer,
    the optimizers' `prox=`, and the runs of `tinyreg.experiments`. Example, a loss term made of
    tinyreg ops (autograd gives its gradient):

        class LogPenalty(reg.Regularizer):
            def __init__(self, lam, eps=0.1, params=None):
                super().__init__(params)
                self.lam, self.eps = lam, eps

            def loss(self, params):
                return self.lam * sum(((p.abs() / self.eps) + 1).log().sum() for p in params)
    """

    loss: Callable[[list[Tensor]], Tensor] | None = None
    prox_step: Callable[[list[Tensor], float], None] | None = None

    def __init__(self, params: Iterable[Tensor] | None = None) -> None:
        self.params = None if params is None else parameter_list(type(self).__name__, "params",
                                                                 params)  # fmt: skip

    def selected(self, target: Module | Iterable[Tensor]) -> list[Tensor]:
        """The tensors this regularizer applies to: `params=` if given, else a model's weights
        marked `regularize`, or every tensor of an explicit list."""
        return penalized(target, self.params)

    def applies_to(self, p: Tensor) -> bool:
        """Whether the proximal step touches p: a `params=` member, else a marked parameter."""
        if self.params is not None:
            return any(p is q for q in self.params)
        return getattr(p, "regularize", True)

    def __call__(self, target: Module | Iterable[Tensor]) -> Tensor:
        """The loss term over the tensors of `target` this regularizer covers (a scalar tensor);
        a TypeError for a regularizer without one (a constraint: pass it as prox=)."""
        name = type(self).__name__
        if self.loss is None:
            raise TypeError(f"{name} is a constraint, not a loss term: pass it as prox={name}(...) "
                            "to the optimizer")  # fmt: skip
        if not isinstance(target, Module):
            target = parameter_list(f"{name}()", "target", target)
        params = self.selected(target)
        if not params:
            raise ValueError(f"{name}: no parameters to penalize")
        return self.loss(params)

    def _prox_args(self, params: Iterable[Tensor], lr: float) -> tuple[list[Tensor], float]:
        """The parameters (made contiguous: the kernels update them in place) and the step."""
        params = parameter_list(f"{type(self).__name__}.prox_step", "params", params)
        lr = check.finite(f"{type(self).__name__}.prox_step", "lr", lr, low=0.0)
        for p in params:
            p.data = contiguous(p.data)
        return params, lr

    def sparsity(self, target: Module | Iterable[Tensor]) -> float:
        """Fraction of covered weights that are exactly zero (`reg.sparsity`)."""
        return sparsity(self.selected(target))
