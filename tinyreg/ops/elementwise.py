"""Elementwise ops, each with its backward beside it: arithmetic (with broadcasting; the engine
reduces each gradient back to its input's shape), powers, the math functions, comparisons, and
casts and copies between dtypes and devices (`to`, `type`, `float()`, `long()`, ...).

Comparisons (`<`, `==`, ...) are elementwise, as in PyTorch, and give bool tensors with no
gradient. Tensors still hash by identity, so dictionaries and sets of tensors (optimizer state)
work; `==` against something that is not numbers (None, a string, a list) is False, as in
PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.function import op
from ..device import check_device, on_gpu, to_device
from ._args import (
    operand,
    scaled,
    shape_error,
)


def add(self, other: Any, *, alpha: float = 1) -> Tensor:
    """x + alpha * y (broadcast; torch.add, and `x + y` with alpha = 1); the gradients are g and
    alpha * g."""
    other = scaled(other, alpha)
    b = operand(other)
    try:
        out = self.data + b
    except (ValueError, TypeError):
        raise shape_error("add", self.data, b) from None
    return op("add", out, (self, other), lambda g: (g, g))


def sub(self, other: Any, *, alpha: float = 1) -> Tensor:
    """x - alpha * y (broadcast; torch.sub, and `x - y` with alpha = 1); the gradients are g and
    -alpha * g."""
    other = scaled(other, alpha)
    b = operand(other)
    try:
        out = self.data - b
    except (ValueError, TypeError):
        raise shape_error("sub", self.data, b) from None
    return op("sub", out, (self, other), lambda g: (g, -g))


def rsub(self, other: Any) -> Tensor:
    """c - x for a constant c (Python's reflected -); the gradient is -g."""
    return op("rsub", operand(other) - self.data, (self,), lambda g: (-g,))


def mul(self, other: Any) -> Tensor:
    """x * y (broadcast); the gradients are g * y and g * x."""
    a, b = self.data, operand(other)
    try:
        out = a * b
    except (ValueError, TypeError):
        raise shape_error("mul", a, b) from None
    need_a, need_b = self.requires_grad, isinstance(other, Tensor) and other.requires_grad
    return op(
        "mul",
        out,
        (self, other),
        lambda g: (g * b if need_a else None, g * a if need_b else None),
    )


def div(self, other: Any) -> Tensor:
    """x / y (broadcast); the gradients are g / y and -g * x / y^2."""
    a, b = self.data, operand(other)
    try:
        out = a / b
    except (ValueError, TypeError):
        raise shape_error("div", a, b) from None
    return op("div", out, (self, other), lambda g: (g / b, -g * out / b))


def rdiv(self, other: Any) -> Tensor:
    """c / x for a constant c; the gradient is -g * c / x^2."""
    a = self.data
    out = operand(other) / a
    return op("rdiv", out, (self,), lambda g: (-g * out / a,))


def neg(self) -> Tensor:
    """-x; the gradient is -g."""
    return op("neg", -self.data, (self,), lambda g: (-g,))


def pow(self, exponent: Any) -> Tensor:
    """x ** c for a real scalar c (d/dx = c * x ** (c - 1), and 0 for c = 0, as PyTorch,
    where the formula would give 0 * inf = NaN at x = 0), or x ** y for a tensor y
    (d/dy = x ** y * log x)."""
    if isinstance(exponent, Tensor):
        a, b = self.data, exponent.data
        out = a**b

        def backward_both(g):
            with np.errstate(divide="ignore", invalid="ignore"):
                ga = g * b * a ** (b - 1) if self.requires_grad else None
                gb = g * out * np.log(a) if exponent.requires_grad else None
            return ga, gb

        return op("pow", out, (self, exponent), backward_both)
    if isinstance(exponent, bool | np.bool_) or not isinstance(
        exponent, int | float | np.integer | np.floating
    ):
        raise TypeError(f"pow: exponent must be a real scalar or a Tensor, got {exponent!r}")
    a = self.data

    def backward(g):
        if exponent == 0:
            return (np.zeros_like(a),)
        return (g * exponent * a ** (exponent - 1),)

    return op("pow", a**exponent, (self,), backward)


def rpow(self, base: Any) -> Tensor:
    """c ** x for a real scalar c; d/dx = c ** x * log c."""
    if isinstance(base, bool | np.bool_) or not isinstance(
        base, int | float | np.integer | np.floating
    ):
        raise TypeError(f"pow: base must be a real scalar, got {base!r}")
    out = np.asarray(base, self.dtype) ** self.data
    return op("rpow", out, (self,), lambda g: (g * out * np.log(base),))


def exp(self) -> Tensor:
    """exp(x); the gradient is exp(x)."""
    out = np.exp(self.data)
    return op("exp", out, (self,), lambda g: (g * out,))


def log(self) -> Tensor:
    """log(x) (natural); the gradient is 1 / x."""
    a = self.data
    return op("log", np.log(a), (self,), lambda g: (g / a,))


def sqrt(self) -> Tensor:
    """sqrt(x); the gradient is 1 / (2 sqrt(x))."""
    out = np.sqrt(self.data)
    return op("sqrt", out, (self,), lambda g: (g / (2 * out),))


def abs(self) -> Tensor:
    """|x|; the gradient is sign(x), with sign(0) = 0."""
    a = self.data
    return op("abs", np.abs(a), (self,), lambda g: (g * np.sign(a),))


def relu(self) -> Tensor:
    """max(x, 0); the gradient is 1 where x > 0, else 0."""
    positive = self.data > 0
    return op("relu", np.maximum(self.data, 0), (self,), lambda g: (g * positive,))


def tanh(self) -> Tensor:
    """tanh(x); the gradient is 1 - tanh(x)^2."""
    out = np.tanh(self.data)
    return op("tanh", out, (self,), lambda g: (g * (1 - out * out),))


def sigmoid(self) -> Tensor:
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""
    a = self.data
    e = np.exp(-np.abs(a))
    out = np.where(a >= 0, 1 / (1 + e), e / (1 + e))
    return op("sigmoid", out, (self,), lambda g: (g * out * (1 - out),))


def log1p(self) -> Tensor:
    """log(1 + x), accurate near 0; gradient 1 / (1 + x)."""
    a = self.data
    return op("log1p", np.log1p(a), (self,), lambda g: (g / (1 + a),))


def expm1(self) -> Tensor:
    """exp(x) - 1, accurate near 0; gradient exp(x)."""
    out = np.expm1(self.data)
    return op("expm1", out, (self,), lambda g: (g * (out + 1),))


def sin(self) -> Tensor:
    """sin(x); gradient cos(x)."""
    a = self.data
    return op("sin", np.sin(a), (self,), lambda g: (g * np.cos(a),))


def cos(self) -> Tensor:
    """cos(x); gradient -sin(x)."""
    a = self.data
    return op("cos", np.cos(a), (self,), lambda g: (-g * np.sin(a),))


def sign(self) -> Tensor:
    """sign(x) in {-1, 0, 1}; gradient 0 (as PyTorch)."""
    return op("sign", np.sign(self.data), (self,), lambda g: (g * 0,))


def clip(self, low: float | None, high: float | None) -> Tensor:
    """Clamp to [low, high]; the gradient passes where low <= x <= high (as torch.clamp)."""
    a = self.data
    inside = np.ones_like(a, dtype=bool)
    if low is not None:
        inside &= a >= low
    if high is not None:
        inside &= a <= high
    return op("clip", np.clip(a, low, high), (self,), lambda g: (g * inside,))


def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """torch.clamp: `clip` under PyTorch's name and keywords."""
    return self.clip(min, max)


def masked_fill(self, mask: Any, value: float) -> Tensor:
    """`value` where mask is True, x elsewhere; the gradient is 0 under the mask."""
    m = np.asarray(operand(mask), dtype=bool)
    keep = ~m
    out = np.where(m, np.asarray(value, self.dtype), self.data)
    return op("masked_fill", out, (self,), lambda g: (g * keep,))


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """torch.where: x where condition is True, else y (broadcast); gradients flow to x under
    the condition and to y elsewhere."""
    c = np.asarray(operand(condition), dtype=bool)
    a, b = operand(x), operand(y)
    out = np.where(c, a, b)
    return op("where", out, (x, y), lambda g: (g * c, g * ~c))


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum (torch.maximum); where a == b the gradient is split in half."""
    x, y = operand(a), operand(b)
    wins = (x > y) + 0.5 * (x == y)
    return op("maximum", np.maximum(x, y), (a, b), lambda g: (g * wins, g * (1 - wins)))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum (torch.minimum); where a == b the gradient is split in half."""
    x, y = operand(a), operand(b)
    wins = (x < y) + 0.5 * (x == y)
    return op("minimum", np.minimum(x, y), (a, b), lambda g: (g * wins, g * (1 - wins)))


def _compare(self: Tensor, other: Any, name: str, ufunc: np.ufunc) -> Tensor:
    """ufunc(x, other) as a bool tensor (no gradient), or NotImplemented when `other` is not
    numbers (a tensor, an array or a scalar), so Python falls back to its default."""
    b = operand(other)
    if not (isinstance(b, int | float | np.ndarray | np.generic) or on_gpu(b)):
        return NotImplemented
    try:
        return Tensor(ufunc(self.data, b))
    except ValueError:
        raise shape_error(name, self.data, b) from None


def lt(self, other: Any) -> Tensor:
    """x < y elementwise as a bool tensor (no gradient)."""
    return _numbers_only(_compare(self, other, "lt", np.less), "lt", other)


def le(self, other: Any) -> Tensor:
    """x <= y elementwise as a bool tensor (no gradient)."""
    return _numbers_only(_compare(self, other, "le", np.less_equal), "le", other)


def gt(self, other: Any) -> Tensor:
    """x > y elementwise as a bool tensor (no gradient)."""
    return _numbers_only(_compare(self, other, "gt", np.greater), "gt", other)


def ge(self, other: Any) -> Tensor:
    """x >= y elementwise as a bool tensor (no gradient)."""
    return _numbers_only(_compare(self, other, "ge", np.greater_equal), "ge", other)


def equal_operator(self, other: Any) -> Tensor:
    """x == y elementwise as a bool tensor (no gradient), as in PyTorch; False when `other` is
    not numbers (None, a string, a list)."""
    return _compare(self, other, "eq", np.equal)


def not_equal_operator(self, other: Any) -> Tensor:
    """x != y elementwise as a bool tensor (no gradient); True when `other` is not numbers."""
    return _compare(self, other, "ne", np.not_equal)


def eq(self, other: Any) -> Tensor:
    """torch.eq: x == other elementwise as a bool tensor; `other` a tensor, array or number."""
    return _numbers_only(equal_operator(self, other), "eq", other)


def ne(self, other: Any) -> Tensor:
    """torch.ne: x != other elementwise as a bool tensor; `other` a tensor, array or number."""
    return _numbers_only(not_equal_operator(self, other), "ne", other)


def contains(self, element: Any) -> bool:
    """`element in x`: whether some element of x equals `element` (a number or a tensor), as
    PyTorch's (x == element).any()."""
    return bool(_numbers_only(equal_operator(self, element), "in", element).data.any())


def _numbers_only(result: Any, name: str, other: Any) -> Tensor:
    """The result of a comparison, or the TypeError for an operand that is not numbers."""
    if result is NotImplemented:
        raise TypeError(f"{name}: other must be a tensor, an array or a number, got "
                        f"{type(other).__name__}")  # fmt: skip
    return result


def dtype_of(name: str, dtype: Any) -> np.dtype:
    """`dtype` as a NumPy dtype of real numbers (bool, int or float), or a TypeError naming the
    op and the value."""
    try:
        result = np.dtype(dtype)
    except TypeError:
        result = None
    if result is None or result.kind not in "biuf":
        raise TypeError(f"{name}: dtype must be a real dtype (bool, int or float, e.g. "
                        f"np.float32), got {dtype!r}")  # fmt: skip
    return result


def astype(self, dtype: Any) -> Tensor:
    """A copy in `dtype`; the gradient is cast back to this tensor's dtype. An integer or bool
    result does not require grad (only floating-point tensors do, as in PyTorch)."""
    dtype = dtype_of("astype", dtype)
    data = self.data.astype(dtype)
    if dtype.kind != "f":
        return Tensor(data)
    source = self
    return op("astype", data, (self,), lambda g: (g.astype(source.dtype),))


def to(self, *args: Any, dtype: Any = None, device: str | None = None,
       non_blocking: bool = False, copy: bool = False) -> Tensor:  # fmt: skip
    """torch.Tensor.to: this tensor in another dtype and/or on another device, or `self` when it
    is there already (`copy=True` always copies). Arguments as PyTorch's: `to(dtype)`,
    `to(device)`, `to(device, dtype)`, `to(other)` (other's dtype and device), or keywords.
    Differentiable: the gradient is cast and moved back. `non_blocking` is accepted and has no
    effect (copies are synchronous)."""
    for arg in args:
        if isinstance(arg, str):
            device = arg
        elif isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        else:
            dtype = arg
    out = self
    if dtype is not None and dtype_of("to", dtype) != self.dtype:
        out = astype(out, dtype)
    if device is not None and check_device(device) != self.device:
        source = self.device
        out = op("to", to_device(out.data, device), (out,), lambda g: (to_device(g, source),))
    return clone(out) if copy and out is self else out


def cpu(self) -> Tensor:
    """This tensor on the CPU (`self` if it is there already), as torch's cpu()."""
    return to(self, "cpu")


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
               "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}  # fmt: skip


def type_name_or_cast(self, dtype: Any = None) -> str | Tensor:
    """torch.Tensor.type: with no argument, PyTorch's legacy type name under tinyreg's prefix
    ("tinyreg.FloatTensor", "tinyreg.cuda.LongTensor"); with a dtype, `to(dtype)`."""
    if dtype is None:
        where = "cuda." if self.device == "cuda" else ""
        return f"tinyreg.{where}{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}Tensor"
    return to(self, dtype)


def _cast(dtype: Any, name: str) -> Any:
    """The method x.<name>() = x.to(dtype) (torch's float(), long(), ...)."""

    def cast(self: Tensor) -> Tensor:
        return to(self, dtype)

    cast.__name__ = cast.__qualname__ = name
    cast.__doc__ = f"x.{name}(): x.to({np.dtype(dtype).name}), `self` if it is one already."
    return cast


CASTS = {name: _cast(dtype, name) for name, dtype in (
    ("float", np.float32), ("double", np.float64), ("long", np.int64), ("int", np.int32),
    ("bool", np.bool_))}  # fmt: skip


def clone(self) -> Tensor:
    """A copy that stays in the graph (torch.clone); the gradient passes through."""
    return op("clone", self.data.copy(), (self,), lambda g: (g,))
