"""Trust in sweeps (issue [17]): a bad argument changes nothing, sizes are refused before memory
is allocated, and whatever stops a sweep (Ctrl-C inside a Trainer, a worker killed with -9, a
corrupted results file, a full disk, an unreachable scheduler) loses nothing finished and records
nothing unfinished as finished: `resume=True` then gives the numbers of an uninterrupted run."""

import errno
import io
import json
import os
import signal
import socket
import sys
import time
import tracemalloc

import numpy as np
import pytest
from test_sweep import X, Y, comparable, tiny_build

from tinyreg.experiments import trials
from tinyreg.experiments.search import MAX_POINTS, grid, parse_knob, parse_space, sample
from tinyreg.experiments.trials import (
    SweepFailed,
    SweepIncomplete,
    load_results,
    run_sweep,
    trial_id,
)
from tinyreg.training.callbacks import Callback

POINTS = [{"l2": v} for v in (0.0, 0.01, 0.1)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted sweep: 3 points x 2 folds, serial."""
    path = tmp_path_factory.mktemp("reference") / "results.jsonl"
    return comparable(run_sweep(tiny_build, POINTS, X, Y, path, k=2, jobs=1, progress=False))


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """The bytes of a finished sweep's results file (1 point x 2 folds)."""
    path = tmp_path_factory.mktemp("finished") / "results.jsonl"
    run_sweep(tiny_build, POINTS[:1], X, Y, path, k=2, jobs=1, progress=False)
    return path.read_bytes()


def finished_file(tmp_path, finished):
    path = tmp_path / "results.jsonl"
    path.write_bytes(finished)
    return path


# --------------------------------------------------------------------------- arguments, sizes
@pytest.mark.parametrize("change, error, words", [
    ({"k": 1}, ValueError, "run_sweep: k must be an integer in [2, 120], got 1"),
    ({"k": 3.0}, TypeError, "run_sweep: k must be an integer"),
    ({"holdout": 1.5}, ValueError, "run_sweep: holdout must be a number in (0, 1), got 1.5"),
    ({"y": Y[:-1]}, ValueError, "X and y must have the same number of rows, got 120 and 119"),
    ({"points": []}, ValueError, "points is empty"),
    ({"points": [{"l2": 0.1}, {"l2": 0.1}]}, ValueError, "points[1] = {'l2': 0.1} is given twice"),
    ({"points": [{"l2": float("nan")}]}, ValueError, "points[0]['l2'] must be a finite number"),
    ({"seeds": 0}, ValueError, "run_sweep: seeds must be an integer >= 1, got 0"),
    ({"seeds": 10**9}, ValueError, "more than the limit of 100,000; fewer points (--budget N)"),
    ({"jobs": 0}, ValueError, "run_sweep: jobs must be an integer >= 1, got 0"),
    ({"scheduler": "tcp://127.0.0.1"}, ValueError, "scheduler must be an address tcp://HOST:PORT"),
    ({"scheduler": 8786}, TypeError, "run_sweep: scheduler must be an address"),
    ({"scheduler": "tcp://127.0.0.1:8786", "dask_local": 2}, ValueError, "not both"),
    ({"resume": "yes"}, TypeError, "run_sweep: resume must be True or False, got 'yes'"),
    ({"build": "tiny_build"}, TypeError, "run_sweep: build must be a function"),
    ({"connect_timeout": 0}, ValueError, "run_sweep: connect_timeout must be a number > 0"),
])  # fmt: skip
def test_a_bad_argument_is_refused_before_the_results_file_changes(
    tmp_path, finished, change, error, words
):
    path = finished_file(tmp_path, finished)
    before = path.read_bytes()
    arguments = {"build": tiny_build, "points": POINTS, "X": X, "y": Y, "results": path, "k": 2,
                 "jobs": 1, "progress": False, **change}  # fmt: skip
    with pytest.raises(error) as raised:
        run_sweep(**arguments)
    assert words in str(raised.value)
    assert path.read_bytes() == before  # a finished sweep survives a typo
    with pytest.raises(ValueError, match="results must be a file, got the folder"):
        run_sweep(tiny_build, POINTS, X, Y, tmp_path, jobs=1)


def test_sizes_are_refused_before_memory_is_allocated():
    tracemalloc.start()
    with pytest.raises(ValueError, match=r"count must be an integer in \[1, 10000\], got "
                       r"100000000; .* --budget N"):  # fmt: skip
        parse_knob("l2=1e-6..1:log:100000000")
    space = parse_space(["l2=1e-6..1:log:1000", "lr=0.01..0.1:1000"])
    with pytest.raises(
        ValueError,
        match=r"grid has 1,000,000 points \(l2: 1000 x lr: 1000\), "
        r"more than the limit of 10,000; try random points instead with --budget",
    ):
        grid(space)
    with pytest.raises(ValueError, match="budget must be an integer in"):
        sample(space, 10**8)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**20  # nothing of the sizes asked for was made
    assert len(sample(space, MAX_POINTS)) == MAX_POINTS  # the limit itself is allowed


@pytest.mark.parametrize("spec, words", [
    ("l2=1e-6..1:lgo:5", "range must be lo..hi, lo..hi:n, lo..hi:log or lo..hi:log:n"),
    ("l2=1e-6..1:log:5:7", "range must be"),
    ("l2=1e-6..1:5.5", "range must be"),
    ("l2=0.1,inf", "must be finite numbers, got 'inf'"),
    ("l2=0.1,0.1", "has the value 0.1 twice"),
    ("l2=1..1:3", "lo <= hi"),
])  # fmt: skip
def test_a_typo_in_a_space_is_an_error_not_another_grid(spec, words):
    with pytest.raises(ValueError, match="sweep: 'l2' ") as raised:
        parse_knob(spec)
    assert words in str(raised.value)
    assert parse_knob("l2=1e-3..1:log").values == pytest.approx(np.geomspace(1e-3, 1, 5))


def test_folds_check_their_arguments():
    with pytest.raises(ValueError, match=r"folds: holdout must be a number in \(0, 1\), got 1.5"):
        trials.folds(10, None, 1.5, seed=0)
    with pytest.raises(ValueError, match="holdout=0.01 of 10 rows leaves no validation rows"):
        trials.folds(10, None, 0.01, seed=0)
    with pytest.raises(ValueError, match=r"folds: k must be an integer in \[2, 10\], got 11"):
        trials.folds(10, 11, 0.2, seed=0)


# --------------------------------------------------------------------------- Ctrl-C
class StopAt(Callback):
    """Ctrl-C in the second epoch: `how` "raise" raises KeyboardInterrupt there (the Trainer's
    graceful stop catches it), "signal" sends SIGINT."""

    def __init__(self, how):
        self.how = how

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch == 1:
            if self.how == "signal":
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)  # the handler runs at once; this is not reached
            raise KeyboardInterrupt


