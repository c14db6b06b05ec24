"""Search spaces: the values a sweep tries for each knob.

A search space maps knob names to values:

    parse_space(["l2=1e-6..1e-1:log:11", "dropout=0,0.2,0.5", "lr=0.01..0.1:4"])

"lo..hi:log:n" is n log-spaced values (lo > 0), "lo..hi:n" n evenly spaced ones, "a,b,c" a list.
`grid(space)` is every combination; `sample(space, budget, seed)` draws `budget` random points
(log-uniform on log ranges). Which knob names exist is the recipe's business
(`recipes.KNOBS`); `parse_space(..., known=...)` checks them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .. import validate as check


@dataclass(frozen=True)
class Knob:
    """One dimension of a search space: a knob's candidate values, and whether they are spaced
    on a log scale (a range "lo..hi:log:n"); `low`/`high` bound random sampling of ranges."""

    name: str
    values: tuple[float, ...]
    log: bool = False
    low: float | None = None
    high: float | None = None


def _number(owner: str, name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{owner}: {name!r} has a value that is not a number: {text!r}") from None


def parse_knob(spec: str) -> Knob:
    """One "name=lo..hi:log:n", "name=lo..hi:n" or "name=a,b,c" specification (a range without
    a count has 5 values): np.geomspace(lo, hi, n) on a log range, np.linspace(lo, hi, n)
    otherwise."""
    owner = "sweep"
    if not isinstance(spec, str) or "=" not in spec:
        raise ValueError(f"{owner}: a knob must look like name=values (e.g. l2=1e-6..1e-1:log:6), "
                         f"got {spec!r}")  # fmt: skip
    name, text = (part.strip() for part in spec.split("=", 1))
    if not name or not text:
        raise ValueError(f"{owner}: empty name or values in {spec!r}")
    if ".." in text:
        bounds, _, rest = text.partition(":")
        lo_text, _, hi_text = bounds.partition("..")
        lo, hi = _number(owner, name, lo_text), _number(owner, name, hi_text)
        parts = rest.split(":") if rest else []
        log = bool(parts) and parts[0] == "log"
        count_text = parts[-1] if parts and parts[-1] != "log" else "5"
        count = int(_number(owner, name, count_text))
        if count < 1:
            raise ValueError(f"{owner}: {name!r} needs at least 1 value, got {count}")
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            raise ValueError(f"{owner}: {name!r} range {lo}..{hi} must have lo <= hi, finite")
        if log and lo <= 0:
            raise ValueError(f"{owner}: {name!r} log range needs lo > 0, got {lo}")
        values = np.geomspace(lo, hi, count) if log else np.linspace(lo, hi, count)
        return Knob(name, tuple(float(v) for v in values), log, lo, hi)
    values = tuple(_number(owner, name, v.strip()) for v in text.split(",") if v.strip())
    if not values:
        raise ValueError(f"{owner}: {name!r} has an empty list of values")
    return Knob(name, values)


def parse_space(specs: Iterable[str] | Mapping[str, Sequence[float]],
                known: Iterable[str] | None = None) -> dict[str, Knob]:  # fmt: skip
    """A search space from specifications (or a {name: values} mapping); `known` lists the knob
    names a builder understands (an unknown one is an error naming the known ones)."""
    if isinstance(specs, Mapping):
        knobs = [Knob(k, tuple(float(v) for v in vs)) for k, vs in specs.items()]
        for knob in knobs:
            if not knob.values:
                raise ValueError(f"sweep: {knob.name!r} has an empty list of values")
    else:
        knobs = [parse_knob(spec) for spec in specs]
    if not knobs:
        raise ValueError("sweep: the search space is empty (give at least one knob)")
    space: dict[str, Knob] = {}
    for knob in knobs:
        if knob.name in space:
            raise ValueError(f"sweep: knob {knob.name!r} is given twice")
        space[knob.name] = knob
    if known is not None:
        names = sorted(known)
        unknown = [k for k in space if k not in names]
        if unknown:
            raise ValueError(f"sweep: unknown knobs {unknown}; known: {', '.join(names)}")
    return space


def grid(space: Mapping[str, Knob]) -> list[dict[str, float]]:
    """Every combination of the knobs' values (the Cartesian product, first knob slowest)."""
    names = list(space)
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(space[n].values for n in names))]  # fmt: skip


def sample(space: Mapping[str, Knob], budget: int, seed: int = 0) -> list[dict[str, float]]:
    """`budget` random points: ranges drawn uniformly (log-uniformly on log ranges:
    exp(U(log lo, log hi))), lists by choice."""
    budget = check.integer("sample", "budget", budget, low=1)
    rng = np.random.default_rng(check.integer("sample", "seed", seed, low=0))
    points = []
    for _ in range(budget):
        point = {}
        for name, knob in space.items():
            if knob.low is None or knob.high is None:
                point[name] = float(knob.values[rng.integers(len(knob.values))])
            elif knob.log:
                point[name] = float(np.exp(rng.uniform(np.log(knob.low), np.log(knob.high))))
            else:
                point[name] = float(rng.uniform(knob.low, knob.high))
        points.append(point)
    return points
