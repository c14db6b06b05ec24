"""Grad mode per thread, enable_grad and set_grad_enabled as in PyTorch; the random state read
and put back whole (get_rng_state / set_rng_state)."""

import re
import threading

import pytest

import tinyreg as tr


def records(x):
    return (x * 2).requires_grad


def test_no_grad_in_one_thread_leaves_another_recording():
    x = tr.ones(3, requires_grad=True)
    inside, other = threading.Event(), {}

    def second_thread():
        inside.wait()
        other["enabled"], other["records"] = tr.is_grad_enabled(), records(x)

    thread = threading.Thread(target=second_thread)
    thread.start()
    with tr.no_grad():
        inside.set()
        thread.join()
        assert not records(x) and not tr.is_grad_enabled()
    assert other == {"enabled": True, "records": True}  # PyTorch: grad mode is thread-local


def test_a_new_thread_starts_recording_even_if_its_parent_does_not():
    seen = []
    with tr.no_grad():
        thread = threading.Thread(target=lambda: seen.append(tr.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]


def test_enable_grad_and_set_grad_enabled():
    x = tr.ones(2, requires_grad=True)
    with tr.no_grad():
        with tr.enable_grad():
            assert records(x)
        assert not records(x)
    assert tr.enable_grad()(records)(x)
    with tr.set_grad_enabled(False):
        assert not records(x)
    assert records(x)
    tr.set_grad_enabled(False)  # as a call: from now on, as in PyTorch
    try:
        assert not records(x)
    finally:
        tr.set_grad_enabled(True)
    assert records(x)
    with pytest.raises(TypeError, match="set_grad_enabled: mode must be True or False, got 0"):
        tr.set_grad_enabled(0)


def test_no_grad_decorator_keeps_the_name_and_restores_the_mode():
    @tr.no_grad()
    def double(x):
        """doc"""
        return records(x)

    assert double.__name__ == "double" and double.__doc__ == "doc"
    assert not double(tr.ones(1, requires_grad=True)) and tr.is_grad_enabled()


def draws():
    return tr.randn(3).numpy().tolist(), tr.random.next_stream()


def test_rng_state_round_trip_gives_the_same_draws():
    tr.manual_seed(5)
    tr.randn(4)
    state = tr.get_rng_state()
    first = draws()
    tr.manual_seed(99)
    tr.set_rng_state(state)
    assert draws() == first
    assert tr.get_rng_state() != state  # draws advance it


@pytest.mark.parametrize("bad, error, words", [
    (None, TypeError, "set_rng_state: state must be a dict from get_rng_state()"),
    ({"seed": 1}, TypeError, "set_rng_state: state must be a dict"),
    ({"seed": -1, "generator": {}, "stream": 0}, ValueError, "state['seed'] must be an integer"),
    ({"seed": 1, "generator": {"state": 3}, "stream": 0}, ValueError,
     "state['generator'] is not a PCG64 state"),
])  # fmt: skip
def test_a_bad_rng_state_changes_nothing(bad, error, words):
    tr.manual_seed(3)
    before = tr.get_rng_state()
    with pytest.raises(error, match=re.escape(words)):
        tr.set_rng_state(bad)
    assert tr.get_rng_state() == before


def grad_mode_story(lib):
    """What a script sees of grad mode: per thread, enable_grad inside no_grad, set_grad_enabled
    as a call and as a block (the same steps on PyTorch and on tinyreg)."""
    x = lib.ones(2, requires_grad=True)
    seen = []
    with lib.no_grad():
        thread = threading.Thread(target=lambda: seen.append((x * 2).requires_grad))
        thread.start()
        thread.join()
        seen.append((x * 2).requires_grad)
        with lib.enable_grad():
            seen.append((x * 2).requires_grad)
    with lib.set_grad_enabled(False):
        seen.append(lib.is_grad_enabled())
    seen.append(lib.is_grad_enabled())
    lib.set_grad_enabled(False)
    seen.append((x * 2).requires_grad)
    lib.set_grad_enabled(True)
    seen.append(lib.no_grad()(lambda: (x * 2).requires_grad)())
    return seen


def test_grad_mode_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert grad_mode_story(tr) == grad_mode_story(torch)