def interrupted_build(how):
    """tiny_build, with Ctrl-C in the middle of the first trial of l2 = 0.1."""

    def build(point):
        model, kwargs = tiny_build(point)
        if point["l2"] == 0.1:
            kwargs["callbacks"] = [StopAt(how)]
        return model, kwargs

    return build


@pytest.mark.parametrize("how", ["raise", "signal"])
def test_ctrl_c_inside_a_trainer_stops_the_serial_sweep_and_records_nothing_unfinished(
    tmp_path, reference, how
):
    path = tmp_path / "results.jsonl"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(interrupted_build(how), POINTS, X, Y, path, k=2, jobs=1, progress=False)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    recorded = load_results(path)
    assert len(recorded) == 4  # l2 = 0 and 0.01 finished; the interrupted trial is not there
    assert set(comparable(recorded)) < set(reference)  # each one as in the uninterrupted run
    resumed = run_sweep(tiny_build, POINTS, X, Y, path, k=2, jobs=1, resume=True, progress=False)
    assert comparable(resumed) == reference


class CtrlCInDel:
    """Ctrl-C arriving while Python runs a __del__, where an exception cannot pass: Python
    ignores it (and would print "Exception ignored in ..."), as in a ctypes callback, where a
    Ctrl-C landed on Python 3.10 (threadpoolctl's library scan)."""

    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)  # the handler runs here; its exception is lost


