"""Arrays in every memory layout, for the layout tests of the kernels and of the engine."""

import numpy as np
from hypothesis import strategies as st

LAYOUTS = ["C", "F", "transposed", "strided", "broadcast"]
DTYPES = [np.float32, np.float64]


def in_layout(values: np.ndarray, layout: str) -> np.ndarray:
    """An array equal to `values` (same shape and dtype) laid out in memory as `layout`."""
    if layout == "C":
        return np.array(values, order="C")  # (np.ascontiguousarray makes 0-d arrays 1-d)
    if layout == "F":
        return np.array(values, order="F")
    if layout == "transposed":
        return np.array(values.T, order="C").T
    if layout == "strided":
        wide = np.zeros((*values.shape[:-1], 2 * values.shape[-1]), values.dtype) if (
            values.ndim
        ) else None  # fmt: skip
        if wide is None:
            return values.copy()
        wide[..., ::2] = values
        return wide[..., ::2]
    if layout == "broadcast":  # stride 0 along the first axis: every row the same
        if values.ndim == 0 or values.shape[0] == 0:
            return values.copy()
        return np.broadcast_to(values[:1], values.shape)
    raise AssertionError(layout)


def broadcast_values(values: np.ndarray, layout: str) -> np.ndarray:
    """The values an array in `layout` holds (broadcast repeats the first row)."""
    return np.array(in_layout(values, layout))


shapes = st.sampled_from([(), (1,), (0,), (0, 3), (7,), (4, 5), (3, 1), (2, 3, 4), (64, 33)])


def layout_sample(shape, dtype, seed):
    values = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    if values.size:
        values.reshape(-1)[:: max(1, values.size // 4)] = 0.0  # sign(0) = 0 must hold
    return values
