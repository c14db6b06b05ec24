"""`tinyreg bench startup`: what a newcomer waits for before the first result, in fresh processes.

import tinyreg                     median wall time of `import tinyreg` in a new interpreter
compare --quick, cold / warm       wall time of `tinyreg compare --quick --jobs 1` with an empty
                                   Numba cache (NUMBA_CACHE_DIR set to a new folder), then again
                                   with that cache filled; cold - warm is the JIT compilation
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

from .timing import machine_description


def import_seconds(repeats: int = 3) -> float:
    """Median seconds of `import tinyreg` in a fresh interpreter."""
    program = "import time; t = time.perf_counter(); import tinyreg; print(time.perf_counter() - t)"
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                             check=True)  # fmt: skip
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def command_seconds(args: list[str], cache_dir: str) -> float:
    """Wall seconds of `python -m tinyreg.app.cli ARGS` with Numba's cache in `cache_dir`."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir, "MPLBACKEND": "Agg"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tinyreg.app.cli", *args], env=env, check=True,
                   capture_output=True)  # fmt: skip
    return time.perf_counter() - start


def main_startup() -> int:
    """Print the start-up table (import time; compare --quick with a cold and a warm cache)."""
    print(f"tinyreg bench startup, on {machine_description()}", flush=True)
    imported = import_seconds()
    print(f"import tinyreg: {imported:.2f} s (median of 3 fresh interpreters)", flush=True)
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        args = ["compare", "--quick", "--jobs", "1", "--out", out]
        cold = command_seconds(args, cache)
        print(f"compare --quick, empty Numba cache: {cold:.1f} s", flush=True)
        warm = command_seconds(args, cache)
        print(f"compare --quick, warm Numba cache: {warm:.1f} s", flush=True)
    print(f"JIT compilation (cold - warm): {cold - warm:.1f} s")
    return 0
