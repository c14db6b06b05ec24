"""The global random state that `tinyreg.manual_seed` controls.

Two kinds of randomness draw from it: a NumPy `Generator` (weight init, shuffling, `randn`), and
counter-based streams for the kernels (dropout masks, augmentation parameters), where a value is a
pure function of (seed, stream number, element index) and so is the same on any thread count and
on the GPU. Each call that needs a fresh stream takes the next stream number.
"""

from __future__ import annotations

import numpy as np

_seed = int(np.random.SeedSequence().entropy % 2**63)
_generator = np.random.default_rng(_seed)
_stream = 0
_CHECK = np.random.PCG64(0)  # where set_rng_state tries a state before the generator takes it


def manual_seed(seed: int) -> None:
    """Seed everything tinyreg draws at random, so a CPU run reproduces bit for bit."""
    global _seed, _generator, _stream
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**63:
        raise ValueError(f"manual_seed: seed must be an integer in [0, 2**63), got {seed!r}")
    _seed, _generator, _stream = int(seed), np.random.default_rng(int(seed)), 0


def generator() -> np.random.Generator:
    """The NumPy Generator that `manual_seed` seeds (weight init, shuffling, `randn`)."""
    return _generator


def next_stream() -> tuple[int, int]:
    """(seed, stream number) for one counter-based draw; each call gets a new stream."""
    global _stream
    _stream += 1
    return _seed, _stream


def next_key() -> int:
    """The 64-bit kernel key (kernels/rng.py) of a fresh counter-based stream."""
    from .kernels.rng import stream_key  # here, not at the top: kernels load Numba on first use

    return stream_key(*next_stream())


def get_rng_state() -> dict:
    """The whole random state, to put back later with `set_rng_state`: {"seed", "generator" (the
    NumPy bit generator's state), "stream" (streams taken so far)}. PyTorch returns a uint8
    tensor; tinyreg's is a plain dict (JSON-able), which it also checks when it comes back."""
    return {"seed": _seed, "generator": _generator.bit_generator.state, "stream": _stream}


def set_rng_state(state: dict) -> None:
    """Put back a state that `get_rng_state` returned: the draws that follow are the ones that
    followed it (the generator of `generator()` takes the state in place, as PyTorch's default
    generator does). Checked whole before anything changes."""
    global _seed, _stream
    expected = "a dict from get_rng_state() with 'seed', 'generator' and 'stream'"
    if not isinstance(state, dict) or set(state) != {"seed", "generator", "stream"}:
        raise TypeError(f"set_rng_state: state must be {expected}, got {state!r:.80}")
    seed, stream = state["seed"], state["stream"]
    for name, value in (("seed", seed), ("stream", stream)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
            raise ValueError(f"set_rng_state: state[{name!r}] must be an integer in [0, 2**63), "
                             f"got {value!r}")  # fmt: skip
    try:
        _CHECK.state = state["generator"]  # checked on a scratch generator first
    except (TypeError, ValueError, KeyError) as error:
        kind = type(_CHECK).__name__
        raise ValueError(f"set_rng_state: state['generator'] is not a {kind} state "
                         f"({error})") from None  # fmt: skip
    _generator.bit_generator.state = state["generator"]
    _seed, _stream = seed, stream
