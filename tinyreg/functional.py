"""PyTorch's top-level functions of tensors (`torch.sum(x, 1)`, `torch.cat(xs, dim=1)`,
`torch.max(x, 1)`, ...), each the Tensor method or op of the same name with the tensor as its
first argument `input`: `tinyreg.exp(x)` is `x.exp()`, with torch's signature.

Most are made from their method by `_method` (its signature and docstring, `self` renamed
`input`); the rest have a signature of their own (`max`, `min`, `cat`, `mm`, `allclose`, ...).

Coming from PyTorch: where PyTorch wants a tensor, tinyreg also takes a NumPy array or a number
(made a constant tensor), as its ops always have.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._tensor import Tensor, as_tensor
from .ops.elementwise import maximum, minimum
from .ops.matmul import matmul
from .ops.shape import concatenate as _concatenate
from .ops.shape import stack as _stack


def _method(name: str, method_name: str | None = None) -> Callable[..., Any]:
    """torch.<name>(input, ...) as input.<method_name>(...) (the method of the same name unless
    given), with the method's signature (`self` renamed `input`) and docstring."""
    method_name = method_name or name
    method = getattr(Tensor, method_name)

    def function(input: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(as_tensor(input), method_name)(*args, **kwargs)

    signature = inspect.signature(method)
    first, *rest = signature.parameters.values()
    function.__signature__ = signature.replace(parameters=[first.replace(name="input"), *rest])
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"torch.{name}(input, ...): `input.{method_name}(...)`. {method.__doc__}"
    return function


# the math, elementwise
exp = _method("exp")
log = _method("log")
sqrt = _method("sqrt")
abs = _method("abs")
sign = _method("sign")
sin = _method("sin")
cos = _method("cos")
log1p = _method("log1p")
expm1 = _method("expm1")
relu = _method("relu")
sigmoid = _method("sigmoid")
tanh = _method("tanh")
clamp = _method("clamp")
clip = _method("clip", "clamp")  # torch.clip is clamp, keywords min and max
masked_fill = _method("masked_fill")
clone = _method("clone")
eq = _method("eq")
ne = _method("ne")
lt = _method("lt", "__lt__")
le = _method("le", "__le__")
gt = _method("gt", "__gt__")
ge = _method("ge", "__ge__")
# reductions and ops along a dimension
sum = _method("sum")
mean = _method("mean")
argmax = _method("argmax")
argmin = _method("argmin")
var = _method("var")
std = _method("std")
prod = _method("prod")
cumsum = _method("cumsum")
logsumexp = _method("logsumexp")
norm = _method("norm")
softmax = _method("softmax")
log_softmax = _method("log_softmax")
# shapes
reshape = _method("reshape")
flatten = _method("flatten")
permute = _method("permute")
transpose = _method("transpose")
squeeze = _method("squeeze")
unsqueeze = _method("unsqueeze")
gather = _method("gather")
split = _method("split")
chunk = _method("chunk")


def max(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """torch.max: `max(input)` the largest value; `max(input, dim, keepdim=False)` the method
    `input.max(dim, keepdim)` (PyTorch's gives (values, indices)); `max(input, other)` with a
    tensor `other` is `maximum(input, other)`."""
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    x = as_tensor(input)
    return x.max() if dim is None else x.max(dim, keepdim)


def min(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """torch.min: `min(input)`, `min(input, dim, keepdim=False)` (the method), or
    `min(input, other)` = `minimum(input, other)` for a tensor `other` (see `max`)."""
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    x = as_tensor(input)
    return x.min() if dim is None else x.min(dim, keepdim)


def _sequence(owner: str, tensors: Any) -> list:
    """A non-empty list or tuple of tensors (or arrays), else a TypeError or ValueError; a
    single tensor is refused (iterating it would join its rows)."""
    if not isinstance(tensors, list | tuple):
        raise TypeError(f"{owner}: tensors must be a list or tuple of tensors, got a "
                        f"{type(tensors).__name__}")  # fmt: skip
    if not tensors:
        raise ValueError(f"{owner}: tensors must be a non-empty list of tensors, got []")
    return list(tensors)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along the existing dimension `dim` (torch.cat); the gradient is split back
    into the pieces."""
    return _concatenate(_sequence("cat", tensors), dim)


def concat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """torch.concat: `cat`."""
    return cat(tensors, dim)


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """torch.concatenate (and np.concatenate): `cat`, with the dimension named `axis`."""
    return cat(tensors, axis)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shape tensors along a new dimension `dim` (torch.stack); each input's gradient
    is its slice."""
    return _stack(_sequence("stack", tensors), dim)


def _dims(owner: str, name: str, x: Tensor, ndim: int) -> Tensor:
    if x.ndim != ndim:
        raise ValueError(f"{owner}: {name} must be a {ndim}-D tensor, got shape {x.shape}")
    return x


def mm(input: Any, mat2: Any) -> Tensor:
    """The product of two matrices (torch.mm: 2-D only; `matmul` broadcasts)."""
    a, b = as_tensor(input), as_tensor(mat2)
    return matmul(_dims("mm", "input", a, 2), _dims("mm", "mat2", b, 2))


def bmm(input: Any, mat2: Any) -> Tensor:
    """Batched matrix products (torch.bmm): (b, n, m) @ (b, m, p) -> (b, n, p), with the same b
    (3-D only; `matmul` broadcasts)."""
    a, b = _dims("bmm", "input", as_tensor(input), 3), _dims("bmm", "mat2", as_tensor(mat2), 3)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"bmm: input and mat2 must have the same batch size, got shapes "
                         f"{a.shape} and {b.shape}")  # fmt: skip
    return matmul(a, b)


def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input + alpha * other (torch.add)."""
    return as_tensor(input) + (other if alpha == 1 else alpha * other)


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input - alpha * other (torch.sub)."""
    return as_tensor(input) - (other if alpha == 1 else alpha * other)


def mul(input: Any, other: Any) -> Tensor:
    """input * other, broadcast (torch.mul)."""
    return as_tensor(input) * other


def div(input: Any, other: Any) -> Tensor:
    """input / other, true division, broadcast (torch.div without rounding_mode)."""
    return as_tensor(input) / other


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent, broadcast (torch.pow)."""
    return as_tensor(input) ** exponent


def neg(input: Any) -> Tensor:
    """-input (torch.neg)."""
    return -as_tensor(input)


def numel(input: Any) -> int:
    """The number of elements (torch.numel)."""
    return math.prod(as_tensor(input).shape)


def is_tensor(obj: Any) -> bool:
    """Whether `obj` is a tinyreg Tensor (torch.is_tensor)."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Any) -> bool:
    """Whether `input` has a floating dtype (torch.is_floating_point)."""
    return as_tensor(input).dtype.kind == "f"


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:  # fmt: skip
    """Elementwise |input - other| <= atol + rtol * |other| as a bool tensor (torch.isclose)."""
    a, b = as_tensor(input).data, as_tensor(other).data
    return Tensor(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:  # fmt: skip
    """Whether |input - other| <= atol + rtol * |other| everywhere (torch.allclose)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).data.all())


def equal(input: Any, other: Any) -> bool:
    """Whether the two have the same shape and the same elements (torch.equal)."""
    a, b = as_tensor(input).data, as_tensor(other).data
    return a.shape == b.shape and bool((a == b).all())
