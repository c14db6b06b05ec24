"""In-place ops, with PyTorch's rules: `+=` `-=` `*=` `/=`, add_ sub_ mul_ div_, zero_ fill_,
copy_, clamp_, normal_ uniform_, and item assignment (`x[index] = value`).

- On a leaf that requires grad while grad mode is on, each raises PyTorch's RuntimeError ("a leaf
  Variable that requires grad is being used in an in-place operation."). Under `no_grad` it
  changes the leaf's array in place: `with tinyreg.no_grad(): w -= lr * w.grad` updates the
  same array that optimizers and kernels hold.
- When nothing is recorded (grad mode off, or neither the tensor nor the operand requires grad),
  the tensor's array is changed in place.
- When the result must be recorded (the tensor is in a graph, or the operand requires grad), the
  op is differentiable, as in PyTorch (`out += identity` in a residual block): the tensor takes
  the out-of-place result as its value and its place in the graph, while the ops that used the
  old value keep it. The difference from PyTorch: the result is a new array, so views of the old
  array (from reshape or basic indexing) do not see it.
- Every in-place op stamps the tensor with the time of the change (autograd/engine.py's clock).
  `backward` through an op recorded before the change raises PyTorch's "modified by an inplace
  operation" error (tinyreg checks every input of the op; PyTorch only the ones its backward
  needs, so tinyreg refuses a few graphs PyTorch accepts, and never uses a changed value).

An in-place op keeps the tensor's shape and dtype: an operand that does not broadcast to the
shape, or a result that does not fit the dtype (`int_tensor += 0.5`), is PyTorch's RuntimeError,
raised before anything changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import random as _random
from .. import validate as check
from .._tensor import Tensor, as_tensor
from ..autograd import engine, grad_mode
from ..autograd.function import op
from ..device import array_module, on_gpu, to_device
from ._args import operand, scaled

LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
_NODE = ("data", "requires_grad", "_parents", "_backward", "_op", "_deferred", "_stamp")


def _apply(self: Tensor, name: str, source: Any, recorded: Callable[[Tensor], Tensor],
           in_place: Callable[[Any], Any]) -> Tensor:  # fmt: skip
    """Run the in-place op `name` on `self`: `in_place(array)` changes the array when nothing is
    recorded; `recorded(old)` is the differentiable out-of-place result otherwise (`old` holds
    the tensor's value and graph node before the op). `source` is the operand (or None)."""
    source_grad = isinstance(source, Tensor) and source.requires_grad
    if grad_mode.is_grad_enabled() and self.requires_grad and self.is_leaf:
        raise RuntimeError(LEAF_ERROR)
    if grad_mode.is_grad_enabled() and (self.requires_grad or source_grad):
        old = Tensor.__new__(Tensor)
        for field in (*_NODE, "_version"):
            setattr(old, field, getattr(self, field))
        old._grad = None
        result = recorded(old)
        _check_fits(name, self, result.shape, result.dtype)
        if result.dtype != self.dtype:
            result = result.astype(self.dtype)
        for field in _NODE:
            setattr(self, field, getattr(result, field))
        self._version = self._stamp = engine.tick()  # its new op comes after the change
        return self
    if isinstance(self.data, np.generic):  # 0-d arithmetic leaves NumPy scalars, immutable
        self.data = np.asarray(self.data)
    try:
        in_place(self.data)
    except (TypeError, ValueError) as error:  # NumPy checks casts and shapes before writing
        _check_fits(name, self, np.shape(operand(source)), self.dtype)
        raise RuntimeError(f"{name}: {error} (in-place ops keep the dtype)") from None
    self._version = engine.tick()
    return self


def _check_fits(name: str, self: Tensor, shape: tuple, dtype: np.dtype) -> None:
    """PyTorch's RuntimeError when a result of `shape` and `dtype` cannot be stored in self."""
    try:
        fits = np.broadcast_shapes(self.shape, shape) == self.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"{name}: output with shape {self.shape} doesn't match the broadcast "
                           f"shape of an operand of shape {shape} (an in-place op keeps the "
                           "tensor's shape)")  # fmt: skip
    if not np.can_cast(dtype, self.dtype, "same_kind"):
        raise RuntimeError(f"{name}: result type {dtype} can't be cast to the desired output "
                           f"type {self.dtype} (in-place ops keep the dtype)")  # fmt: skip


def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
    """x += alpha * other, in place (torch.add_; `x += other` is alpha = 1)."""
    b = scaled(other, alpha)
    return _apply(self, "add_", b, lambda x: x + b, lambda a: np.add(a, operand(b), out=a))


def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
    """x -= alpha * other, in place (torch.sub_; `x -= other` is alpha = 1)."""
    b = scaled(other, alpha)
    return _apply(self, "sub_", b, lambda x: x - b, lambda a: np.subtract(a, operand(b), out=a))


