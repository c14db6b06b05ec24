"""`tinyreg bench startup`: what a newcomer waits for before the first result, in fresh processes.

import tinyreg                     median wall time of `import tinyreg` in a new interpreter
compare --quick, cold / warm       wall and CPU time of `tinyreg compare --quick --jobs 1` with an
                                   empty Numba cache (NUMBA_CACHE_DIR set to a new folder), then
                                   again with that cache filled; cold - warm is the JIT compilation
                                   (the CPU seconds are the steadier reading on a shared machine)
compiled                           the functions the cold run compiled (one index file each in
                                   the cache folder), or "nothing"
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def command_seconds(args: list[str], cache_dir: str) -> tuple[float, float]:
    """(wall, CPU) seconds of `python -m tinyreg.app.cli ARGS` with Numba's cache in `cache_dir`;
    CPU is user + system time of the command and its children."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir, "MPLBACKEND": "Agg"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tinyreg.app.cli", *args], env=env, check=True,
                   capture_output=True)  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def compiled_functions(cache_dir: str) -> list[str]:
    """The functions compiled into Numba's cache folder, as `module.function` (from the names of
    its index files, `<module>.<function>-<line>.py<version>.nbi`)."""
    return sorted(path.name.rsplit("-", 1)[0] for path in Path(cache_dir).rglob("*.nbi"))


def main_startup() -> int:
    """Print the start-up table (import time; compare --quick with a cold and a warm cache, and
    what the cold run compiled)."""
    print(f"tinyreg bench startup, on {machine_description()}", flush=True)
    imported = import_seconds()
    print(f"import tinyreg: {imported:.2f} s (median of 3 fresh interpreters)", flush=True)
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        args = ["compare", "--quick", "--jobs", "1", "--out", out]
        cold = command_seconds(args, cache)
        print(f"compare --quick, empty Numba cache: {cold[0]:.1f} s ({cold[1]:.1f} s CPU)",
              flush=True)  # fmt: skip
        compiled = compiled_functions(cache)
        warm = command_seconds(args, cache)
        print(f"compare --quick, warm Numba cache: {warm[0]:.1f} s ({warm[1]:.1f} s CPU)",
              flush=True)  # fmt: skip
    print(f"JIT compilation (cold - warm): {cold[0] - warm[0]:.1f} s ({cold[1] - warm[1]:.1f} s "
          f"CPU); compiled: {', '.join(compiled) or 'nothing'}")  # fmt: skip
    return 0
