"""The whole engine on a real GPU: every result must equal the CPU's (float32 tolerance).

Skipped (with the reason) where there is no CuPy, no GPU, or Numba runs its CUDA simulator;
`.ci/gpu` runs these with TINYREG_TEST_REAL_CUDA=1 on a GPU machine.
"""

import os

import numpy as np
import pytest

if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
    pytest.skip("Numba's CUDA simulator is on; set TINYREG_TEST_REAL_CUDA=1 on a GPU machine",
                allow_module_level=True)  # fmt: skip
cupy = pytest.importorskip("cupy", reason="GPU tests need CuPy (pip install 'tinyreg[cuda]')")
if cupy.cuda.runtime.getDeviceCount() < 1:
    pytest.skip("no CUDA GPU visible", allow_module_level=True)

import tinyreg as tr  # noqa: E402
from tinyreg import kernels, nn, optim, reg  # noqa: E402
from tinyreg.experiments.recipes import RUNS, build_model  # noqa: E402
from tinyreg.nn import functional as F  # noqa: E402
from tinyreg.training.trainer import Trainer  # noqa: E402
from tinyreg.vision import transforms as augment  # noqa: E402

TOL = dict(rtol=2e-5, atol=2e-5)


def host(array):
    return cupy.asnumpy(array) if isinstance(array, cupy.ndarray) else np.asarray(array)


def both(fn, *arrays):
    """fn on CPU tensors and on GPU tensors: (outputs, input gradients) for each device."""
    results = []
    for device in ("cpu", "cuda"):
        tensors = [tr.tensor(a, requires_grad=True, device=device) for a in arrays]
        out = fn(*tensors)
        out.sum().backward()
        assert out.device == device
        results.append((host(out.data), [host(t.grad.data) for t in tensors]))
    return results


OPS = {
    "arithmetic": lambda a, b: (a + b) * a - b / (a * a + 1.0),
    "matmul": lambda a, b: a @ b.T,
    "reductions": lambda a, b: a.sum(axis=0) + b.mean(axis=0) + a.amax(axis=0),
    "elementwise": lambda a, b: a.exp() + (b * b + 1).log() + (a * a + 1).sqrt() + b.abs(),
    "activations": lambda a, b: a.relu() + b.tanh() + a.sigmoid() + b.softmax() + a.log_softmax(),
    "shape": lambda a, b: tr.concatenate([a, b], 1).reshape(-1)[3:9] * tr.stack([a, b])[1, 0, :6],
    "clip_pow": lambda a, b: a.clip(-0.5, 0.5) + b**2,
}


@pytest.mark.parametrize("name", OPS)
def test_ops_match_cpu(name):
    r = np.random.default_rng(0)
    a, b = (
        r.standard_normal((5, 6)).astype(np.float32),
        r.standard_normal((5, 6)).astype(np.float32),
    )
    (cpu_out, cpu_grads), (gpu_out, gpu_grads) = both(OPS[name], a, b)
    np.testing.assert_allclose(gpu_out, cpu_out, **TOL)
    for g_cpu, g_gpu in zip(cpu_grads, gpu_grads, strict=True):
        np.testing.assert_allclose(g_gpu, g_cpu, **TOL)


def test_losses_match_cpu():
    r = np.random.default_rng(1)
    z, y = r.standard_normal((8, 4)).astype(np.float32), r.integers(0, 4, 8)
    t = r.standard_normal((8, 4)).astype(np.float32)
    for loss in (
        lambda x: F.cross_entropy(x, y),
        lambda x: F.mse_loss(x, t),
        lambda x: F.binary_cross_entropy_with_logits(x, (t > 0).astype(np.float32)),
    ):
        (c, cg), (g, gg) = both(loss, z)
        np.testing.assert_allclose(g, c, **TOL)
        np.testing.assert_allclose(gg[0], cg[0], **TOL)


def test_kernel_dispatch_sends_cupy_arrays_to_cuda():
    from tinyreg.device import kernels_for

    assert kernels_for(cupy.zeros(3)) is kernels.backend("cuda")


def layer_step(device, seed=0):
    tr.manual_seed(seed)
    model = nn.Sequential(nn.Dense(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3),
                          nn.Dense(16, 3)).to(device)  # fmt: skip
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, prox=reg.L1(1e-3))
    x = np.random.default_rng(seed).standard_normal((10, 6)).astype(np.float32)
    y = np.arange(10) % 3
    outs = []
    for _ in range(3):
        opt.zero_grad()
        out = model(tr.tensor(x, device=device))
        loss = F.cross_entropy(out, y) + reg.ElasticNet(1e-3, 1e-2)(model)
        loss.backward()
        opt.step()
        outs.append(host(out.data))
    model.eval()
    outs.append(host(model(tr.tensor(x, device=device)).data))
    return outs, {k: host(v) for k, v in model.state_dict().items()}


def test_layers_penalties_and_optimizer_match_cpu():
    (cpu_outs, cpu_state), (gpu_outs, gpu_state) = layer_step("cpu"), layer_step("cuda")
    for c, g in zip(cpu_outs, gpu_outs, strict=True):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5)  # same dropout masks, too
    for name in cpu_state:
        np.testing.assert_allclose(gpu_state[name], cpu_state[name], rtol=1e-4, atol=1e-5)


def test_adam_state_lives_on_the_gpu():
    model = nn.Sequential(nn.Dense(4, 2)).to("cuda")
    opt = optim.AdamW(model.parameters(), lr=0.01)
    model(tr.tensor(np.ones((3, 4), np.float32), device="cuda")).sum().backward()
    opt.step()
    assert all(isinstance(v, cupy.ndarray) for s in opt.state.values() for v in s.values()
               if hasattr(v, "shape"))  # fmt: skip


def test_augmentation_kernels_match_cpu():
    images = np.random.default_rng(2).random((4, 1, 9, 9)).astype(np.float32)
    matrices = np.zeros((4, 2, 3))
    matrices[:, :, :2] = augment.RandomAffine(30, scale=(0.8, 1.2), seed=0).linear_maps(4)
    cpu_out, gpu_out = np.empty_like(images), cupy.empty(images.shape, np.float32)
    kernels.backend("cpu").affine_warp(images, matrices, 0.0, cpu_out)
    kernels.backend("cuda").affine_warp(cupy.asarray(images), cupy.asarray(matrices), 0.0, gpu_out)
    np.testing.assert_allclose(host(gpu_out), cpu_out, atol=1e-5)


def test_compare_model_trains_like_the_cpu_for_its_first_steps():
    r = np.random.default_rng(3)
    X, y = r.random((96, 8, 8)).astype(np.float32), r.integers(0, 10, 96)
    histories = []
    run = next(r for r in RUNS if r.name == "all")
    for device in ("cpu", "cuda"):
        tr.manual_seed(0)
        model = build_model(run, 64, 10, 32).to(device)
        trainer = Trainer(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.05,
                          momentum=0.9), penalty=reg.L2(1e-3), device=device)  # fmt: skip
        histories.append(trainer.fit(X, y, epochs=2, batch_size=32, seed=0, verbose=0))
    np.testing.assert_allclose(histories[1]["loss"], histories[0]["loss"], rtol=1e-4)
