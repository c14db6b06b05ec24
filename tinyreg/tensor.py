"""Tensor and reverse-mode automatic differentiation.

A `Tensor` wraps a NumPy array. Every op computes its result eagerly and, when gradients are
wanted, records its parents and a `backward` closure that maps the gradient of the result to the
gradients of the parents (the vector-Jacobian product). Each op's backward sits right next to its
forward, so the chain rule of every op fits on one screen.

`Tensor.backward` walks the recorded graph once in reverse topological order (iteratively, so a
chain of 10,000 ops does not hit Python's recursion limit), reduces broadcast gradients back to
each parent's shape in one place (`unbroadcast`), and accumulates into the `.grad` of leaf tensors
across calls until they are cleared (as PyTorch does). Intermediate tensors keep no `.grad`.
New ops are defined with `op(name, data, inputs, backward)`: the name is recorded on the node,
so an error in backward says which op it came from. An op defined with `adds_into_grads=True`
(the penalty's fused kernel) adds into its leaves' `.grad` itself; it runs last, when those
gradients exist, so it adds in place.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import random as _random
from . import validate as check
from .device import array_module, check_device, device_of, on_gpu, to_device

_grad_enabled = True
_profile = None  # a profiler.Profile while `tinyreg.profiler.profile()` is active

Backward = Callable[[np.ndarray], tuple]


class no_grad:
    """Context manager (and decorator) that records no graph: ops inside return constants."""

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, fn: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
        return wrapper


def is_grad_enabled() -> bool:
    """Whether ops record the graph now (False inside `no_grad`)."""
    return _grad_enabled


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """float32 by default for floating data; float64, integer and bool arrays keep their dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if on_gpu(data):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)  # on a GPU
    try:
        array = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError) as error:
        raise TypeError(f"tensor: data must be numbers or an array of them, got "
                        f"{type(data).__name__} ({error})") from None  # fmt: skip
    if array.dtype.kind not in "biuf":
        raise TypeError(f"tensor: data must hold real numbers (bool, int or float), got dtype "
                        f"{array.dtype}")  # fmt: skip
    if dtype is None and array.dtype.kind == "f":
        from_python = not isinstance(data, np.ndarray | np.generic)
        if array.dtype not in (np.float32, np.float64) or from_python:
            array = array.astype(np.float32)  # Python floats, lists and float16 become float32
    return array if array.flags.c_contiguous else array.copy()


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` over the axes along which an input of `shape` was broadcast."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _fit(grad: Any, shape: tuple, name: str, index: int) -> Any:
    """`unbroadcast(grad, shape)`, or an error naming the op whose backward gave a gradient that
    cannot belong to an input of `shape`."""
    try:
        fitted = unbroadcast(grad, shape)
    except ValueError:
        fitted = None
    if fitted is None or fitted.shape != shape:
        raise RuntimeError(f"backward of {name}: the gradient for input {index} has shape "
                           f"{np.shape(grad)}, which does not reduce to the input's shape "
                           f"{shape}")  # fmt: skip
    return fitted


def _shape_error(op: str, a: Any, b: Any) -> ValueError:
    """The error for operands that do not fit: their shapes, or their devices if those differ."""
    if device_of(a) != device_of(b):
        return ValueError(f"{op}: operands are on different devices ({device_of(a)} and "
                          f"{device_of(b)}); move one with .to(device)")  # fmt: skip
    return ValueError(f"{op}: shapes {np.shape(a)} and {np.shape(b)} are not compatible")


def scalar_array(value: Any, dtype: Any) -> Any:
    """A scalar result (Python or NumPy scalar, or a 0-d or one-element device array) as a 0-d
    array of `dtype` on the device it was computed on."""
    if on_gpu(value):
        return value.reshape(()).astype(dtype)
    return np.asarray(value, dtype=dtype)


def _array(value: Any) -> Any:
    """NumPy reductions return scalars; keep 0-d arrays so every tensor holds an array."""
    return np.asarray(value) if isinstance(value, np.generic) else value


class Tensor:
    """An n-dimensional array that can record the ops applied to it for `backward`.

    `data` is the NumPy array; `grad` the accumulated gradient of a leaf (a NumPy array of the
    same shape and dtype, or None); `requires_grad` whether gradients flow to it.
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "_grad_owned", "_op",
                 "_deferred")  # fmt: skip
    __array_ufunc__ = None  # make NumPy defer to our reflected operators (array * tensor)

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None):
        self.data = _as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad=True needs a floating-point tensor, got dtype {self.data.dtype}"
            )
        self.requires_grad = requires_grad
        self.grad = None
        self._parents: tuple = ()
        self._backward: Backward | None = None
        self._grad_owned = False
        self._op = "leaf"
        self._deferred = False

    # ----------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple:
        """The shape of `data` (a tuple)."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of `data`."""
        return self.data.dtype

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements."""
        return self.data.size

    @property
    def device(self) -> str:
        """ "cpu" (a NumPy array) or "cuda" (a CuPy array)."""
        return device_of(self.data)

    def to(self, device: str) -> Tensor:
        """This tensor on `device`; the gradient flows back to the original device."""
        source = self.device
        if check_device(device) == source:
            return self
        return op("to", to_device(self.data, device), (self,), lambda g: (to_device(g, source),))

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({np.array2string(self.data, precision=4)}{grad})"

    def numpy(self) -> np.ndarray:
        """The array itself (not a copy; a CuPy array for a "cuda" tensor)."""
        return self.data

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        return self.data.item()

    def detach(self) -> Tensor:
        """A new leaf holding the same array, cut from the graph (no grad)."""
        return Tensor(self.data)

    def astype(self, dtype: Any) -> Tensor:
        """A copy in `dtype`; the gradient is cast back to this tensor's dtype."""
        source = self
        return op("astype", self.data.astype(dtype), (self,), lambda g: (g.astype(source.dtype),))

    def writable_grad(self) -> np.ndarray:
        """The leaf's gradient as an array this tensor owns, for kernels that add in place."""
        if self.grad is None:
            self.grad = array_module(self.data).zeros(self.shape, self.dtype)
        elif not self._grad_owned or not self.grad.flags.c_contiguous:
            self.grad = self.grad.copy()  # C order
        self._grad_owned = True
        return self.grad

    # ----------------------------------------------------------------- backward
    def backward(self, grad: Any = None) -> None:
        """Accumulate d(self)/d(leaf) * grad into the `.grad` of every leaf that requires grad."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (no tensor in its graph has "
                "requires_grad=True, or it was computed under no_grad)"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be implicitly created only for a scalar output, got "
                    f"shape {self.shape}; pass grad= of that shape"
                )
            grad = np.ones_like(self.data)
        else:
            grad = _as_array(grad, self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward: grad has shape {grad.shape}, expected {self.shape}")
        if _profile is not None:
            started, closures = time.perf_counter(), _profile.closure_seconds
        pending = {id(self): (grad, False)}  # id -> (gradient, owned by the engine?)
        deferred = []
        for node in _topological_order(self):
            entry = pending.pop(id(node), None)
            if entry is None:  # only reached through ops that wrote its gradient themselves
                continue
            g, owned = entry
            if node._backward is None:
                _accumulate_leaf(node, g, owned)
                continue
            if node._deferred:
                deferred.append((node, g))  # after the leaves have their gradients
                continue
            grads = _timed_backward(node, g)
            if len(grads) != len(node._parents):
                raise RuntimeError(f"backward of {node._op}: returned {len(grads)} gradients "
                                   f"for {len(node._parents)} inputs")  # fmt: skip
            for i, (parent, pg) in enumerate(zip(node._parents, grads, strict=True)):
                if pg is None or not parent.requires_grad:
                    continue
                if pg.shape != parent.data.shape:
                    pg = _fit(pg, parent.data.shape, node._op, i)
                if pg.dtype != parent.data.dtype:
                    pg = pg.astype(parent.data.dtype)
                key = id(parent)
                if key in pending:
                    pending[key] = (pending[key][0] + pg, True)
                else:  # a fresh array the closure made is ours; g itself or a view is not
                    pending[key] = (pg, pg is not g and pg.flags.owndata)
        for node, g in deferred:
            _timed_backward(node, g)
        if _profile is not None:
            closures = _profile.closure_seconds - closures
            _profile.bookkeeping(time.perf_counter() - started - closures)

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other: Any) -> Tensor:
        b = _operand(other)
        try:
            out = self.data + b
        except (ValueError, TypeError):
            raise _shape_error("add", self.data, b) from None
        return op("add", out, (self, other), lambda g: (g, g))

    __radd__ = __add__

    def __sub__(self, other: Any) -> Tensor:
        b = _operand(other)
        try:
            out = self.data - b
        except (ValueError, TypeError):
            raise _shape_error("sub", self.data, b) from None
        return op("sub", out, (self, other), lambda g: (g, -g))

    def __rsub__(self, other: Any) -> Tensor:
        return op("rsub", _operand(other) - self.data, (self,), lambda g: (-g,))

    def __mul__(self, other: Any) -> Tensor:
        a, b = self.data, _operand(other)
        try:
            out = a * b
        except (ValueError, TypeError):
            raise _shape_error("mul", a, b) from None
        need_a, need_b = self.requires_grad, isinstance(other, Tensor) and other.requires_grad
        return op(
            "mul",
            out,
            (self, other),
            lambda g: (g * b if need_a else None, g * a if need_b else None),
        )

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Tensor:
        a, b = self.data, _operand(other)
        try:
            out = a / b
        except (ValueError, TypeError):
            raise _shape_error("div", a, b) from None
        return op("div", out, (self, other), lambda g: (g / b, -g * out / b))

    def __rtruediv__(self, other: Any) -> Tensor:
        a = self.data
        out = _operand(other) / a
        return op("rdiv", out, (self,), lambda g: (-g * out / a,))

    def __neg__(self) -> Tensor:
        return op("neg", -self.data, (self,), lambda g: (-g,))

    def __pow__(self, exponent: Any) -> Tensor:
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

    def __rpow__(self, base: Any) -> Tensor:
        """c ** x for a real scalar c; d/dx = c ** x * log c."""
        if isinstance(base, bool | np.bool_) or not isinstance(
            base, int | float | np.integer | np.floating
        ):
            raise TypeError(f"pow: base must be a real scalar, got {base!r}")
        out = np.asarray(base, self.dtype) ** self.data
        return op("rpow", out, (self,), lambda g: (g * out * np.log(base),))

    # ----------------------------------------------------------------- comparisons
    # <, <=, >, >= give bool tensors (no gradient). == and != keep Python's identity meaning,
    # because tensors are dictionary keys (optimizer state); use eq() / ne() elementwise.
    def __lt__(self, other: Any) -> Tensor:
        return Tensor(self.data < _operand(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor(self.data <= _operand(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(self.data > _operand(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(self.data >= _operand(other))

    __hash__ = object.__hash__

    def eq(self, other: Any) -> Tensor:
        """Elementwise x == other as a bool tensor (torch.eq; `==` is identity here)."""
        return Tensor(self.data == _operand(other))

    def ne(self, other: Any) -> Tensor:
        """Elementwise x != other as a bool tensor (torch.ne)."""
        return Tensor(self.data != _operand(other))

    def __matmul__(self, other: Any) -> Tensor:
        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul(as_tensor(other), self)

    # ----------------------------------------------------------------- reductions
    def sum(self, dim: int | tuple | None = None, keepdim: bool = False, *,
            axis: int | tuple | None = None, keepdims: bool | None = None) -> Tensor:  # fmt: skip
        """Sum over `dim` (an int, a tuple, or None for all); `axis`/`keepdims` are NumPy
        spellings of the same arguments. The gradient broadcasts back over the summed dims."""
        dims, keep = _reduction_dims(self.ndim, dim, axis, keepdim, keepdims, "sum")
        shape = self.shape

        def backward(g):
            if dims is not None and not keep:
                g = np.expand_dims(g, dims)
            return (np.broadcast_to(g, shape),)

        return op("sum", _array(self.data.sum(axis=dims, keepdims=keep)), (self,), backward)

    def mean(self, dim: int | tuple | None = None, keepdim: bool = False, *,
             axis: int | tuple | None = None, keepdims: bool | None = None) -> Tensor:  # fmt: skip
        """Mean over `dim` (see `sum`); the mean of an empty selection is NaN, as in PyTorch."""
        dims, keep = _reduction_dims(self.ndim, dim, axis, keepdim, keepdims, "mean")
        count = int(np.prod([self.shape[i] for i in (range(self.ndim) if dims is None else dims)]))
        return self.sum(dims, keep) * (1.0 / count if count else float("nan"))

    def max(self, dim: int | tuple | None = None, keepdim: bool = False, *,
            axis: int | tuple | None = None, keepdims: bool | None = None) -> Tensor:  # fmt: skip
        """Maximum over `dim`; the gradient is shared equally among tied maxima (as torch.amax).
        Returns the values only (torch.max(x, dim) also returns indices)."""
        dims, keep = _reduction_dims(self.ndim, dim, axis, keepdim, keepdims, "max")
        a = self.data
        top = a.max(axis=dims, keepdims=True)

        def backward(g):
            if dims is not None and not keep:
                g = np.expand_dims(g, dims)
            hit = a == top
            return (hit * (g / hit.sum(axis=dims, keepdims=True)),)

        out = top if keep else _array(a.max(axis=dims))
        return op("max", out, (self,), backward)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape: int) -> Tensor:
        """The same elements in a new shape (one dimension may be -1)."""
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        original = self.shape
        try:
            out = self.data.reshape(shape)
        except (ValueError, TypeError):
            raise ValueError(f"reshape: cannot reshape a tensor of shape {original} "
                             f"({self.size} elements) into {shape}") from None  # fmt: skip
        return op("reshape", out, (self,), lambda g: (g.reshape(original),))

    def contiguous(self) -> Tensor:
        """This tensor if its array is C-contiguous, else a C-contiguous copy (torch's
        contiguous); the gradient passes through unchanged."""
        if self.data.flags.c_contiguous:
            return self
        return op("contiguous", array_module(self.data).ascontiguousarray(self.data), (self,),
                  lambda g: (g,))  # fmt: skip

    def permute(self, *dims: int) -> Tensor:
        """Reorder the dimensions: output dimension i is input dimension dims[i] (torch.permute;
        negative dims count from the end). The gradient applies the inverse permutation."""
        if len(dims) == 1 and isinstance(dims[0], tuple | list):
            dims = tuple(dims[0])
        order = tuple(_dim(d, self.ndim, "permute") for d in dims)
        if sorted(order) != list(range(self.ndim)):
            raise ValueError(f"permute: dims must be a permutation of the {self.ndim} dimensions "
                             f"of a tensor of shape {self.shape}, got {dims}")  # fmt: skip
        inverse = tuple(np.argsort(order))
        return op("permute", self.data.transpose(order), (self,), lambda g: (g.transpose(inverse),))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap dimensions dim0 and dim1 (torch.transpose; negative dims count from the end).
        For NumPy's full permutation use `permute`."""
        order = list(range(self.ndim))
        a, b = _dim(dim0, self.ndim, "transpose"), _dim(dim1, self.ndim, "transpose")
        order[a], order[b] = order[b], order[a]
        return self.permute(order)

    @property
    def T(self) -> Tensor:
        """All dimensions reversed (the matrix transpose for a 2-D tensor)."""
        return self.permute(tuple(reversed(range(self.ndim))))

    def __getitem__(self, index: Any) -> Tensor:
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        a = self.data

        def backward(g):
            full = np.zeros_like(a)
            if _is_basic_index(index):
                full[index] = g
            else:
                np.add.at(full, index, g)
            return (full,)

        return op("index", a[index], (self,), backward)

    # ----------------------------------------------------------------- elementwise
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

    def softmax(self, dim: int = -1, *, axis: int | None = None) -> Tensor:
        """exp(x) / sum(exp(x)) along `dim`, with the maximum subtracted first."""
        (axis,), _ = _reduction_dims(self.ndim or 1, dim if axis is None else axis, None,
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
        (axis,), _ = _reduction_dims(self.ndim or 1, dim if axis is None else axis, None,
                                     False, None, "log_softmax")  # fmt: skip
        shifted = self.data - self.data.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return op(
            "log_softmax",
            out,
            (self,),
            lambda g: (g - np.exp(out) * g.sum(axis=axis, keepdims=True),),
        )

    def clip(self, low: float | None, high: float | None) -> Tensor:
        """Clamp to [low, high]; the gradient passes where low <= x <= high (as torch.clamp)."""
        a = self.data
        inside = np.ones_like(a, dtype=bool)
        if low is not None:
            inside &= a >= low
        if high is not None:
            inside &= a <= high
        return op("clip", np.clip(a, low, high), (self,), lambda g: (g * inside,))

    # ----------------------------------------------------------------- more ops (PyTorch names)
    def min(self, dim: int | tuple | None = None, keepdim: bool = False, *,
            axis: int | tuple | None = None, keepdims: bool | None = None) -> Tensor:  # fmt: skip
        """Minimum over `dim` (values only); the gradient is shared among tied minima."""
        return -((-self).max(dim, keepdim, axis=axis, keepdims=keepdims))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the (first) maximum over `dim`, or of the flattened tensor; no gradient."""
        return _index_result(self.data.argmax(axis=dim, keepdims=keepdim))

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the (first) minimum over `dim`, or of the flattened tensor; no gradient."""
        return _index_result(self.data.argmin(axis=dim, keepdims=keepdim))

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

    def squeeze(self, dim: int | None = None) -> Tensor:
        """Drop size-1 dimensions (all, or `dim` if it has size 1, as torch.squeeze)."""
        shape = self.shape
        if dim is None:
            new = tuple(n for n in shape if n != 1)
        else:
            d = _dim(dim, self.ndim, "squeeze")
            new = shape[:d] + shape[d + 1 :] if shape and shape[d] == 1 else shape
        return self.reshape(new)

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a size-1 dimension at `dim` (in [-ndim - 1, ndim])."""
        d = _dim(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions start_dim..end_dim into one (torch.flatten)."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _dim(start_dim, self.ndim, "flatten"), _dim(end_dim, self.ndim, "flatten")
        merged = int(np.prod(self.shape[start : end + 1]))
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1 :])

    def view(self, *shape: int) -> Tensor:
        """`reshape` under PyTorch's other name (tinyreg arrays are not shared views)."""
        return self.reshape(*shape)

    def expand(self, *sizes: int) -> Tensor:
        """Broadcast to `sizes` (-1 keeps a dimension), as torch.expand; the gradient is summed
        back over the broadcast dimensions."""
        if len(sizes) == 1 and isinstance(sizes[0], tuple | list):
            sizes = tuple(sizes[0])
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: {len(sizes)} sizes for a {self.ndim}-d tensor")
        target = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        try:
            out = np.broadcast_to(self.data, target)
        except ValueError:
            raise ValueError(f"expand: cannot expand shape {self.shape} to {sizes}") from None
        return op("expand", out, (self,), lambda g: (g,))

    def var(self, dim: int | tuple | None = None, unbiased: bool = True,
            keepdim: bool = False) -> Tensor:  # fmt: skip
        """Variance over `dim`: sum((x - mean)^2) / (n - 1) (unbiased, PyTorch's default) or / n."""
        dims, keep = _reduction_dims(self.ndim, dim, None, keepdim, None, "var")
        count = int(np.prod([self.shape[i] for i in (range(self.ndim) if dims is None else dims)]))
        centered = self - self.mean(dims, keepdim=True)
        denominator = count - int(unbiased)
        scale = 1.0 / denominator if denominator > 0 else float("nan")
        return (centered * centered).sum(dims, keep) * scale

    def std(self, dim: int | tuple | None = None, unbiased: bool = True,
            keepdim: bool = False) -> Tensor:  # fmt: skip
        """sqrt(var) over `dim` (unbiased by default, as PyTorch)."""
        return self.var(dim, unbiased, keepdim).sqrt()

    def prod(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Product over `dim` (or all); the gradient of each factor is the product of the others
        (exact with zeros, from exclusive cumulative products)."""
        a = self.data
        axis = None if dim is None else _dim(dim, self.ndim, "prod")
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
        out = _array(a.prod(axis=axis, keepdims=keepdim))

        def backward(g):
            if axis is None:
                return ((others * g).reshape(a.shape),)
            return (others * (g if keepdim else np.expand_dims(g, axis)),)

        return op("prod", out, (self,), backward)

    def cumsum(self, dim: int) -> Tensor:
        """Cumulative sum along `dim`; the gradient is the reversed cumulative sum of g."""
        d = _dim(dim, self.ndim, "cumsum")
        return op("cumsum", np.cumsum(self.data, axis=d), (self,),
                  lambda g: (np.flip(np.cumsum(np.flip(g, d), axis=d), d),))  # fmt: skip

    def logsumexp(self, dim: int | tuple, keepdim: bool = False) -> Tensor:
        """log(sum(exp(x))) over `dim`, with the maximum subtracted first; gradient softmax."""
        dims, keep = _reduction_dims(self.ndim, dim, None, keepdim, None, "logsumexp")
        a = self.data
        top = a.max(axis=dims, keepdims=True)
        top = np.where(np.isfinite(top), top, 0)
        total = np.log(np.exp(a - top).sum(axis=dims, keepdims=True)) + top
        out = total if keep else _array(np.squeeze(total, axis=dims))

        def backward(g):
            return ((g if keep else np.expand_dims(g, dims)) * np.exp(a - total),)

        return op("logsumexp", out, (self,), backward)

    def norm(self, p: float = 2, dim: int | tuple | None = None, keepdim: bool = False) -> Tensor:
        """(sum |x|^p)^(1/p) over `dim` (all by default), p > 0 or inf (max |x|). The gradient
        is sign(x) |x|^(p-1) / norm^(p-1), and 0 where the norm is 0 (PyTorch's subgradient)."""
        if p == float("inf"):
            return self.abs().max(dim, keepdim)
        p = float(p)
        if not p > 0:
            raise ValueError(f"norm: p must be > 0 or inf, got {p}")
        dims, keep = _reduction_dims(self.ndim, dim, None, keepdim, None, "norm")
        a = self.data
        total = (np.abs(a) ** p).sum(axis=dims, keepdims=True) ** (1 / p)
        out = total if keep else _array(np.squeeze(total, axis=dims) if dims else total.reshape(()))

        def backward(g):
            g = g if keep else (np.expand_dims(g, dims) if dims else np.reshape(g, total.shape))
            with np.errstate(divide="ignore", invalid="ignore"):
                grad = np.sign(a) * np.abs(a) ** (p - 1) / total ** (p - 1)
            return (np.where(total > 0, grad, 0) * g,)

        return op("norm", out, (self,), backward)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        """torch.clamp: `clip` under PyTorch's name and keywords."""
        return self.clip(min, max)

    def masked_fill(self, mask: Any, value: float) -> Tensor:
        """`value` where mask is True, x elsewhere; the gradient is 0 under the mask."""
        m = np.asarray(_operand(mask), dtype=bool)
        keep = ~m
        out = np.where(m, np.asarray(value, self.dtype), self.data)
        return op("masked_fill", out, (self,), lambda g: (g * keep,))

    def gather(self, dim: int, index: Any) -> Tensor:
        """torch.gather: out[i][j] = x[i][index[i][j]] along `dim`; the gradient is scattered
        back (summed where an index repeats)."""
        d = _dim(dim, self.ndim, "gather")
        idx = np.asarray(_operand(index))
        if idx.dtype.kind not in "iu":
            raise TypeError(f"gather: index must be integers, got dtype {idx.dtype}")
        a = self.data

        def backward(g):
            full = np.zeros_like(a)
            grid = list(np.indices(idx.shape, sparse=True))
            grid[d] = idx
            np.add.at(full, tuple(grid), g)
            return (full,)

        return op("gather", np.take_along_axis(a, idx, axis=d), (self,), backward)

    def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0) -> list[Tensor]:
        """torch.split: pieces of `split_size` along `dim` (the last may be smaller), or of the
        given section sizes."""
        d = _dim(dim, self.ndim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, int | np.integer):
            size = int(split_size_or_sections)
            if size < 1:
                raise ValueError(f"split: split_size must be >= 1, got {size}")
            sections = [min(size, n - start) for start in range(0, n, size)]
        else:
            sections = [int(k) for k in split_size_or_sections]
            if sum(sections) != n:
                raise ValueError(f"split: sections {sections} do not add up to {n}")
        pieces, start = [], 0
        for k in sections:
            index = (slice(None),) * d + (slice(start, start + k),)
            pieces.append(self[index])
            start += k
        return pieces

    def chunk(self, chunks: int, dim: int = 0) -> list[Tensor]:
        """torch.chunk: `chunks` pieces of ceil(n / chunks) along `dim` (fewer if n is small)."""
        if chunks < 1:
            raise ValueError(f"chunk: chunks must be >= 1, got {chunks}")
        n = self.shape[_dim(dim, self.ndim, "chunk")]
        return self.split(max(1, -(-n // chunks)), dim)

    def repeat(self, *repeats: int) -> Tensor:
        """torch.repeat (NumPy's tile): the tensor repeated along each dimension; the gradient
        sums the copies."""
        if len(repeats) == 1 and isinstance(repeats[0], tuple | list):
            repeats = tuple(repeats[0])
        if len(repeats) < self.ndim:
            raise ValueError(f"repeat: {len(repeats)} repeats for a {self.ndim}-d tensor")
        shape = (1,) * (len(repeats) - self.ndim) + self.shape
        out = np.tile(self.data.reshape(shape), repeats)

        def backward(g):
            split = g.reshape([x for pair in zip(repeats, shape, strict=True) for x in pair])
            summed = split.sum(axis=tuple(range(0, split.ndim, 2)))
            return (summed.reshape(self.shape),)

        return op("repeat", out, (self,), backward)

    def clone(self) -> Tensor:
        """A copy that stays in the graph (torch.clone); the gradient passes through."""
        return op("clone", self.data.copy(), (self,), lambda g: (g,))


# --------------------------------------------------------------------- graph helpers
def _operand(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def op(name: str, data: Any, inputs: tuple, backward: Backward,
       adds_into_grads: bool = False) -> Tensor:  # fmt: skip
    """The public way to define a differentiable op: returns the output tensor of op `name`.

    `data` is the forward's result (an array on the inputs' device); `inputs` the tensors (and
    constants) it was computed from; `backward(g)` maps the output's gradient g to a tuple with
    one gradient per input (None where there is none). The engine reduces broadcast gradients to
    each input's shape, casts them to its dtype, and, if a gradient cannot take that shape, raises
    an error naming the op. The graph is recorded only when an input requires grad and grad mode
    is on. Example, y = x^3:

        def cube(x):
            return op("cube", x.data**3, (x,), lambda g: (3 * x.data**2 * g,))

    With `adds_into_grads=True` the backward adds into its inputs' `.grad` itself (through
    `writable_grad`) and returns Nones; it runs after every other gradient has reached those
    leaves, so a fused kernel adds in place (the penalty op uses this).
    """
    if _profile is not None:
        _profile.forward(name)
    out = Tensor.__new__(Tensor)
    out.data = data
    out.grad = None
    out._grad_owned = False
    out._op = name
    out._deferred = adds_into_grads
    if _grad_enabled and any(isinstance(p, Tensor) and p.requires_grad for p in inputs):
        out.requires_grad = True
        out._parents = tuple(p if isinstance(p, Tensor) else _CONSTANT for p in inputs)
        out._backward = backward
    else:
        out.requires_grad = False
        out._parents = ()
        out._backward = None
    return out


def as_tensor(x: Any) -> Tensor:
    """`x` itself if it is a Tensor, else a constant tensor (no grad) holding it."""
    return x if isinstance(x, Tensor) else Tensor(x)


_CONSTANT = Tensor(0.0)  # stands in for a non-tensor operand in a recorded graph


def _timed_backward(node: Tensor, g: Any) -> tuple:
    """node's backward closure on g, its time charged to node's op while a profile is active."""
    if _profile is None:
        return node._backward(g)
    start = time.perf_counter()
    grads = node._backward(g)
    seconds = time.perf_counter() - start
    _profile.backward(node._op, seconds)
    return grads


def _topological_order(root: Tensor) -> list:
    """Nodes that require grad, each after every node that depends on it (iterative DFS)."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node._parents:
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


def _accumulate_leaf(leaf: Tensor, g: np.ndarray, owned: bool) -> None:
    """Add g into leaf.grad. A stored gradient is always C-contiguous (the kernels' rule), so a
    broadcast or transposed g is copied once here."""
    if isinstance(g, np.generic):  # NumPy returns scalars from 0-d arithmetic
        g, owned = np.asarray(g), True
    if not g.flags.c_contiguous:
        g, owned = array_module(g).ascontiguousarray(g), True
    if leaf.grad is None:
        leaf.grad, leaf._grad_owned = g, owned
    elif leaf._grad_owned:
        leaf.grad += g
    else:
        leaf.grad, leaf._grad_owned = leaf.grad + g, True


def _dim(dim: Any, ndim: int, op: str) -> int:
    """A dimension index in [-ndim, ndim) as a non-negative int, or an IndexError naming op."""
    if isinstance(dim, bool | np.bool_) or not isinstance(dim, int | np.integer):
        raise TypeError(f"{op}: dims must be integers, got {dim!r}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dimension {dim} is out of range for a {ndim}-d tensor "
                         f"(expected [{-max(ndim, 1)}, {max(ndim, 1) - 1}])")  # fmt: skip
    return int(dim) % max(ndim, 1)


def _reduction_dims(ndim: int, dim: Any, axis: Any, keepdim: bool, keepdims: bool | None,
                    op: str) -> tuple[tuple | None, bool]:  # fmt: skip
    """(dims as a tuple of non-negative ints or None for all, keepdim) from PyTorch's or
    NumPy's spelling."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: pass dim or axis, not both")
        dim = axis
    keep = keepdim if keepdims is None else keepdims
    if dim is None:
        return None, bool(keep)
    dims = dim if isinstance(dim, tuple | list) else (dim,)
    dims = tuple(_dim(d, ndim, op) for d in dims) if ndim else ()
    if len(set(dims)) != len(dims):
        raise ValueError(f"{op}: dim {dim} names a dimension twice")
    return dims, bool(keep)


def _is_basic_index(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, int | slice | type(None) | type(Ellipsis)) for i in parts)


# --------------------------------------------------------------------- free functions
def matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b for 1-D, 2-D and batched operands (NumPy's rules); dA = dY @ B^T, dB = A^T @ dY."""
    a, b = as_tensor(a), as_tensor(b)
    x, w = a.data, b.data
    try:
        out = x @ w
    except (ValueError, TypeError):
        raise _shape_error("matmul", x, w) from None

    def backward(g):
        if x.ndim == 1 and w.ndim == 1:  # inner product
            return g * w, g * x
        x2 = x[None, :] if x.ndim == 1 else x
        w2 = w[:, None] if w.ndim == 1 else w
        if x.ndim == 1:
            g = np.expand_dims(g, -2)
        if w.ndim == 1:
            g = np.expand_dims(g, -1)
        gx = g @ np.swapaxes(w2, -1, -2) if a.requires_grad else None
        gw = np.swapaxes(x2, -1, -2) @ g if b.requires_grad else None
        if gx is not None and x.ndim == 1:
            gx = gx[..., 0, :]
        if gw is not None and w.ndim == 1:
            gw = gw[..., 0]
        return gx, gw

    return op("matmul", out, (a, b), backward)


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing `axis` (np.concatenate, torch.cat); the gradient is split
    back into the pieces."""
    tensors = [as_tensor(t) for t in tensors]
    out = np.concatenate([t.data for t in tensors], axis=axis)
    splits = np.cumsum([t.shape[axis] for t in tensors])[:-1]
    return op("concatenate", out, tuple(tensors), lambda g: tuple(np.split(g, splits, axis=axis)))


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new `axis` (np.stack, torch.stack); each input's gradient
    is its slice."""
    tensors = [as_tensor(t) for t in tensors]
    out = np.stack([t.data for t in tensors], axis=axis)
    count = len(tensors)
    return op("stack", out, tuple(tensors), lambda g: tuple(np.moveaxis(g, axis, 0)[:count]))


def tensor(
    data: Any, requires_grad: bool = False, dtype: Any = None, device: str = "cpu"
) -> Tensor:
    """A new leaf tensor (a copy, as torch.tensor) on `device`: float32 for Python floats and
    float lists, float64 kept if given."""
    check.boolean("tensor", "requires_grad", requires_grad)
    if dtype is not None:
        try:
            kind = np.dtype(dtype).kind
        except TypeError:
            kind = None
        if kind not in ("b", "i", "u", "f"):
            raise TypeError(f"tensor: dtype must be a real NumPy dtype, got {dtype!r}")
    source = data.data if isinstance(data, Tensor) else data
    out = Tensor(source, requires_grad, dtype)
    if out.device != check_device(device):
        out.data = to_device(out.data, device)  # a new array on the other device
    elif out.data is source or (
        isinstance(source, np.ndarray) and np.may_share_memory(out.data, source)
    ):
        out.data = out.data.copy()  # like torch.tensor, never alias the caller's array
    return out


def _shape(op: str, shape: tuple) -> tuple[int, ...]:
    """A shape given as ints or as one tuple/list of ints, each >= 0."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    for size in shape:
        if isinstance(size, bool | np.bool_) or not isinstance(size, int | np.integer) or size < 0:
            raise ValueError(f"{op}: shape must be integers >= 0, got {shape}")
    return tuple(int(size) for size in shape)


def zeros(*shape: int, dtype: Any = np.float32, requires_grad: bool = False,
          device: str = "cpu") -> Tensor:  # fmt: skip
    """A tensor of zeros of `shape` (float32 unless `dtype` says otherwise)."""
    return Tensor(to_device(np.zeros(_shape("zeros", shape), dtype=dtype), device), requires_grad)


def ones(*shape: int, dtype: Any = np.float32, requires_grad: bool = False,
         device: str = "cpu") -> Tensor:  # fmt: skip
    """A tensor of ones of `shape` (float32 unless `dtype` says otherwise)."""
    return Tensor(to_device(np.ones(_shape("ones", shape), dtype=dtype), device), requires_grad)


def randn(*shape: int, dtype: Any = np.float32, requires_grad: bool = False,
          device: str = "cpu") -> Tensor:  # fmt: skip
    """Standard normal samples from the generator seeded by `tinyreg.manual_seed` (drawn on the
    CPU, so a seed gives the same numbers on every device)."""
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"randn: dtype must be float32 or float64, got {dtype!r}")
    values = _random.generator().standard_normal(_shape("randn", shape), dtype=dtype)
    return Tensor(to_device(values, device), requires_grad)


def _index_result(indices: Any) -> Tensor:
    return Tensor(_array(indices).astype(np.int64))


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """torch.where: x where condition is True, else y (broadcast); gradients flow to x under
    the condition and to y elsewhere."""
    c = np.asarray(_operand(condition), dtype=bool)
    a, b = _operand(x), _operand(y)
    out = np.where(c, a, b)
    return op("where", out, (x, y), lambda g: (g * c, g * ~c))


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum (torch.maximum); where a == b the gradient is split in half."""
    x, y = _operand(a), _operand(b)
    wins = (x > y) + 0.5 * (x == y)
    return op("maximum", np.maximum(x, y), (a, b), lambda g: (g * wins, g * (1 - wins)))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum (torch.minimum); where a == b the gradient is split in half."""
    x, y = _operand(a), _operand(b)
    wins = (x < y) + 0.5 * (x == y)
    return op("minimum", np.minimum(x, y), (a, b), lambda g: (g * wins, g * (1 - wins)))
