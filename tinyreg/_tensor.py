"""The Tensor: an n-dimensional array that can record the ops applied to it for `backward`.

This file is the class and its data: the array (`data`), the accumulated gradient of a leaf
(`grad`), whether gradients flow to it (`requires_grad`), the node fields the autograd engine
reads, and the conversions a user calls (`numpy`, `item`, `detach`). The math lives elsewhere:
every method that computes (`x + y`, `x.exp()`, `x.sum(dim)`, `x.reshape(...)`) is a function of
`tinyreg/ops/` (elementwise, reduction, shape, matmul), each op's forward and backward together,
bound to this class in one table (`tinyreg/ops/__init__.py`). How an op records the graph is
`tinyreg/autograd/function.py`; how `backward` walks it is `tinyreg/autograd/engine.py`.
(The file is `_tensor.py`, as in PyTorch, so the function `tinyreg.tensor` shadows no module.)
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


class Tensor:
    """An n-dimensional array that can record the ops applied to it for `backward`.

    `data` is the NumPy array; `grad` the accumulated gradient of a leaf (a NumPy array of the
    same shape and dtype, or None); `requires_grad` whether gradients flow to it.
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "_grad_owned", "_op",
                 "_deferred")  # fmt: skip
    __array_ufunc__ = None  # make NumPy defer to our reflected operators (array * tensor)

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None):
        self.data = as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad=True needs a floating-point tensor, got dtype {self.data.dtype}"
            )
        self.requires_grad = requires_grad
        self.grad = None
        self._parents: tuple = ()
        self._backward: engine.Backward | None = None
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
        """Accumulate d(self)/d(leaf) * grad into the `.grad` of every leaf that requires grad
        (`autograd.engine.backward`); grad defaults to 1 for a one-element tensor."""
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
            grad = as_array(grad, self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward: grad has shape {grad.shape}, expected {self.shape}")
        engine.backward(self, grad)

    __hash__ = object.__hash__  # tensors are dictionary keys (optimizer state), by identity


def as_tensor(x: Any) -> Tensor:
    """`x` itself if it is a Tensor, else a constant tensor (no grad) holding it."""
    return x if isinstance(x, Tensor) else Tensor(x)