def mul_(self, other: Any) -> Tensor:
    """x *= other, in place (torch.mul_, `x *= other`)."""
    return _apply(self, "mul_", other, lambda x: x * other,
                  lambda a: np.multiply(a, operand(other), out=a))  # fmt: skip


def div_(self, other: Any) -> Tensor:
    """x /= other, in place (torch.div_, `x /= other`; true division, so an integer tensor
    cannot hold the result)."""
    return _apply(self, "div_", other, lambda x: x / other,
                  lambda a: np.divide(a, operand(other), out=a))  # fmt: skip


def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """x = clamp(x, min, max), in place (torch.clamp_)."""
    return _apply(self, "clamp_", None, lambda x: x.clamp(min, max),
                  lambda a: np.clip(a, min, max, out=a))  # fmt: skip


def _overwrite(self: Tensor, name: str, values: Callable[[], Any], source: Any = None) -> Tensor:
    """Every element of self replaced by `values()` (an array or a number, broadcast), in place.
    Recorded, the old value gets a zero gradient and `source`, the tensor the values came from
    (or None), gets the gradient of the elements it gave, as in PyTorch."""

    def recorded(old: Tensor) -> Tensor:
        out = array_module(old.data).empty_like(old.data)
        out[...] = values()
        return op(name, out, (old, source), lambda g: (array_module(g).zeros_like(g), g))

    def in_place(a: Any) -> None:
        a[...] = values()

    return _apply(self, name, source, recorded, in_place)


def fill_(self, value: Any) -> Tensor:
    """Every element set to `value` (a number or a one-element tensor, whose value is taken with
    no gradient), in place (torch.fill_)."""
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, int | float | np.bool_ | np.number):
        raise TypeError(f"fill_: value must be a number or a one-element tensor, got {value!r}")
    return _overwrite(self, "fill_", lambda: value)


def zero_(self) -> Tensor:
    """Every element set to 0, in place (torch.zero_; `p.grad.zero_()`)."""
    return _overwrite(self, "zero_", lambda: 0)


def copy_(self, src: Any) -> Tensor:
    """The values of `src` (broadcast to this shape, cast to this dtype, moved to this device)
    copied in, in place (torch.copy_); the gradient reaches `src` when it requires grad."""
    values = operand(src)
    values = to_device(values if on_gpu(values) else np.asarray(values), self.device)
    _check_fits("copy_", self, values.shape, self.dtype)  # copy_ casts any dtype
    needs_grad = isinstance(src, Tensor) and src.requires_grad
    return _overwrite(self, "copy_", lambda: values, src.to(self.device) if needs_grad else None)


def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Every element drawn from N(mean, std^2), in place (torch.normal_; nn.init), from the
    generator `tinyreg.manual_seed` seeds: after the same seed, `x.normal_()` and
    `tinyreg.randn(x.shape)` give the same numbers."""
    mean = check.finite("normal_", "mean", mean)
    std = check.finite("normal_", "std", std, low=0.0)
    _floating(self, "normal_")
    return _overwrite(self, "normal_", lambda: _drawn(self, "standard_normal") * std + mean)


def uniform_(self, from_: float = 0.0, to: float = 1.0) -> Tensor:
    """Every element drawn from U[from_, to), in place (torch.uniform_; `from` is a Python
    keyword, so pass the bounds by position: `w.uniform_(-bound, bound)`)."""
    low, high = check.finite("uniform_", "from", from_), check.finite("uniform_", "to", to)
    if low > high:
        raise ValueError(f"uniform_: expects a range [from, to) with from <= to, got from={low} "
                         f"> to={high}")  # fmt: skip
    _floating(self, "uniform_")
    return _overwrite(self, "uniform_", lambda: _drawn(self, "random") * (high - low) + low)


def _floating(self: Tensor, name: str) -> None:
    """A TypeError unless self is float32 or float64 (what the generator draws)."""
    if self.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name}: needs a float32 or float64 tensor, got dtype {self.dtype}")


def _drawn(self: Tensor, method: str) -> Any:
    """Standard samples (`method` of the NumPy generator) of self's shape and dtype, drawn on
    the CPU (the same numbers on every device) and moved to self's device."""
    values = getattr(_random.generator(), method)(self.shape, dtype=self.dtype)
    return to_device(values, self.device)


def setitem(self, index: Any, value: Any) -> None:
    """x[index] = value (NumPy's indexing, `value` broadcast and cast to x's dtype), in place.
    Recorded, the overwritten elements of the old value get no gradient, and a `value` that
    requires grad gets the gradient of the elements it set (summed where it was broadcast)."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    values = operand(value)

    def recorded(old: Tensor) -> Tensor:
        out = old.data.copy()
        out[index] = values
        kept = array_module(out).ones(out.shape, bool)
        kept[index] = False
        return op("setitem", out, (old, as_tensor(value)), lambda g: (g * kept, g[index]))

    def in_place(a: Any) -> None:
        a[index] = values

    _apply(self, "setitem", value, recorded, in_place)
