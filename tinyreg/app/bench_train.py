"""`tinyreg bench train`: milliseconds per training step, tinyreg against PyTorch in one run.

Workloads (float32, SGD momentum 0.9, L2 penalty 1e-4 on the Dense and Conv2d weights, random
data):
    S: MLP 64-256-256-10, batch 64; L: MLP 784-1024-1024-10, batch 512 (BatchNorm1d, ReLU and
       dropout 0.2 after each hidden Dense layer)
    C: CNN on 28x28, batch 128: conv 1->16 5x5 pad 2, BN2d, ReLU, maxpool 2; conv 16->32 5x5
       pad 2, BN2d, ReLU, maxpool 2, Dropout2d 0.1; flatten; Dense 1568->10
    M: the network of PyTorch's MNIST example (examples/mnist/main.py), batch 64: conv 1->32 3x3,
       ReLU, conv 32->64 3x3, ReLU, maxpool 2, dropout 0.25, flatten, Linear 9216->128, ReLU,
       dropout 0.5, Linear 128->10, log_softmax and nll_loss; Adadelta lr=1.0 and no penalty,
       as the example trains it
Each framework runs in its own subprocess, so peak memory (the peak RSS, VmHWM, reset after one
step of a tiny model has loaded the framework's kernels, minus the RSS then: what the model, data,
activations, gradients and optimizer state take; Linux only) is measured separately and one
framework's threads never slow the other. The two sides alternate over `rounds` (tinyreg, PyTorch,
tinyreg, ...) with the same thread count (OMP/OpenBLAS/MKL/Numba variables), so a slow minute on a
shared machine hits both; a row shows the median over rounds of each round's median step time,
and the range over rounds.

`--profile` adds, per workload, where tinyreg's step time goes (`tinyreg.profiler`), and the same
step on 2-wide layers with batch 2: nearly no arithmetic, so its time is the engine's and Python's
share of a step. `--scaling` times the MLP against batch size, width and thread count.
"""

from __future__ import annotations

import ctypes
import json
import os
import statistics
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from .timing import machine_description, median_time

Spec = tuple[str, tuple[int, ...], int]  # (kind "mlp", "cnn" or "mnist", layer sizes or image
# size, batch)
WORKLOADS: dict[str, Spec] = {
    "S": ("mlp", (64, 256, 256, 10), 64),
    "L": ("mlp", (784, 1024, 1024, 10), 512),
    "C": ("cnn", (28, 28), 128),
    "M": ("mnist", (28, 28), 64),
}
IMAGES = ("cnn", "mnist")  # the kinds whose input is (N, 1, H, W) images
L2, LR, MOMENTUM, DROPOUT, DROPOUT2D = 1e-4, 0.01, 0.9, 0.2, 0.1


