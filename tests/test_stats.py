"""Intervals over seeds (tinyreg.experiments.stats) and the claims compare draws from them."""

import math

import numpy as np
import pytest
import scipy.stats

from tinyreg.experiments import comparison, report
from tinyreg.experiments.stats import mean_interval, paired_interval, t_quantile_975


@pytest.mark.parametrize("df", [1, 2, 4, 9, 29, 30])
def test_t_quantiles_match_scipy(df):
    assert t_quantile_975(df) == pytest.approx(scipy.stats.t.ppf(0.975, df), abs=1e-3)


def test_mean_interval_matches_scipy_and_covers_the_mean():
    x = np.random.default_rng(0).normal(2.0, 0.5, 5)
    interval = mean_interval(x)
    low, high = scipy.stats.t.interval(0.95, 4, loc=x.mean(), scale=scipy.stats.sem(x))
    assert interval.mean == pytest.approx(x.mean())
    assert (interval.low, interval.high) == pytest.approx((low, high), abs=1e-3)
    assert interval.n == 5 and interval.excludes_zero


def test_coverage_over_many_draws_is_near_95_percent():
    rng = np.random.default_rng(1)
    draws = [mean_interval(rng.normal(0.3, 1.0, 5)) for _ in range(4000)]
    hits = sum(d.low <= 0.3 <= d.high for d in draws)
    assert 0.93 < hits / 4000 < 0.97


def test_paired_interval_uses_the_pairing():
    base = np.array([0.90, 0.80, 0.95, 0.70, 0.85])  # large spread across seeds
    better = base + np.array([0.011, 0.009, 0.010, 0.012, 0.008])  # small, steady gain
    assert paired_interval(better, base).excludes_zero
    assert not mean_interval(better).low > mean_interval(base).high  # unpaired: overlapping
    with pytest.raises(ValueError, match="paired"):
        paired_interval([1.0, 2.0], [1.0])


def test_one_value_has_no_interval():
    one = mean_interval([0.5])
    assert one.n == 1 and math.isnan(one.low) and not one.excludes_zero
    assert one.format() == "0.500"


def fake(run, seed, accuracy, zeros=0.0):
    return {"run": run, "seed": seed, "test_accuracy": accuracy, "test_loss": 1 - accuracy,
            "gap": 0.1, "best_epoch": 10, "epochs_run": 50, "exact_zeros": zeros,
            "small_weights": zeros, "mean_abs_weight": 0.1, "seconds": 1.0,
            "curves": {}}  # fmt: skip


def test_findings_say_held_only_when_the_interval_excludes_zero():
    results = []
    for seed in range(5):
        base = 0.8 + 0.05 * seed
        results += [fake("none", seed, base), fake("dropout", seed, base + 0.01 + 0.001 * seed),
                    fake("l2", seed, base + (0.01 if seed % 2 else -0.01)),
                    fake("l1", seed, base), fake("l1_prox", seed, base, zeros=0.2)]  # fmt: skip
    summaries = comparison.summarize(results, images=True)
    text = "\n".join(report.findings(summaries, epochs=50))
    assert "dropout raises test accuracy over none (+0.012 [+0.010, +0.014]): held" in text
    assert "l2 raises test accuracy over none" in text and "not resolved" in text
    assert "Proximal L1 gives exact zeros" in text and ": held (exact zeros 20.0%" in text
    table = report.runs_table(summaries)
    assert "+0.012 [+0.010, +0.014] *" in table  # the mark of a resolved difference
