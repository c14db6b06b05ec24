"""Creating tensors, with PyTorch's names, signatures and defaults.

    from data       tensor (a copy), as_tensor (shares when it can), from_numpy (shares)
    filled          zeros ones full empty, and their _like forms; eye arange linspace
    random          rand randn randint randperm normal, and rand_like randn_like randint_like

A shape is given as ints or as one tuple or list (`zeros(2, 3)`, `zeros((2, 3))`). Floating
results are float32 unless `dtype=` says otherwise (`get_default_dtype()`); `arange` of ints,
`randint` and `randperm` give int64, as PyTorch's. Every function takes `dtype=`, `device=`
("cpu", "cuda" or a `tinyreg.device`) and `requires_grad=`, checked before anything is drawn.

Coming from PyTorch: the random functions draw from tinyreg's one generator (`tinyreg.random`,
seeded by `tinyreg.manual_seed`), a NumPy Generator, on the CPU (then moved to the device), so a
seed gives the same numbers on every device, but not the numbers PyTorch's generator gives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from . import random as _random
from . import validate as check
from ._tensor import Tensor
from .autograd.function import op
from .device import Device, check_device, to_device

_REAL = "biuf"  # the NumPy dtype kinds a tensor may hold


def get_default_dtype() -> np.dtype:
    """The dtype of floating tensors made from Python numbers: float32 (torch's default; tinyreg
    has no set_default_dtype)."""
    return dtypes.float32


def _dtype(owner: str, dtype: Any, default: np.dtype, kinds: str = _REAL) -> np.dtype:
    """`dtype` (default if None) as a NumPy dtype: a TypeError for what is not a dtype of real
    numbers, a ValueError for a real dtype not of `kinds` (randn's int64)."""
    if dtype is None:
        return default
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        kind = None
    if kind is None or kind not in _REAL:
        raise TypeError(f"{owner}: dtype must be a dtype of real numbers (e.g. tinyreg.float32), "
                        f"got {dtype!r}")  # fmt: skip
    if kind not in kinds:
        wanted = "a floating dtype" if kinds == "f" else f"a dtype of kind {kinds!r}"
        raise ValueError(f"{owner}: dtype must be {wanted}, got {np.dtype(dtype)}")
    return np.dtype(dtype)


def _options(owner: str, dtype: np.dtype, device: Any, requires_grad: Any) -> Device:
    """Check `device` and `requires_grad` (which needs a floating dtype); the Device."""
    check.boolean(owner, "requires_grad", requires_grad)
    if requires_grad and dtype.kind != "f":
        raise TypeError(f"{owner}: requires_grad=True needs a floating dtype, got {dtype}")
    return check_device("cpu" if device is None else device)


def _new(array: np.ndarray, device: Device, requires_grad: bool) -> Tensor:
    """A new leaf holding `array` (a NumPy array made here) on `device`."""
    return Tensor(to_device(array, device), requires_grad)


def _shape(op: str, shape: tuple) -> tuple[int, ...]:
    """A shape given as ints or as one tuple/list of ints, each >= 0."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    for size in shape:
        if isinstance(size, bool | np.bool_) or not isinstance(size, int | np.integer) or size < 0:
            raise ValueError(f"{op}: shape must be integers >= 0, got {shape}")
    return tuple(int(size) for size in shape)


def _size(op: str, size: Any) -> tuple[int, ...]:
    """A `size=` argument: a tuple or list of ints >= 0 (PyTorch's, for full and randint)."""
    if not isinstance(size, tuple | list):
        raise TypeError(f"{op}: size must be a tuple of ints, got {size!r}")
    return _shape(op, (size,))


# ------------------------------------------------------------------------------- from data
def tensor(data: Any, requires_grad: bool = False, dtype: Any = None,
           device: Any = None) -> Tensor:  # fmt: skip
    """A new leaf tensor, always a copy of `data` (as torch.tensor): float32 for Python floats
    and float lists, int64 for ints, bool for bools; a NumPy array keeps its dtype (float16
    becomes float32). PyTorch's keywords; `requires_grad` may also come second, positionally
    (tinyreg's older spelling)."""
    check.boolean("tensor", "requires_grad", requires_grad)
    dtype = None if dtype is None else _dtype("tensor", dtype, dtypes.float32)
    source = data.data if isinstance(data, Tensor) else data
    out = Tensor(source, requires_grad, dtype)
    if out.device != check_device("cpu" if device is None else device):
        out.data = to_device(out.data, device)  # a new array on the other device
    elif out.data is source or (
        isinstance(source, np.ndarray) and np.may_share_memory(out.data, source)
    ):
        out.data = out.data.copy()  # like torch.tensor, never alias the caller's array
    return out


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """torch.as_tensor: `data` itself if it is a Tensor of that dtype and device (else the
    tensor cast and moved, in the graph); a NumPy array of that dtype becomes a tensor that
    shares its memory (when C-contiguous); anything else is copied."""
    dtype = None if dtype is None else _dtype("as_tensor", dtype, dtypes.float32)
    device = None if device is None else check_device(device)
    out = data if isinstance(data, Tensor) else Tensor(data, dtype=dtype)
    if dtype is not None and out.dtype != dtype:
        out = out.astype(dtype)
    return out if device is None else out.to(device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor that shares the memory of `ndarray` (writes to either show in the other), with
    its dtype (bool, integer, float32 or float64).

    Coming from PyTorch: tinyreg tensors are C-contiguous, so a non-contiguous array (a
    transpose, a strided slice) and a float16 one (which becomes float32) are copied: for those
    the memory is not shared."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: ndarray must be a NumPy array, got a "
                        f"{type(ndarray).__name__}")  # fmt: skip
    return Tensor(ndarray)


# ------------------------------------------------------------------------------- filled
def _filled(owner: str, make: Any, shape: tuple, dtype: Any, device: Any,
            requires_grad: bool, default: np.dtype = dtypes.float32) -> Tensor:  # fmt: skip
    """`make(shape, dtype)` (np.zeros, np.ones, np.empty) as a new tensor, after the checks."""
    dtype = _dtype(owner, dtype, default)
    device = _options(owner, dtype, device, requires_grad)
    return _new(make(shape, dtype), device, requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:  # fmt: skip
    """A tensor of zeros of shape `size` (ints or one tuple), float32 unless `dtype` says."""
    return _filled("zeros", np.zeros, _shape("zeros", size), dtype, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:  # fmt: skip
    """A tensor of ones of shape `size` (ints or one tuple), float32 unless `dtype` says."""
    return _filled("ones", np.ones, _shape("ones", size), dtype, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:  # fmt: skip
    """An uninitialized tensor of shape `size` (its values are whatever the memory held, as
    torch.empty's); float32 unless `dtype` says."""
    return _filled("empty", np.empty, _shape("empty", size), dtype, device, requires_grad)


def _fill_dtype(fill_value: Any) -> np.dtype:
    """PyTorch's dtype for a fill value: bool, int64 for integers, float32 for floats."""
    if isinstance(fill_value, bool | np.bool_):
        return dtypes.bool
    check.number("full", "fill_value", fill_value)  # a real number (NaN and inf included)
    return dtypes.int64 if isinstance(fill_value, int | np.integer) else dtypes.float32


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:  # fmt: skip
    """A tensor of shape `size` (a tuple) filled with `fill_value`; its dtype follows the value
    (bool, int64 for an int, float32 for a float) unless `dtype` says, as torch.full's."""
    shape, default = _size("full", size), _fill_dtype(fill_value)

    def make(shape: tuple, dtype: np.dtype) -> np.ndarray:
        return np.full(shape, fill_value, dtype)

    return _filled("full", make, shape, dtype, device, requires_grad, default)


def _like(owner: str, input: Any, dtype: Any, device: Any) -> tuple[tuple, np.dtype, Any]:
    """(shape, dtype, device) of a `*_like` result: those of `input` unless given."""
    check.instance(owner, "input", input, Tensor, "a Tensor")
    device = input.device if device is None else device
    return input.shape, _dtype(owner, dtype, input.dtype), device


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Zeros of the shape of `input`, with its dtype and device unless given."""
    shape, dtype, device = _like("zeros_like", input, dtype, device)
    return _filled("zeros_like", np.zeros, shape, dtype, device, requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Ones of the shape of `input`, with its dtype and device unless given."""
    shape, dtype, device = _like("ones_like", input, dtype, device)
    return _filled("ones_like", np.ones, shape, dtype, device, requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:  # fmt: skip
    """An uninitialized tensor of the shape of `input`, with its dtype and device unless
    given."""
    shape, dtype, device = _like("empty_like", input, dtype, device)
    return _filled("empty_like", np.empty, shape, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:  # fmt: skip
    """`fill_value` in the shape of `input`, with its dtype (not the value's, as torch.full_like)
    and device unless given."""
    shape, dtype, device = _like("full_like", input, dtype, device)
    return full(shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:  # fmt: skip
    """The n x m identity (ones on the diagonal; m defaults to n), float32 unless `dtype` says."""
    n = check.integer("eye", "n", n, low=0)
    m = n if m is None else check.integer("eye", "m", m, low=0)

    def make(shape: tuple, dtype: np.dtype) -> np.ndarray:
        return np.eye(*shape, dtype=dtype)

    return _filled("eye", make, (n, m), dtype, device, requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:  # fmt: skip
    """start, start + step, ... up to but excluding `end`; arange(end) starts at 0. int64 when
    start, end and step are all integers, else float32, unless `dtype` says (as torch.arange).
    The values are computed in float64 (or int64) and then cast, as PyTorch's are."""
    if end is None:
        start, end = 0, start
    values = [check.number("arange", name, value, finite=True)
              for name, value in (("start", start), ("end", end), ("step", step))]  # fmt: skip
    if values[2] == 0:
        raise ValueError("arange: step must be nonzero, got 0")
    if (values[1] - values[0]) * values[2] < 0:
        raise ValueError(f"arange: end - start and step must have the same sign (or end == "
                         f"start), got start={start}, end={end}, step={step}")  # fmt: skip
    ints = all(isinstance(v, int | np.integer) for v in (start, end, step))
    dtype = _dtype("arange", dtype, dtypes.int64 if ints else dtypes.float32)
    device = _options("arange", dtype, device, requires_grad)
    exact = np.arange(start, end, step, dtype=np.int64 if ints else np.float64)
    return _new(exact.astype(dtype), device, requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:  # fmt: skip
    """`steps` evenly spaced values from start to end, both included (one step: [start]),
    float32 unless `dtype` says; computed in float64, then cast."""
    start = check.number("linspace", "start", start, finite=True)
    end = check.number("linspace", "end", end, finite=True)
    steps = check.integer("linspace", "steps", steps, low=0)
    dtype = _dtype("linspace", dtype, dtypes.float32)
    device = _options("linspace", dtype, device, requires_grad)
    return _new(np.linspace(start, end, steps).astype(dtype), device, requires_grad)


# ------------------------------------------------------------------------------- random
def _drawn(owner: str, draw: Any, shape: tuple, dtype: Any, device: Any, requires_grad: bool,
           default: np.dtype = dtypes.float32, kinds: str = "f") -> Tensor:  # fmt: skip
    """`draw(generator, shape, dtype)` as a new tensor: every argument is checked before the
    generator moves, so a bad call leaves the seeded sequence as it was."""
    dtype = _dtype(owner, dtype, default, kinds)
    device = _options(owner, dtype, device, requires_grad)
    return _new(draw(_random.generator(), shape, dtype), device, requires_grad)


def _uniform(generator: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
    return generator.random(shape, dtype=dtype)


def _standard_normal(generator: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
    return generator.standard_normal(shape, dtype=dtype)


def rand(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Samples of U[0, 1) of shape `size`, float32 unless `dtype` (float64) says, from the
    generator `tinyreg.manual_seed` seeds."""
    return _drawn("rand", _uniform, _shape("rand", size), dtype, device, requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Samples of N(0, 1) of shape `size`, float32 unless `dtype` (float64) says, from the
    generator `tinyreg.manual_seed` seeds."""
    return _drawn("randn", _standard_normal, _shape("randn", size), dtype, device, requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:  # fmt: skip
    """`rand` in the shape of `input`, with its dtype (a floating one) and device unless given."""
    shape, dtype, device = _like("rand_like", input, dtype, device)
    return _drawn("rand_like", _uniform, shape, dtype, device, requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:  # fmt: skip
    """`randn` in the shape of `input`, with its dtype (a floating one) and device unless
    given."""
    shape, dtype, device = _like("randn_like", input, dtype, device)
    return _drawn("randn_like", _standard_normal, shape, dtype, device, requires_grad)


def _integers(owner: str, low: Any, high: Any, dtype: np.dtype) -> tuple[int, int]:
    """`low` < `high`, integers, with [low, high) inside the range of an integer `dtype`."""
    low, high = check.integer(owner, "low", low), check.integer(owner, "high", high)
    if low >= high:
        raise ValueError(f"{owner}: low must be less than high, got low={low}, high={high}")
    if dtype.kind in "iu" and not np.iinfo(dtype).min <= low <= high - 1 <= np.iinfo(dtype).max:
        raise ValueError(f"{owner}: [low, high) = [{low}, {high}) does not fit in {dtype}")
    return low, high


def randint(low: int = 0, high: int | None = None, size: Any = None, *, dtype: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Integers drawn uniformly from [low, high), of shape `size` (a tuple), int64 unless
    `dtype` says: `randint(high, size)` or `randint(low, high, size)`, as torch.randint."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if size is None:
        raise TypeError("randint: size is required, e.g. randint(10, (3,)) or "
                        "randint(0, 10, size=(3,))")  # fmt: skip
    shape = _size("randint", size)
    dtype = _dtype("randint", dtype, dtypes.int64, "iuf")
    low, high = _integers("randint", low, high, dtype)

    def draw(generator: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
        return generator.integers(low, high, shape).astype(dtype)

    return _drawn("randint", draw, shape, dtype, device, requires_grad, kinds="iuf")


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, dtype: Any = None,
                 device: Any = None, requires_grad: bool = False) -> Tensor:  # fmt: skip
    """`randint` in the shape of `input`, with its dtype and device unless given:
    `randint_like(input, high)` or `randint_like(input, low, high)`."""
    shape, dtype, device = _like("randint_like", input, dtype, device)
    if high is None:
        low, high = 0, low
    return randint(low, high, shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randperm(n: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:  # fmt: skip
    """A random permutation of 0 .. n-1, int64 unless `dtype` says."""
    n = check.integer("randperm", "n", n, low=0)

    def draw(generator: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
        return generator.permutation(n).astype(dtype)

    return _drawn("randperm", draw, (n,), dtype, device, requires_grad, dtypes.int64, "iuf")


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:  # fmt: skip
    """Samples of N(mean, std^2), as torch.normal: `normal(mean, std)` with a tensor mean or std
    (or both), broadcast, in their dtype and on their device; or `normal(mean, std, size)` with
    numbers, float32 unless `dtype` says. std must be >= 0.

    Through tensor arguments the result has gradient 0 for mean and std, as PyTorch's (the
    sample is not reparameterized: write mean + std * randn(...) for that)."""
    given = [x for x in (mean, std) if isinstance(x, Tensor)]
    for name, value, low in (("mean", mean, None), ("std", std, 0.0)):
        if not isinstance(value, Tensor):
            check.number("normal", name, value, low=low, finite=True)
    if not given:
        if size is None:
            raise TypeError("normal: with numbers mean and std, size is required (a tuple)")
        shape = _size("normal", size)

        def draw(generator: np.random.Generator, shape: tuple, dtype: np.dtype) -> np.ndarray:
            return (mean + std * generator.standard_normal(shape)).astype(dtype)

        return _drawn("normal", draw, shape, dtype, device, requires_grad)
    if size is not None or dtype is not None or device is not None or requires_grad:
        raise TypeError("normal: size=, dtype=, device= and requires_grad= go with numbers mean "
                        "and std; with a tensor the result follows it")  # fmt: skip
    dtype = np.result_type(*(x.dtype for x in given))
    if dtype.kind != "f":
        raise TypeError(f"normal: mean and std must be floating tensors, got dtype {dtype}")
    m, s = (x.data if isinstance(x, Tensor) else x for x in (mean, std))
    if isinstance(std, Tensor) and bool((s < 0).any()):
        raise ValueError(f"normal: std must be >= 0, got {check.describe(std)}")
    try:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    except ValueError:
        raise ValueError(f"normal: the shapes of mean {np.shape(m)} and std {np.shape(s)} do "
                         f"not broadcast") from None  # fmt: skip
    z = to_device(_random.generator().standard_normal(shape, dtype=dtype), given[0].device)
    out = (m + s * z).astype(dtype, copy=False)
    return op("normal", out, (mean, std), lambda g: (g * 0, g * 0))
