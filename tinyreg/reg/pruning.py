"""prune: a smaller copy of a model without the units a group lasso switched off."""

from __future__ import annotations

import copy

import numpy as np

from .. import validate as check
from ..autograd import no_grad
from ..creation import tensor
from ..nn import BatchNorm1d, Dense, Dropout, Linear, Module, Parameter, Sequential
from .group import unit_axis


def prune(model: Module) -> Module:
    """A smaller copy of a Sequential model without its dead units, computing the same function
    in eval mode (to float rounding).

    A unit of a Dense or Linear layer is dead when its incoming weights are exactly 0 (a Dense
    column, a Linear row: what `GroupLasso` as a proximal step produces). Its output is then a
    constant: the layers between this layer and the next affine one (elementwise activations,
    Dropout, BatchNorm1d in eval mode) map its bias to a constant c, whose contribution through
    the next layer's weights is folded into that layer's bias before the unit and its input
    weights there are removed (BatchNorm1d features too). The output layer's units are kept.
    Only affine-to-affine chains are pruned; a model with other layers between two affine
    layers is copied with those layers untouched."""
    check.instance("prune", "model", model, Sequential, "a Sequential model")
    layers = [_copy_module(m) for m in model]
    affine = [i for i, m in enumerate(layers) if isinstance(m, Dense | Linear)]
    for here, after in zip(affine[:-1], affine[1:], strict=True):
        between = layers[here + 1 : after]
        if not all(_per_unit(m) for m in between):
            continue
        first, nxt = layers[here], layers[after]
        out_axis, in_axis = unit_axis(first.weight), 1 - unit_axis(nxt.weight)
        dead = ~np.any(first.weight.data != 0, axis=1 - out_axis)
        if not dead.any() or dead.all():
            continue
        with no_grad():
            bias = first.bias.data if first.bias is not None else np.zeros(first.out_features)
            value = tensor(bias[None, :].astype(first.weight.dtype))
            for m in between:
                value = m.eval()(value)
        constant = np.asarray(value.data)[0][dead]
        inputs = np.compress(dead, nxt.weight.data, axis=in_axis)  # the dead units' weights
        if nxt.bias is None:
            nxt.bias = Parameter(np.zeros(nxt.out_features, nxt.weight.dtype))
        nxt.bias.data = nxt.bias.data + (constant @ inputs if in_axis == 0 else inputs @ constant)
        keep = ~dead
        first.weight = first.weight.like(np.compress(keep, first.weight.data, axis=out_axis))
        if first.bias is not None:
            first.bias = first.bias.like(first.bias.data[keep])
        first.out_features = int(keep.sum())
        nxt.weight = nxt.weight.like(np.compress(keep, nxt.weight.data, axis=in_axis))
        nxt.in_features = int(keep.sum())
        for m in between:
            if isinstance(m, BatchNorm1d):
                _keep_features(m, keep)
    pruned = Sequential(*layers)
    return pruned.train(model.training)


def _per_unit(module: Module) -> bool:
    """Whether a layer acts on each feature on its own (so a constant feature stays constant)."""
    return getattr(module, "elementwise", False) or isinstance(module, Dropout | BatchNorm1d)


def _keep_features(layer: BatchNorm1d, keep: np.ndarray) -> None:
    for name in ("weight", "bias"):
        p = getattr(layer, name)
        if p is not None:
            setattr(layer, name, p.like(p.data[keep]))
    for name in ("running_mean", "running_var"):  # per feature (num_batches_tracked is not)
        buffer = getattr(layer, name)
        if buffer is not None:
            setattr(layer, name, buffer[keep].copy())
    layer.num_features = int(keep.sum())


def _copy_module(module: Module) -> Module:
    """A copy of a layer (parameters, buffers and the buffer registry copied, nothing shared)."""
    clone = copy.copy(module)
    for name, value in vars(module).items():
        if isinstance(value, Parameter):
            setattr(clone, name, value.like(value.data.copy()))
        elif isinstance(value, np.ndarray | dict):
            setattr(clone, name, value.copy())
    return clone
