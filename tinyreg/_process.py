"""What `import tinyreg` sets for the whole process, unless the user set it first.

- OPENBLAS_THREAD_TIMEOUT=20: after each matrix product OpenBLAS (NumPy's BLAS) keeps its threads
  spinning for 2^28 cycles (~0.1 s), where they take the cores from Numba's kernels and NumPy's
  loops (workload C of `tinyreg bench train` took 198 instead of 148 ms); 2^20 cycles (~0.3 ms)
  is long enough for the next product of a small model's step (2^4 made it 37% slower). It only
  works before NumPy loads OpenBLAS: import tinyreg first, or set it yourself.
- OMP_WAIT_POLICY=PASSIVE: Numba's parallel kernels run on GNU OpenMP, whose idle threads spin
  too and took a core from each 2-thread product; they now sleep when idle (read when Numba
  first loads OpenMP), which lets kernels go parallel from 2^20 elements (kernels/_cpu.py).
- glibc malloc keeps freed memory (mmap threshold 32 MiB, trim threshold 1 GiB; skipped when any
  MALLOC_* variable is set, or off glibc): with glibc's defaults, buffers of a few MiB freed by
  one step went back to the operating system and came back as fresh zeroed pages in the next;
  workload M took 1,700 page faults (17 ms of system time) a step, 0.1 with these (2-core EPYC,
  2026-12-07, alternating fresh processes: M 0.90x, C 0.91x the step time, S and L unchanged).
  Freed memory stays with the process for its next arrays instead of going back to the system.

`tinyreg.PROCESS_DEFAULTS` lists what was set; `tinyreg bench train` runs PyTorch under the same
settings (its processes import tinyreg too) and prints them.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (glibc's malloc.h)
MALLOC = {"mmap threshold": 32 << 20, "trim threshold": 1 << 30}


def _environment() -> dict[str, str]:
    """Set the variables the user did not set (OpenBLAS's only while NumPy has not loaded it)."""
    wanted = {"OPENBLAS_THREAD_TIMEOUT": "20", "OMP_WAIT_POLICY": "PASSIVE"}
    if "numpy" in sys.modules:
        del wanted["OPENBLAS_THREAD_TIMEOUT"]  # too late: OpenBLAS has started
    chosen = {name: value for name, value in wanted.items() if name not in os.environ}
    os.environ.update(chosen)
    return chosen


def on_glibc() -> bool:
    """Whether this process runs on glibc (Linux), whose malloc the settings here tune."""
    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def _malloc() -> dict[str, int]:
    """glibc malloc's thresholds, unless the user tuned malloc or the C library is not glibc."""
    if any(name.startswith("MALLOC_") for name in os.environ) or not on_glibc():
        return {}
    libc = ctypes.CDLL(None)
    set_mmap = libc.mallopt(M_MMAP_THRESHOLD, MALLOC["mmap threshold"])
    set_trim = libc.mallopt(M_TRIM_THRESHOLD, MALLOC["trim threshold"])
    return dict(MALLOC) if set_mmap == 1 and set_trim == 1 else {}


def apply_defaults() -> dict[str, object]:
    """Set what the user did not; returns {setting: value} of what was set."""
    return {**_environment(), **{f"malloc {k}": v for k, v in _malloc().items()}}
