"""The Tensor: an n-dimensional array that can record the ops applied to it for `backward`.

This file is the class and its data: the array (`data`), the accumulated gradient of a leaf
(`grad`, a Tensor), whether gradients flow to it (`requires_grad`), the node fields the autograd
engine reads, and the conversions a user calls (`numpy`, `item`, `tolist`, `detach`, `float(t)`,
`np.asarray(t)`). The math lives elsewhere: every method that computes (`x + y`, `x.exp()`,
`x.sum(dim)`, `x.reshape(...)`, `x.add_(y)`) is a function of `tinyreg/ops/` (elementwise,
reduction, shape, matmul, inplace), each op's forward and backward together, bound to this class
in one table (`tinyreg/ops/__init__.py`). How an op records the graph is
`tinyreg/autograd/function.py`; how `backward` walks it is `tinyreg/autograd/engine.py`.
(The file is `_tensor.py`, as in PyTorch, so the function `tinyreg.tensor` shadows no module.)

Coming from PyTorch: `x.data` is the NumPy array itself (in PyTorch, a Tensor sharing the
storage). NumPy arithmetic on it records nothing and changes the array in place: `p.data -= lr *
p.grad` and `p.data -= lr * p.grad.data` both work. Tensor methods are not there:
`p.data.normal_()` and `p.grad.data.zero_()` are AttributeErrors; call them on the tensor
(`with tinyreg.no_grad(): p.normal_()`, `p.grad.zero_()`). Assign arrays to `.data`, never a
Tensor: `p.data = p.data - lr * p.grad.data`, not `... - lr * p.grad`. `size()` is a plain tuple
(PyTorch's torch.Size is a tuple subclass).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .autograd import engine
from .device import array_module, device_of, on_gpu


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """float32 by default for floating data; float64, integer and bool arrays keep their dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if on_gpu(data):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)  # on a GPU
    try:
        array = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError, RuntimeError) as error:
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


# NumPy's operators whose other operand is a tensor: the tensor's reflected operator
_REFLECTED = {np.add: "__radd__", np.subtract: "__rsub__", np.multiply: "__rmul__",
              np.true_divide: "__rtruediv__", np.power: "__rpow__", np.matmul: "__rmatmul__",
              np.less: "__gt__", np.less_equal: "__ge__", np.greater: "__lt__",
              np.greater_equal: "__le__", np.equal: "__eq__", np.not_equal: "__ne__"}  # fmt: skip


