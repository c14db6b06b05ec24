"""The one memory-layout rule of the kernels: arrays arrive C-contiguous.

Elementwise kernels walk an array as one flat run of memory. `flat(array)` gives that 1-D view and
refuses any other layout (transposed, F-ordered, sliced with steps, broadcast with stride 0): a
reshape would silently make a copy, the kernel would write into the copy, and the result would be
lost. The image and batch-norm kernels index in 2-D or 4-D and check with `c_contiguous` (the GPU
cannot receive a strided host buffer in one transfer). Callers (the tinyreg engine) hand kernels
C-contiguous arrays they own; a direct caller gets this error instead of garbage. The NumPy
references accept every layout: they are the oracle the tests compare against.
"""

from __future__ import annotations

from typing import Any


def c_contiguous(array: Any, name: str = "array") -> Any:
    """The array itself if it is C-contiguous; ValueError naming it for any other layout."""
    if not array.flags.c_contiguous:
        raise ValueError(
            f"kernels take C-contiguous arrays; {name} of shape {array.shape} has strides "
            f"{array.strides} (make it contiguous with np.ascontiguousarray first)"
        )
    return array


def flat(array: Any, name: str = "array") -> Any:
    """A 1-D view of a C-contiguous NumPy or device array; ValueError for any other layout."""
    return c_contiguous(array, name).reshape(-1)


def flat_out(array: Any, name: str = "array") -> Any:
    """`flat` for an array the kernel writes: it must also be writable (not a read-only view such
    as np.broadcast_to gives)."""
    if not array.flags.writeable:
        raise ValueError(f"kernels write into {name}, but it is read-only (shape {array.shape})")
    return flat(array, name)
