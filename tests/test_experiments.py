"""tinyreg.experiments: a regularizer defined in a user's own file works in compare's and in sweep's
Python APIs on worker processes (and reproduces the built-in one bit for bit), sweep points become
runs through the knob registry, the CLI help comes from that registry, the one runner, and the
layering (the library never imports the app; no module over 600 lines)."""

import ast
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from user_regularizer import LogPenalty, UserL1

from tinyreg import reg
from tinyreg.app import cli
from tinyreg.experiments import comparison, recipes, runner, trials
from tinyreg.experiments.recipes import KNOBS, Ingredient, Run, SweepRecipe, run_for_point
from tinyreg.experiments.search import parse_space

ROOT = Path(__file__).resolve().parents[1]
LAM = 0.01  # strong enough that three epochs of proximal steps leave exact zeros


def without(record, *keys):
    return {k: v for k, v in record.items() if k not in keys}


def test_a_users_regularizer_matches_the_built_in_one_in_compare():
    runs = [Run("l1", penalty=partial(reg.L1, LAM)), Run("user_l1", penalty=partial(UserL1, LAM)),
            Run("l1_prox", prox=partial(reg.L1, LAM)),
            Run("user_l1_prox", prox=partial(UserL1, LAM)),
            Run("log", penalty=partial(LogPenalty, 1e-3))]  # fmt: skip
    setting = recipes.Setting("digits", 120, 32, 3)
    results = comparison.run_all(runs, [0, 1], setting, jobs=2, progress=False)
    by = {(r["run"], r["seed"]): r for r in results}
    for ours, theirs in (("l1", "user_l1"), ("l1_prox", "user_l1_prox")):
        for seed in (0, 1):
            mine, built_in = by[(theirs, seed)], by[(ours, seed)]
            assert without(mine, "run", "seconds", "weights") == without(
                built_in, "run", "seconds", "weights"
            )  # bit for bit: every metric and every curve
        np.testing.assert_array_equal(by[(theirs, 0)]["weights"], by[(ours, 0)]["weights"])
    assert by[("user_l1_prox", 0)]["exact_zeros"] > 0 == by[("user_l1", 0)]["exact_zeros"]
    assert all(np.isfinite(by[("log", s)]["test_loss"]) for s in (0, 1))
    summaries = comparison.summarize(results, images=True, runs=runs)
    assert [s.name for s in summaries] == [r.name for r in runs]
    assert summaries[1].description == "UserL1 penalty (subgradient)"
    assert summaries[3].description == "UserL1 as a proximal step"
    assert summaries[4].description == "LogPenalty(0.001) penalty (subgradient)"
    unlisted = r"runs \['log', 'user_l1', 'user_l1_prox'\] that `runs` does not list"
    with pytest.raises(ValueError, match=unlisted):
        comparison.summarize(results, images=True)


def test_a_users_regularizer_is_a_sweep_knob_on_worker_processes(tmp_path):
    X, y, data = recipes.sweep_data("moons", train_size=120)
    knobs = (*KNOBS.values(), Ingredient("user_l1", "penalty", "mine", UserL1),
             Ingredient("user_l1_prox", "prox", "mine, proximal", UserL1),
             Ingredient("log", "penalty", "log penalty", LogPenalty))  # fmt: skip
    recipe = SweepRecipe.on(data, epochs=2, knobs=knobs)
    points = [{"l1": LAM}, {"user_l1": LAM}, {"l1_prox": LAM}, {"user_l1_prox": LAM},
              {"l1": LAM, "l2": 1e-3}, {"user_l1": LAM, "l2": 1e-3}, {"log": 1e-3}]  # fmt: skip
    records = trials.run_sweep(recipe, points, X, y, tmp_path / "r.jsonl", k=2, jobs=2,
                               progress=False)  # fmt: skip
    assert len(records) == 2 * len(points) and not [r for r in records if "error" in r]
    by = {(tuple(sorted(r["point"].items())), r["fold"]): r for r in records}

    def trial(point, fold):
        return without(by[(tuple(sorted(point.items())), fold)], "id", "point", "seconds")

    for fold in (0, 1):
        assert trial({"user_l1": LAM}, fold) == trial({"l1": LAM}, fold)  # bit for bit
        assert trial({"user_l1_prox": LAM}, fold) == trial({"l1_prox": LAM}, fold)
        # beside a built-in L2 the user's term is summed, not fused: the same to rounding
        summed = trial({"user_l1": LAM, "l2": 1e-3}, fold)
        fused = trial({"l1": LAM, "l2": 1e-3}, fold)
        assert summed["val_loss"] == pytest.approx(fused["val_loss"], rel=1e-4)
        assert np.isfinite(trial({"log": 1e-3}, fold)["val_loss"])


