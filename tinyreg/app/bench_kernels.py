"""`tinyreg bench`: kernel speed measured against the NumPy reference and the copy bandwidth.

For every kernel: the median time over repeats (after a warm-up, so JIT compilation is excluded),
the bytes it must read and write divided by that time (GB/s), its speed-up over the NumPy
reference, and the fraction of the machine's copy bandwidth, measured in the same run as
`np.copyto` of the same number of bytes (single-threaded) and as a parallel copy on all cores
(a Numba `prange` loop, the fair bar for the parallel kernels). The first call's time (loading
from Numba's on-disk cache, or compiling when the cache is cold) is reported separately.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType

import numpy as np
from numba import njit, prange

from .. import kernels
from .options import UsageError
from .timing import machine_description, median_time


@njit(parallel=True, cache=True)
def _parallel_copy(target, source):
    for i in prange(source.size):
        target[i] = source[i]


@dataclass(frozen=True)
class KernelCase:
    """One benchmarked kernel: it must read and write `bytes_per_element` bytes per element.

    `baseline`, when given, replaces the NumPy reference as the thing to beat (e.g. dropout's
    usual NumPy form `x * (rng.random(shape) >= p) / (1 - p)`)."""

    name: str
    op: str
    bytes_per_element: int
    make: Callable[[np.random.Generator, int, np.dtype], tuple]
    baseline: Callable | None = None


def _arrays(count: int, positive: tuple = ()):
    def make(rng, n, dtype):
        arrays = [rng.standard_normal(n, dtype=dtype) for _ in range(count)]
        for i in positive:
            arrays[i] = np.abs(arrays[i])
        return arrays

    return make


def _with(make, *extra):
    return lambda rng, n, dtype: (*make(rng, n, dtype), *extra)


def _dropout_arrays(rng, n, dtype):
    x = rng.standard_normal(n, dtype=dtype)
    return x, np.empty_like(x), np.empty(n, np.uint8), 0.2, 12345


def _dropout_numpy(x, y, mask, p, key):
    keep = np.random.default_rng(key).random(x.shape, dtype=np.float32) >= p
    np.multiply(x, keep, out=y)
    y *= 1 / (1 - p)


def _dropout_backward_arrays(rng, n, dtype):
    g = rng.standard_normal(n, dtype=dtype)
    return g, (rng.random(n, dtype=np.float32) >= 0.2).astype(np.uint8), 0.2, np.empty_like(g)


FEATURES = 1024  # batch-norm cases use (size / 1024, 1024)


def _bn_arrays(rng, n, dtype):
    x = rng.standard_normal((max(n // FEATURES, 2), FEATURES)).astype(dtype)
    ones, zeros = np.ones(FEATURES, dtype), np.zeros(FEATURES, dtype)
    return x, ones, zeros, 1e-5, np.empty_like(x), np.empty(FEATURES), np.empty(FEATURES)


def _bn_backward_arrays(rng, n, dtype):
    x, ones, _, eps, _, mean, var = _bn_arrays(rng, n, dtype)
    mean[:], var[:] = x.mean(0), x.var(0)
    grads = (np.empty_like(x), np.empty(FEATURES, dtype), np.empty(FEATURES, dtype))
    return (rng.standard_normal(x.shape, dtype=dtype), x, ones, mean, var, eps, *grads)


UNITS = 1024  # group kernels: a (size / 1024, 1024) Dense-like weight, one group per column


def _group_arrays(with_grad: bool):
    def make(rng, n, dtype):
        w = rng.standard_normal((max(n // UNITS, 1), UNITS)).astype(dtype)
        factors = rng.uniform(0.5, 1.0, UNITS)
        if with_grad:
            return w, np.zeros_like(w), True, factors
        return w, True, factors

    return make


def _norms_arrays(rng, n, dtype):
    return rng.standard_normal((max(n // UNITS, 1), UNITS)).astype(dtype), True, np.empty(UNITS)


def _normal_arrays(rng, n, dtype):
    return np.empty(n, dtype), 12345


F32 = 4
QUICK_SIZE = 1 << 20  # --quick
CASES: list[KernelCase] = [
    KernelCase("penalty value", "penalty_value", F32, _with(_arrays(1), 1e-4, 1e-3)),
    KernelCase("penalty value+grad", "penalty_value_grad", 3 * F32,
               _with(_arrays(2), 1e-4, 1e-3)),
    KernelCase("prox (elastic net)", "prox", 2 * F32, _with(_arrays(1), 0.01, 1e-4, 1e-3)),
    KernelCase("sgd momentum+wd", "sgd_step", 5 * F32, _with(_arrays(3), 0.01, 0.9, 0.0, 1e-4)),
    KernelCase("adam", "adam_step", 7 * F32, _with(_arrays(4, positive=(3,)), 1e-3)),
    KernelCase("adamw", "adam_step", 7 * F32,
               _with(_arrays(4, positive=(3,)), 1e-3, 0.9, 0.999, 1e-8, 0.01, True)),
    KernelCase("dropout forward", "dropout_forward", 2 * F32 + 1, _dropout_arrays,
               baseline=_dropout_numpy),
    KernelCase("dropout backward", "dropout_backward", 2 * F32 + 1, _dropout_backward_arrays),
    KernelCase("batchnorm forward", "batchnorm_forward", 2 * F32, _bn_arrays),
    KernelCase("batchnorm backward", "batchnorm_backward", 3 * F32, _bn_backward_arrays),
    KernelCase("group norms (group lasso)", "group_norms", F32, _norms_arrays),
    KernelCase("group scale (prox, max-norm)", "group_scale", 2 * F32, _group_arrays(False)),
    KernelCase("group add (penalty grad)", "group_add_scaled", 3 * F32, _group_arrays(True)),
    KernelCase("normal noise", "normal_fill", F32, _normal_arrays,
               baseline=lambda out, key: np.random.default_rng(key).standard_normal(
                   out.shape, out.dtype, out=out)),
]  # fmt: skip


def _device_arrays(backend: str, arrays: tuple) -> tuple[tuple, Callable[[], None], object]:
    """Move the case's arrays to the GPU for the cuda backend; return (args, sync, array module)."""
    if backend != "cuda":
        return arrays, lambda: None, np
    import cupy

    moved = tuple(cupy.asarray(a) if isinstance(a, np.ndarray) else a for a in arrays)
    return moved, cupy.cuda.Device().synchronize, cupy


