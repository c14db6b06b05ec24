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

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import functional as F
from . import validate as check
from .device import array_module, contiguous, kernels_for
from .nn import BatchNorm1d, Dense, Dropout, Module, Parameter, Sequential
from .tensor import Tensor, no_grad, tensor


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


class Penalty(Regularizer):
    """l1 * sum(|w|) + l2 / 2 * sum(w^2) over the selected parameters."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, params: Sequence[Tensor] | None = None):
        owner = type(self).__name__
        names = {"L1": ("lam", "l2"), "L2": ("l1", "lam")}.get(owner, ("l1", "l2"))
        self.l1 = check.finite(owner, names[0], l1, low=0.0)
        self.l2 = check.finite(owner, names[1], l2, low=0.0)
        self.params = None if params is None else parameter_list(owner, "params", params)

    def __call__(self, target: Module | Iterable[Tensor]) -> Tensor:
        """The loss term over the covered weights (a scalar tensor)."""
        return F.penalty(self._targets(target), self.l1, self.l2)

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


class GroupLasso(Regularizer):
    """lam * sum over units g of sqrt(|g|) * ||w_g||_2 (Yuan & Lin 2006): a group is all the
    weights into one unit (a Dense column, a Conv2d filter), so the penalty switches whole units
    off. As a loss term its gradient is lam * sqrt(|g|) * w_g / ||w_g|| (0 at w_g = 0); as a
    proximal step (`optim.SGD(prox=GroupLasso(lam))`, block soft-thresholding):

        w_g = w_g * max(0, 1 - lr * lam * sqrt(|g|) / ||w_g||)

    which sets whole groups exactly to 0; `reg.prune(model)` then removes those units. Neither
    PyTorch nor Keras has it; the formula is the one of Yuan & Lin and of sklearn's
    MultiTaskLasso (per row there)."""

    def __init__(self, lam: float, params: Sequence[Tensor] | None = None):
        self.lam = check.finite("GroupLasso", "lam", lam, low=0.0)
        self.params = None if params is None else parameter_list("GroupLasso", "params", params)

    def __call__(self, target: Module | Iterable[Tensor]) -> Tensor:
        """The loss term over the covered weights (a scalar tensor)."""
        return F.group_lasso(self._targets(target), self.lam)

    def prox_step(self, params: Iterable[Tensor], lr: float) -> None:
        """w_g *= max(0, 1 - lr * lam * sqrt(|g|) / ||w_g||), in place."""
        params, lr = self._prox_args(params, lr)
        for p in params:
            view, columns = F.unit_groups(p.data)
            norms, size = F.group_norms(view, columns)
            xp = array_module(norms)
            safe = xp.where(norms > 0, norms, 1.0)
            factors = xp.maximum(0.0, 1.0 - lr * self.lam * math.sqrt(size) / safe)
            kernels_for(view).group_scale(view, columns, xp.where(norms > 0, factors, 0.0))

    def dead_units(self, target: Module | Iterable[Tensor]) -> int:
        """How many covered units (groups) are exactly 0."""
        total = 0
        for p in self.selected(target):
            view, columns = F.unit_groups(p.data)
            total += int((F.group_norms(view, columns)[0] == 0).sum())
        return total

    def __repr__(self) -> str:
        return f"GroupLasso({self.lam:g})"


class MaxNorm(Regularizer):
    """Keras's MaxNorm constraint as a projection: after each step, every unit's incoming weight
    vector w_g (a Dense column, axis=0 as Keras's default; a Conv2d filter) is rescaled to norm
    at most max_value, with Keras's formula

        w_g = w_g * min(||w_g||, max_value) / (||w_g|| + 1e-7)

    Use it as `prox=` (alone or in a list with a penalty); it adds no loss term. axis=1 groups a
    Dense weight by rows (per input) instead."""

    def __init__(self, max_value: float = 3.0, axis: int = 0,
                 params: Sequence[Tensor] | None = None):  # fmt: skip
        self.max_value = check.finite("MaxNorm", "max_value", max_value, low=0.0, low_open=True)
        self.axis = check.choice("MaxNorm", "axis", axis, (0, 1))
        self.params = None if params is None else parameter_list("MaxNorm", "params", params)

    def __call__(self, target: Any) -> Tensor:
        """A constraint has no loss term: raises TypeError saying to pass it as prox=."""
        raise TypeError("MaxNorm is a constraint, not a loss term: pass it as prox=MaxNorm(...) "
                        "to the optimizer")  # fmt: skip

    def prox_step(self, params: Iterable[Tensor], lr: float) -> None:
        """w_g *= min(||w_g||, max_value) / (||w_g|| + 1e-7), in place (lr is not used)."""
        params, _ = self._prox_args(params, lr)
        for p in params:
            view, columns = F.unit_groups(p.data)
            columns = columns and self.axis == 0  # axis=1: a Dense weight's rows
            norms, _ = F.group_norms(view, columns)
            xp = array_module(norms)
            factors = xp.minimum(norms, self.max_value) / (norms + 1e-7)
            kernels_for(view).group_scale(view, columns, factors)

    def __repr__(self) -> str:
        return f"MaxNorm({self.max_value:g})"


def prune(model: Module) -> Module:
    """A smaller copy of a Sequential model without its dead units, computing the same function
    in eval mode (to float rounding).

    A unit of a Dense layer is dead when its incoming weight column is exactly 0 (what
    `GroupLasso` as a proximal step produces). Its output is then a constant: the layers between
    this Dense and the next one (elementwise activations, Dropout, BatchNorm1d in eval mode) map
    its bias to a constant c, whose contribution c @ W_next[dead] is folded into the next Dense
    layer's bias before the unit and its row of W_next are removed (BatchNorm1d features too).
    The output layer's units are kept. Only Dense-to-Dense chains are pruned; a model with other
    layers between two Dense layers is copied with those layers untouched."""
    check.instance("prune", "model", model, Sequential, "a Sequential model")
    layers = [_copy_module(m) for m in model.layers]
    dense = [i for i, m in enumerate(layers) if isinstance(m, Dense)]
    for here, after in zip(dense[:-1], dense[1:], strict=True):
        between = layers[here + 1 : after]
        if not all(_per_unit(m) for m in between):
            continue
        first, nxt = layers[here], layers[after]
        dead = ~np.any(first.weight.data != 0, axis=0)
        if not dead.any() or dead.all():
            continue
        with no_grad():
            bias = first.bias.data if first.bias is not None else np.zeros(first.out_features)
            value = tensor(bias[None, :].astype(first.weight.dtype))
            for m in between:
                value = m.eval()(value)
        constant = np.asarray(value.data)[0]
        if nxt.bias is None:
            nxt.bias = Parameter(np.zeros(nxt.out_features, nxt.weight.dtype))
        nxt.bias.data = nxt.bias.data + constant[dead] @ nxt.weight.data[dead]
        keep = ~dead
        first.weight = Parameter(first.weight.data[:, keep], regularize=True)
        if first.bias is not None:
            first.bias = Parameter(first.bias.data[keep])
        first.out_features = int(keep.sum())
        nxt.weight = Parameter(nxt.weight.data[keep], regularize=True)
        nxt.in_features = int(keep.sum())
        for m in between:
            if isinstance(m, BatchNorm1d):
                _keep_features(m, keep)
    pruned = Sequential(*layers)
    return pruned.train(model.training)


def _per_unit(module: Module) -> bool:
    """Whether a layer acts on each feature on its own (so a constant feature stays constant)."""
    return getattr(module, "elementwise", False) or isinstance(module, Dropout | BatchNorm1d)


def _keep_features(layer: Module, keep: np.ndarray) -> None:
    for name in ("weight", "bias"):
        p = getattr(layer, name)
        if p is not None:
            setattr(layer, name, Parameter(p.data[keep]))
    for name in layer._buffer_names:
        buffer = getattr(layer, name)
        if buffer is not None:
            setattr(layer, name, buffer[keep].copy())
    layer.num_features = int(keep.sum())


def _copy_module(module: Module) -> Module:
    """A deep copy of a layer (parameters and buffers copied, nothing shared)."""
    import copy

    clone = copy.copy(module)
    for name, value in vars(module).items():
        if isinstance(value, Parameter):
            setattr(clone, name, Parameter(value.data.copy(), regularize=value.regularize))
        elif isinstance(value, np.ndarray):
            setattr(clone, name, value.copy())
    return clone
