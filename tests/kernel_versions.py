"""The kernel versions every kernel test runs over: the NumPy reference, the Numba CPU build and the
CUDA build (under Numba's simulator in CI; on the device when TINYREG_TEST_REAL_CUDA=1)."""

import os

import numpy as np
import pytest

from tinyreg import kernels

CUDA_ID = "cuda" if os.environ.get("TINYREG_TEST_REAL_CUDA") == "1" else "cuda-simulator"
VERSIONS = list(kernels.VERSIONS)
VERSION_PARAMS = [pytest.param(v, id=CUDA_ID if v == "cuda" else v) for v in VERSIONS]
COMPILED = ["cpu", "cuda"]  # the versions checked against the reference, the oracle
SIZES = [0, 1, 7, 301, 70_001]  # 301: two CUDA blocks; 70,001: the parallel CPU path
# The CUDA simulator runs one Python thread per GPU thread, so its cases stay small.
VERSION_SIZE = [
    pytest.param(v, n, id=f"{CUDA_ID if v == 'cuda' else v}-{n}")
    for v in VERSIONS
    for n in SIZES
    if not (v == "cuda" and n > 2000 and CUDA_ID != "cuda")
]


def sample(size, dtype, seed=0, zeros=True):
    """Standard normal values with the first fifth set to 0 (sign(0) = 0 must hold)."""
    w = np.random.default_rng(seed).standard_normal(size).astype(dtype)
    if zeros:
        w[: size // 5] = 0.0
    return w
