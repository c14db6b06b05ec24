"""Which kernel version a CPU array gets (`device.kernels_for`): the NumPy reference below its
family's size in `REFERENCE_BELOW`, the compiled one from there; by size alone, so a small model
compiles nothing and a seed gives the same bits on every run and thread count."""

import os
import subprocess
import sys

import numba
import numpy as np
import pytest
from tinyreg.kernels import rng

import tinyreg as tr
from tinyreg import kernels, nn, optim, reg
from tinyreg.device import REFERENCE_BELOW, kernels_for

ONE_OP = {family: op for op, family in reversed(kernels.FAMILY.items())}  # an op of each family


def test_thresholds_are_powers_of_two_of_known_families():
    # the size classes of kernels_for (by bit length) are exact only for powers of two
    assert set(REFERENCE_BELOW) <= set(kernels.FAMILY.values())
    assert all(t > 0 and t & (t - 1) == 0 for t in REFERENCE_BELOW.values())


@pytest.mark.parametrize("family", sorted(set(kernels.FAMILY.values())))
def test_reference_below_the_threshold_compiled_from_it(family):
    op = ONE_OP[family]
    threshold = REFERENCE_BELOW.get(family, 0)
    for size in {0, 1, threshold // 2, threshold - 1} - {-1}:
        version = "reference" if size < threshold else "cpu"
        assert getattr(kernels_for(np.zeros(size)), op) is getattr(kernels.backend(version), op)
    for size in (threshold, threshold + 1, 2 * threshold + 3, 1 << 26):
        assert getattr(kernels_for(np.zeros(size)), op) is getattr(kernels.backend("cpu"), op)


def test_large_arrays_get_the_compiled_backend_itself():
    assert kernels_for(np.zeros(max(REFERENCE_BELOW.values()))) is kernels.backend("cpu")
    with pytest.raises(AttributeError, match="no kernel 'sgd'"):
        kernels_for(np.zeros(3)).sgd  # noqa: B018


def _sgd_on(size, version):
    values = np.random.default_rng(size).standard_normal((3, size)).astype(np.float32)
    w, g, buf = values
    for first in (True, False):
        kernels.backend(version).sgd_step(w, g, buf, 0.1, 0.9, 0.0, 1e-3, False, first)
    return w, buf


@pytest.mark.parametrize("offset", [-1, 0])
def test_both_sides_of_the_threshold_agree(offset):
    size = REFERENCE_BELOW["optim"] + offset
    w, buf = _sgd_on(size, "reference" if offset < 0 else "cpu")
    w_other, buf_other = _sgd_on(size, "cpu" if offset < 0 else "reference")
    np.testing.assert_allclose(w, w_other, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(buf, buf_other, rtol=1e-6, atol=1e-7)


def test_dropout_mask_does_not_change_at_the_threshold():
    threshold, key = REFERENCE_BELOW["dropout"], rng.stream_key(3, 7)
    masks = {}
    for size in (threshold - 1, threshold):
        x = np.ones(size, np.float32)
        y, mask = np.empty_like(x), np.empty(size, np.uint8)
        kernels_for(x).dropout_forward(x, y, mask, 0.4, key)
        masks[size] = mask
    assert kernels_for(np.ones(threshold - 1)).dropout_forward.__name__.endswith("_reference")
    np.testing.assert_array_equal(masks[threshold - 1], masks[threshold][: threshold - 1])
    assert 0.5 < masks[threshold].mean() < 0.7  # a real mask (keep 0.6), not all ones


def _train(steps=6, width=16):
    """A small run through every family of the rule: penalty, prox, SGD momentum, batch norm,
    dropout; the parameters' bytes at the end."""
    tr.manual_seed(0)
    model = nn.Sequential(nn.Dense(8, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(0.3),
                          nn.Dense(width, 3))  # fmt: skip
    penalty = reg.ElasticNet(1e-3, 1e-3)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, prox=reg.L1(1e-3))
    data = np.random.default_rng(0).standard_normal((steps, 32, 8)).astype(np.float32)
    labels = np.random.default_rng(1).integers(0, 3, (steps, 32))
    model.train()
    for x, y in zip(data, labels, strict=True):
        loss = nn.functional.cross_entropy(model(tr.tensor(x)), tr.tensor(y)) + penalty(model)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [p.data.tobytes() for p in model.parameters()]


def test_same_seed_same_bits_on_every_run_and_thread_count():
    before = numba.get_num_threads()
    runs = []
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS), 1):
            numba.set_num_threads(threads)
            runs.append(_train())
    finally:
        numba.set_num_threads(before)
    assert runs[0] == runs[1] == runs[2]
    assert runs[0] != _train(steps=5)  # the bytes compared do depend on the training


def test_a_small_training_run_compiles_nothing(tmp_path):
    program = (
        "import sys; sys.path.insert(0, sys.argv[1]); from test_kernel_choice import _train; "
        "_train(steps=2)"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", program, os.path.dirname(__file__)], env=env,
                   check=True)  # fmt: skip
    assert not list(tmp_path.rglob("*.nbi")), "a small run compiled a Numba kernel"