def copy_bandwidth(
    xp: ModuleType, size: int, repeats: int, sync: Callable[[], None]
) -> tuple[float, float]:
    """GB/s of copying `size` float32 values (read + write), single-threaded `copyto` and a
    parallel copy on all cores: the bars each kernel row is held against. Measured once per run on
    one buffer pair of the kernels' array size (so both sit in the same level of the memory
    hierarchy), and the table needs no second copy of every kernel's data."""
    source = xp.ones(size, dtype=np.float32)
    target = xp.zeros_like(source)
    xp.copyto(target, source)  # touch every page before timing
    parallel_copy = _parallel_copy if xp is np else xp.copyto
    moved = 2 * source.nbytes
    single = median_time(partial(xp.copyto, target, source), repeats, sync)
    parallel = median_time(partial(parallel_copy, target, source), repeats, sync)
    return moved / single / 1e9, moved / parallel / 1e9


def run_kernels(size: int, backends: list[str], repeats: int = 15) -> Iterator[dict]:
    """Measure every kernel case on each backend; yields one row per (case, backend) as soon as
    it is measured (the command prints it right away)."""
    rng = np.random.default_rng(0)
    dtype = np.dtype(np.float32)
    bars = {}
    for backend in backends:
        _, sync, xp = _device_arrays(backend, ())
        bars[backend] = copy_bandwidth(xp, size, repeats, sync)
    for case in CASES:
        reference_time = None
        for backend in ["reference", *backends]:
            args, sync, xp = _device_arrays(backend, case.make(rng, size, dtype))
            kernel = getattr(kernels.backend(backend), case.op)
            if backend == "reference" and case.baseline is not None:
                kernel = case.baseline
            start = time.perf_counter()
            kernel(*args)
            sync()
            first_call = time.perf_counter() - start
            kernel(*args)  # warm-up
            seconds = median_time(partial(kernel, *args), repeats, sync)
            del args
            if backend == "reference":
                reference_time = seconds
                continue
            gbps = case.bytes_per_element * size / seconds / 1e9
            copy_gbps, parallel_copy_gbps = bars[backend]
            yield dict(
                kernel=case.name, size=size, backend=backend, ms=seconds * 1e3, gbps=gbps,
                vs_reference=reference_time / seconds, vs_copy=gbps / copy_gbps,
                vs_parallel_copy=gbps / parallel_copy_gbps, first_call_s=first_call,
            )  # fmt: skip


def _scipy_warp_loop(images: np.ndarray, matrices: np.ndarray) -> None:
    """The same warp as a loop of scipy.ndimage.affine_transform(order=1) calls, per image."""
    from scipy import ndimage

    n, _, h, w = images.shape
    center = np.array([(h - 1) / 2, (w - 1) / 2])
    for i in range(n):
        (a, b, _), (d, e, _) = matrices[i]
        matrix = np.array([[e, d], [b, a]])
        ndimage.affine_transform(images[i, 0], matrix, offset=center - matrix @ center, order=1)


