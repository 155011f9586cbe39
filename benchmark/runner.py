"""``python -m benchmark run``: every method on the same splits, resumable, local or on Dask.

Stages: load the data (a broken dataset stops here, before any cell), make or reuse
``splits.json``, run the cells that are not complete (one method on one fold each; in this
process, in ``--jobs`` joblib workers or on a Dask scheduler, always through
:func:`benchmark.cells.run_cell`), gather ``metrics.csv`` from the cells in a fixed order, run
the diagnosis stage, record ``run.json`` and write the report.
"""

from __future__ import annotations

import os
import platform
import shlex
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from baselines.registry import SEGMENTERS
from benchmark import store
from benchmark.cells import METRIC_COLUMNS, CellTask, run_cell
from benchmark.data import Dataset, load_dataset, make_phantom
from benchmark.diagnosis import classify_sources, reference_features, skip_reason
from benchmark.errors import InputError
from benchmark.methods import all_methods
from benchmark.profiles import PROFILES
from benchmark.progress import Progress
from benchmark.splits import DEFAULT_SEED, check_splits, make_splits, read_splits, write_splits

#: Settings that must agree between a run folder and a command that continues it.
SETTINGS = ("profile", "folds", "seed", "methods", "keras_backend", "data_fingerprint")
_OPTION = {"data_fingerprint": "--data", "profile": "--profile", "folds": "--folds",
           "seed": "--seed", "methods": "--all/--methods", "keras_backend": "KERAS_BACKEND"}
PACKAGES = ("massbench", "numpy", "scipy", "numba", "scikit-image", "scikit-learn", "pandas",
            "joblib", "keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib", "torch",
            "dask", "distributed")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    """Installed versions of the packages that shape the results."""
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    found["python"] = platform.python_version()
    return found


def machine() -> dict:
    """The machine the run's main process ran on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "host": platform.node()}


def load_run_data(data: str, profile) -> Dataset:
    """The dataset of a run: the profile's phantom for ``phantom``, else the given data."""
    if data == "phantom":
        return make_phantom(profile.phantom_cases, size=profile.phantom_size)
    return load_dataset(data)


