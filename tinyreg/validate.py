"""Argument checks shared by every public constructor and function.

Each check returns the value in canonical form (a Python float, int or bool, a NumPy array) or
raises before anything changes. The message names the caller, the argument, the value received
and what was expected:

    Dropout: p must be a number in [0, 1], got 1.5
    Trainer.fit: X must be a float array, got dtype complex128

Numbers: Python and NumPy ints and floats are accepted (`np.float32(0.1)`, `np.int64(16)`);
`bool` is not a number here (PyTorch accepts `lr=True`; tinyreg treats it as a mistake). NaN is
never accepted; infinities only where the range is open to them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .device import on_gpu

_INTEGRAL = (int, np.integer)
_REAL = (int, float, np.integer, np.floating)


def unwrap(value: Any) -> Any:
    """The array inside a Tensor; anything else unchanged (NumPy and CuPy arrays have a `.data`
    attribute of their own, a buffer, which must not be taken for a Tensor's array)."""
    if isinstance(value, np.ndarray) or on_gpu(value):
        return value
    return getattr(value, "data", value)


def describe(value: Any) -> str:
    """A short description of a value for an error message (arrays by shape and dtype)."""
    data = unwrap(value)  # a Tensor by its array
    if isinstance(data, np.ndarray) and data.size > 4:
        return f"an array of shape {data.shape} and dtype {data.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def fail(owner: str, name: str, expected: str, value: Any, error: type = ValueError) -> Exception:
    """The error for argument `name` of `owner`: what was expected and what was received."""
    return error(f"{owner}: {name} must be {expected}, got {describe(value)}")


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f" {'>' if low_open else '>='} {low:g}"
    if low is None:
        return f" {'<' if high_open else '<='} {high:g}"
    return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def number(
    owner: str,
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = False,
) -> float:
    """A real number (not bool, not NaN; not infinite with `finite`) in the given interval, as a
    Python float."""
    expected = ("a finite number" if finite else "a number") + _interval(
        low, high, low_open, high_open
    )
    if isinstance(value, bool | np.bool_) or not isinstance(value, _REAL):
        raise fail(owner, name, expected, value, TypeError)
    x = float(value)
    if (
        math.isnan(x)
        or (finite and math.isinf(x))
        or (low is not None and (x < low or (low_open and x == low)))
        or (high is not None and (x > high or (high_open and x == high)))
    ):
        raise fail(owner, name, expected, value)
    return x


def finite(owner: str, name: str, value: Any, low: float | None = None,
           low_open: bool = False) -> float:  # fmt: skip
    """A finite real number, optionally bounded below."""
    return number(owner, name, value, low, None, low_open, finite=True)


def integer(owner: str, name: str, value: Any, low: int | None = None,
            high: int | None = None) -> int:  # fmt: skip
    """An integer (Python or NumPy, not bool, not a float such as 3.0) in [low, high]."""
    expected = "an integer" + _interval(low, high, False, False)
    if isinstance(value, bool | np.bool_) or not isinstance(value, _INTEGRAL):
        raise fail(owner, name, expected, value, TypeError)
    n = int(value)
    if (low is not None and n < low) or (high is not None and n > high):
        raise fail(owner, name, expected, value)
    return n


def boolean(owner: str, name: str, value: Any) -> bool:
    """True or False (NumPy bools too); 0 and 1 are not accepted, as a typo guard."""
    if not isinstance(value, bool | np.bool_):
        raise fail(owner, name, "True or False", value, TypeError)
    return bool(value)


def choice(owner: str, name: str, value: Any, options: tuple) -> Any:
    """One of `options` (compared with ==)."""
    if not isinstance(value, str | int | type(None)) or value not in options:
        raise fail(owner, name, f"one of {options}", value)
    return value


def instance(owner: str, name: str, value: Any, types: type | tuple, expected: str) -> Any:
    """`value` if it is an instance of `types`, else a TypeError naming `expected`."""
    if not isinstance(value, types):
        got = f"a {type(value).__name__}"
        raise TypeError(f"{owner}: {name} must be {expected}, got {got}")
    return value


def pair(owner: str, name: str, value: Any, kind: str = "number") -> tuple:
    """A number applied to both dimensions, or a pair of them, as a tuple of two."""
    check = integer if kind == "int" else number
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise fail(owner, name, f"a {kind} or a pair of them", value)
        return tuple(check(owner, f"{name}[{i}]", v) for i, v in enumerate(value))
    v = check(owner, name, value)
    return v, v


def int_pair(owner: str, name: str, value: Any, low: int) -> tuple[int, int]:
    """An int or a pair of ints, each >= low, as a pair (kernel sizes, strides, padding)."""
    ints = pair(owner, name, value, kind="int")
    if min(ints) < low:
        raise fail(owner, name, f"an int >= {low} or a pair of them", value)
    return ints


def float_array(owner: str, name: str, value: Any, finite_values: bool = True) -> np.ndarray:
    """A floating array from an array, a list or a Tensor.

    float32 and float64 are kept; bool, integer and float16 become float32 (as Keras converts
    inputs; PyTorch would refuse a dtype mismatch in the first matmul). Object, complex and
    string arrays are rejected, and with `finite_values` NaN and Inf are too, naming the first
    bad index.
    """
    data = unwrap(value)
    if on_gpu(data):
        return data  # a device array: checked on the device by the caller, never copied here
    try:
        array = np.asarray(data)
    except (ValueError, TypeError) as error:
        raise fail(owner, name, "an array of numbers", value) from error
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: {name} must be an array of real numbers, got dtype "
                        f"{array.dtype}")  # fmt: skip
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float32)
    if finite_values:
        bad = ~np.isfinite(array)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{owner}: {name} holds a non-finite value ({array[index]}) at "
                             f"index {index if len(index) > 1 else index[0]}")  # fmt: skip
    return array


def label_array(owner: str, name: str, value: Any) -> np.ndarray:
    """Integer class labels from an array, a list or a Tensor (integral floats are refused, as
    PyTorch's cross_entropy refuses float class indices)."""
    data = unwrap(value)
    if on_gpu(data):
        return data
    array = np.asarray(data)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{owner}: {name} must be integer class labels, got dtype {array.dtype}")
    return array