def test_sweep_points_become_runs_through_the_knob_registry():
    run, setting = run_for_point({"l1": 1e-3, "l2": 1e-2, "dropout": 0.2, "lr": 0.1})
    penalty = run.penalty()
    assert type(penalty) is reg.ElasticNet and (penalty.l1, penalty.l2) == (1e-3, 1e-2)
    assert run.dropout == 0.2 and run.prox is None and setting.lr == 0.1
    run, _ = run_for_point({"max_norm": 2.0, "l1_prox": 1e-4, "group_lasso": 0.0, "l2": 0.0})
    assert run.penalty is None  # 0 switches a penalty or a proximal step off
    assert [type(r).__name__ for r in run.prox()] == ["L1", "MaxNorm"]  # registry order
    knobs = [*KNOBS.values(), Ingredient("user", "penalty", "", UserL1)]
    mixed = run_for_point({"user": 1e-3, "l2": 1e-3}, knobs)[0]
    assert isinstance(mixed.penalty(), recipes.PenaltySum)
    assert "L2(0.001) + UserL1 penalty" in mixed.describe(images=False)
    with pytest.raises(ValueError, match=r"unknown knobs \['l3'\]"):
        run_for_point({"l3": 1.0})
    with pytest.raises(ValueError, match="role must be one of"):
        Ingredient("x", "loss", "")
    with pytest.raises(TypeError, match="needs make="):
        Ingredient("x", "prox", "")
    with pytest.raises(ValueError, match="field must be one of"):
        Ingredient("x", "run", "", field="width")


def test_the_cli_help_comes_from_the_registry(capsys):
    for argv in (["compare", "--help"], ["sweep", "--help"]):
        with pytest.raises(SystemExit):
            cli.main(argv)
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for run in recipes.RUNS:
        assert f"{run.name}{'' if run.default else ' *'} " in text
        assert " ".join(run.describe(images=True).split()) in text
    for knob in KNOBS.values():
        assert f"{knob.name} {knob.help}" in text
    for name in recipes.DATASETS:
        assert name in text
    assert list(parse_space(["lr=0.1"], known=KNOBS)) == ["lr"]


def _threads_and_sum(a, b):
    import numba

    return numba.get_num_threads(), a + b


def test_one_runner_serial_and_on_processes_gives_the_same_results():
    import numba

    tasks = [(i, 10 * i) for i in range(5)]
    here = numba.get_num_threads()
    serial = sorted(runner.run_tasks(_threads_and_sum, tasks, jobs=1, progress=False))
    assert numba.get_num_threads() == here  # put back after the tasks
    pooled = sorted(runner.run_tasks(_threads_and_sum, tasks, jobs=2, progress=False))
    assert serial == pooled == [(1, 11 * i) for i in range(5)]  # one thread per task
    assert not runner.parallel(jobs=1) and runner.parallel(jobs=1, dask_local=2)


def test_the_library_never_imports_the_app_and_modules_stay_small():
    for path in sorted((ROOT / "tinyreg" / "experiments").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                target = "." * node.level + (node.module or "")
                names = [a.name for a in node.names]
                assert not target.startswith(("..app", "tinyreg.app")), path
                assert not (target == ".." and "app" in names), path
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("tinyreg.app") for a in node.names), path
    for folder in ("experiments", "app"):
        for path in (ROOT / "tinyreg" / folder).glob("*.py"):
            assert len(path.read_text().splitlines()) <= 600, path
    app = {p.name for p in (ROOT / "tinyreg" / "app").glob("*.py")} - {"__init__.py"}
    library = {p.name for p in (ROOT / "tinyreg" / "experiments").glob("*.py")}
    assert not app & library  # no two modules of the same name (two sweep.py were confusing)
