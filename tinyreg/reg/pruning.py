"""prune: a smaller copy of a model without the units a group lasso switched off."""

from __future__ import annotations

import copy

import numpy as np

from .. import validate as check
from ..autograd import no_grad
from ..creation import tensor
from ..nn import BatchNorm1d, Dense, Dropout, Module, Parameter, Sequential


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
    clone = copy.copy(module)
    for name, value in vars(module).items():
        if isinstance(value, Parameter):
            setattr(clone, name, Parameter(value.data.copy(), regularize=value.regularize))
        elif isinstance(value, np.ndarray):
            setattr(clone, name, value.copy())
    return clone
