"""`Generator`: a random generator of its own, in the shape of `torch.Generator`, for the
`generator=` argument of the samplers, `random_split` and `DataLoader`.

`generator=` takes one of three things: None (the global generator that `tinyreg.manual_seed`
seeds), a `tinyreg.Generator` (`Generator().manual_seed(42)`, as PyTorch's), or a NumPy
`numpy.random.Generator`. Each draw advances it, so two epochs of a `RandomSampler` given the same
generator differ, and the same seed gives the same orders again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import random as _random
from ... import validate as check

# What `torch.Generator().initial_seed()` returns: a new generator is seeded with it, so two new
# generators draw the same numbers until one is reseeded.
DEFAULT_SEED = 67280421310721


class Generator:
    """A random number generator of its own (torch.Generator): a NumPy PCG64 generator inside,
    seeded with 67280421310721 when made (PyTorch's default seed), reseeded by `manual_seed`.

    Coming from PyTorch: the numbers differ from PyTorch's (another algorithm); the same seed
    gives the same tinyreg numbers on every run. `get_state`/`set_state` are not implemented.
    """

    def __init__(self, device: str = "cpu"):
        check.choice("Generator", "device", device, ("cpu",))
        self.device = device
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed with `seed` (an integer in [0, 2**64)); returns the generator itself, so
        `Generator().manual_seed(42)` is one expression, as in PyTorch."""
        self._seed = check.integer("Generator.manual_seed", "seed", seed, 0, 2**64 - 1)
        self._numpy = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._seed

    def seed(self) -> int:
        """Reseed from the operating system's entropy (a non-deterministic seed); returns it."""
        return self.manual_seed(int(np.random.SeedSequence().entropy % 2**64)).initial_seed()


def checked(owner: str, generator: Any) -> Any:
    """`generator` if it is None, a `Generator` or a NumPy Generator, else a TypeError."""
    if generator is not None and not isinstance(generator, Generator | np.random.Generator):
        raise TypeError(f"{owner}: generator must be a tinyreg.Generator, a numpy.random."
                        f"Generator or None, got {check.describe(generator)}")  # fmt: skip
    return generator


def numpy_generator(generator: Generator | np.random.Generator | None) -> np.random.Generator:
    """The NumPy Generator that draws for `generator`: the global one for None."""
    if generator is None:
        return _random.generator()
    if isinstance(generator, Generator):
        return generator._numpy
    return generator