def test_a_ctrl_c_that_python_ignored_still_stops_the_serial_sweep(tmp_path, reference,
                                                                   monkeypatch):  # fmt: skip
    sent, printed = [], []
    monkeypatch.setattr(sys, "unraisablehook", printed.append)  # Python's "Exception ignored"

    def build(point):
        if point["l2"] == 0.01 and not sent:
            sent.append(CtrlCInDel())
            sent[0] = None  # __del__ runs now, inside this trial
        return tiny_build(point)

    path = tmp_path / "results.jsonl"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(build, POINTS, X, Y, path, k=2, jobs=1, progress=False)
    assert sent == [None]
    recorded = comparable(load_results(path))
    assert len(recorded) == 3 and set(recorded) < set(reference)  # it ran whole; nothing after
    assert printed == []  # not printed: the CLI's stderr stays one line


# --------------------------------------------------------------------------- lost workers
def always_dying_build(point):
    """Kills its worker with SIGKILL (kill -9) in the middle of every trial of l2 = 0.1."""
    if point["l2"] == 0.1:
        os.kill(os.getpid(), signal.SIGKILL)
    return tiny_build(point)


@pytest.mark.slow
def test_a_worker_killed_twice_leaves_its_trials_unrecorded_and_resume_runs_them(
    tmp_path, reference
):
    path = tmp_path / "results.jsonl"
    # l2 = 0.1 dies on both attempts (and takes what its pool ran at the time with it)
    with pytest.raises(SweepIncomplete, match=r"run_sweep: [2-6] of 6 trials did not finish "
                       r"\(TerminatedWorkerError: .*\); none of them was recorded"):  # fmt: skip
        run_sweep(always_dying_build, POINTS, X, Y, path, k=2, jobs=2, progress=False)
    recorded = load_results(path)
    assert all("error" not in r for r in recorded)  # no "failed" record of a lost worker
    assert 0.1 not in {r["point"]["l2"] for r in recorded}
    assert set(comparable(recorded)) < set(reference)
    resumed = run_sweep(tiny_build, POINTS, X, Y, path, k=2, jobs=1, resume=True, progress=False)
    assert comparable(resumed) == reference


def test_records_of_lost_workers_written_by_older_versions_are_run_again(tmp_path, reference):
    path = tmp_path / "results.jsonl"
    run_sweep(tiny_build, POINTS[:2], X, Y, path, k=2, jobs=1, progress=False)
    lost = {"id": trial_id(POINTS[2], 0, 0), "point": POINTS[2], "fold": 0, "seed": 0,
            "error": "worker lost twice: TerminatedWorkerError"}  # fmt: skip
    with open(path, "a") as f:
        f.write(json.dumps(lost) + "\n")
    resumed = run_sweep(tiny_build, POINTS, X, Y, path, k=2, jobs=1, resume=True, progress=False)
    assert comparable(resumed) == reference


def machine_build(point):
    if point["l2"] == 0.1:
        raise OSError(errno.EIO, "the disk under the data went away")
    if point["l2"] == 0.01:
        raise ValueError("this setting is broken")
    return tiny_build(point)


def test_the_trials_own_errors_are_done_the_machines_are_not(tmp_path):
    path = tmp_path / "results.jsonl"
    with pytest.raises(SweepIncomplete, match="OSError"):
        run_sweep(machine_build, POINTS, X, Y, path, k=2, jobs=1, progress=False)
    recorded = {r["id"]: r for r in load_results(path)}
    assert "error" not in recorded[trial_id(POINTS[0], 1, 0)]
    assert "this setting is broken" in recorded[trial_id(POINTS[1], 1, 0)]["error"]
    assert not any(r["point"] == POINTS[2] for r in recorded.values())  # not done: run again


