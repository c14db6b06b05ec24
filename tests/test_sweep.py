"""Sweeps: search spaces and their errors, results that survive crashes (resume), the same numbers
on joblib and on a real Dask LocalCluster (2 worker processes), a worker killed mid-sweep, the
one-standard-error choice, and the command line."""

import json
import os

import numpy as np
import pytest

from tinyreg import datasets as data
from tinyreg import nn, optim, reg
from tinyreg.app import cli
from tinyreg.experiments.search import grid, parse_space, sample
from tinyreg.experiments.trials import (
    choose,
    folds,
    load_results,
    run_sweep,
    summarize,
    trial_id,
)

X, Y = data.make_moons(120, noise=0.25, seed=0)


def tiny_build(point):
    """A small net whose L2 strength is the knob."""
    model = nn.Sequential(nn.Dense(2, 16), nn.ReLU(), nn.Dense(16, 2))
    return model, {"loss": "cross_entropy",
                   "optimizer": optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                   "penalty": reg.L2(point["l2"]) if point["l2"] else None,
                   "epochs": 3, "batch_size": 16}  # fmt: skip


def failing_build(point):
    if point["l2"] > 0.05:
        raise ValueError("this setting is broken")
    return tiny_build(point)


def dying_build(point):
    """Kills its worker process the first time it sees l2 = 0.1 (a marker file remembers)."""
    marker = os.environ["TINYREG_TEST_MARKER"]
    if point["l2"] == 0.1 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return tiny_build(point)


def comparable(records):
    return sorted((r["id"], round(r["val_loss"], 10)) for r in records)


def test_spaces_parse_and_bad_ones_fail_before_any_trial():
    space = parse_space(["l2=1e-4..1e-1:log:4", "dropout=0,0.5", "lr=0.1..0.3:3"])
    np.testing.assert_allclose(space["l2"].values, [1e-4, 1e-3, 1e-2, 1e-1])
    assert space["l2"].log and space["dropout"].values == (0.0, 0.5)
    np.testing.assert_allclose(space["lr"].values, [0.1, 0.2, 0.3])
    assert len(grid(space)) == 4 * 2 * 3
    points = sample(space, 20, seed=1)
    assert len(points) == 20 and all(1e-4 <= p["l2"] <= 1e-1 for p in points)
    assert points == sample(space, 20, seed=1)
    bad = [([], "empty"), (["l2="], "empty name or values"),
           (["l2=0..1:log:3"], "log range needs lo > 0"), (["l2=1..0:3"], "lo <= hi"),
           (["l2=a,b"], "not a number"), (["l2=1,2", "l2=3"], "given twice"),
           (["l2"], "name=values")]  # fmt: skip
    for specs, message in bad:
        with pytest.raises(ValueError, match=message):
            parse_space(specs)
    with pytest.raises(ValueError, match=r"unknown knobs \['l3'\]; known: l1, l2"):
        parse_space(["l3=1,2"], known=["l1", "l2"])
    train, val = folds(10, 5, 0.2, seed=0)[0]
    assert len(train) == 8 and len(val) == 2 and not set(train) & set(val)


def test_results_are_appended_failures_recorded_and_resume_skips_finished(tmp_path):
    path = tmp_path / "results.jsonl"
    points = [{"l2": v} for v in (0.0, 0.01, 0.1)]
    records = run_sweep(failing_build, points, X, Y, path, k=2, jobs=1, progress=False)
    assert len(records) == 6
    failed = [r for r in records if "error" in r]
    assert len(failed) == 2 and all("this setting is broken" in r["error"] for r in failed)
    # a crash tore the last line and lost two trials: resume runs only those
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:3]) + "\n" + lines[3][:10])
    again = run_sweep(failing_build, points, X, Y, path, k=2, jobs=1, resume=True, progress=False)
    ids = [r["id"] for r in again]
    assert sorted(ids) == sorted(r["id"] for r in records) and len(ids) == len(set(ids))
    assert {json.loads(line)["id"] for line in lines[:3]} <= set(ids)


