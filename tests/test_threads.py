"""Threads: set/get_num_threads as PyTorch's, map_tiles (order, BLAS on one thread inside a tile,
errors, nesting), and a convolution that gives the same bits on one thread and on two."""

import threading
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import tinyreg as tr
from tinyreg.nn import functional as F
from tinyreg.nn.functional import conv
from tinyreg.threads import get_num_threads, map_tiles, set_num_threads


def blas_threads() -> int:
    return max(lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas")


@pytest.fixture
def two_threads():
    before = get_num_threads()
    set_num_threads(2)
    yield
    set_num_threads(before)


def test_set_num_threads_sets_blas_and_get_reads_it(two_threads):
    assert tr.get_num_threads() == 2 == blas_threads()
    tr.set_num_threads(1)
    assert tr.get_num_threads() == 1 == blas_threads()


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2", None])
def test_set_num_threads_refuses_what_is_not_a_positive_int(bad, two_threads):
    with pytest.raises(ValueError, match="set_num_threads: n must be a positive int"):
        tr.set_num_threads(bad)
    assert get_num_threads() == 2  # nothing changed


def test_map_tiles_keeps_tile_order_and_uses_both_threads(two_threads):
    seen = set()

    def tile(first, stop):
        seen.add(threading.get_ident())
        assert blas_threads() == 1  # a tile's products never split over BLAS's threads
        time.sleep(0.01)  # long enough for the second thread to take a tile
        return list(range(first, stop))

    tiles = [(i, i + 2) for i in range(0, 20, 2)]
    assert map_tiles(tile, tiles) == [list(range(i, i + 2)) for i in range(0, 20, 2)]
    assert len(seen) == 2
    assert blas_threads() == 2  # put back


def test_an_error_in_a_tile_is_raised_and_later_tiles_do_not_start(two_threads):
    started = []

    def tile(first, stop):
        started.append(first)
        if first == 2:
            raise ValueError("tile 2 failed")
        time.sleep(0.01)

    with pytest.raises(ValueError, match="tile 2 failed"):
        map_tiles(tile, [(i, i + 1) for i in range(100)])
    assert len(started) < 10
    assert blas_threads() == 2


def test_map_tiles_inside_a_tile_runs_serially(two_threads):
    def inner(first, stop):
        return threading.get_ident()

    def outer(first, stop):
        return set(map_tiles(inner, [(0, 1), (1, 2), (2, 3)])) == {threading.get_ident()}

    assert all(map_tiles(outer, [(0, 1), (1, 2), (2, 3), (3, 4)]))


def run_conv(dtype):
    """conv2d forward and every gradient on a batch of many tiles."""
    rng = np.random.default_rng(0)
    x = tr.tensor(rng.standard_normal((30, 3, 9, 9)).astype(dtype), requires_grad=True)
    w = tr.tensor(rng.standard_normal((5, 3, 3, 3)).astype(dtype), requires_grad=True)
    b = tr.tensor(rng.standard_normal(5).astype(dtype), requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    y.backward(tr.tensor(rng.standard_normal(y.shape).astype(dtype)))
    return [t.detach().numpy().copy() for t in (y, x.grad, w.grad, b.grad)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_gives_the_same_bits_on_one_and_two_threads(dtype, monkeypatch, two_threads):
    monkeypatch.setattr(conv, "TILE_VALUES", 1 << 13)  # 3 images (3 * 27 * 81 values) a tile
    assert len(conv._tiles(30, 27 * 81, True)) == 10
    on_two = run_conv(dtype)
    set_num_threads(1)
    on_one = run_conv(dtype)
    for a, b in zip(on_one, on_two, strict=True):
        assert a.tobytes() == b.tobytes()


def test_num_threads_as_pytorch(two_threads):
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            tr.set_num_threads(n)
            assert tr.get_num_threads() == torch.get_num_threads() == n
        for bad in (0, -1):  # refused by both; PyTorch's error is a RuntimeError (README)
            with pytest.raises(RuntimeError):
                torch.set_num_threads(bad)
            with pytest.raises(ValueError):
                tr.set_num_threads(bad)
    finally:
        torch.set_num_threads(before)