def test_a_sweep_whose_every_trial_failed_raises(tmp_path):
    def broken(point):
        raise ValueError("no model today")

    path = tmp_path / "results.jsonl"
    for resume in (False, True):  # recorded, and still refused when resumed
        with pytest.raises(SweepFailed, match="all 6 trials failed .*no model today"):
            run_sweep(broken, POINTS, X, Y, path, k=2, jobs=1, resume=resume, progress=False)
    assert len(load_results(path)) == 6


# --------------------------------------------------------------------------- the results file
def test_a_corrupted_results_file_is_resumed_without_losing_or_inventing_trials(
    tmp_path, reference
):
    path = tmp_path / "results.jsonl"
    run_sweep(tiny_build, POINTS, X, Y, path, k=2, jobs=1, progress=False)
    lines = path.read_text().splitlines(keepends=True)
    damaged = json.loads(lines[3])
    del damaged["point"]  # valid JSON, not a record (resuming it raised KeyError before)
    lines[1] = lines[1][: len(lines[1]) // 2] + "\n"  # truncated in the middle of the file
    lines[3] = json.dumps(damaged) + "\n"
    path.write_text("".join(lines))
    with pytest.warns(UserWarning, match=r"skipped 2 line\(s\) .*line 2, 4"):
        assert len(load_results(path)) == 4
    with pytest.warns(UserWarning, match=r"2 line\(s\) of .* moved to .*results.jsonl.rejected"):
        resumed = run_sweep(tiny_build, POINTS, X, Y, path, k=2, jobs=1, resume=True,
                            progress=False)  # fmt: skip
    assert comparable(resumed) == reference  # the two damaged trials ran again, nothing else
    assert len(path.read_text().splitlines()) == 6
    assert len((tmp_path / "results.jsonl.rejected").read_text().splitlines()) == 2


def test_resume_refuses_a_file_of_another_split(tmp_path, finished):
    path = finished_file(tmp_path, finished)
    before = path.read_bytes()
    for change in ({"k": 3}, {"X": X + 1.0}):
        arguments = {"k": 2, "X": X, **change}
        with pytest.raises(ValueError, match="holds trials of another split"):
            run_sweep(tiny_build, POINTS, arguments["X"], Y, path, k=arguments["k"], jobs=1,
                      resume=True, progress=False)  # fmt: skip
    assert path.read_bytes() == before


class FullDisk(io.FileIO):
    """A file on a disk that fills up: each write puts half its bytes down, then fails."""

    def write(self, data):
        super().write(bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_stops_the_sweep_and_keeps_the_file_whole(tmp_path, monkeypatch, reference):
    path = tmp_path / "results.jsonl"
    appends = []

    def disk(file, mode="r", *args, **kwargs):
        if "a" in mode:
            appends.append(file)
            if len(appends) >= 3:
                return FullDisk(file, "ab")
        return open(file, mode, *args, **kwargs)

    monkeypatch.setattr(trials, "open", disk, raising=False)
    with pytest.raises(OSError, match=r"run_sweep: cannot write .*No space left on device.* "
                       "resume=True"):  # fmt: skip
        run_sweep(tiny_build, POINTS, X, Y, path, k=2, jobs=1, progress=False)
    monkeypatch.undo()
    text = path.read_text()
    assert text.endswith("\n") and len(text.splitlines()) == 3  # the half line was cut back
    assert set(comparable(load_results(path))) < set(reference)
    resumed = run_sweep(tiny_build, POINTS, X, Y, path, k=2, jobs=1, resume=True, progress=False)
    assert comparable(resumed) == reference


# --------------------------------------------------------------------------- Dask
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_or_silent_scheduler_fails_within_its_bound(tmp_path, finished):
    pytest.importorskip("distributed")
    path = finished_file(tmp_path, finished)
    before = path.read_bytes()
    with socket.socket() as silent:  # accepts connections, never answers (not a scheduler)
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        for port in (free_port(), silent.getsockname()[1]):
            start = time.perf_counter()
            with pytest.raises(ConnectionError, match=f"run_sweep: cannot reach the Dask "
                               f"scheduler at 'tcp://127.0.0.1:{port}' within 1 s"):  # fmt: skip
                run_sweep(tiny_build, POINTS, X, Y, path, k=2, scheduler=f"tcp://127.0.0.1:{port}",
                          connect_timeout=1, progress=False)  # fmt: skip
            assert time.perf_counter() - start < 15
    assert path.read_bytes() == before  # nothing recorded, and the old sweep is still there


class KillAt(Callback):
    """kill -9 of the Dask worker in the first epoch of a trial, once (a marker file)."""

    def __init__(self, marker):
        self.marker = marker

    def on_epoch_end(self, trainer, epoch, logs):
        if not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)


class KilledOnce:
    def __init__(self, marker):
        self.marker = marker

    def __call__(self, point):
        model, kwargs = tiny_build(point)
        if point["l2"] == 0.01:
            kwargs["callbacks"] = [KillAt(self.marker)]
        return model, kwargs


@pytest.mark.slow
def test_a_dask_worker_killed_mid_trial_loses_nothing(tmp_path, reference):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:  # fmt: skip
        records = run_sweep(KilledOnce(str(tmp_path / "killed")), POINTS, X, Y,
                            tmp_path / "results.jsonl", k=2, scheduler=client,
                            progress=False)  # fmt: skip
    assert (tmp_path / "killed").exists()  # a worker really died in the middle of a trial
    assert comparable(records) == reference and all("error" not in r for r in records)


# --------------------------------------------------------------------------- a scheduler of its own
@pytest.fixture
def scheduler(tmp_path):
    """A Dask scheduler and one one-thread worker, each a process of its own (as `dask scheduler`
    and `dask worker` start them), that can import this test folder; yields (address, the
    scheduler's process); both are stopped afterwards."""
    pytest.importorskip("distributed")
    import subprocess

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.path.dirname(__file__)}
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                                   "--port", str(port), "--no-dashboard"], **quiet)]  # fmt: skip
    worker = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
              "--no-dashboard"]  # fmt: skip
    processes.append(subprocess.Popen(worker, **quiet))
    try:
        yield address, processes[0]
    finally:
        for process in processes:
            process.kill()
            process.wait()


