"""The one memory-layout rule of the kernels: arrays arrive C-contiguous.

Elementwise kernels walk an array as one flat run of memory. `flat(array)` gives that 1-D view and
refuses any other layout (transposed, F-ordered, sliced with steps, broadcast with stride 0): a
reshape would silently make a copy, the kernel would write into the copy, and the result would be
lost. Callers (the tinyreg engine) hand kernels C-contiguous arrays they own; a direct caller gets
this error instead of garbage.
"""

from __future__ import annotations

from typing import Any


def flat(array: Any, name: str = "array") -> Any:
    """A 1-D view of a C-contiguous NumPy or device array; ValueError for any other layout."""
    if not array.flags.c_contiguous:
        raise ValueError(
            f"kernels take C-contiguous arrays; {name} of shape {array.shape} has strides "
            f"{array.strides} (make it contiguous with np.ascontiguousarray first)"
        )
    return array.reshape(-1)
