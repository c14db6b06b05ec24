"""Trust in the command line (issue [17]): exit 2 and one line on stderr for a usage error (found
before any work or file changes), 1 and one line for a failure, 130 on Ctrl-C, never a traceback
unless --debug; Ctrl-C to a real `tinyreg sweep` process (serial and parallel) records only
finished trials, and --resume completes the rest with the numbers of an uninterrupted run; a flag
the user typed wins over --quick's presets."""

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_sweep import comparable

from tinyreg.app import bench_kernels, cli
from tinyreg.experiments import comparison
from tinyreg.experiments.trials import load_results, trial_id

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ["sweep", "--space", "l2=1e-4..1e-2:log:3", "--dataset", "moons", "--folds", "2",
         "--epochs", "30"]  # fmt: skip


def status(argv):
    """cli.main's exit status, argparse's SystemExit included."""
    try:
        return cli.main(argv)
    except SystemExit as done:
        return done.code


def one_line(err):
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# --------------------------------------------------------------------------- usage errors: 2
@pytest.mark.parametrize("argv, words", [
    (["sweep", "--model", "linear", "--folds", "1"],
     "--folds: expected 0 (a holdout) or an integer >= 2, got 1"),
    (["sweep", "--model", "linear", "--folds", "0"], "--folds must be at least 2, got 0"),
    (["sweep", "--model", "linear", "--space", "l2=1"], "drop --space"),
    (["sweep", "--space", "l2=1e-6..1:log:100000000"], "--budget N"),
    (["sweep", "--space", "l2=1e-6..1:lgo:5"], "range must be lo..hi, lo..hi:n"),
    (["sweep", "--space", "l2=1e-6..1:log:200", "lr=0.01..0.1:100"],
     "the grid has 20,000 points (l2: 200 x lr: 100), more than the limit of 10,000; try random "
     "points instead with --budget N"),
    (["sweep", "--space", "l2=0.1", "--scheduler", "localhost"], "--scheduler must be an address"),
    (["sweep", "--space", "l2=0.1", "--scheduler", "tcp://h:1", "--dask-local", "2"], "not both"),
    (["sweep", "--space", "l2=0.1", "--dataset", "moons", "--train-size", "100000"],
     "train_size must be an integer in [2, 300], got 100000"),
    (["sweep", "--space", "l2=0.1", "--seeds", "1000000000", "--dataset", "moons"],
     "trials, more than the limit of 100,000"),
    (["bench", "--size", str(2**45)], "GiB available; choose at most --size"),
    (["sweep", "--space", "l2=0.1", "--connect-timeout", "0"], "expected a number of seconds > 0"),
])  # fmt: skip
def test_a_usage_error_is_one_line_on_stderr_and_status_2(tmp_path, capsys, argv, words):
    out = [] if argv[0] == "bench" else ["--out", str(tmp_path / "out")]
    assert status([*argv, *out]) == 2
    out, err = capsys.readouterr()
    assert words in one_line(err) and "error" not in out
    assert not (tmp_path / "out" / "results.jsonl").exists()


def test_a_typed_flag_wins_over_quick(tmp_path, capsys, monkeypatch):
    seen = []

    def run_all(runs, seeds, setting, *rest):
        seen.append((list(seeds), setting.epochs))
        raise RuntimeError("stop here")

    monkeypatch.setattr(comparison, "run_all", run_all)
    base = ["compare", "--quick", "--dataset", "moons", "--runs", "l2", "--out", str(tmp_path)]
    for extra in ([], ["--seeds", "3"], ["--epochs", "7"]):
        assert status([*base, *extra]) == 1
        assert one_line(capsys.readouterr().err) == "tinyreg compare: error: stop here"
    assert seen == [([0, 1], 3), ([0, 1, 2], 3), ([0, 1], 7)]