def where(_):
    return os.getpid()


@pytest.mark.slow
def test_a_scheduler_with_one_worker_thread_runs_the_tasks_on_that_worker(scheduler):
    from tinyreg.experiments.runner import run_tasks

    address, _ = scheduler
    pids = set(run_tasks(where, [(i,) for i in range(4)], scheduler=address, progress=False))
    assert len(pids) == 1 and os.getpid() not in pids  # joblib's dask backend ran them here


def slow_build(point):
    """tiny_build, half a second slower: time for the scheduler to die mid-sweep."""
    time.sleep(0.5)
    return tiny_build(point)


@pytest.mark.slow
def test_a_scheduler_killed_mid_sweep_fails_within_its_bound_and_loses_nothing(
    tmp_path, scheduler, reference
):
    import threading

    address, process = scheduler
    path = tmp_path / "results.jsonl"

    def kill_after_the_first_record():
        while not (path.exists() and path.read_bytes().count(b"\n") >= 1):
            time.sleep(0.05)
        process.kill()  # kill -9 of the scheduler
        killed.append(time.perf_counter())

    killed = []
    threading.Thread(target=kill_after_the_first_record, daemon=True).start()
    with pytest.raises(SweepIncomplete, match=r"run_sweep: [1-5] of 6 trials did not finish .*; "
                       r"none of them was recorded"):  # fmt: skip
        run_sweep(slow_build, POINTS, X, Y, path, k=2, scheduler=address, connect_timeout=3,
                  progress=False)  # fmt: skip
    assert killed and time.perf_counter() - killed[0] < 3 + 10  # the reconnect wait, bounded
    recorded = load_results(path)
    assert recorded and all("error" not in r for r in recorded)
    assert set(comparable(recorded)) < set(reference)  # finished ones kept, each as uninterrupted
    resumed = run_sweep(tiny_build, POINTS, X, Y, path, k=2, jobs=1, resume=True, progress=False)
    assert comparable(resumed) == reference
