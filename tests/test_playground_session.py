"""The playground without a browser: the query string and its checks, the points, a session's
steps (determinism, A/B pairing, live knobs, exact zeros, early stopping) and "Show the code"."""

import json
import subprocess
import sys
import threading

import numpy as np
import pytest

from tinyreg import datasets, nn
from tinyreg import random as tr_random
from tinyreg.app.playground import codegen, data
from tinyreg.app.playground.config import (
    KNOBS,
    LIMITS,
    ConfigError,
    defaults,
    parse_query,
    parse_value,
    to_query,
)
from tinyreg.app.playground.session import Session


def run(query: str, steps: int | None = None) -> Session:
    """A session of `query` stepped until done (or `steps` steps)."""
    a, b = parse_query(query)
    session = Session(a, b)
    for _ in range(steps or 10**6):
        if session.done:
            break
        session.step()
    return session


# --------------------------------------------------------------------------- configuration
def test_query_uses_the_knob_names_of_compare_and_sweep():
    names = {"dataset", "noise", "train_size", "hidden", "lr", "seed", "l1", "l2", "l1_prox",
             "dropout", "batch_norm", "early_stopping", "augmentation", "label_smoothing",
             "max_norm", "group_lasso", "steps", "run"}  # fmt: skip
    assert names <= set(KNOBS)
    a, b = parse_query("dataset=spirals&hidden=16,4&dropout=0.25&batch_norm=1&run=1&steps=40")
    assert b is None
    assert (a["dataset"], a["hidden"], a["dropout"], a["batch_norm"], a["run"], a["steps"]) == (
        "spirals", (16, 4), 0.25, True, True, 40)  # fmt: skip


@pytest.mark.parametrize(
    "query,field,value",
    [("dropout=2", "dropout", "2"), ("dropout=1", "dropout", "1"), ("lr=-1", "lr", "-1"),
     ("lr=nan", "lr", "nan"), ("hidden=8,0", "hidden", "8,0"), ("hidden=65", "hidden", "65"),
     ("hidden=1,1,1,1,1,1,1", "hidden", "1,1,1,1,1,1,1"), ("dataset=mnist", "dataset", "mnist"),
     ("train_size=5000", "train_size", "5000"), ("steps=1.5", "steps", "1.5"),
     ("batch_norm=yes", "batch_norm", "yes"), ("colour=red", "colour", "red"),
     ("b.dataset=xor", "b.dataset", "xor"), ("b.dropout=-0.1", "b.dropout", "-0.1"),
     ("batch_norm=1&batch_size=1", "batch_size", 1)],
)  # fmt: skip
def test_a_bad_value_names_the_field_and_the_value(query, field, value):
    with pytest.raises(ConfigError) as info:
        parse_query(query)
    assert info.value.field == field and info.value.value == value
    assert str(info.value).startswith(f"{field}: expected ") and repr(value) in str(info.value)


def test_the_query_string_round_trips():
    query = "dataset=xor&hidden=4&lr=0.1&l1_prox=0.001&b.dropout=0.5&b.optimizer=adamw"
    a, b = parse_query(query)
    assert parse_query(to_query(a, b)) == (a, b)
    assert to_query(defaults()) == ""
    assert b["dropout"] == 0.5 and a["dropout"] == 0.0 and b["lr"] == 0.1  # b starts from a
    assert "b.=1" in to_query(a, dict(a))  # two equal models stay two


def test_json_values_from_the_page_are_checked_like_text():
    assert parse_value("dropout", 0.5) == 0.5 and parse_value("hidden", [3, 2]) == (3, 2)
    assert parse_value("batch_norm", True) is True
    for field, raw in [("dropout", True), ("dropout", None), ("hidden", {"a": 1}),
                       ("steps", 2.0), ("dataset", 3)]:  # fmt: skip
        with pytest.raises(ConfigError, match=field):
            parse_value(field, raw)


