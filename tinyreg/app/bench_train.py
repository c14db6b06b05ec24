"""`tinyreg bench train`: milliseconds per training step, tinyreg against PyTorch in one run.

Workloads (float32, SGD momentum 0.9, L2 penalty 1e-4 on the Dense weights, dropout 0.2,
BatchNorm1d after each hidden Dense layer, random data):
    S: 64-256-256-10, batch 64        L: 784-1024-1024-10, batch 512
Each framework runs in its own subprocess, so peak memory (the peak RSS, VmHWM, reset after one
step of a tiny model has loaded the framework's kernels, minus the RSS then: what the model, data,
activations, gradients and optimizer state take; Linux only) is measured separately and one
framework's threads never slow the other.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from .timing import machine_description, median_time

WORKLOADS = {"S": ((64, 256, 256, 10), 64), "L": ((784, 1024, 1024, 10), 512)}
L2, LR, MOMENTUM, DROPOUT = 1e-4, 0.01, 0.9, 0.2


def _data(sizes: tuple, batch: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    return x, rng.integers(0, sizes[-1], batch).astype(np.int64)


def _tinyreg_step(sizes: tuple, batch: int, device: str = "cpu"):
    import tinyreg as tr
    from tinyreg import functional as F
    from tinyreg import nn, optim, reg

    tr.manual_seed(0)
    layers = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [nn.Dense(fan_in, fan_out), nn.BatchNorm1d(fan_out), nn.ReLU(),
                   nn.Dropout(DROPOUT)]  # fmt: skip
    model = nn.Sequential(*layers, nn.Dense(sizes[-2], sizes[-1])).to(device)
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    penalty = reg.L2(L2)
    x, y = _data(sizes, batch)
    x = tr.tensor(x, device=device)
    if device == "cuda":
        y = tr.tensor(y, device=device)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y) + penalty(model)
        loss.backward()
        opt.step()

    return step


def _torch_step(sizes: tuple, batch: int, device: str = "cpu"):
    import torch

    torch.manual_seed(0)
    layers = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.BatchNorm1d(fan_out),
                   torch.nn.ReLU(), torch.nn.Dropout(DROPOUT)]  # fmt: skip
    model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-2], sizes[-1])).to(device)
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = (torch.from_numpy(a).to(device) for a in _data(sizes, batch))

    def step():
        opt.zero_grad()
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


def measure(framework: str, workload: str, steps: int, device: str = "cpu") -> dict:
    """Run in this process: ms per step (median) and the peak memory the workload adds (host
    RSS on the CPU; on the GPU, tinyreg's CuPy pool or PyTorch's peak allocation)."""
    sizes, batch = WORKLOADS[workload]
    make_step = _tinyreg_step if framework == "tinyreg" else _torch_step
    sync = _synchronizer(framework, device)
    make_step((4, 4, 4, 2), 4, device)()  # load every kernel (JIT caches, thread pools)
    sync()
    _reset_peak_rss()
    before = _status_kib("VmRSS")  # the framework is warm; no model or data yet
    step = make_step(sizes, batch, device)
    for _ in range(5):
        step()
    seconds = median_time(step, steps, sync)
    return {"ms": seconds * 1e3, "peak_mib": _peak_mib(framework, device, before)}


def _peak_mib(framework: str, device: str, rss_before_kib: int) -> float:
    if device == "cpu":
        return (_status_kib("VmHWM") - rss_before_kib) / 1024
    if framework == "torch":
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    import cupy

    return cupy.get_default_memory_pool().total_bytes() / 2**20


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


def _in_subprocess(framework: str, workload: str, steps: int, device: str) -> dict | None:
    call = f"measure({framework!r}, {workload!r}, {steps}, {device!r})"
    program = f"import json; from tinyreg.app.bench_train import measure; print(json.dumps({call}))"
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    if out.returncode != 0:
        if framework == "torch":
            return None
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def torch_available() -> bool:
    """Whether PyTorch can be imported here."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def main_train(steps: int = 50, json_path: str | None = None, device: str = "cpu") -> int:
    """`tinyreg bench train`: time the S and L steps of tinyreg and PyTorch and print them."""
    have_torch = torch_available()
    rows = []
    for workload, (sizes, batch) in WORKLOADS.items():
        ours = _in_subprocess("tinyreg", workload, steps, device)
        theirs = _in_subprocess("torch", workload, steps, device) if have_torch else None
        rows.append({"workload": workload, "sizes": "-".join(map(str, sizes)), "batch": batch,
                     "tinyreg": ours, "torch": theirs})  # fmt: skip
    print(f"tinyreg bench train, float32, {device}, on {machine_description()}"
          + ("" if have_torch else " (PyTorch not installed: tinyreg only)"))  # fmt: skip
    print(
        "| workload | model | batch | tinyreg ms/step | PyTorch ms/step | ratio | "
        "tinyreg peak MiB | PyTorch peak MiB |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ours, theirs = r["tinyreg"], r["torch"]
        ratio = f"{ours['ms'] / theirs['ms']:.2f}x" if theirs else "-"
        print(
            f"| {r['workload']} | {r['sizes']} | {r['batch']} | {ours['ms']:.2f} | "
            f"{theirs['ms'] if theirs else float('nan'):.2f} | {ratio} | "
            f"{ours['peak_mib']:.1f} | {theirs['peak_mib'] if theirs else float('nan'):.1f} |"
        )
    print("(ratio = tinyreg time / PyTorch time; peak = peak RSS minus RSS of the warm framework)")
    if json_path:
        with open(json_path, "w") as f:
            json.dump({"machine": machine_description(), "rows": rows}, f, indent=2)
    return 0
