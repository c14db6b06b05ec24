"""The one runner of `compare` and `sweep`: map a task function over tasks on this machine's
cores (joblib's process pool, loky) or on a Dask cluster (joblib's dask backend: a scheduler
address, a `dask.distributed.Client`, or a LocalCluster started here), with a progress bar.

Every task runs on one thread (Numba's and the BLAS pools limited to 1), in a worker process or
in this one, so that workers share the cores instead of fighting over them and a task gives the
same numbers wherever it ran (`threads=None` lifts the limit: GPU runs, one after the other).
Before a pool starts, `warm_up` (if given) runs once here: it fills Numba's cache so the workers
load the kernels instead of all compiling them at once.

Trust:

- every network wait has a bound: a scheduler address is checked (`check_address`) before any
  connection, connecting to it and waiting for its first worker each take at most
  `connect_timeout` seconds (CONNECT_TIMEOUT by default), then a ConnectionError says so;
- Ctrl-C stops the work: inside `interruptible()` a SIGINT raises past any `except
  KeyboardInterrupt` below it (the Trainer's graceful stop, which would otherwise return from
  `fit` as if it had finished) and leaves the block as KeyboardInterrupt; `deferred()` holds it
  back while a record is being written, so a record is written whole or not at all.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import numpy as np

from .. import validate as check

T = TypeVar("T")
CONNECT_TIMEOUT = 20.0  # seconds to reach a Dask scheduler, and again for its first worker
SCATTER_BYTES = 100_000  # a task's arrays of this size or more go to a Dask cluster once
SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")


def limited(fn: Callable[..., T], threads: int | None, *args: Any) -> T:
    """fn(*args) with Numba and the BLAS/OpenMP pools limited to `threads` threads (Numba's
    setting is put back afterwards); None: no limit."""
    if threads is None:
        return fn(*args)
    import numba
    from threadpoolctl import threadpool_limits

    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        with threadpool_limits(threads):
            return fn(*args)
    finally:
        numba.set_num_threads(before)


def worker_init() -> None:
    """The initializer of joblib's worker processes. They leave Ctrl-C to the process that
    started them: a terminal sends SIGINT to the whole process group, and the parent stops the
    pool (a worker's Trainer would otherwise stop gracefully and return a half-trained result).
    Their progress bars (never drawn: verbose=0) lock with a thread lock instead of a
    multiprocessing semaphore, which a worker killed mid-task (the parent stopping the pool)
    would leave behind, and the resource tracker would then warn about."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())


# --------------------------------------------------------------------------- Ctrl-C
class _Stop(BaseException):
    """Ctrl-C inside `interruptible()`: a BaseException other than KeyboardInterrupt, so neither
    `except Exception` nor `except KeyboardInterrupt` (a Trainer's graceful stop) catches it."""


_signal_state = {"depth": 0, "deferring": 0, "pending": False, "stopped": False}


def _on_sigint(signum: int, frame: Any) -> None:
    _signal_state["stopped"] = True
    if _signal_state["deferring"]:
        _signal_state["pending"] = True
        return
    raise _Stop


def stop_point() -> None:
    """Raise a Ctrl-C that arrived where no exception can pass: Python prints and ignores one
    raised inside a ctypes callback (threadpoolctl's library scan), a `__del__` or a weakref
    callback, and the work would go on. Called between tasks, and when `interruptible()` ends."""
    if _signal_state["stopped"] and _signal_state["depth"]:
        raise _Stop


@contextmanager
def interruptible() -> Iterator[None]:
    """A block that Ctrl-C stops for good: SIGINT raises an exception that no handler below
    catches (the Trainer's graceful stop included; `finally` blocks still run), turned into
    KeyboardInterrupt when it leaves the block. Only in the main thread and while Python's own
    SIGINT handler is installed; elsewhere the block runs unchanged."""
    install = (
        threading.current_thread() is threading.main_thread()
        and _signal_state["depth"] == 0
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    unraisable = sys.unraisablehook
    if install:
        _signal_state["stopped"] = False
        signal.signal(signal.SIGINT, _on_sigint)
        sys.unraisablehook = functools.partial(_quiet_stop, unraisable)
    _signal_state["depth"] += install
    try:
        yield
        stop_point()
    except _Stop:
        raise KeyboardInterrupt from None
    finally:
        if install:
            _signal_state["depth"] -= 1
            _signal_state["pending"] = False
            signal.signal(signal.SIGINT, signal.default_int_handler)
            sys.unraisablehook = unraisable


def _quiet_stop(hook: Callable[[Any], None], unraisable: Any) -> None:
    """sys.unraisablehook inside `interruptible()`: a Ctrl-C that Python had to ignore is not
    printed ("Exception ignored ..."), as `stop_point` raises it again; anything else is."""
    if not isinstance(unraisable.exc_value, _Stop):
        hook(unraisable)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold a Ctrl-C back until the block ends (inside `interruptible()`): for writing a record
    whole."""
    _signal_state["deferring"] += 1
    try:
        yield
    finally:
        _signal_state["deferring"] -= 1
        if not _signal_state["deferring"] and _signal_state["pending"]:
            _signal_state["pending"] = False
            raise _Stop


# --------------------------------------------------------------------------- Dask
def check_address(owner: str, address: Any) -> str:
    """A Dask scheduler address "tcp://HOST:PORT" (also tls, ws, wss, ucx; a bare "HOST:PORT"
    means tcp), checked without connecting: a TypeError or ValueError naming `owner`."""
    if not isinstance(address, str):
        raise check.fail(owner, "scheduler", "an address 'tcp://HOST:PORT' or a "
                         "dask.distributed.Client", address, TypeError)  # fmt: skip
    expected = "an address tcp://HOST:PORT (HOST a name or an IP, PORT in 1..65535)"
    text = address if "://" in address else f"tcp://{address}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise check.fail(owner, "scheduler", expected, address) from None
    if (parts.scheme not in SCHEMES or not parts.hostname or port is None or not 0 < port
            or parts.path not in ("", "/") or parts.query or parts.fragment):  # fmt: skip
        raise check.fail(owner, "scheduler", expected, address)
    return text


def check_target(owner: str, scheduler: Any, dask_local: Any) -> None:
    """Where tasks may go: a scheduler (an address or a Client) or a LocalCluster size, not
    both; errors name `owner`."""
    if dask_local is not None:
        check.integer(owner, "dask_local", dask_local, low=1)
        if scheduler is not None:
            raise ValueError(f"{owner}: give scheduler or dask_local, not both (got "
                             f"scheduler={scheduler!r}, dask_local={dask_local})")  # fmt: skip
    if isinstance(scheduler, str) or (scheduler is not None and not _is_client(scheduler)):
        check_address(owner, scheduler)


def _is_client(value: Any) -> bool:
    if value is None or isinstance(value, str):
        return False
    try:
        from distributed import Client
    except ImportError:
        return False
    return isinstance(value, Client)


@contextmanager
def dask_client(scheduler: Any = None, dask_local: int | None = None,
                connect_timeout: float = CONNECT_TIMEOUT,
                owner: str = "dask_client") -> Iterator[Any]:  # fmt: skip
    """The Dask target of a run: None, or a Client. `scheduler` as a Client is used as given;
    as an address it is checked, then connected to, waiting at most `connect_timeout` seconds
    to connect and as long again for a worker (a ConnectionError otherwise), closed on exit;
    with `dask_local` N, a Client of a LocalCluster of N one-thread worker processes, closed
    on exit."""
    check_target(owner, scheduler, dask_local)
    connect_timeout = check.number(owner, "connect_timeout", connect_timeout, 0, low_open=True)
    if not dask_local and (scheduler is None or _is_client(scheduler)):
        yield scheduler
        return
    from dask.distributed import Client, LocalCluster

    cluster = None
    if dask_local:
        cluster = LocalCluster(n_workers=dask_local, threads_per_worker=1, processes=True,
                               dashboard_address=None)  # fmt: skip
        client = Client(cluster, set_as_default=False)
    else:
        address = check_address(owner, scheduler)
        _probe(owner, address, connect_timeout)  # bounded: Client's own handshake wait is not
        try:
            client = Client(address, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise ConnectionError(f"{owner}: cannot reach the Dask scheduler at {address!r} "
                                  f"within {connect_timeout:g} s ({error})") from None  # fmt: skip
        try:
            client.wait_for_workers(1, timeout=connect_timeout)
        except (OSError, TimeoutError) as error:
            client.close()
            raise ConnectionError(f"{owner}: the Dask scheduler at {address!r} has no worker "
                                  f"after {connect_timeout:g} s ({error})") from None  # fmt: skip
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _probe(owner: str, address: str, timeout: float) -> None:
    """Ask the scheduler at `address` who it is, all within `timeout` seconds (in a thread of
    its own, so that a running event loop, as in Jupyter, is no obstacle); a ConnectionError
    when it does not answer, or is not a Dask scheduler."""
    import asyncio

    from distributed.core import rpc

    answer: dict[str, Any] = {}

    async def identity() -> dict[str, Any]:
        async with rpc(address, timeout=timeout) as remote:
            return await remote.identity()

    def ask() -> None:
        try:
            answer["info"] = asyncio.run(asyncio.wait_for(identity(), timeout))
        except BaseException as error:  # noqa: BLE001 - reported below, in this thread's caller
            answer["error"] = error

    thread = threading.Thread(target=ask, name="tinyreg-dask-probe", daemon=True)
    thread.start()
    thread.join(timeout + 5)  # wait_for bounds it; the margin is for the loop's own shutdown
    info = answer.get("info")
    if not isinstance(info, dict) or info.get("type") != "Scheduler":
        why = answer.get("error") or (f"it answered as {info.get('type')!r}" if info else "")
        why = f"{type(why).__name__} {why}".strip() if isinstance(why, BaseException) else why
        raise ConnectionError(f"{owner}: cannot reach the Dask scheduler at {address!r} within "
                              f"{timeout:g} s ({why or 'no answer'})")  # fmt: skip


def parallel(jobs: int | None = None, scheduler: Any = None, dask_local: int | None = None) -> bool:
    """Whether tasks go to other processes: a Dask target, or more than one joblib job (None:
    the CPU count)."""
    return bool(scheduler or dask_local) or (jobs or os.cpu_count() or 1) > 1


def run_tasks(fn: Callable[..., T], tasks: Sequence[tuple], *, jobs: int | None = None,
              scheduler: Any = None, dask_local: int | None = None, threads: int | None = 1,
              warm_up: Callable[[], None] | None = None, desc: str = "tinyreg",
              unit: str = "task", progress: bool = True,
              connect_timeout: float = CONNECT_TIMEOUT) -> Iterator[T]:  # fmt: skip
    """Yield fn(*task) for every task, in the order they finish.

    jobs: joblib worker processes (None: the CPU count; 1 runs the tasks here, one after the
    other). scheduler: a Dask scheduler address or Client; dask_local: start a LocalCluster of
    that many workers for this call (see `dask_client`, and its bounded waits). threads: per
    task (`limited`; None: no limit, for work on a GPU). fn and the tasks must pickle
    (module-level functions and classes, or what cloudpickle handles) when they go to other
    processes. A worker that dies raises joblib's (or Dask's) error here; the caller decides
    what to run again. The arguments are checked before anything starts."""
    owner = "run_tasks"
    if not callable(fn):
        raise check.fail(owner, "fn", "a function", fn, TypeError)
    if jobs is not None:
        jobs = check.integer(owner, "jobs", jobs, low=1)
    if threads is not None:
        threads = check.integer(owner, "threads", threads, low=1)
    check_target(owner, scheduler, dask_local)
    tasks = list(tasks)
    return _run(fn, tasks, jobs, scheduler, dask_local, threads, warm_up, desc, unit, progress,
                connect_timeout)  # fmt: skip


def _run(fn: Callable[..., T], tasks: list[tuple], jobs: int | None, scheduler: Any,
         dask_local: int | None, threads: int | None, warm_up: Callable[[], None] | None,
         desc: str, unit: str, progress: bool, connect_timeout: float) -> Iterator[T]:  # fmt: skip
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), desc=desc, unit=unit, disable=not progress)
    try:
        if not parallel(jobs, scheduler, dask_local):
            for task in tasks:
                stop_point()
                yield limited(fn, threads, *task)
                bar.update(1)
            return
        from joblib import Parallel, delayed, parallel_config

        if warm_up is not None:
            warm_up()
        with dask_client(scheduler, dask_local, connect_timeout, "run_tasks") as target:
            if target is None:
                context = parallel_config(backend="loky", n_jobs=jobs or os.cpu_count() or 1,
                                          initializer=worker_init)  # fmt: skip
                with context:
                    calls = (delayed(limited)(fn, threads, *task) for task in tasks)
                    results = Parallel(return_as="generator_unordered")(calls)
            else:
                results = _on_dask(target, fn, tasks, threads)
            for result in results:
                stop_point()
                yield result
                bar.update(1)
    finally:
        bar.close()


def _on_dask(client: Any, fn: Callable[..., T], tasks: list[tuple],
             threads: int | None) -> Iterator[T]:  # fmt: skip
    """fn(*task) for every task on the cluster of `client`, in the order they finish. Submitted
    to Dask itself, not through joblib's dask backend, which runs everything in this process
    when the cluster has a single worker thread. Arrays go to the cluster once (scattered) and
    are shared by the tasks. A worker that dies has its task run elsewhere by Dask (up to its
    `allowed-failures`, then KilledWorker here); a scheduler that dies closes the client after
    its reconnect timeout (the connect timeout), and the unfinished tasks raise here. Leaving
    early (Ctrl-C, an error) cancels the tasks not yet finished."""
    from distributed import as_completed

    shared: dict[int, Any] = {}

    def sent(value: Any) -> Any:
        if not isinstance(value, np.ndarray) or value.nbytes < SCATTER_BYTES:
            return value
        if id(value) not in shared:
            shared[id(value)] = client.scatter(value, hash=False)
        return shared[id(value)]

    futures = [client.submit(limited, fn, threads, *map(sent, task), pure=False)
               for task in tasks]  # fmt: skip
    try:
        for future in as_completed(futures, loop=client.loop):
            yield future.result()
    finally:
        client.cancel(futures)
