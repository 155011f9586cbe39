"""Where the cells of a run execute: in this process, in joblib workers, or on Dask.

Every executor runs the same :func:`benchmark.harness.cells.run_cell` on the same picklable
tasks, so the results do not depend on the executor (tested).
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

from benchmark.ground.errors import InputError
from benchmark.harness.cells import CellTask, run_cell

#: The most local workers ``run`` starts by itself (each deep worker holds a Keras backend).
MAX_DEFAULT_JOBS = 4


def usable_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def default_jobs() -> int:
    """Local workers when ``--jobs`` is not given: one per usable core, at most four.

    Each worker gets ``cores // jobs`` threads. The small networks and the classical methods
    use a second thread poorly (measured: two one-thread workers train two U-Nets in the
    time one two-thread process trains one), so one cell per core is the fastest.
    """
    return max(1, min(MAX_DEFAULT_JOBS, usable_cores()))


def describe(jobs: int, scheduler: str | None) -> str:
    """The executor in words, as ``run.json`` records it."""
    if scheduler:
        return "dask " + scheduler
    return f"joblib, {jobs} worker(s)" if jobs > 1 else "sequential"


def execute(pending: list[CellTask], progress, *, jobs: int = 1,
            scheduler: str | None = None) -> None:
    """Run the pending cells sequentially, in joblib workers or on a Dask cluster."""
    if scheduler:
        _execute_dask(pending, progress, scheduler)
    elif jobs > 1 and len(pending) > 1:
        _execute_joblib(pending, progress, jobs)
    else:
        for task in pending:
            progress.starting(task.method, _fold(task.fold, task.seed_index, task.level))
            done = run_cell(task)
            progress.finished(task.method, _fold(task.fold, task.seed_index, task.level),
                              done["finished"] - done["started"])


def _execute_joblib(pending, progress, jobs: int) -> None:
    from joblib import Parallel, delayed, parallel_config

    threads = max(1, usable_cores() // jobs)
    tasks = [replace(t, threads=threads) for t in pending]
    with parallel_config(backend="loky", inner_max_num_threads=threads):
        # one cell per dispatch: automatic batching could group the fast first cells with
        # slow deep ones and leave a worker idle at the end
        results = Parallel(n_jobs=jobs, return_as="generator_unordered", batch_size=1,
                           pre_dispatch="n_jobs")(delayed(run_cell)(t) for t in tasks)
        for done in results:
            progress.finished(done["method"], _label(done), done["finished"] - done["started"])


def _execute_dask(pending, progress, address: str) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError("--scheduler needs Dask distributed: pip install "
                         "'massbench[dask]'") from None
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"--scheduler {address}: cannot connect ({exc})") from None
    with client:
        futures = [client.submit(run_cell, replace(t, threads=1), pure=False,
                                 key=f"massbench-{t.method}-fold{t.fold}-{time.time_ns()}")
                   for t in pending]
        for future in as_completed(futures):
            done = future.result()
            progress.finished(done["method"], _label(done), done["finished"] - done["started"])


def _fold(fold: int, seed_index: int, level: str = "") -> str:
    """How progress names a cell's fold: ``3``, ``3 seed 1``, ``3 (fraction_0.25)``.

    A further training seed is named after the fold, and a study's level after that.
    """
    text = f"{fold} seed {seed_index}" if seed_index else str(fold)
    return f"{text} ({level})" if level else text


def _label(done: dict) -> str:
    """:func:`_fold` of a finished cell's record."""
    return _fold(done["fold"], done.get("seed_index", 0), done.get("level", ""))