# --------------------------------------------------------------------------- failures: 1
def test_every_trial_failing_is_a_failure_and_debug_shows_the_traceback(tmp_path, capsys):
    argv = ["sweep", "--space", "lr=1e6", "--dataset", "moons", "--folds", "2", "--epochs", "3",
            "--train-size", "40", "--jobs", "1", "--out", str(tmp_path)]  # fmt: skip
    assert status(argv) == 1
    out, err = capsys.readouterr()
    assert one_line(err).startswith("tinyreg sweep: error: run_sweep: all 2 trials failed (the "
                                    "first: TrainingError: the loss became")  # fmt: skip
    assert len(load_results(tmp_path / "results.jsonl")) == 2  # recorded: they fail on their own
    assert status(["--debug", *argv]) == 1  # resumed or not, all failed; now with the traceback
    err = capsys.readouterr().err
    assert "Traceback" in err and err.splitlines()[-1].startswith("tinyreg sweep: error:")
    assert status([*argv, "--resume", "--debug"]) == 1 and "Traceback" in capsys.readouterr().err


def test_out_of_memory_is_a_failure_in_one_line(capsys, monkeypatch):
    def exhausted(*args):
        raise MemoryError

    monkeypatch.setattr(bench_kernels, "main_kernels", exhausted)
    assert status(["bench", "--quick"]) == 1
    assert one_line(capsys.readouterr().err) == "tinyreg bench: error: out of memory (MemoryError)"


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="needs Dask")
def test_an_unreachable_scheduler_is_a_failure_within_the_timeout(tmp_path, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.perf_counter()
    argv = ["sweep", "--space", "l2=0.1", "--dataset", "moons", "--folds", "2",
            "--scheduler", f"tcp://127.0.0.1:{port}", "--connect-timeout", "1",
            "--out", str(tmp_path)]  # fmt: skip
    assert status(argv) == 1
    assert "cannot reach the Dask scheduler" in one_line(capsys.readouterr().err)
    assert time.perf_counter() - start < 20
    assert not (tmp_path / "results.jsonl").exists()


def test_resuming_a_corrupted_record_warns_in_one_line_and_runs_it_again(tmp_path, capsys):
    argv = ["sweep", "--space", "l2=0.001", "--dataset", "moons", "--folds", "2", "--epochs", "2",
            "--jobs", "1", "--out", str(tmp_path)]  # fmt: skip
    broken = {"id": trial_id({"l2": 0.001}, 0, 0), "fold": 0, "seed": 0, "val_loss": 0.1}
    (tmp_path / "results.jsonl").write_text(json.dumps(broken) + "\n")  # no "point": KeyError
    assert status([*argv, "--resume"]) == 0
    line = one_line(capsys.readouterr().err)
    assert line.startswith("tinyreg sweep: warning: run_sweep: 1 line(s) of") and "moved" in line
    assert len(load_results(tmp_path / "results.jsonl")) == 2


# --------------------------------------------------------------------------- Ctrl-C: 130
@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted")
    assert status([*SWEEP, "--jobs", "1", "--out", str(out)]) == 0
    return comparable(load_results(out / "results.jsonl"))


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_a_sweep_process_and_resume_completes_it(tmp_path, capsys, uninterrupted,
                                                              jobs):  # fmt: skip
    path = tmp_path / "results.jsonl"
    command = [sys.executable, "-m", "tinyreg.app.cli", *SWEEP, "--jobs", jobs, "--out",
               str(tmp_path)]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (path.exists() and path.read_bytes().count(b"\n")) and process.poll() is None:
            assert time.monotonic() < deadline, "no trial finished in 120 s"
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130
    assert one_line(err) == (f"tinyreg sweep: interrupted; the finished trials are in {path}; "
                             "--resume runs the rest")  # fmt: skip
    recorded = comparable(load_results(path))
    assert 1 <= len(recorded) < len(uninterrupted)  # stopped in the middle
    assert set(recorded) < set(uninterrupted)  # each recorded trial finished, its numbers exact
    assert status([*SWEEP, "--jobs", "1", "--out", str(tmp_path), "--resume"]) == 0
    capsys.readouterr()
    assert comparable(load_results(path)) == uninterrupted
