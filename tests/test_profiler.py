"""tinyreg.profiler: each op's forward and backward time lands on its name, engine bookkeeping on
its own row, and the engine stops reporting when the profile ends."""

import time

import numpy as np
import pytest

import tinyreg as tr
from tinyreg.nn import functional as F
from tinyreg.profiler import BOOKKEEPING, profile


def slow_square(x, forward_seconds=0.0, backward_seconds=0.0):
    """x^2 whose forward and backward take (at least) the given time."""
    time.sleep(forward_seconds)

    def backward(g):
        time.sleep(backward_seconds)
        return (2 * x.data * g,)

    return tr.op("slow_square", x.data**2, (x,), backward)


def test_forward_and_backward_time_land_on_the_op():
    x = tr.tensor(np.ones(3), requires_grad=True)
    with profile() as p:
        p.restart_clock()
        y = slow_square(x, forward_seconds=0.03)
        loss = slow_square(y, backward_seconds=0.05).sum()
        loss.backward()
    assert p.seconds["forward", "slow_square"] >= 0.03
    assert p.seconds["backward", "slow_square"] >= 0.05
    assert p.calls["forward", "slow_square"] == 2 and p.calls["backward", "slow_square"] == 2
    assert p.calls["forward", "sum"] == 1
    assert 0 <= p.seconds["backward", BOOKKEEPING] < 0.03  # the sleeps are not bookkeeping
    np.testing.assert_allclose(x.grad, 4 * np.ones(3))  # profiling changes no gradient


def test_sections_time_code_outside_the_engine():
    with profile() as p:
        with p.section("optimizer step"):
            time.sleep(0.02)
    assert p.seconds["optimizer step", "optimizer step"] >= 0.02
    assert p.total() >= 0.02


def test_the_engine_stops_reporting_after_the_profile():
    x = tr.tensor(np.ones(2), requires_grad=True)
    with profile() as p:
        F.relu(x)
    recorded = dict(p.calls)
    F.relu(x).sum().backward()
    assert dict(p.calls) == recorded
    with profile(), pytest.raises(RuntimeError, match="already active"):
        with profile():
            pass
