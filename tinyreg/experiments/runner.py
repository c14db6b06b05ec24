"""The one runner of `compare` and `sweep`: map a task function over tasks on this machine's
cores (joblib's process pool, loky) or on a Dask cluster (joblib's dask backend: a scheduler
address, a `dask.distributed.Client`, or a LocalCluster started here), with a progress bar.

Every task runs on one thread (Numba's and the BLAS pools limited to 1), in a worker process or
in this one, so that workers share the cores instead of fighting over them and a task gives the
same numbers wherever it ran (`threads=None` lifts the limit: GPU runs, one after the other).
Before a pool starts, `warm_up` (if given) runs once here: it fills Numba's cache so the workers
load the kernels instead of all compiling them at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


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


@contextmanager
def dask_client(scheduler: Any = None, dask_local: int | None = None) -> Iterator[Any]:
    """The Dask target of a run: `scheduler` as given (None, an address "tcp://host:port" or a
    Client), or with `dask_local` N a Client of a LocalCluster of N one-thread worker processes,
    closed on exit."""
    if not dask_local:
        yield scheduler
        return
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=dask_local, threads_per_worker=1, processes=True)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def parallel(jobs: int | None = None, scheduler: Any = None, dask_local: int | None = None) -> bool:
    """Whether tasks go to other processes: a Dask target, or more than one joblib job (None:
    the CPU count)."""
    return bool(scheduler or dask_local) or (jobs or os.cpu_count() or 1) > 1


def run_tasks(fn: Callable[..., T], tasks: Sequence[tuple], *, jobs: int | None = None,
              scheduler: Any = None, dask_local: int | None = None, threads: int | None = 1,
              warm_up: Callable[[], None] | None = None, desc: str = "tinyreg",
              unit: str = "task", progress: bool = True) -> Iterator[T]:  # fmt: skip
    """Yield fn(*task) for every task, in the order they finish.

    jobs: joblib worker processes (None: the CPU count; 1 runs the tasks here, one after the
    other). scheduler: a Dask scheduler address or Client; dask_local: start a LocalCluster of
    that many workers for this call (see `dask_client`). threads: per task (`limited`; None: no
    limit, for work on a GPU). fn and the tasks must pickle (module-level functions and classes,
    or what cloudpickle handles) when they go to other processes. A worker that dies raises
    joblib's error here; the caller decides what to run again."""
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), desc=desc, unit=unit, disable=not progress)
    try:
        if not parallel(jobs, scheduler, dask_local):
            for task in tasks:
                yield limited(fn, threads, *task)
                bar.update(1)
            return
        from joblib import Parallel, delayed, parallel_config

        if warm_up is not None:
            warm_up()
        with dask_client(scheduler, dask_local) as target:
            if target is None:
                context = parallel_config(backend="loky", n_jobs=jobs or os.cpu_count() or 1)
            else:
                key = "scheduler_host" if isinstance(target, str) else "client"
                context = parallel_config(backend="dask", n_jobs=-1, wait_for_workers_timeout=60,
                                          **{key: target})  # fmt: skip
            with context:
                calls = (delayed(limited)(fn, threads, *task) for task in tasks)
                for result in Parallel(return_as="generator_unordered")(calls):
                    yield result
                    bar.update(1)
    finally:
        bar.close()
