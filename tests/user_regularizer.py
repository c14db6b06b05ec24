"""Regularizers defined outside tinyreg, in a file of their own, as a user writes them: the tests
import them by module path (`user_regularizer`), and so can worker processes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinyreg import reg
from tinyreg._tensor import Tensor


class UserL1(reg.Regularizer):
    """lam * sum(|w|) written with tinyreg ops (autograd gives lam * sign(w)), and its proximal
    step w = sign(w) * max(|w| - lr * lam, 0) written in NumPy: reg.L1 rebuilt by hand."""

    def __init__(self, lam: float, params: Sequence[Tensor] | None = None) -> None:
        super().__init__(params)
        self.lam = lam

    def loss(self, params: list[Tensor]) -> Tensor:
        """lam * sum(|w|) over `params`."""
        total = params[0].abs().sum()
        for p in params[1:]:
            total = total + p.abs().sum()
        return self.lam * total

    def prox_step(self, params: list[Tensor], lr: float) -> None:
        """w = sign(w) * max(|w| - lr * lam, 0), in place, in the weights' dtype."""
        for p in params:
            w = p.data
            magnitude = np.abs(w) - w.dtype.type(lr * self.lam)
            w[...] = np.where(magnitude > 0, np.copysign(magnitude, w), 0)


class LogPenalty(reg.Regularizer):
    """lam * sum(log(1 + |w| / eps)): a penalty no built-in has (it shrinks small weights harder
    than large ones), with no proximal step."""

    def __init__(self, lam: float, eps: float = 0.1) -> None:
        super().__init__()
        self.lam, self.eps = lam, eps

    def loss(self, params: list[Tensor]) -> Tensor:
        """lam * sum(log(1 + |w| / eps)) over `params`."""
        terms = [((p.abs() / self.eps) + 1).log().sum() for p in params]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return self.lam * total

    def __repr__(self) -> str:
        return f"LogPenalty({self.lam:g})"