def run_warp(backends: list[str], count: int = 4096, repeats: int = 5) -> list[dict]:
    """Images per second of a random rotation + scaling warp for 28x28 and 8x8 batches."""
    rng = np.random.default_rng(0)
    rows = []
    for side in (28, 8):
        images = rng.random((count, 1, side, side)).astype(np.float32)
        angles = np.deg2rad(rng.uniform(-30, 30, count))
        scales = rng.uniform(0.9, 1.1, count)
        matrices = np.zeros((count, 2, 3))
        matrices[:, 0, 0] = matrices[:, 1, 1] = np.cos(angles) / scales
        matrices[:, 1, 0] = np.sin(angles) / scales
        matrices[:, 0, 1] = -matrices[:, 1, 0]
        out = np.empty_like(images)
        timings = {"reference": None, "scipy loop": None}
        for name, fn in (("reference", kernels.backend("reference").affine_warp),
                         ("scipy loop", None)):  # fmt: skip
            call = (
                partial(fn, images, matrices, 0.0, out)
                if fn
                else partial(_scipy_warp_loop, images, matrices)
            )
            timings[name] = median_time(call, 1 if side == 28 else repeats, lambda: None)
        for backend in backends:
            args, sync, _ = _device_arrays(backend, (images, matrices, 0.0, out))
            kernel = kernels.backend(backend).affine_warp
            kernel(*args)
            seconds = median_time(partial(kernel, *args), repeats, sync)
            rows.append(dict(image=f"{side}x{side}", batch=count, backend=backend,
                             images_per_s=count / seconds,
                             vs_reference=timings["reference"] / seconds,
                             vs_scipy=timings["scipy loop"] / seconds))  # fmt: skip
    return rows


def format_warp_rows(rows: list[dict]) -> str:
    """The warp benchmark as a Markdown table."""
    lines = ["| warp (rotation+scale) | batch | backend | images/s | x NumPy ref | x scipy loop |",
             "|---|---:|---|---:|---:|---:|"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r['image']} | {r['batch']} | {r['backend']} | "
                     f"{r['images_per_s']:,.0f} | {r['vs_reference']:.1f}x | "
                     f"{r['vs_scipy']:.1f}x |")  # fmt: skip
    return "\n".join(lines)


CONV_SHAPES = {  # name: (input (N, C, H, W), weight (O, C, kh, kw)), padding 2: workload C's
    "conv 1->16 5x5, 28x28": ((128, 1, 28, 28), (16, 1, 5, 5)),
    "conv 16->32 5x5, 14x14": ((128, 16, 14, 14), (32, 16, 5, 5)),
}


def run_conv(backends: list[str], repeats: int = 5) -> list[dict]:
    """GFLOP/s of tinyreg's conv2d forward (im2col + one matrix product per tile of images, the
    tiles on every thread; 2 * N*OH*OW * O * K flops) against the machine's sgemm on the whole
    batch's matrix shape (the ceiling), and the bandwidth of one im2col of the whole batch."""
    import tinyreg
    from tinyreg.nn import functional as F

    rng = np.random.default_rng(0)
    rows = []
    for name, (shape, wshape) in CONV_SHAPES.items():
        n, c, h, w = shape
        o, _, kh, kw = wshape
        x = rng.standard_normal(shape).astype(np.float32)
        weight = rng.standard_normal(wshape).astype(np.float32)
        geometry = (kh, kw, 1, 1, 2, 2, 1, 1, h, w)
        cols = np.empty((c * kh * kw, n * h * w), np.float32)
        kernels.backend("reference").im2col(x, cols, *geometry)  # real values for the sgemm
        w2 = weight.reshape(o, -1)
        flops = 2 * cols.shape[0] * cols.shape[1] * o
        sgemm = median_time(partial(np.matmul, w2, cols), repeats, lambda: None)
        for backend in backends:
            if backend != "cpu":
                continue  # the GPU path multiplies with cuBLAS through CuPy; timed by .ci/gpu
            k = kernels.backend(backend)
            inputs = tinyreg.tensor(x), tinyreg.tensor(weight)

            def forward(inputs=inputs):
                with tinyreg.no_grad():
                    return F.conv2d(*inputs, padding=2)

            seconds = median_time(forward, repeats, lambda: None)
            im2col = median_time(partial(k.im2col, x, cols, *geometry), repeats, lambda: None)
            rows.append(dict(conv=name, backend=backend, ms=seconds * 1e3,
                             gflops=flops / seconds / 1e9, sgemm_gflops=flops / sgemm / 1e9,
                             im2col_gbps=(x.nbytes + cols.nbytes) / im2col / 1e9))  # fmt: skip
    return rows