def test_generated_points_have_their_sizes_and_classes():
    for name in ("moons", "circles", "spirals", "xor"):
        config = {**defaults(), "dataset": name, "train_size": 50, "noise": 0.1}
        points = data.load(config, None)
        assert len(points.train[0]) == 50 and len(points.val[0]) == len(points.test[0]) == 200
        assert points.classes == 2 and set(np.unique(points.train[1])) == {0, 1}
        x0, x1, y0, y1 = points.extent
        X = np.concatenate([points.train[0], points.test[0]])
        assert (X[:, 0] > x0).all() and (X[:, 0] < x1).all() and (X[:, 1] > y0).all()
    circles = datasets.make_circles(400, 0.0, 1)
    radius = np.hypot(*circles[0].T)
    assert np.allclose(radius[circles[1] == 0], 1) and np.allclose(radius[circles[1] == 1], 0.5)
    X, y = datasets.make_xor(400, 0.0, 2)
    assert ((X[:, 0] * X[:, 1] > 0) == (y == 1)).all()


def test_csv_points_are_validated():
    rows = "\n".join(f"{i / 10},{-i / 10},{i % 3}" for i in range(30))
    X, y = data.parse_csv("x1,x2,label\n" + rows)
    assert X.shape == (30, 2) and y.tolist()[:4] == [0, 1, 2, 0]
    bad = {"1,2\n" * 20: "three numbers", rows + "\n1,nan,0": "finite",
           rows + "\n1,2,9": "class label", "0,0,1\n" * 20: "every class",
           "x" * (LIMITS["csv_bytes"] + 1): "bytes", rows + "\n1,2,x": "row 31"}  # fmt: skip
    for text, words in bad.items():
        with pytest.raises(ConfigError, match=words):
            data.parse_csv(text)


# --------------------------------------------------------------------------- a session
def test_same_configuration_same_numbers_and_the_global_state_untouched():
    tr_random.manual_seed(123)
    before = tr_random.generator().bit_generator.state
    first = run("steps=50&dropout=0.2&augmentation=0.05&mixup=0.2").state()
    second = run("steps=50&dropout=0.2&augmentation=0.05&mixup=0.2").state()
    assert first == second and first["step"] == 50 and first["running"] is False
    assert tr_random.generator().bit_generator.state == before  # sessions draw from their own
    assert run("steps=50&dropout=0.2&seed=1").state() != run("steps=50&dropout=0.2").state()


def test_interleaved_sessions_do_not_share_random_streams():
    alone = run("steps=30&dropout=0.3").state()
    a, _ = parse_query("steps=30&dropout=0.3")
    one, other = Session(a), Session(parse_query("steps=30&dropout=0.5&seed=4")[0])
    for _ in range(30):
        one.step()
        other.step()
    assert one.state() == alone


def test_a_and_b_start_from_the_same_weights_on_the_same_data():
    a, b = parse_query("dropout=0.3&b.dropout=0&b.l1_prox=0.01")
    session = Session(a, b)
    wa = [d.weight.data.copy() for d in session.learners["a"].dense]
    wb = [d.weight.data for d in session.learners["b"].dense]
    assert all(np.array_equal(x, y) for x, y in zip(wa, wb, strict=True))
    assert session.learners["a"].points is session.learners["b"].points
    for _ in range(40):
        session.step()
    state = session.state()
    assert set(state) == {"a", "b"} and state["a"]["step"] == state["b"]["step"] == 40
    assert state["b"]["zero_fraction"] > 0 == state["a"]["zero_fraction"]


def test_proximal_l1_gives_exact_zeros_and_subgradient_l1_does_not():
    prox = run("steps=200&l1_prox=0.05").state()["zero_fraction"]
    sub = run("steps=200&l1=0.05").state()["zero_fraction"]
    assert prox > 0.1 and sub == 0.0


def test_a_live_change_applies_at_the_next_step_without_a_reset():
    a, _ = parse_query("")
    session = Session(a)
    for _ in range(20):
        session.step()
    learner = session.learners["a"]
    session.set({"dropout": 0.4, "l1_prox": 0.05, "lr": 0.1})
    assert session.learners["a"] is learner and learner.step_count == 20
    assert [m.p for m in learner.model.modules() if isinstance(m, nn.Dropout)] == [0.4, 0.4]
    assert learner.optimizer.param_groups[0]["lr"] == 0.1
    session.step()
    assert learner.state(True)["zero_fraction"] > 0
    session.set({"hidden": "4"})  # a model knob: a new network, from step 0
    assert session.learners["a"] is not learner and session.learners["a"].step_count == 0
    with pytest.raises(ConfigError, match="dropout"):
        session.set({"lr": 0.2, "dropout": 3})
    assert session.configs["a"]["lr"] == 0.1  # nothing changed


