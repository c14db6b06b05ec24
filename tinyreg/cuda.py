"""torch.cuda's questions about the GPU: `is_available()` and `device_count()`.

tinyreg computes on a GPU through CuPy (device.py), so a GPU is usable when CuPy is installed and
sees one. Asking imports CuPy only if it is installed; `import tinyreg` never does.
"""

from __future__ import annotations

import importlib.util

from . import validate as check
from ._missing import missing_names


def device_count() -> int:
    """The number of GPUs CuPy sees (0 without CuPy, a driver or a GPU), as torch.cuda's.
    tinyreg computes on the first one ("cuda" is "cuda:0")."""
    if importlib.util.find_spec("cupy") is None:
        return 0
    try:
        import cupy

        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # CuPy without a CUDA driver raises its own errors (CUDARuntimeError)
        return 0


def is_available() -> bool:
    """Whether device="cuda" works here: CuPy is installed and sees a GPU (torch.cuda's
    `is_available`)."""
    return device_count() > 0


def manual_seed(seed: int) -> None:
    """Accepted for PyTorch scripts, and nothing to do: tinyreg draws every random number, for
    the GPU too, from the one generator that `tinyreg.manual_seed` seeds (on the CPU, so a seed
    gives the same numbers on every device). `seed` is checked as `tinyreg.manual_seed` does."""
    check.integer("cuda.manual_seed", "seed", seed, low=0, high=2**63 - 1)


manual_seed_all = manual_seed

__getattr__ = missing_names(__name__)
