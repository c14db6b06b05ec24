"""`tinyreg bench train`: milliseconds per training step, tinyreg against PyTorch in one run.

Workloads (float32, SGD momentum 0.9, L2 penalty 1e-4 on the Dense and Conv2d weights, random
data):
    S: MLP 64-256-256-10, batch 64; L: MLP 784-1024-1024-10, batch 512 (BatchNorm1d, ReLU and
       dropout 0.2 after each hidden Dense layer)
    C: CNN on 28x28, batch 128: conv 1->16 5x5 pad 2, BN2d, ReLU, maxpool 2; conv 16->32 5x5
       pad 2, BN2d, ReLU, maxpool 2, Dropout2d 0.1; flatten; Dense 1568->10
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

WORKLOADS = {  # name: (kind, layer sizes or image size, batch)
    "S": ("mlp", (64, 256, 256, 10), 64),
    "L": ("mlp", (784, 1024, 1024, 10), 512),
    "C": ("cnn", (28, 28), 128),
}
L2, LR, MOMENTUM, DROPOUT, DROPOUT2D = 1e-4, 0.01, 0.9, 0.2, 0.1


def _data(kind: str, sizes: tuple, batch: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    shape = (batch, sizes[0]) if kind == "mlp" else (batch, 1, *sizes)
    classes = sizes[-1] if kind == "mlp" else 10
    return rng.standard_normal(shape).astype(np.float32), rng.integers(0, classes, batch)


def _tinyreg_model(kind: str, sizes: tuple):
    from tinyreg import nn

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
    from tinyreg import functional as F
    from tinyreg import optim, reg

    tr.manual_seed(0)
    model = _tinyreg_model(kind, sizes).to(device)
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    penalty = reg.L2(L2)  # Dense and Conv2d weights
    x, y = _data(kind, sizes, batch)
    x = tr.tensor(x, device=device)
    if device == "cuda":
        y = tr.tensor(y, device=device)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y) + penalty(model)
        loss.backward()
        opt.step()

    return step


def _torch_step(kind: str, sizes: tuple, batch: int, device: str = "cpu"):
    import torch

    torch.manual_seed(0)
    model = _torch_model(kind, sizes).to(device)
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear | torch.nn.Conv2d)]
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = (torch.from_numpy(a).to(device) for a in _data(kind, sizes, batch))

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
    kind, sizes, batch = WORKLOADS[workload]
    make_step = _tinyreg_step if framework == "tinyreg" else _torch_step
    sync = _synchronizer(framework, device)
    tiny = (4, 4, 4, 2) if kind == "mlp" else (8, 8)
    make_step(kind, tiny, 4, device)()  # load every kernel (JIT caches, thread pools)
    sync()
    _reset_peak_rss()
    before = _status_kib("VmRSS")  # the framework is warm; no model or data yet
    step = make_step(kind, sizes, batch, device)
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
    """`tinyreg bench train`: time the S, L and C steps of tinyreg and PyTorch and print them."""
    have_torch = torch_available()
    rows = []
    for workload, (kind, sizes, batch) in WORKLOADS.items():
        ours = _in_subprocess("tinyreg", workload, steps, device)
        theirs = _in_subprocess("torch", workload, steps, device) if have_torch else None
        model = "-".join(map(str, sizes)) if kind == "mlp" else "LeNet-style CNN, 28x28"
        rows.append({"workload": workload, "sizes": model, "batch": batch, "tinyreg": ours,
                     "torch": theirs})  # fmt: skip
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