def default_out(profile: str) -> Path:
    """A new folder under ``runs/``, named by the time and the profile."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path("runs") / f"{stamp}-{profile}"
    n = 1
    while out.exists():
        n += 1
        out = Path("runs") / f"{stamp}-{profile}-{n}"
    return out


def _check_folder(out: Path, settings: dict) -> dict | None:
    """The existing ``run.json`` of ``out`` if its settings agree; errors otherwise."""
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder; choose another --out", out)
    run_json = out / store.RUN_JSON
    if not run_json.is_file():
        if out.is_dir() and any(out.iterdir()):
            raise InputError("folder is not empty and holds no run.json, so it is not a "
                             "massbench run folder; choose a new or empty --out", out)
        return None
    try:
        previous = store.read_json(run_json)
        old = previous["settings"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"unreadable run record ({exc}); choose another --out",
                         run_json) from None
    for key in SETTINGS:
        if old.get(key) != settings.get(key):
            raise InputError(f"{_OPTION[key]} differs from the run in this folder (it was "
                             f"made with {old.get(key)!r}, this command gives "
                             f"{settings.get(key)!r}); repeat its settings to resume it, or "
                             "choose another --out", run_json)
    return previous


def run_benchmark(methods: list[str], *, data: str = "phantom", profile: str = "standard",
                  folds: int | None = None, seed: int | None = None,
                  out: str | os.PathLike | None = None, jobs: int = 1,
                  scheduler: str | None = None, quiet: bool = False, command=None,
                  stream=None, report: bool = True) -> Path:
    """Run ``methods`` on every fold and write (or complete) a run folder.

    Parameters
    ----------
    methods : list of str
        Method names (see :func:`benchmark.methods.resolve_methods`).
    data : str, default "phantom"
        ``phantom``, a course-format folder or a manifest CSV.
    profile : {"quick", "standard"}
    folds : int, optional
        Default: the profile's.
    seed : int, optional
        Seed of the split and of the methods (default 12345).
    out : path-like, optional
        The run folder (default: a new folder under ``runs/``). An existing run folder with
        the same settings is continued: complete cells are kept, the rest are run.
    jobs : int, default 1
        Local worker processes (joblib).
    scheduler : str, optional
        Address of a Dask distributed scheduler (instead of local workers).
    quiet : bool, default False
    command : list of str, optional
        The command line, recorded in ``run.json``.
    stream : file-like, optional
        Where progress goes (default stderr).
    report : bool, default True
        Write ``report.html`` at the end.

    Returns
    -------
    Path
        The run folder.
    """
    if profile not in PROFILES:
        raise InputError(f"--profile must be one of {', '.join(PROFILES)}; got {profile!r}")
    prof = PROFILES[profile]
    n_folds = folds if folds is not None else prof.n_folds
    seed = DEFAULT_SEED if seed is None else seed
    stages = {}
    t0 = time.perf_counter()
    dataset = load_run_data(data, prof)
    stages["load_s"] = time.perf_counter() - t0
    info = all_methods(deep=any(m not in SEGMENTERS for m in methods))
    has_deep = any(info[m].family == "deep" for m in methods)
    backend = None
    if has_deep:
        from deep.device import backend_name

        backend = backend_name()
    settings = {"data": str(data), "data_fingerprint": dataset.fingerprint, "profile": profile,
                "folds": n_folds, "seed": seed, "methods": list(methods),
                "keras_backend": backend}
    out = Path(out) if out is not None else default_out(profile)
    previous = _check_folder(out, settings)
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    for stale in out.glob(".*.tmp*"):  # left by a run killed mid-write
        stale.unlink(missing_ok=True)

    t0 = time.perf_counter()
    splits_path = out / store.SPLITS_JSON
    if splits_path.is_file():
        splits = read_splits(splits_path)
        try:
            check_splits(splits, dataset)
        except ValueError as exc:
            raise InputError(f"does not fit the data ({exc}); choose another --out",
                             splits_path) from None
    else:
        splits = make_splits(dataset, n_folds=n_folds, seed=seed)
        write_splits(splits, splits_path)
    stages["splits_s"] = time.perf_counter() - t0
    if not (out / store.CASES_NPZ).is_file():
        store.write_cases(out / store.CASES_NPZ, dataset)

    record = {
        "massbench_run": 1,
        "command": command if command is not None else [],
        "command_line": shlex.join(command) if command else None,
        "settings": settings,
        "profile_settings": prof.as_dict(),
        "dataset": {"name": dataset.name, "source": dataset.source,
                    "reference": dataset.reference, "n_cases": len(dataset),
                    "n_patients": len({c.patient for c in dataset}),
                    "fingerprint": dataset.fingerprint},
        "methods": {m: {"family": info[m].family, "needs_roi": info[m].needs_roi,
                        "description": info[m].description} for m in methods},
        "versions": versions(),
        "machine": machine(),
        "keras_backend": backend,
        "executor": ("dask " + scheduler) if scheduler else f"joblib, {jobs} worker(s)"
                    if jobs > 1 else "sequential",
        "status": "running",
        "start_time": (previous or {}).get("start_time", _now()),
        "attempts": (previous or {}).get("attempts", []) + [_now()],
        "end_time": None,
        "stages": {},
    }
    store.write_json(out / store.RUN_JSON, record)

    tasks = [CellTask(run_dir=str(out), method=m, fold=f["fold"], profile=prof, seed=seed,
                      train=tuple(dataset.subset(f["train"])),
                      val=tuple(dataset.subset(f["val"])),
                      test=tuple(dataset.subset(f["test"])))
             for m in methods for f in splits["folds"]]
    pending = [t for t in tasks if not store.is_done(out, t.method, t.fold)]
    progress = Progress.choose(len(tasks), len(tasks) - len(pending), quiet=quiet,
                               stream=stream)
    progress.message(f"massbench run: {len(methods)} method(s) x {len(splits['folds'])} "
                     f"fold(s) on {dataset.name} ({len(dataset)} cases), profile {profile}; "
                     f"{len(tasks) - len(pending)} cell(s) already complete; writing to {out}")
    t0 = time.perf_counter()
    try:
        _execute(pending, progress, jobs=jobs, scheduler=scheduler)
    except KeyboardInterrupt:
        progress.close()
        record["status"] = "interrupted"
        store.write_json(out / store.RUN_JSON, record)
        print(f"interrupted: complete cells are kept; rerun the same command with --out {out} "
              "to continue", file=stream if stream is not None else sys.stderr)
        raise
    progress.close()
    stages["cells_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    cells = {(t.method, t.fold): store.read_json(store.cell_dir(out, t.method, t.fold) /
                                                 store.DONE_JSON) for t in tasks}
    metrics = gather_metrics(out, tasks)
    store.write_csv(out / store.METRICS_CSV, metrics)
    stages["metrics_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    reason = skip_reason(dataset)
    if reason is None:
        progress.message("diagnosis: classifying the mass features of every mask source")
        sources = {"reference": reference_features(dataset)}
        for m in methods:
            sources[m] = pd.concat([pd.read_csv(store.cell_dir(out, m, t.fold) /
                                                "features.csv", dtype={"case": str})
                                    for t in tasks if t.method == m], ignore_index=True)
        results, scores = classify_sources(sources, dataset, splits, seed=seed,
                                           tune_forest=prof.tune_forest)
    else:
        progress.message(f"diagnosis skipped: {reason}")
        from benchmark.diagnosis import CLASSIFICATION_COLUMNS, SCORE_COLUMNS

        results, scores = (pd.DataFrame(columns=CLASSIFICATION_COLUMNS),
                           pd.DataFrame(columns=SCORE_COLUMNS))
    store.write_csv(out / store.CLASSIFICATION_CSV, results)
    store.write_csv(out / store.SCORES_CSV, scores)
    stages["diagnosis_s"] = time.perf_counter() - t0
    record["diagnosis"] = {"skipped": reason, "classifiers": sorted(set(results["classifier"]))
                           if len(results) else []}

    record["cells"] = {f"{m}/fold_{f}": _cell_summary(c) for (m, f), c in cells.items()}
    devices = sorted({c.get("device") for c in cells.values() if c.get("device")})
    record["device"] = ", ".join(devices) if devices else "cpu"
    record["method_time_s"] = {m: sum(c["fit_s"] + c["predict_s"] for (mm, _), c in
                                      cells.items() if mm == m) for m in methods}
    record["stages"] = stages
    record["status"] = "complete"
    record["end_time"] = _now()
    store.write_json(out / store.RUN_JSON, record)
    if report:
        t0 = time.perf_counter()
        record["report"] = _write_report(out, progress)
        stages["report_s"] = time.perf_counter() - t0
        store.write_json(out / store.RUN_JSON, record)
    return out


def _cell_summary(cell: dict) -> dict:
    keep = ("fit_s", "predict_s", "n_fit", "n_test", "tuned_params", "backend", "device",
            "epochs_run", "best_epoch", "threshold", "pid")
    return {k: cell[k] for k in keep if k in cell}


def gather_metrics(out: Path, tasks) -> pd.DataFrame:
    """``metrics.csv`` from the cells, in task order (methods, then folds, then test cases)."""
    frames = [pd.read_csv(store.cell_dir(out, t.method, t.fold) / store.METRICS_CSV,
                          dtype={"case": str, "patient": str}) for t in tasks]
    metrics = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=METRIC_COLUMNS)
    metrics["label"] = metrics["label"].astype("Int64")
    return metrics[METRIC_COLUMNS]


def _execute(pending, progress, *, jobs: int, scheduler: str | None) -> None:
    """Run the pending cells sequentially, in joblib workers or on a Dask cluster."""
    if scheduler:
        _execute_dask(pending, progress, scheduler)
    elif jobs > 1 and len(pending) > 1:
        from joblib import Parallel, delayed, parallel_config

        threads = max(1, (os.cpu_count() or 1) // jobs)
        tasks = [_with_threads(t, threads) for t in pending]
        with parallel_config(backend="loky", inner_max_num_threads=threads):
            results = Parallel(n_jobs=jobs, return_as="generator_unordered")(
                delayed(run_cell)(t) for t in tasks)
            for done in results:
                progress.finished(done["method"], done["fold"], done["finished"] - done["started"])
    else:
        for task in pending:
            progress.starting(task.method, task.fold)
            done = run_cell(task)
            progress.finished(task.method, task.fold, done["finished"] - done["started"])


def _with_threads(task: CellTask, threads: int) -> CellTask:
    from dataclasses import replace

    return replace(task, threads=threads)


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
        futures = [client.submit(run_cell, _with_threads(t, 1), pure=False,
                                 key=f"massbench-{t.method}-fold{t.fold}-{time.time_ns()}")
                   for t in pending]
        for future in as_completed(futures):
            done = future.result()
            progress.finished(done["method"], done["fold"], done["finished"] - done["started"])


def _write_report(out: Path, progress) -> str:
    """Write ``report.html`` (the run is complete and recorded before this starts)."""
    from reports import render_report

    progress.message("report: rendering report.html")
    return str(render_report(out))
