"""Where the cells of a run execute: in this process, in joblib workers, or on Dask.

Every executor runs the same :func:`benchmark.harness.cells.run_cell` on the same picklable
tasks, so the results do not depend on the executor (tested). A worker process is made quiet
first (:func:`quiet_worker`): TensorFlow's log lines, which the main process never shows, stay
out of the run's output; Python's own warnings and errors still show.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
import warnings
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


#: The lines of a worker's native stderr that are dropped: TensorFlow's C++ log (absl's
#: start-up warning, its INFO and WARNING lines such as the oneDNN note, the CPU-feature
#: note's second line, and the harmless tf.data error "NodeDef mentions attribute ..."), in
#: absl's format (TensorFlow 2.16 on) and in the older one (``2024-05-01 10:00:00.1: I ...``).
#: Every other line, an ERROR or FATAL one above all, is kept.
_ABSL = r"\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w./-]+:\d+\] "  # after the level letter
_OLD = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: "  # before it
_PLACE = r" [\w./-]+:\d+\] "  # after it
NATIVE_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called"
    rf"|[IW]{_ABSL}|{_OLD}[IW]{_PLACE}"
    rf"|(?:E{_ABSL}|{_OLD}E{_PLACE}).*NodeDef mentions attribute"
    r"|To enable the following instructions: .*rebuild TensorFlow")
#: The Python warning of TensorFlow that is dropped (logger ``tensorflow``): a model that
#: predicts on images of several sizes retraces, which costs time and says nothing wrong.
RETRACING = "triggered tf.function retracing"
#: loky's warning when it replaces a worker (its memory-growth check) with work queued.
LOKY_RESTART = "A worker stopped while some jobs were given to the executor"

_QUIET_LOCK = threading.Lock()
_QUIET = []  # this process is quiet


def quiet_worker() -> None:
    """Keep TensorFlow's log lines out of this worker process's stderr; once per process.

    TensorFlow's C++ start-up and its tf.data runtime write to file descriptor 2 whatever
    ``TF_CPP_MIN_LOG_LEVEL`` says (absl writes everything before its initialisation, which
    TensorFlow never calls). Here descriptor 2 becomes a pipe whose lines a thread forwards
    to the real stderr, less those of :data:`NATIVE_NOISE`; Python's ``sys.stderr`` writes to
    the real stderr directly (warnings, tracebacks, a fatal error's faulthandler dump), and
    the ``tensorflow`` logger drops its retracing warnings (:data:`RETRACING`). Call it
    before TensorFlow is imported.
    """
    with _QUIET_LOCK:
        if _QUIET:
            return
        _QUIET.append(True)
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        logging.getLogger("tensorflow").addFilter(_not_retracing)
        try:
            sys.stderr.flush()
            real = os.dup(2)
        except (OSError, ValueError, AttributeError):  # no real descriptor 2: nothing to do
            return
        read, write = os.pipe()
        os.dup2(write, 2)
        os.close(write)
        sys.stderr = open(real, "w", buffering=1, encoding="utf-8",  # noqa: SIM115
                          errors="backslashreplace", closefd=False)
        import faulthandler

        if faulthandler.is_enabled():
            faulthandler.enable(file=sys.stderr)
        threading.Thread(target=_forward, args=(read, real), name="massbench-stderr",
                         daemon=True).start()


def _not_retracing(record: logging.LogRecord) -> bool:
    return RETRACING not in record.getMessage()


def _forward(read: int, real: int) -> None:
    """Copy the pipe's lines to the real stderr, less TensorFlow's log lines."""
    pending = b""
    with open(read, "rb", buffering=0) as pipe:
        while chunk := pipe.read(1 << 16):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            kept = [line for line in lines
                    if not NATIVE_NOISE.match(line.decode("utf-8", "replace"))]
            if kept:
                os.write(real, b"\n".join(kept) + b"\n")
    if pending and not NATIVE_NOISE.match(pending.decode("utf-8", "replace")):
        os.write(real, pending)


def _run_quietly(task: CellTask, parent: int) -> dict:
    """:func:`run_cell` in a worker made quiet first (not in the process that submitted it)."""
    if os.getpid() != parent:
        quiet_worker()
    return run_cell(task)


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
    with parallel_config(backend="loky", inner_max_num_threads=threads), \
            warnings.catch_warnings():
        # loky replaces a worker whose memory grew by 300 MB over its tasks (a deep model's
        # backend) between two tasks, and warns of "a memory leak" when work was queued:
        # no task is lost, so the warning only alarms
        warnings.filterwarnings("ignore", message=LOKY_RESTART, category=UserWarning)
        # one cell per dispatch: automatic batching could group the fast first cells with
        # slow deep ones and leave a worker idle at the end
        results = Parallel(n_jobs=jobs, return_as="generator_unordered", batch_size=1,
                           pre_dispatch="n_jobs")(delayed(_run_quietly)(t, os.getpid())
                                                  for t in tasks)
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
        futures = [client.submit(_run_quietly, replace(t, threads=1), os.getpid(), pure=False,
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