def format_conv_rows(rows: list[dict]) -> str:
    """The conv benchmark as a Markdown table."""
    lines = ["| conv forward (batch 128) | backend | ms | GFLOP/s | sgemm GFLOP/s (same shape) | "
             "of sgemm | im2col GB/s |", "|---|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r['conv']} | {r['backend']} | {r['ms']:.2f} | {r['gflops']:.1f} | "
                     f"{r['sgemm_gflops']:.1f} | {r['gflops'] / r['sgemm_gflops']:.0%} | "
                     f"{r['im2col_gbps']:.1f} |")  # fmt: skip
    return "\n".join(lines)


def cold_start_seconds() -> float:
    """A fresh interpreter: import the kernels and call each CPU kernel once (Numba cache warm)."""
    program = (
        "import time; t = time.perf_counter(); import numpy as np; from tinyreg import kernels; "
        "from tinyreg.app.bench_kernels import CASES; k = kernels.backend('cpu'); "
        "rng = np.random.default_rng(0); "
        "[getattr(k, c.op)(*c.make(rng, 8, np.dtype(np.float32))) for c in CASES]; "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


KERNEL_HEADER = (
    "| kernel | size | backend | median ms | GB/s | x NumPy ref | of np.copyto BW "
    "| of parallel copy BW | first call s |\n"
    "|---|---:|---|---:|---:|---:|---:|---:|---:|"
)


def format_row(r: dict) -> str:
    """One kernel row of the Markdown table."""
    return (
        f"| {r['kernel']} | 2^{np.log2(r['size']):.0f} | {r['backend']} | {r['ms']:.3f} | "
        f"{r['gbps']:.1f} | {r['vs_reference']:.1f}x | {r['vs_copy']:.0%} | "
        f"{r['vs_parallel_copy']:.0%} | {r['first_call_s']:.3f} |"
    )


def format_rows(rows: list[dict]) -> str:
    """The kernel benchmark as a Markdown table."""
    return "\n".join([KERNEL_HEADER, *map(format_row, rows)])


def peak_memory_mib() -> float:
    """This process's peak resident memory so far (Linux and macOS report it in different units)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def main_kernels(size: int, backend: str, json_path: str | None, quick: bool = False) -> int:
    """`tinyreg bench`: measure and print the kernel tables row by row (and write JSON if asked).
    `quick`: arrays of 2^20 elements and fewer repeats, for a first look in a few seconds."""
    backends = ["cpu", "cuda"] if backend == "all" else [backend]
    if "cuda" in backends:
        try:
            import cupy  # noqa: F401
        except ImportError:
            if backend == "cuda":
                raise UsageError("--backend cuda needs CuPy and a GPU: pip install "
                                 "'tinyreg[cuda]'") from None  # fmt: skip
            backends.remove("cuda")
            print("(no CuPy: CUDA kernels skipped)")
    repeats = 5 if quick else 15
    size = min(size, QUICK_SIZE) if quick else size
    print(f"tinyreg bench kernels, float32, on {machine_description()}", flush=True)
    if quick:
        print(f"--quick: 2^{np.log2(size):.0f} elements, so arrays may sit in the CPU's cache; "
              "the default size measures memory bandwidth", flush=True)  # fmt: skip
    print(KERNEL_HEADER, flush=True)
    rows = []
    for row in run_kernels(size, backends, repeats):
        rows.append(row)
        print(format_row(row), flush=True)
    warp_rows = run_warp(backends, count=512 if quick else 4096, repeats=3 if quick else 5)
    print()
    print(format_warp_rows(warp_rows), flush=True)
    conv_rows = run_conv(backends, repeats=2 if quick else 5)
    print()
    print(format_conv_rows(conv_rows), flush=True)
    cold = cold_start_seconds()
    print(f"\ncold import + first call of every CPU kernel (Numba cache warm): {cold:.2f} s")
    print(f"peak memory of this run: {peak_memory_mib():.0f} MiB")
    if json_path:
        from ..experiments.report import write_atomic

        write_atomic(Path(json_path), json.dumps({"machine": machine_description(), "rows": rows,
                                                  "warp": warp_rows, "conv": conv_rows,
                                                  "cold_start_s": cold}, indent=2))  # fmt: skip
    return 0
