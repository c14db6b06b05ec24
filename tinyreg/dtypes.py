"""PyTorch's dtype names (`tinyreg.float32`, `tinyreg.long`, ...), each one a NumPy dtype.

A tinyreg tensor holds a NumPy (or CuPy) array, so `x.dtype` is a `numpy.dtype`; each name here
is that same object, so `x.dtype == tinyreg.float32` holds and every place that takes a dtype
(`tinyreg.tensor(..., dtype=tinyreg.int64)`, `x.to(tinyreg.float64)`, `model.to(tinyreg.float64)`,
NumPy itself) takes these names. `tinyreg.dtype` is `numpy.dtype`, so
`isinstance(tinyreg.float32, tinyreg.dtype)` holds.

Coming from PyTorch: the names print as NumPy's (`dtype('float32')`, not `torch.float32`).
tinyreg computes in float32 (the default, as PyTorch's) or float64; integer and bool tensors hold
indices, labels and masks. PyTorch's float16/half, bfloat16 and complex dtypes have no tinyreg
name: asking for one raises an AttributeError that says so (tinyreg/_missing.py).
"""

import numpy as np

dtype = np.dtype

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int16 = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)  # PyTorch's names shadow Python's bool, float, int in this module

# PyTorch's other names for the same dtypes
float = float32
double = float64
long = int64
int = int32
short = int16

__all__ = ["bool", "double", "dtype", "float", "float32", "float64", "int", "int8", "int16",
           "int32", "int64", "long", "short", "uint8"]  # fmt: skip