@pytest.mark.slow
def test_joblib_and_a_dask_local_cluster_give_the_same_numbers_even_when_a_worker_dies(
    tmp_path, monkeypatch
):
    from dask.distributed import Client, LocalCluster

    points = [{"l2": v} for v in (0.0, 0.01, 0.1)]
    local = run_sweep(tiny_build, points, X, Y, tmp_path / "a.jsonl", k=2, jobs=2,
                      progress=False)  # fmt: skip
    monkeypatch.setenv("TINYREG_TEST_MARKER", str(tmp_path / "died"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        remote = run_sweep(dying_build, points, X, Y, tmp_path / "b.jsonl", k=2,
                           scheduler=client, progress=False)  # fmt: skip
    assert (tmp_path / "died").exists()  # a worker really died mid-sweep
    assert comparable(local) == comparable(remote)  # nothing lost, same numbers
    assert all("error" not in r for r in remote)


def test_summaries_and_the_one_standard_error_rule():
    records = []
    for fold in range(4):
        for l2, loss in ((0.0, 0.50), (0.01, 0.40), (0.1, 0.41), (1.0, 0.9)):
            records.append({"id": trial_id({"l2": l2}, fold, 0), "point": {"l2": l2},
                            "fold": fold, "seed": 0, "val_loss": loss + 0.02 * fold,
                            "val_accuracy": 0.9, "zeros": 0.0})  # fmt: skip
    summaries = summarize(records)
    assert [s.point["l2"] for s in summaries] == [0.01, 0.1, 0.0, 1.0]
    best, one_se = choose(summaries, "l2")
    assert best.point == {"l2": 0.01} and one_se.point == {"l2": 0.1}


def test_cli_sweep_runs_and_refuses_bad_spaces(tmp_path, capsys):
    out = tmp_path / "sweep"
    argv = ["sweep", "--space", "l2=1e-4..1e-2:log:2", "--dataset", "moons", "--folds", "2",
            "--epochs", "2", "--jobs", "1", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    assert len(load_results(out / "results.jsonl")) == 4
    report = (out / "report.md").read_text()
    assert "One-standard-error choice" in report and (out / "validation_curve.png").exists()
    assert "data:image/png;base64," in (out / "report.html").read_text()
    assert cli.main([*argv, "--resume"]) == 0  # nothing left to run
    assert len(load_results(out / "results.jsonl")) == 4
    capsys.readouterr()
    assert cli.main(["sweep", "--space", "l2=0..1:log:3", "--out", str(tmp_path / "x")]) == 2
    assert "log range needs lo > 0" in capsys.readouterr().err
    assert cli.main(["sweep", "--space", "weight=1,2", "--out", str(tmp_path / "x")]) == 2
    assert "unknown knobs ['weight']" in capsys.readouterr().err


def test_linear_path_matches_sklearn_and_cv_picks_lassocv_alpha():
    from sklearn.datasets import make_regression
    from sklearn.linear_model import LassoCV, enet_path, lasso_path

    from tinyreg.experiments.paths import cross_validated_alpha, lambda_max, linear_path

    X, y = make_regression(80, 12, n_informative=4, noise=5.0, random_state=0)
    alphas, coefs = linear_path(X, y, n_alphas=20)
    assert alphas[0] == pytest.approx(lambda_max(X, y)) and not coefs[:, 0].any()
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    _, expected, _ = lasso_path(Xc, yc, alphas=alphas, tol=1e-12, max_iter=100_000)
    np.testing.assert_allclose(coefs, expected, atol=1e-4)
    np.testing.assert_array_equal(coefs == 0, np.abs(expected) < 1e-12)  # the same exact zeros
    _, coefs = linear_path(X, y, alphas, l1_ratio=0.5)
    _, expected, _ = enet_path(Xc, yc, alphas=alphas, l1_ratio=0.5, tol=1e-12, max_iter=100_000)
    np.testing.assert_allclose(coefs, expected, atol=1e-4)
    splits = folds(len(X), 4, 0.2, seed=0)
    ours = cross_validated_alpha(X, y, splits, alphas)
    theirs = LassoCV(alphas=alphas, cv=splits, tol=1e-12, max_iter=100_000).fit(X, y).alpha_
    steps = abs(int(np.argmin(np.abs(alphas - ours))) - int(np.argmin(np.abs(alphas - theirs))))
    assert steps <= 1  # within one grid step (equal here)


def test_logistic_path_matches_sklearn_saga():
    import warnings

    import sklearn
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    from tinyreg.experiments.paths import logistic_path

    version = tuple(int(part) for part in sklearn.__version__.split(".")[:2])
    l1 = {"l1_ratio": 1.0} if version >= (1, 8) else {"penalty": "l1"}  # 1.8 deprecated penalty=
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    alphas, coefs, intercepts = logistic_path(X, y, n_alphas=4, eps=0.05)
    assert not coefs[:, 0].any()  # lambda_max zeroes every weight
    for k in (1, 3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = LogisticRegression(
                C=1 / (alphas[k] * len(X)), solver="saga", tol=1e-10, max_iter=100_000, **l1
            )
            reference.fit(X, y)
        np.testing.assert_allclose(coefs[:, k], reference.coef_[0], atol=1e-3)
        assert intercepts[k] == pytest.approx(reference.intercept_[0], abs=1e-3)
        np.testing.assert_array_equal(coefs[:, k] == 0, reference.coef_[0] == 0)


def test_cli_model_linear_writes_the_path(tmp_path, capsys):
    assert cli.main(["sweep", "--model", "linear", "--folds", "3", "--out", str(tmp_path)]) == 0
    assert "one-SE alpha" in capsys.readouterr().out
    assert (tmp_path / "path.png").stat().st_size > 1000
    assert cli.main(["sweep", "--out", str(tmp_path)]) == 2
    assert "give --space" in capsys.readouterr().err
