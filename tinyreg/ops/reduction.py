"""Reductions and ops along a dimension, each with its backward beside it: sum, mean, max/min
(PyTorch's three forms), amax/amin (ties share the gradient), argmax/argmin, all/any, var/std,
prod, cumsum, logsumexp, norm, softmax and log_softmax. Every dimension argument is PyTorch's
`dim`/`keepdim` (NumPy's `axis`/`keepdims` are accepted too).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .._tensor import Tensor
from ..autograd.function import op
from ..device import array_module
from . import elementwise
from ._args import (
    dim_index,
    index_result,
    keep_array,
    one_dim,
    reduction_dims,
)


class ValuesIndices(NamedTuple):
    """What max and min along a dimension return, as PyTorch's torch.return_types.max / .min:
    the `values` and the int64 `indices` where they are, which unpack as a pair
    (`_, predicted = out.max(1)`)."""

    values: Tensor
    indices: Tensor


def sum(self, dim: int | tuple | None = None, keepdim: bool = False, *,
        axis: int | tuple | None = None, keepdims: bool | None = None) -> Tensor:  # fmt: skip
    """Sum over `dim` (an int, a tuple, or None for all); `axis`/`keepdims` are NumPy
    spellings of the same arguments. The gradient broadcasts back over the summed dims."""
    dims, keep = reduction_dims(self.ndim, dim, axis, keepdim, keepdims, "sum")
    shape = self.shape

    def backward(g):
        if dims is not None and not keep:
            g = np.expand_dims(g, dims)
        return (np.broadcast_to(g, shape),)

    return op("sum", keep_array(self.data.sum(axis=dims, keepdims=keep)), (self,), backward)


def mean(self, dim: int | tuple | None = None, keepdim: bool = False, *,
         axis: int | tuple | None = None, keepdims: bool | None = None) -> Tensor:  # fmt: skip
    """Mean over `dim` (see `sum`); the mean of an empty selection is NaN, as in PyTorch."""
    dims, keep = reduction_dims(self.ndim, dim, axis, keepdim, keepdims, "mean")
    count = int(np.prod([self.shape[i] for i in (range(self.ndim) if dims is None else dims)]))
    return self.sum(dims, keep) * (1.0 / count if count else float("nan"))


def amax(self, dim: int | tuple | None = None, keepdim: bool = False, *,
         axis: int | tuple | None = None, keepdims: bool | None = None) -> Tensor:  # fmt: skip
    """Maximum over `dim` (an int, a tuple, or None for all), as torch.amax; the gradient is
    shared equally among tied maxima."""
    dims, keep = reduction_dims(self.ndim, dim, axis, keepdim, keepdims, "amax")
    a = self.data
    top = a.max(axis=dims, keepdims=True)

    def backward(g):
        if dims is not None and not keep:
            g = np.expand_dims(g, dims)
        hit = a == top
        return (hit * (g / hit.sum(axis=dims, keepdims=True)),)

    out = top if keep else keep_array(a.max(axis=dims))
    return op("amax", out, (self,), backward)


def amin(self, dim: int | tuple | None = None, keepdim: bool = False, *,
         axis: int | tuple | None = None, keepdims: bool | None = None) -> Tensor:  # fmt: skip
    """Minimum over `dim` (see `amax`), as torch.amin; the gradient is shared among tied
    minima."""
    return -amax(-self, dim, keepdim, axis=axis, keepdims=keepdims)


def max(self, dim: Any = None, keepdim: bool = False, *, axis: int | None = None,
        keepdims: bool | None = None) -> Tensor | ValuesIndices:  # fmt: skip
    """torch.max in its three forms: `x.max()`, the largest value (the gradient shared equally
    among tied maxima); `x.max(dim)`, the (values, indices) of the maxima along the int `dim`,
    the first index where several tie (the gradient goes to it, as PyTorch's); `x.max(other)`,
    the elementwise maximum with a tensor (torch.maximum). NaN counts as the largest value, as
    in PyTorch."""
    return _extreme(self, dim, keepdim, axis, keepdims, "max")


def min(self, dim: Any = None, keepdim: bool = False, *, axis: int | None = None,
        keepdims: bool | None = None) -> Tensor | ValuesIndices:  # fmt: skip
    """torch.min in its three forms (see `max`): the smallest value, the (values, indices) of
    the minima along `dim`, or the elementwise minimum with a tensor. NaN counts as the smallest
    value, as in PyTorch."""
    return _extreme(self, dim, keepdim, axis, keepdims, "min")


def _extreme(self: Tensor, dim: Any, keepdim: bool, axis: int | None, keepdims: bool | None,
             name: str) -> Tensor | ValuesIndices:  # fmt: skip
    """max or min (`name`) in the form its arguments ask for."""
    if isinstance(dim, Tensor):
        pair = elementwise.maximum if name == "max" else elementwise.minimum
        return pair(self, dim)
    dim = one_dim(dim, axis, name)
    if dim is None:
        return amax(self) if name == "max" else amin(self)
    if isinstance(dim, tuple | list):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}; for several dims use "
                        f"a{name} (torch.a{name})")  # fmt: skip
    keep = keepdim if keepdims is None else keepdims
    a = self.data
    d = dim_index(dim, self.ndim, name)
    flat = a.reshape(1) if a.ndim == 0 else a  # a 0-d tensor is its own maximum, at index 0
    where = (flat.argmax if name == "max" else flat.argmin)(axis=d, keepdims=True)
    hit = array_module(a).arange(flat.shape[d]).reshape((-1,) + (1,) * (flat.ndim - d - 1)) == where
    values = np.take_along_axis(flat, where, axis=d)
    shape = values.shape if keep and a.ndim else np.squeeze(values, d).shape

    def backward(g):
        return ((hit * g.reshape(values.shape)).reshape(a.shape),)

    out = op(name, keep_array(values.reshape(shape)), (self,), backward)
    return ValuesIndices(out, index_result(where.reshape(shape)))


def all(self, dim: int | tuple | None = None, keepdim: bool = False, *,
        axis: int | tuple | None = None, keepdims: bool | None = None) -> Tensor:  # fmt: skip
    """Whether every element (over `dim`, or all) is nonzero, as a bool tensor (torch.all)."""
    dims, keep = reduction_dims(self.ndim, dim, axis, keepdim, keepdims, "all")
    return Tensor(keep_array(self.data.all(axis=dims, keepdims=keep)))


def any(self, dim: int | tuple | None = None, keepdim: bool = False, *,
        axis: int | tuple | None = None, keepdims: bool | None = None) -> Tensor:  # fmt: skip
    """Whether some element (over `dim`, or all) is nonzero, as a bool tensor (torch.any)."""
    dims, keep = reduction_dims(self.ndim, dim, axis, keepdim, keepdims, "any")
    return Tensor(keep_array(self.data.any(axis=dims, keepdims=keep)))


def argmax(self, dim: int | None = None, keepdim: bool = False, *,
           axis: int | None = None) -> Tensor:  # fmt: skip
    """Index of the (first) maximum over `dim`, or of the flattened tensor; no gradient."""
    return _arg(self, dim, keepdim, axis, "argmax")


def argmin(self, dim: int | None = None, keepdim: bool = False, *,
           axis: int | None = None) -> Tensor:  # fmt: skip
    """Index of the (first) minimum over `dim`, or of the flattened tensor; no gradient."""
    return _arg(self, dim, keepdim, axis, "argmin")


def _arg(self: Tensor, dim: int | None, keepdim: bool, axis: int | None, name: str) -> Tensor:
    """argmax or argmin (`name`) of the array, over one checked dimension or all."""
    dim = one_dim(dim, axis, name)
    d = None if dim is None else dim_index(dim, self.ndim, name)
    return index_result(getattr(self.data, name)(axis=d if self.ndim else None, keepdims=keepdim))


def var(self, dim: int | tuple | None = None, unbiased: bool = True, keepdim: bool = False, *,
        correction: int | None = None) -> Tensor:  # fmt: skip
    """Variance over `dim`: sum((x - mean)^2) / (n - correction), with correction = 1 (unbiased,
    PyTorch's default) or 0 (`unbiased=False`); `correction=` overrides `unbiased`, as PyTorch."""
    dims, keep = reduction_dims(self.ndim, dim, None, keepdim, None, "var")
    count = int(np.prod([self.shape[i] for i in (range(self.ndim) if dims is None else dims)]))
    centered = self - self.mean(dims, keepdim=True)
    denominator = count - (int(unbiased) if correction is None else correction)
    scale = 1.0 / denominator if denominator > 0 else float("nan")
    return (centered * centered).sum(dims, keep) * scale


def std(self, dim: int | tuple | None = None, unbiased: bool = True, keepdim: bool = False, *,
        correction: int | None = None) -> Tensor:  # fmt: skip
    """sqrt(var) over `dim` (unbiased by default, as PyTorch; see `var`)."""
    return self.var(dim, unbiased, keepdim, correction=correction).sqrt()


def prod(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Product over `dim` (or all); the gradient of each factor is the product of the others
    (exact with zeros, from exclusive cumulative products)."""
    a = self.data
    axis = None if dim is None else dim_index(dim, self.ndim, "prod")
    flat = a.reshape(-1) if axis is None else a
    ax = 0 if axis is None else axis
    ones = np.ones_like(np.take(flat, [0], axis=ax)) if flat.shape[ax] else None
    if ones is None:
        others = np.zeros_like(flat)
    else:
        left = np.concatenate([ones, np.cumprod(flat, axis=ax)], axis=ax)
        left = np.take(left, range(flat.shape[ax]), axis=ax)
        right = np.flip(np.cumprod(np.flip(flat, ax), axis=ax), ax)
        right = np.concatenate([np.take(right, range(1, flat.shape[ax]), axis=ax), ones],
                               axis=ax)  # fmt: skip
        others = left * right
    out = keep_array(a.prod(axis=axis, keepdims=keepdim))

    def backward(g):
        if axis is None:
            return ((others * g).reshape(a.shape),)
        return (others * (g if keepdim else np.expand_dims(g, axis)),)

    return op("prod", out, (self,), backward)


def cumsum(self, dim: int) -> Tensor:
    """Cumulative sum along `dim`; the gradient is the reversed cumulative sum of g."""
    d = dim_index(dim, self.ndim, "cumsum")
    return op("cumsum", np.cumsum(self.data, axis=d), (self,),
              lambda g: (np.flip(np.cumsum(np.flip(g, d), axis=d), d),))  # fmt: skip


def logsumexp(self, dim: int | tuple, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over `dim`, with the maximum subtracted first; gradient softmax."""
    dims, keep = reduction_dims(self.ndim, dim, None, keepdim, None, "logsumexp")
    a = self.data
    top = a.max(axis=dims, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    total = np.log(np.exp(a - top).sum(axis=dims, keepdims=True)) + top
    out = total if keep else keep_array(np.squeeze(total, axis=dims))

    def backward(g):
        return ((g if keep else np.expand_dims(g, dims)) * np.exp(a - total),)

    return op("logsumexp", out, (self,), backward)


def norm(self, p: float = 2, dim: int | tuple | None = None, keepdim: bool = False) -> Tensor:
    """(sum |x|^p)^(1/p) over `dim` (all by default), p > 0 or inf (max |x|). The gradient
    is sign(x) |x|^(p-1) / norm^(p-1), and 0 where the norm is 0 (PyTorch's subgradient)."""
    if p == float("inf"):
        return self.abs().amax(dim, keepdim)
    p = float(p)
    if not p > 0:
        raise ValueError(f"norm: p must be > 0 or inf, got {p}")
    dims, keep = reduction_dims(self.ndim, dim, None, keepdim, None, "norm")
    a = self.data
    total = (np.abs(a) ** p).sum(axis=dims, keepdims=True) ** (1 / p)
    out = total if keep else keep_array(np.squeeze(total, axis=dims) if dims else total.reshape(()))

    def backward(g):
        g = g if keep else (np.expand_dims(g, dims) if dims else np.reshape(g, total.shape))
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = np.sign(a) * np.abs(a) ** (p - 1) / total ** (p - 1)
        return (np.where(total > 0, grad, 0) * g,)

    return op("norm", out, (self,), backward)


def softmax(self, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim`, with the maximum subtracted first."""
    (axis,), _ = reduction_dims(self.ndim or 1, dim if axis is None else axis, None,
                                 False, None, "softmax")  # fmt: skip
    shifted = np.exp(self.data - self.data.max(axis=axis, keepdims=True))
    out = shifted / shifted.sum(axis=axis, keepdims=True)
    return op(
        "softmax",
        out,
        (self,),
        lambda g: (out * (g - (g * out).sum(axis=axis, keepdims=True)),),
    )


def log_softmax(self, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """x - logsumexp(x) along `dim`, with the maximum subtracted first so large logits stay
    finite."""
    (axis,), _ = reduction_dims(self.ndim or 1, dim if axis is None else axis, None,
                                 False, None, "log_softmax")  # fmt: skip
    shifted = self.data - self.data.max(axis=axis, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return op(
        "log_softmax",
        out,
        (self,),
        lambda g: (g - np.exp(out) * g.sum(axis=axis, keepdims=True),),
    )