class Tensor:
    """An n-dimensional array that can record the ops applied to it for `backward`.

    `data` is the NumPy array (a CuPy array on "cuda"); `grad` the accumulated gradient of a
    leaf (a Tensor of the same shape, dtype and device, or None), as in PyTorch; `requires_grad`
    whether gradients flow to it. Equality (`==`, `!=`) is elementwise, as in PyTorch, and
    hashing is by identity (tensors are dictionary keys, e.g. optimizer state): to find a tensor
    in a list, compare with `is`.
    """

    __slots__ = ("data", "_grad", "requires_grad", "_parents", "_backward", "_op", "_deferred",
                 "_version", "_stamp")  # fmt: skip

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None):
        self._leaf(as_array(data, dtype))
        if requires_grad:
            self.requires_grad_(True)

    def _leaf(self, data: Any) -> None:
        """Make this a leaf holding `data` with no gradient, no graph and version 0."""
        self.data = data
        self._grad = None
        self.requires_grad = False
        self._parents: tuple = ()
        self._backward: engine.Backward | None = None
        self._op = "leaf"
        self._deferred = False
        self._version = 0  # the in-place clock when an in-place op last changed it
        self._stamp = 0  # the in-place clock when its op was recorded (engine.py)

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
    def device(self) -> str:
        """ "cpu" (a NumPy array) or "cuda" (a CuPy array)."""
        return device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        """Whether no recorded op made this tensor (tensors made by the user, parameters, and
        every result computed while no input required grad or under `no_grad`)."""
        return self._backward is None

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by `backward` (a Tensor with no grad of this tensor's shape,
        dtype and device), or None. Assigning checks, as PyTorch: a Tensor or None, of the same
        shape, dtype and device."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                kind = type(value)
                name = kind.__qualname__ if kind.__module__ == "builtins" else (
                    f"{kind.__module__}.{kind.__qualname__}")  # fmt: skip
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {name}")  # fmt: skip
            if value is self:
                raise RuntimeError("can't assign a tensor as its own grad")
            for what, got, expected in (("size", value.shape, self.shape),
                                        ("dtype", value.dtype, self.dtype),
                                        ("device", value.device, self.device)):  # fmt: skip
                if got != expected:
                    raise RuntimeError(f"attempting to assign a gradient of {what} {got} to a "
                                       f"tensor of {what} {expected}; they must match")  # fmt: skip
        self._grad = value

    def numel(self) -> int:
        """The number of elements."""
        return self.data.size

    def dim(self) -> int:
        """The number of dimensions (`ndim`)."""
        return self.data.ndim

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({np.array2string(self.data, precision=4)}{grad})"

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (`f"{loss:.4f}"`), as in PyTorch."""
        return format(self.item(), spec) if self.ndim == 0 else object.__format__(self, spec)

    # ----------------------------------------------------------------- conversions
    def numpy(self) -> np.ndarray:
        """The array itself (not a copy; a CuPy array for a "cuda" tensor, where PyTorch raises).
        As in PyTorch, not for a tensor that requires grad: take `x.detach().numpy()`."""
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """`np.asarray(t)` (and np.testing): the array, as `numpy()` (a "cuda" tensor must be
        moved with `.cpu()` first, as in PyTorch)."""
        if on_gpu(self.data):
            raise TypeError("can't convert a cuda tensor to a NumPy array; use .cpu() first")
        array = np.asarray(self.numpy())  # (0-d arithmetic can leave a NumPy scalar)
        if dtype is not None and array.dtype != dtype:
            if copy is False:
                raise ValueError(f"a {array.dtype} tensor cannot become a {dtype} array "
                                 "without a copy")  # fmt: skip
            return array.astype(dtype)
        return array.copy() if copy else array

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy's ufuncs meet tensors here. `array <op> tensor` is the tensor's reflected
        operator, so the graph is recorded as for `tensor <op> array`; any other ufunc computes on
        the arrays (`__array__`) and returns arrays: `np.isfinite(t)`, and `p.data -= lr *
        p.grad`, which writes into the array `p.data` in place."""
        if (method == "__call__" and not kwargs and len(inputs) == 2 and inputs[1] is self
                and not isinstance(inputs[0], Tensor) and ufunc in _REFLECTED):  # fmt: skip
            return getattr(self, _REFLECTED[ufunc])(inputs[0])
        if any(isinstance(out, Tensor) for out in kwargs.get("out", ())):
            return NotImplemented  # a tensor changes through its in-place ops
        arrays = [np.asarray(x) if isinstance(x, Tensor) else x for x in inputs]
        return getattr(ufunc, method)(*arrays, **kwargs)

    def _one_element(self, what: str, error: type = ValueError) -> Any:
        """The Python number of a one-element tensor, for `float(t)`, `int(t)` and `bool(t)`."""
        if self.data.size != 1:
            raise error(f"only one element tensors can be converted to {what}, got a tensor of "
                        f"shape {self.shape}")  # fmt: skip
        return self.data.item()

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise RuntimeError(f"a Tensor with {self.data.size} elements cannot be converted to "
                               "Scalar")  # fmt: skip
        return self.data.item()

    def __float__(self) -> float:
        return float(self._one_element("Python scalars"))

    def __int__(self) -> int:
        return int(self._one_element("Python scalars"))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.data.size} values is "
                               "ambiguous")  # fmt: skip
        return bool(self.data.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu":
            raise TypeError("only integer tensors of a single element can be converted to an "
                            f"index, got dtype {self.dtype}")  # fmt: skip
        return int(self._one_element("an index", TypeError))

    def tolist(self) -> list | float | int | bool:
        """The values as nested Python lists (a number for a 0-d tensor)."""
        return self.data.tolist()

    def detach(self) -> Tensor:
        """A new leaf holding the same array (changes to one show in the other, as in PyTorch),
        cut from the graph (no grad)."""
        return wrap(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` in place and return this tensor; only leaves can change it, and
        only floating-point tensors can require grad (PyTorch's rules)."""
        if not isinstance(requires_grad, bool | np.bool_):
            raise TypeError(f"requires_grad_: requires_grad must be a bool, got {requires_grad!r}")
        if not self.is_leaf:
            if not requires_grad:
                raise RuntimeError("you can only change requires_grad flags of leaf variables. "
                                   "If you want to use a computed variable in a subgraph that "
                                   "doesn't require differentiation use var_no_grad = "
                                   "var.detach().")  # fmt: skip
            return self
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad=True needs a floating-point tensor, got dtype {self.data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def writable_grad(self) -> np.ndarray:
        """The array of the leaf's gradient, for kernels that add into it in place: zeros when
        there is no gradient yet; a C-contiguous writable copy (kept in `.grad`) when a user
        assigned one in another layout."""
        if self._grad is None:
            self._grad = wrap(array_module(self.data).zeros(self.shape, self.dtype))
        grad = self._grad
        if not grad.data.flags.c_contiguous or not getattr(grad.data.flags, "writeable", True):
            grad.data = grad.data.copy()  # C order
        return grad.data

    def _accumulate_grad(self, g: Any, owned: bool) -> None:
        """Add the array g into `.grad` (the engine's last step for a leaf). The first gradient
        becomes a Tensor around a C-contiguous array this leaf alone holds (g itself when
        `owned`, else a copy), so an in-place op on `.grad` never reaches another tensor; later
        ones are added into it in place, as PyTorch does."""
        if isinstance(g, np.generic):  # NumPy returns scalars from 0-d arithmetic
            g, owned = np.asarray(g), True
        grad = self._grad
        if grad is None:
            self._grad = wrap(g if owned and g.flags.c_contiguous else g.copy())
        elif getattr(grad.data.flags, "writeable", True):
            grad.data += g
        else:  # a read-only gradient a user assigned (a broadcast view)
            grad.data = grad.data + g

    # ----------------------------------------------------------------- backward
    def backward(self, gradient: Any = None) -> None:
        """Accumulate d(self)/d(leaf) * gradient into the `.grad` of every leaf that requires
        grad (`autograd.engine.backward`); `gradient` defaults to 1 for a one-element tensor.
        The graph is kept (PyTorch's retain_graph=True): a second backward adds again."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (no tensor in its graph has "
                "requires_grad=True, or it was computed under no_grad)"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be implicitly created only for a scalar output, got "
                    f"shape {self.shape}; pass a gradient of that shape"
                )
            gradient = np.ones_like(self.data)
        else:
            gradient = as_array(gradient, self.dtype)
            if gradient.shape != self.shape:
                raise ValueError(f"backward: gradient has shape {gradient.shape}, expected "
                                 f"{self.shape}")  # fmt: skip
        engine.backward(self, gradient)

    __hash__ = object.__hash__  # tensors are dictionary keys (optimizer state), by identity


def wrap(array: Any) -> Tensor:
    """A leaf tensor (no grad) around `array` itself: no copy, no cast (gradients, `detach`)."""
    out = Tensor.__new__(Tensor)
    out._leaf(array)
    return out


def as_tensor(x: Any) -> Tensor:
    """`x` itself if it is a Tensor, else a constant tensor (no grad) holding it."""
    return x if isinstance(x, Tensor) else Tensor(x)