def test_max_norm_and_group_lasso_act_on_each_unit():
    norms = run("steps=100&max_norm=0.5&lr=0.3").learners["a"].weights()["norms"]
    assert max(max(layer) for layer in norms) <= 0.5 + 1e-5
    off = run("steps=300&group_lasso=0.05&hidden=16").learners["a"].weights()["norms"]
    assert 0 in off[0]  # some hidden units switched off: all their incoming weights zero


def test_early_stopping_stops_and_restores_the_best_weights():
    session = run("steps=20000&early_stopping=3&train_size=20&lr=0.3&hidden=32,32")
    learner = session.learners["a"]
    assert learner.stopped_early and session.state()["running"] is False
    best = learner.best.epoch
    assert learner.epoch - 1 - best == 3  # patience epochs without improvement
    assert learner.curves["val_loss"][best] == min(learner.curves["val_loss"])
    assert session.state()["val_loss"] == pytest.approx(learner.curves["val_loss"][best])
    session.play()  # goes on, with a fresh patience count
    assert not learner.stopped_early and session.state()["running"] is True


def test_the_boundary_and_the_weights_snapshot():
    session = run("steps=300&dataset=circles&noise=0.05&hidden=8")
    snap = session.learners["a"].snapshot(True)
    boundary = session.learners["a"].boundary()
    assert boundary.shape == (2, 64, 64) and boundary.dtype == np.uint8
    assert boundary[0, 32, 32] == 1 and boundary[0, 0, 0] == 0  # inner circle is class 1
    assert snap["histogram"]["total"] == 2 * 8 + 8 * 2 and len(snap["norms"]) == 2
    json.dumps(snap)  # what the server sends


def test_uploaded_points_replace_the_data():
    a, _ = parse_query("")
    session = Session(a)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    text = "\n".join(f"{x:.4f},{y:.4f},{int(x > 0)}" for x, y in X)
    session.upload(text)
    assert session.configs["a"]["dataset"] == "custom" and len(session.points.train[0]) == 60
    with pytest.raises(ConfigError, match="dataset"):
        Session({**a, "dataset": "custom"})


# --------------------------------------------------------------------------- the code
@pytest.mark.parametrize(
    "query",
    ["steps=120&l1_prox=0.01&dropout=0.1&mixup=0.3&augmentation=0.05&label_smoothing=0.1",
     "steps=400&dataset=xor&hidden=8,4&batch_norm=1&batch_size=9&optimizer=adamw&lr=0.01&"
     "weight_decay=0.01&l1=0.001&l2=0.001&group_lasso=0.002&max_norm=2&early_stopping=2&"
     "activation=tanh&train_size=100"],
)  # fmt: skip
def test_the_code_reproduces_the_numbers(tmp_path, query):
    session = run(query)
    a = session.configs["a"]
    path = tmp_path / "playground_script.py"
    path.write_text(codegen.script(a, a["steps"]))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout.strip().splitlines()[-1])
    state = session.state()
    del state["running"]
    assert printed == state


def test_sessions_in_threads_give_the_numbers_they_give_alone():
    query = "steps=150&dropout=0.3&augmentation=0.1"
    alone = run(query).state()
    sessions = [Session(*parse_query(query)) for _ in range(3)]

    def work(session: Session) -> None:
        while not session.done:
            session.step()
            session.learners["a"].boundary()  # evaluation (no_grad) between other's steps

    threads = [threading.Thread(target=work, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(s.state() == alone for s in sessions)


@pytest.mark.parametrize("call, error, words", [
    (lambda: datasets.make_circles(1), ValueError, "make_circles: n must be an integer >= 2"),
    (lambda: datasets.make_circles(10, factor=1.0), ValueError, "make_circles: factor must be"),
    (lambda: datasets.make_xor(10, noise=-0.1), ValueError, "make_xor: noise must be"),
    (lambda: datasets.make_xor(10, seed=1.5), TypeError, "make_xor: seed must be an integer"),
])  # fmt: skip
def test_circles_and_xor_check_their_arguments(call, error, words):
    with pytest.raises(error, match=words):
        call()
