"""Search spaces: the values a sweep tries for each knob.

A search space maps knob names to values:

    parse_space(["l2=1e-6..1e-1:log:11", "dropout=0,0.2,0.5", "lr=0.01..0.1:4"])

"lo..hi:log:n" is n log-spaced values (lo > 0), "lo..hi:n" n evenly spaced ones, "a,b,c" a list.
`grid(space)` is every combination; `sample(space, budget, seed)` draws `budget` random points
(log-uniform on log ranges). Which knob names exist is the recipe's business
(`recipes.KNOBS`); `parse_space(..., known=...)` checks them.

Every specification is checked whole before anything is made: an option other than "log" (a
typo such as "lo..hi:lgo:5") is an error, not a linear grid; values are finite and distinct.
Sizes are checked before memory is allocated: a knob of more than MAX_POINTS values, a grid of
more than MAX_POINTS points and a budget above MAX_POINTS are refused, with a message that
suggests random points (`--budget N`, `sample`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .. import validate as check

MAX_POINTS = 10_000  # the most points a sweep tries (and values a knob has)


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
        value = float(text)
    except ValueError:
        raise ValueError(f"{owner}: {name!r} has a value that is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{owner}: {name!r} values must be finite numbers, got {text!r}")
    return value


def _count(owner: str, name: str, text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise ValueError(f"{owner}: {name!r} range count must be an integer, got "
                         f"{text!r}") from None  # fmt: skip
    if not 1 <= count <= MAX_POINTS:
        raise ValueError(f"{owner}: {name!r} range count must be an integer in [1, "
                         f"{MAX_POINTS}], got {count}; for random points in the range give it "
                         "without a count (lo..hi or lo..hi:log) and --budget N (Python: "
                         "sample(space, budget))")  # fmt: skip
    return count


def _distinct(owner: str, name: str, values: Sequence[float]) -> tuple[float, ...]:
    seen: set[float] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{owner}: {name!r} has the value {value:g} twice (each point is "
                             "tried once)")  # fmt: skip
        seen.add(value)
    return tuple(values)


def parse_knob(spec: str) -> Knob:
    """One "name=lo..hi:log:n", "name=lo..hi:n", "name=lo..hi:log", "name=lo..hi" or
    "name=a,b,c" specification (a range without a count has 5 values): np.geomspace(lo, hi, n)
    on a log range, np.linspace(lo, hi, n) otherwise. Anything else is a ValueError naming the
    specification (before any array is made)."""
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
        options = parts[1:] if log else parts
        if len(options) > 1 or (options and not options[0].strip().lstrip("+-").isdigit()):
            raise ValueError(f"{owner}: {name!r} range must be lo..hi, lo..hi:n, lo..hi:log or "
                             f"lo..hi:log:n (n an integer), got {text!r}")  # fmt: skip
        count = _count(owner, name, options[0]) if options else 5
        if lo > hi or (lo == hi and count > 1):
            raise ValueError(f"{owner}: {name!r} range {lo:g}..{hi:g} must have lo <= hi (lo < hi "
                             "for more than one value)")  # fmt: skip
        if log and lo <= 0:
            raise ValueError(f"{owner}: {name!r} log range needs lo > 0, got {lo:g}")
        values = np.geomspace(lo, hi, count) if log else np.linspace(lo, hi, count)
        return Knob(name, _distinct(owner, name, [float(v) for v in values]), log, lo, hi)
    items = [v.strip() for v in text.split(",")]
    if len(items) > MAX_POINTS:
        raise ValueError(f"{owner}: {name!r} lists {len(items)} values, more than {MAX_POINTS}")
    values = tuple(_number(owner, name, v) for v in items if v)
    if not values:
        raise ValueError(f"{owner}: {name!r} has an empty list of values")
    return Knob(name, _distinct(owner, name, values))


def parse_space(specs: Iterable[str] | Mapping[str, Sequence[float]],
                known: Iterable[str] | None = None) -> dict[str, Knob]:  # fmt: skip
    """A search space from specifications (or a {name: values} mapping); `known` lists the knob
    names a builder understands (an unknown one is an error naming the known ones)."""
    owner = "sweep"
    if isinstance(specs, str) or not isinstance(specs, Iterable):
        raise check.fail(owner, "specs", "a list of specifications such as "
                         "['l2=1e-6..1e-1:log:6'] or a {name: values} mapping", specs,
                         TypeError)  # fmt: skip
    if isinstance(specs, Mapping):
        knobs = []
        for name, values in specs.items():
            if not isinstance(name, str) or not name:
                raise check.fail(owner, "a knob name", "a non-empty str", name, TypeError)
            if isinstance(values, str) or not isinstance(values, Sequence):
                raise check.fail(owner, f"{name!r}", "a list of numbers", values, TypeError)
            if len(values) > MAX_POINTS:
                raise ValueError(f"{owner}: {name!r} lists {len(values)} values, more than "
                                 f"{MAX_POINTS}")  # fmt: skip
            numbers = [check.finite(owner, f"{name!r} value", v) for v in values]
            if not numbers:
                raise ValueError(f"{owner}: {name!r} has an empty list of values")
            knobs.append(Knob(name, _distinct(owner, name, numbers)))
    else:
        knobs = [parse_knob(spec) for spec in specs]
    if not knobs:
        raise ValueError(f"{owner}: the search space is empty (give at least one knob)")
    space: dict[str, Knob] = {}
    for knob in knobs:
        if knob.name in space:
            raise ValueError(f"{owner}: knob {knob.name!r} is given twice")
        space[knob.name] = knob
    if known is not None:
        names = sorted(known)
        unknown = [k for k in space if k not in names]
        if unknown:
            raise ValueError(f"{owner}: unknown knobs {unknown}; known: {', '.join(names)}")
    return space


def grid_size(space: Mapping[str, Knob]) -> int:
    """How many points `grid(space)` has (the product of the knobs' value counts), computed
    without making them."""
    return math.prod(len(knob.values) for knob in space.values())


def grid(space: Mapping[str, Knob], limit: int = MAX_POINTS) -> list[dict[str, float]]:
    """Every combination of the knobs' values (the Cartesian product, first knob slowest); a
    grid of more than `limit` points is a ValueError (raised before any point is made) that
    suggests random points instead."""
    limit = check.integer("grid", "limit", limit, low=1)
    size = grid_size(space)
    if size > limit:
        counts = " x ".join(f"{name}: {len(knob.values)}" for name, knob in space.items())
        raise ValueError(f"sweep: the grid has {size:,} points ({counts}), more than the limit "
                         f"of {limit:,}; try random points instead with --budget N (Python: "
                         "sample(space, budget)) or fewer values per knob")  # fmt: skip
    names = list(space)
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(space[n].values for n in names))]  # fmt: skip


def sample(space: Mapping[str, Knob], budget: int, seed: int = 0) -> list[dict[str, float]]:
    """`budget` random points (at most MAX_POINTS): ranges drawn uniformly (log-uniformly on log
    ranges: exp(U(log lo, log hi))), lists by choice."""
    budget = check.integer("sample", "budget", budget, low=1, high=MAX_POINTS)
    rng = np.random.default_rng(check.integer("sample", "seed", seed, low=0))
    if not isinstance(space, Mapping) or not space:
        raise check.fail("sample", "space", "a non-empty search space (parse_space)", space,
                         TypeError)  # fmt: skip
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