def _data(kind: str, sizes: tuple, batch: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    shape = (batch, 1, *sizes) if kind in IMAGES else (batch, sizes[0])
    classes = sizes[-1] if kind == "mlp" else 10
    return rng.standard_normal(shape).astype(np.float32), rng.integers(0, classes, batch)


def _mnist_example(nn, sizes: tuple):
    """PyTorch's MNIST example network (`nn` is torch.nn or tinyreg.nn, which share these names);
    9216 = 64 channels x 12 x 12 on 28x28 images."""
    h, w = sizes
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Flatten(), nn.Linear(64 * ((h - 4) // 2) * ((w - 4) // 2), 128),
        nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10), nn.LogSoftmax(dim=1),
    )  # fmt: skip


def _tinyreg_model(kind: str, sizes: tuple):
    from tinyreg import nn

    if kind == "mnist":
        return _mnist_example(nn, sizes)
    if kind == "cnn":  # LeNet-style: two conv blocks with BN2d, max-pooling, Dropout2d
        h, w = sizes
        return nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Dropout2d(DROPOUT2D), nn.Flatten(), nn.Dense(32 * (h // 4) * (w // 4), 10),
        )  # fmt: skip
    layers = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [nn.Dense(fan_in, fan_out), nn.BatchNorm1d(fan_out), nn.ReLU(),
                   nn.Dropout(DROPOUT)]  # fmt: skip
    return nn.Sequential(*layers, nn.Dense(sizes[-2], sizes[-1]))


def _torch_model(kind: str, sizes: tuple):
    import torch

    nn = torch.nn
    if kind == "mnist":
        return _mnist_example(nn, sizes)
    if kind == "cnn":
        h, w = sizes
        return nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Dropout2d(DROPOUT2D), nn.Flatten(), nn.Linear(32 * (h // 4) * (w // 4), 10),
        )  # fmt: skip
    layers = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [nn.Linear(fan_in, fan_out), nn.BatchNorm1d(fan_out), nn.ReLU(),
                   nn.Dropout(DROPOUT)]  # fmt: skip
    return nn.Sequential(*layers, nn.Linear(sizes[-2], sizes[-1]))


def _tinyreg_step(kind: str, sizes: tuple, batch: int, device: str = "cpu"):
    import tinyreg as tr
    from tinyreg import optim, reg
    from tinyreg.nn import functional as F

    tr.manual_seed(0)
    model = _tinyreg_model(kind, sizes).to(device)
    if kind == "mnist":  # the example's optimizer, no penalty
        opt, penalty = optim.Adadelta(model.parameters(), lr=1.0), None
    else:
        opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        penalty = reg.L2(L2)  # Dense and Conv2d weights
    x, y = _data(kind, sizes, batch)
    x = tr.tensor(x, device=device)
    if device == "cuda":
        y = tr.tensor(y, device=device)

    def step(recorder=None):
        """One training step; given a `profiler.Profile`, zero_grad and the optimizer step are
        timed as its sections (the engine reports the ops itself)."""
        timed = recorder.section if recorder is not None else _untimed
        with timed("zero_grad"):
            opt.zero_grad()
        if penalty is None:
            loss = F.nll_loss(model(x), y)
        else:
            loss = F.cross_entropy(model(x), y) + penalty(model)
        loss.backward()
        with timed("optimizer step"):
            opt.step()

    return step


def _untimed(name: str) -> nullcontext:
    return nullcontext()


def _torch_step(kind: str, sizes: tuple, batch: int, device: str = "cpu"):
    import torch

    torch.manual_seed(0)
    model = _torch_model(kind, sizes).to(device)
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear | torch.nn.Conv2d)]
    if kind == "mnist":
        opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = (torch.from_numpy(a).to(device) for a in _data(kind, sizes, batch))

    def step():
        opt.zero_grad()
        if kind == "mnist":
            loss = torch.nn.functional.nll_loss(model(x), y)
        else:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss = loss + L2 / 2 * sum((w * w).sum() for w in weights)
        loss.backward()
        opt.step()

    return step


def _synchronizer(framework: str, device: str):
    """A function that waits for the GPU (a step's time must include its kernels)."""
    if device == "cpu":
        return lambda: None
    if framework == "torch":
        import torch

        return torch.cuda.synchronize
    import cupy

    return cupy.cuda.Device().synchronize


def measure(framework: str, workload: str | Spec, steps: int, device: str = "cpu") -> dict:
    """Run in this process: ms per step (median) and the peak memory the workload adds (host
    RSS on the CPU; on the GPU, tinyreg's CuPy pool or PyTorch's peak allocation)."""
    return measure_all(framework, [workload], steps, device)[0]


def measure_all(framework: str, workloads: list, steps: int, device: str = "cpu") -> list[dict]:
    """`measure` for several workloads (names or specs) in this process, one after another."""
    make_step = _tinyreg_step if framework == "tinyreg" else _torch_step
    sync = _synchronizer(framework, device)
    results = []
    for workload in workloads:
        kind, sizes, batch = WORKLOADS[workload] if isinstance(workload, str) else workload
        # Load every kernel (JIT caches, thread pools) on a small model whose arrays are still
        # large enough for the compiled versions (device.REFERENCE_BELOW), so loading them does
        # not count in the peak below.
        small = (64, 64, 64, 2) if kind == "mlp" else (8, 8)
        make_step(kind, small, 64, device)()
        sync()
        _release_free_memory()
        _reset_peak_rss()
        before = _status_kib("VmRSS")  # the framework is warm; no model or data yet
        step = make_step(kind, tuple(sizes), batch, device)
        for _ in range(5):
            step()
        seconds = median_time(step, steps, sync)
        results.append({"ms": seconds * 1e3, "peak_mib": _peak_mib(framework, device, before)})
        del step
    return results


def _peak_mib(framework: str, device: str, rss_before_kib: int) -> float:
    if device == "cpu":
        return (_status_kib("VmHWM") - rss_before_kib) / 1024
    if framework == "torch":
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    import cupy

    return cupy.get_default_memory_pool().total_bytes() / 2**20


def _release_free_memory() -> None:
    """Give the memory malloc keeps after frees back to the system (glibc's malloc_trim), so an
    earlier workload's freed arrays, which `import tinyreg`'s malloc settings keep in the process,
    do not hide this workload's peak."""
    from tinyreg._process import on_glibc

    if on_glibc():
        ctypes.CDLL(None).malloc_trim(0)


def _reset_peak_rss() -> None:
    """Reset the kernel's peak-RSS counter (VmHWM) to the current RSS (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")  # fmt: skip


def _environment(threads: int | None) -> dict[str, str]:
    """The environment of a measuring subprocess, the same for both frameworks: this one's
    (with the variables `import tinyreg` set, `tinyreg.PROCESS_DEFAULTS`, which speed up
    PyTorch's steps here too), with `threads` threads for BLAS, OpenMP and Numba."""
    env = dict(os.environ)
    if threads:
        env.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
    return env


def _in_subprocess(framework: str, workloads: list, steps: int, device: str,
                   threads: int | None = None) -> list[dict] | None:  # fmt: skip
    """`measure_all` in a fresh interpreter (with `threads` threads for BLAS, OpenMP and Numba);
    None when PyTorch is missing or fails."""
    call = f"measure_all({framework!r}, {workloads!r}, {steps}, {device!r})"
    program = (
        f"import json; from tinyreg.app.bench_train import measure_all; print(json.dumps({call}))"
    )
    env = _environment(threads)
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        if framework == "torch":
            return None
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def alternating(workloads: list, steps: int, rounds: int, device: str = "cpu",
                threads: int | None = None, with_torch: bool = True) -> list[dict]:  # fmt: skip
    """Per workload: tinyreg's and PyTorch's median ms over `rounds` alternating subprocess runs,
    the range over rounds and the peak memory (None for PyTorch when it is not there)."""
    times: dict[str, list[list[float]]] = {"tinyreg": [], "torch": []}
    peaks: dict[str, list[dict] | None] = {"tinyreg": None, "torch": None}
    for _ in range(rounds):
        for framework in ("tinyreg", "torch") if with_torch else ("tinyreg",):
            results = _in_subprocess(framework, workloads, steps, device, threads)
            if results is None:
                with_torch = False
                continue
            times[framework].append([r["ms"] for r in results])
            peaks[framework] = results
    rows = []
    for i, workload in enumerate(workloads):
        row = {"workload": workload}
        for framework in ("tinyreg", "torch"):
            per_round = [t[i] for t in times[framework]]
            row[framework] = None if not per_round else {
                "ms": statistics.median(per_round), "min_ms": min(per_round),
                "max_ms": max(per_round), "peak_mib": peaks[framework][i]["peak_mib"],
                "rounds_ms": per_round,
            }  # fmt: skip
        rows.append(row)
    return rows


def torch_available() -> bool:
    """Whether PyTorch can be imported here."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _ms(side: dict | None) -> str:
    if side is None:
        return "-"
    return f"{side['ms']:.2f} [{side['min_ms']:.2f}, {side['max_ms']:.2f}]"


def _ratio(row: dict) -> str:
    """tinyreg's median / PyTorch's, and [min, max] of the ratio within each round (the two
    sides of a round ran one right after the other)."""
    if not row["torch"]:
        return "-"
    pairs = zip(row["tinyreg"]["rounds_ms"], row["torch"]["rounds_ms"], strict=False)  # PyTorch
    rounds = [a / b for a, b in pairs]  # may stop early (it failed): the rounds both ran
    return (f"{row['tinyreg']['ms'] / row['torch']['ms']:.2f}x [{min(rounds):.2f}, "
            f"{max(rounds):.2f}]")  # fmt: skip


def describe(spec: Spec) -> str:
    """A workload's model in words, for the tables."""
    kind, sizes, _ = spec
    if kind == "mnist":
        return "PyTorch's MNIST example CNN, 28x28"
    return "-".join(map(str, sizes)) if kind == "mlp" else "LeNet-style CNN, 28x28"


def format_table(rows: list[dict]) -> str:
    """The main comparison (S, L, C, M) as a Markdown table."""
    lines = [
        "| workload | model | batch | tinyreg ms/step | PyTorch ms/step | ratio | "
        "tinyreg peak MiB | PyTorch peak MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        spec = WORKLOADS[r["workload"]]
        theirs = f"{r['torch']['peak_mib']:.1f}" if r["torch"] else "-"
        lines.append(f"| {r['workload']} | {describe(spec)} | {spec[2]} | {_ms(r['tinyreg'])} | "
                     f"{_ms(r['torch'])} | {_ratio(r)} | {r['tinyreg']['peak_mib']:.1f} | "
                     f"{theirs} |")  # fmt: skip
    return "\n".join(lines)


# ----------------------------------------------------------------------------- profile
def profile_rows(workload: str, steps: int = 10) -> tuple[list[tuple[str, float, float]], float]:
    """Where tinyreg's step time goes: (op, forward ms, backward ms) per step, largest first, with
    the optimizer and zero_grad as their own rows; and the step time on 2-wide layers, batch 2."""
    from tinyreg.profiler import profile

    kind, sizes, batch = WORKLOADS[workload]
    step = _tinyreg_step(kind, sizes, batch)
    for _ in range(steps):  # warm
        step()
    with profile() as recorder:
        for _ in range(steps):
            step(recorder)
    ops: dict[str, list[float]] = {}
    for (phase, op), seconds in recorder.seconds.items():
        entry = ops.setdefault(op, [0.0, 0.0])
        entry[phase == "backward"] += seconds * 1e3 / steps
    rows = sorted(((op, f, b) for op, (f, b) in ops.items()), key=lambda r: -(r[1] + r[2]))
    tiny_step = _tinyreg_step(kind, (2, 2, 2, sizes[-1]) if kind == "mlp" else (8, 8), 2)
    tiny_step()
    overhead = median_time(tiny_step, steps, lambda: None) * 1e3
    return rows, overhead


def format_profile(workload: str, rows: list[tuple[str, float, float]], overhead: float) -> str:
    """The profile of one workload as a Markdown table."""
    total = sum(f + b for _, f, b in rows)
    lines = [f"Workload {workload} ({describe(WORKLOADS[workload])}), tinyreg, per step:",
             "| op | forward ms | backward ms | share |", "|---|---:|---:|---:|"]  # fmt: skip
    for op, forward, backward in rows:
        lines.append(
            f"| {op} | {forward:.3f} | {backward:.3f} | {(forward + backward) / total:.0%} |"
        )
    lines.append(f"| **step** | | | {total:.2f} ms |")
    lines.append(
        f"The same step on 2-wide layers, batch 2 (engine and Python only): {overhead:.2f} ms"
        f" = {overhead / total:.0%} of this step."
    )
    return "\n".join(lines)


def torch_profile_rows(workload: str, steps: int = 10, top: int = 12,
                       threads: int | None = None) -> list[tuple[str, float]] | None:  # fmt: skip
    """PyTorch's side of the profile, in a fresh interpreter: (aten op, self CPU ms per step) of
    the `top` most expensive ops over `steps` steps, from torch.profiler; None if it fails."""
    program = (
        "import json, torch; from torch.profiler import profile, ProfilerActivity\n"
        "from tinyreg.app.bench_train import WORKLOADS, _torch_step\n"
        f"step = _torch_step(*WORKLOADS[{workload!r}])\n"
        f"for _ in range({steps}): step()\n"
        "with profile(activities=[ProfilerActivity.CPU]) as recorder:\n"
        f"    for _ in range({steps}): step()\n"
        "rows = sorted(((e.key, e.self_cpu_time_total / 1e3 / "
        f"{steps}) for e in recorder.key_averages()), key=lambda r: -r[1])\n"
        f"print(json.dumps(rows[:{top}]))"
    )
    env = _environment(threads)
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        return None
    return [tuple(row) for row in json.loads(out.stdout.strip().splitlines()[-1])]


def format_torch_profile(workload: str, rows: list[tuple[str, float]]) -> str:
    """PyTorch's profile of one workload as a Markdown table (self CPU time: an op's own time,
    without the ops it calls)."""
    lines = [f"PyTorch, the same step, torch.profiler, per step (the {len(rows)} largest ops):",
             "| aten op | self CPU ms |", "|---|---:|"]  # fmt: skip
    lines += [f"| {name} | {ms:.3f} |" for name, ms in rows]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- scaling
def scaling_specs() -> dict[str, list[Spec]]:
    """The MLP of L (two hidden layers) against batch size and width."""
    return {
        "batch": [("mlp", (784, 1024, 1024, 10), b) for b in (32, 128, 512, 2048)],
        "width": [("mlp", (784, h, h, 10), 512) for h in (256, 512, 1024, 1536, 2048)],
    }


def format_scaling(title: str, key: str, rows: list[dict]) -> str:
    """One scaling table (rows from `alternating`)."""
    lines = [f"{title}:", f"| {key} | tinyreg ms/step | PyTorch ms/step | ratio |",
             "|---:|---:|---:|---:|"]  # fmt: skip
    for r in rows:
        kind, sizes, batch = r["workload"]
        value = batch if key == "batch" else sizes[1]
        lines.append(f"| {value} | {_ms(r['tinyreg'])} | {_ms(r['torch'])} | {_ratio(r)} |")
    return "\n".join(lines)


def main_train(steps: int = 50, json_path: str | None = None, device: str = "cpu",
               rounds: int = 3, profile: bool = False, scaling: bool = False,
               workloads: list[str] | None = None, threads: int | None = None) -> int:  # fmt: skip
    """`tinyreg bench train`: time the S, L, C and M steps (or `workloads`) of tinyreg and
    PyTorch on `threads` threads (all cores by default) and print them (and, if asked, the
    per-op profiles of both and the scaling tables)."""
    have_torch = torch_available()
    workloads = workloads or list(WORKLOADS)
    import tinyreg

    print(f"tinyreg bench train, float32, {device}, on {machine_description()}, "
          f"{threads or os.cpu_count()} threads, {rounds} alternating rounds of {steps} steps"
          + ("" if have_torch else " (PyTorch not installed: pip install 'tinyreg[bench]')"),
          flush=True)  # fmt: skip
    if tinyreg.PROCESS_DEFAULTS:  # PyTorch's processes import tinyreg too (this module)
        settings = ", ".join(f"{k}={v}" for k, v in tinyreg.PROCESS_DEFAULTS.items())
        print(f"Both frameworks run with what `import tinyreg` sets: {settings}", flush=True)
    rows = alternating(workloads, steps, rounds, device, threads, with_torch=have_torch)
    print(format_table(rows))
    print("(ms: median over rounds [min, max]; ratio = tinyreg time / PyTorch time [min, max of "
          "the ratio within a round]; peak = peak RSS minus RSS of the warm framework)",
          flush=True)  # fmt: skip
    result = {"machine": machine_description(), "threads": threads, "rows": rows}
    if profile:
        if threads:  # the profile runs in this process
            tinyreg.set_num_threads(threads)
        result["profile"], result["torch_profile"] = {}, {}
        for workload in workloads:
            ops, overhead = profile_rows(workload)
            print()
            print(format_profile(workload, ops, overhead), flush=True)
            result["profile"][workload] = {"ops": ops, "overhead_ms": overhead}
            torch_ops = torch_profile_rows(workload, threads=threads) if have_torch else None
            if torch_ops:
                print(format_torch_profile(workload, torch_ops), flush=True)
                result["torch_profile"][workload] = torch_ops
    if scaling:
        result["scaling"] = {}
        for key, specs in scaling_specs().items():
            scaled = alternating(specs, max(5, steps // 5), rounds, device, with_torch=have_torch)
            title = ("Batch size (784-1024-1024-10)" if key == "batch"
                     else "Width h (784-h-h-10, batch 512)")  # fmt: skip
            print()
            print(format_scaling(title, key, scaled), flush=True)
            result["scaling"][key] = scaled
        threads = {n: alternating(["S", "L"], steps, rounds, device, n, have_torch)
                   for n in (1, os.cpu_count())}  # fmt: skip
        print("\nThreads (S and L):\n| threads | workload | tinyreg ms/step | PyTorch ms/step | "
              "ratio |\n|---:|---|---:|---:|---:|")  # fmt: skip
        for n, scaled in threads.items():
            for r in scaled:
                print(f"| {n} | {r['workload']} | {_ms(r['tinyreg'])} | {_ms(r['torch'])} | "
                      f"{_ratio(r)} |")  # fmt: skip
        result["threads"] = threads
    if json_path:
        from ..experiments.report import write_atomic

        write_atomic(Path(json_path), json.dumps(result, indent=2))
    return 0
