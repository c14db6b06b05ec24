"""Means with 95% confidence intervals, for results over a few seeds.

    mean_interval(x):      mean(x) +- t(0.975, n - 1) * sd(x) / sqrt(n)   (sd with n - 1)
    paired_interval(a, b): mean_interval(a - b), over the same seeds

With n seeds the interval is for the mean over seeds of *this* setting (split, init and dropout
masks drawn anew per seed); it says nothing about other data. One value gives an interval of
(mean, nan, nan): no spread can be estimated from one seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Student's t quantile t(0.975, df) for df = 1..30 (beyond 30 the normal 1.96 is within 2%).
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)  # fmt: skip


def t_quantile_975(df: int) -> float:
    """t(0.975, df): the two-sided 95% quantile of Student's t with df degrees of freedom."""
    if df < 1:
        raise ValueError(f"t_quantile_975: df must be >= 1, got {df}")
    return _T975[df - 1] if df <= len(_T975) else 1.96


@dataclass(frozen=True)
class Interval:
    """A mean and its 95% confidence interval [low, high] over `n` values."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def excludes_zero(self) -> bool:
        """Whether the whole interval lies on one side of 0 (the difference is resolved)."""
        return self.n > 1 and (self.low > 0 or self.high < 0)

    def format(self, digits: int = 3, sign: bool = False) -> str:
        """ "0.912 [0.901, 0.923]" (with a leading sign for differences when `sign`)."""
        spec = f"{'+' if sign else ''}.{digits}f"
        if self.n < 2:
            return f"{self.mean:{spec}}"
        return f"{self.mean:{spec}} [{self.low:{spec}}, {self.high:{spec}}]"


def mean_interval(values: Sequence[float]) -> Interval:
    """The mean of `values` with its 95% Student-t confidence interval."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise ValueError("mean_interval: no values")
    mean = float(x.mean())
    if x.size == 1:
        return Interval(mean, math.nan, math.nan, 1)
    half = t_quantile_975(x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return Interval(mean, mean - half, mean + half, int(x.size))


def paired_interval(a: Sequence[float], b: Sequence[float]) -> Interval:
    """The mean of a - b over paired values (the same seeds) with its 95% interval."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired_interval: {a.shape} and {b.shape} values cannot be paired")
    return mean_interval(a - b)
