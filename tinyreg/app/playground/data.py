"""The playground's points: the generated 2-D sets (moons, spirals, circles and xor from
`tinyreg.datasets`), the learner's own points from a CSV file, and the split into training,
validation and test points.

A generated set has `train_size` training points and HOLDOUT validation and HOLDOUT test points,
drawn together with the seed and split by `tinyreg.datasets.train_val_test_split`. Uploaded
points are split 60/20/20 the same way.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from ... import datasets
from .config import LIMITS, ConfigError

HOLDOUT = 200  # validation points, and as many test points, of a generated set


def generate(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` points of the generated set `name` (moons, circles, spirals with two arms, xor)."""
    if name == "moons":
        return datasets.make_moons(n, noise=noise, seed=seed)
    if name == "spirals":
        return datasets.make_spirals(n, classes=2, noise=noise, seed=seed)
    if name == "circles":
        return datasets.make_circles(n, noise=noise, seed=seed)
    if name == "xor":
        return datasets.make_xor(n, noise=noise, seed=seed)
    raise ConfigError("dataset", name, "moons, circles, spirals or xor")


def parse_csv(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) from CSV text, one point a row: x1, x2, label (a class index 0 .. 7); a first row
    that is not numbers is a header and is skipped. At most LIMITS["csv_bytes"] bytes and
    LIMITS["csv_rows"] rows, finite coordinates, every class 0 .. K-1 present with K >= 2; a
    ConfigError (field "points") naming the row otherwise."""
    if not isinstance(text, str):
        raise ConfigError("points", type(text).__name__, "CSV text")
    if len(text.encode()) > LIMITS["csv_bytes"]:
        raise ConfigError("points", f"{len(text.encode())} bytes",
                          f"a CSV file of at most {LIMITS['csv_bytes']} bytes")  # fmt: skip
    rows = [r for r in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in r)]
    points, labels = [], []
    for number, row in enumerate(rows, start=1):
        try:
            if len(row) != 3:
                raise ValueError
            x1, x2, label = float(row[0]), float(row[1]), float(row[2])
        except ValueError:
            if number == 1 and not points:
                continue  # a header
            raise ConfigError("points", f"row {number}: {','.join(row)[:60]}",
                              "three numbers per row: x1, x2, label") from None  # fmt: skip
        if not (np.isfinite([x1, x2]).all() and abs(x1) <= 1e6 and abs(x2) <= 1e6):
            raise ConfigError("points", f"row {number}: {','.join(row)[:60]}",
                              "finite coordinates of at most 1e6 in size")  # fmt: skip
        if label != int(label) or not 0 <= label < LIMITS["classes"]:
            raise ConfigError("points", f"row {number}: {','.join(row)[:60]}",
                              f"a class label 0 .. {LIMITS['classes'] - 1}")  # fmt: skip
        points.append((x1, x2))
        labels.append(int(label))
        if len(points) > LIMITS["csv_rows"]:
            raise ConfigError("points", f"more than {LIMITS['csv_rows']} rows",
                              f"at most {LIMITS['csv_rows']} points")  # fmt: skip
    y = np.asarray(labels, dtype=np.int64)
    if len(y) < 10 or len(np.unique(y)) < 2 or np.unique(y).tolist() != list(range(y.max() + 1)):
        raise ConfigError(
            "points",
            f"{len(y)} points of classes {sorted(set(labels))}",
            "at least 10 points and every class 0 .. K-1 (K >= 2) present",
        )
    return np.asarray(points, dtype=np.float32), y


@dataclass
class Points:
    """The split points: (X, y) of training, validation and test, the number of classes and
    the square drawn around them (x_min, x_max, y_min, y_max)."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    classes: int
    extent: tuple[float, float, float, float]


def _extent(X: np.ndarray) -> tuple[float, float, float, float]:
    """A square around every point with a margin of a tenth of its side."""
    low, high = X.min(axis=0), X.max(axis=0)
    centre, half = (low + high) / 2, max(float((high - low).max()) / 2, 1e-3) * 1.1
    return (float(centre[0] - half), float(centre[0] + half), float(centre[1] - half),
            float(centre[1] + half))  # fmt: skip


def split(X: np.ndarray, y: np.ndarray, seed: int, holdout: float | int) -> Points:
    """Shuffle with `seed` and split: `holdout` validation and as many test points (a count,
    or a fraction of each)."""
    n = len(X)
    fraction = holdout if isinstance(holdout, float) else holdout / n
    train, val, test = datasets.train_val_test_split(X, y, val=fraction, test=fraction, seed=seed)
    return Points(train, val, test, int(y.max()) + 1, _extent(X))


def load(config: dict, custom: tuple[np.ndarray, np.ndarray] | None) -> Points:
    """The points a configuration asks for: the generated set with its noise, size and seed, or
    the uploaded points (`custom`, split 60/20/20 with the seed)."""
    if config["dataset"] == "custom":
        if custom is None:
            raise ConfigError("dataset", "custom", "a generated set until points are uploaded "
                              "(a CSV file: x1,x2,label)")  # fmt: skip
        return split(*custom, config["seed"], 0.2)
    n = config["train_size"] + 2 * HOLDOUT
    X, y = generate(config["dataset"], n, config["noise"], config["seed"])
    return split(X, y, config["seed"], HOLDOUT)
