"""``python -m benchmark run``: every method on the same splits, resumable, local or on Dask.

:func:`run_benchmark` goes through five stages, each a function of its own:

1. :func:`load_stage`: load the data (a broken dataset stops here, before anything is written);
2. :func:`split_stage`: make ``splits.json`` or reuse and check the one in the folder, and
   :func:`roi_stage`: draw the ROI of every case (``rois.csv``) or reuse the folder's;
3. :func:`cells_stage`: run the cells that are not complete (one method on one fold each; in
   this process, in ``--jobs`` joblib workers or on a Dask scheduler, always through
   :func:`benchmark.harness.cells.run_cell`);
4. :func:`gather_stage`: gather ``metrics.csv`` from the cells in a fixed order;
5. the diagnosis stage (:func:`benchmark.harness.diagnosis.run_diagnosis`).

``run.json`` records the settings, the environment, every stage's time and the status. The
report is not the runner's business: the ``run`` command asks :mod:`reports` for it.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.ground import store
from benchmark.ground.data import Dataset, load_dataset, make_phantom, patient_warnings
from benchmark.ground.errors import InputError, ParameterError
from benchmark.ground.roi import DEFAULT_ROI_MARGIN, ROI_COLUMNS, check_margin, check_roi, draw_roi
from benchmark.ground.splits import (
    DEFAULT_SEED,
    check_n_folds,
    check_splits,
    make_splits,
    read_splits,
    write_splits,
)
from benchmark.harness import environment, plugins
from benchmark.harness.cells import METRIC_COLUMNS, CellTask
from benchmark.harness.diagnosis import run_diagnosis
from benchmark.harness.executors import describe, execute
from benchmark.harness.methods import as_names, check_profile, is_deep, method_info
from benchmark.harness.profiles import Profile, check_seeds, get_profile
from benchmark.harness.progress import Progress

#: Settings that must agree between a run folder and a command that continues it, and the
#: option of ``run`` that sets each.
SETTINGS = {"profile": "--profile", "folds": "--folds", "seed": "--seed", "seeds": "--seeds",
            "roi_margin": "--roi-margin", "methods": "--all/--methods",
            "keras_backend": "KERAS_BACKEND", "data_fingerprint": "--data"}
#: Settings that only some folders have (absent: None), and what sets them: a study's level,
#: the plug-ins' specs and versions (a file's SHA-256, a package's version).
STUDY_SETTINGS = {"study_level": "the study's levels", "plugins": "--methods (a plug-in)"}


def default_out(profile: str) -> Path:
    """A new folder under ``runs/``, named by the time and the profile."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path("runs") / f"{stamp}-{profile}"
    n = 1
    while out.exists():
        n += 1
        out = Path("runs") / f"{stamp}-{profile}-{n}"
    return out


def load_stage(data: str, profile: Profile) -> Dataset:
    """The dataset of a run: the profile's phantom for ``phantom``, else the given data."""
    if data == "phantom":
        return make_phantom(profile.phantom_cases, size=profile.phantom_size)
    return load_dataset(data)


def check_folder(out: Path, settings: dict) -> dict | None:
    """The existing ``run.json`` of ``out`` if its settings agree; errors otherwise.

    Raises
    ------
    InputError
        For a file in the way, a folder that is not a run, or a run made with other settings
        (naming the option that differs).
    """
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
    for key, option in SETTINGS.items():
        if key not in old:  # a setting added since this folder was made
            raise InputError(f"was made by an older massbench that had no {option} setting; "
                             "it cannot be continued: choose another --out", run_json)
    for key, option in {**SETTINGS, **STUDY_SETTINGS}.items():
        if key == "data_fingerprint" and old.get(key) != settings.get(key):
            raise InputError(_data_differs(old, settings), run_json)
        if key == "plugins" and old.get(key) != settings.get(key):
            raise InputError(_plugins_differ(old.get(key) or {}, settings.get(key) or {}),
                             run_json)
        if old.get(key) != settings.get(key):
            raise InputError(f"{option} differs from the run in this folder (it was "
                             f"made with {old.get(key)!r}, this command gives "
                             f"{settings.get(key)!r}); repeat its settings to resume it, or "
                             "choose another --out", run_json)
    return previous


def _data_differs(old: dict, settings: dict) -> str:
    """The refusal of a folder made on other data: the paths first, the fingerprints second."""
    before, now = old.get("data"), settings.get("data")
    if before == now:
        what = (f"the data at --data {now} have changed since the run in this folder used "
                "them (their cases or pixels differ")
    else:
        what = (f"--data differs from the run in this folder (it ran on --data {before}, "
                f"this command gives --data {now}, and their cases or pixels differ")
    return (f"{what}: fingerprint {old.get('data_fingerprint')}, now "
            f"{settings.get('data_fingerprint')}); give the folder's data to resume it, or "
            "choose another --out")


def _short(version: str | None) -> str | None:
    """A SHA-256 cut to 12 hex digits (a package's version as it is)."""
    return version[:12] if version and len(version) == 64 and " " not in version else version


def _plugins_differ(old: dict, new: dict) -> str:
    """The refusal of a folder whose plug-ins changed: which one, and how."""
    for name in sorted(set(old) | set(new)):
        before, now = old.get(name), new.get(name)
        if before == now or before is None or now is None:
            continue
        if before.get("spec") != now.get("spec"):
            what = f"is now {now.get('spec')} (it was {before.get('spec')})"
        else:
            what = (f"({now.get('spec')}) has changed since the run in this folder used it "
                    f"(version {_short(before.get('version'))}, now "
                    f"{_short(now.get('version'))})")
        return (f"plug-in {name!r} {what}; give the run's plug-in to resume it, or choose "
                "another --out")
    return (f"--methods differs from the run in this folder (its plug-ins were "
            f"{sorted(old) or 'none'}, this command gives {sorted(new) or 'none'}); repeat "
            "its settings to resume it, or choose another --out")


def split_stage(out: Path, dataset: Dataset, *, n_folds: int, seed: int,
                given: dict | None = None) -> dict:
    """The run's split: the folder's ``splits.json`` (checked against the data) or a new one.

    A new split is made in memory only (or ``given``, made by a study); :func:`prepare_run`
    writes it once the folder exists, so a split that cannot be made leaves nothing behind.
    """
    path = out / store.SPLITS_JSON
    if not path.is_file():
        if given is not None:
            return given
        try:
            return make_splits(dataset, n_folds=n_folds, seed=seed)
        except ParameterError as exc:  # too few patients: say how they were derived
            warnings = patient_warnings(dataset) if exc.parameter == "n_folds" else []
            if warnings:
                exc.hint = "; ".join(filter(None, [exc.hint, *warnings]))
            raise
    splits = read_splits(path)
    if given is not None and splits != store.jsonable(given):
        raise InputError("is not the split this study makes; choose another --out", path)
    try:
        check_splits(splits, dataset)
    except ValueError as exc:
        raise InputError(f"does not fit the data ({exc}); choose another --out",
                         path) from None
    return splits


def roi_stage(out: Path, dataset: Dataset, *, seed: int,
              margin: tuple[float, float]) -> dict[str, tuple[int, int, int, int]]:
    """Case id -> ROI rectangle: the folder's ``rois.csv``, checked, or drawn for every case.

    A box is drawn once per case (:func:`benchmark.ground.roi.draw_roi`, seeded by the run
    seed and the case id), so every method and every resumed attempt gets the same boxes.
    """
    path = out / store.ROIS_CSV
    if not path.is_file():
        return {c.id: draw_roi(c.mask, seed=seed, case_id=c.id, margin=margin)
                for c in dataset}
    try:
        table = pd.read_csv(path, dtype={"case": str})
        rois = {row.case: check_roi((row.row_min, row.row_max, row.col_min, row.col_max),
                                    np.shape(dataset[row.case].mask), where=f"case {row.case}")
                for row in table.itertuples()}
    except (ValueError, KeyError, AttributeError) as exc:
        raise InputError(f"does not fit the data ({exc}); choose another --out", path) \
            from None
    missing = [c.id for c in dataset if c.id not in rois]
    if missing:
        raise InputError(f"has no ROI for case {missing[0]}; choose another --out", path)
    if len(table) != len(rois):
        repeated = table["case"][table["case"].duplicated()].iloc[0]
        raise InputError(f"has more than one ROI for case {repeated}; choose another --out",
                         path)
    return rois


def write_rois(path: Path, rois: dict) -> None:
    """Write ``rois.csv`` (``case,row_min,row_max,col_min,col_max``)."""
    store.write_csv(path, pd.DataFrame([(case, *rect) for case, rect in rois.items()],
                                       columns=list(ROI_COLUMNS)))


def cells_stage(pending: list[CellTask], progress: Progress, *, jobs: int,
                scheduler: str | None) -> None:
    """Run the cells that are not complete; Ctrl-C leaves the complete ones in place."""
    execute(pending, progress, jobs=jobs, scheduler=scheduler)


def gather_stage(out: Path, tasks: list[CellTask]) -> pd.DataFrame:
    """``metrics.csv`` from the cells, in task order (methods, folds, seeds, test cases)."""
    frames = [pd.read_csv(store.cell_dir(out, t.method, t.fold, t.seed_index) /
                          store.METRICS_CSV,
                          dtype={"case": str, "patient": str}) for t in tasks]
    metrics = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=METRIC_COLUMNS)
    metrics["label"] = metrics["label"].astype("Int64")
    # cells written before a column was added (a resumed run) get it as NaN
    metrics = metrics.reindex(columns=METRIC_COLUMNS)
    store.write_csv(out / store.METRICS_CSV, metrics)
    return metrics


def start_record(settings: dict, profile: Profile, dataset: Dataset, info: dict, *,
                 previous: dict | None, command, executor: str) -> dict:
    """The ``run.json`` of a run that starts (or continues, keeping its first start time)."""
    methods = settings["methods"]
    return {
        "massbench_run": 1,
        "command": command if command is not None else [],
        "command_line": shlex.join(command) if command else None,
        "settings": settings,
        "profile_settings": profile.as_dict(),
        "dataset": dataset.record(),
        "methods": {m: {"family": info[m].family, "needs_roi": info[m].needs_roi,
                        "description": info[m].description,
                        "stochastic": info[m].stochastic} for m in methods},
        "versions": environment.versions(),
        "machine": environment.machine(),
        "keras_backend": settings["keras_backend"],
        "executor": executor,
        "status": "running",
        "start_time": (previous or {}).get("start_time", environment.now()),
        "attempts": (previous or {}).get("attempts", []) + [environment.now()],
        "end_time": None,
        "stages": {},
    }


def finish_record(record: dict, out: Path, tasks: list[CellTask], stages: dict) -> dict:
    """Add the cells' summaries, devices and times to a complete run's record."""
    cells = {(t.method, t.fold, t.seed_index): store.read_json(
        store.cell_dir(out, t.method, t.fold, t.seed_index) / store.DONE_JSON) for t in tasks}
    record["cells"] = {store.cell_dir("", m, f, s).relative_to(store.CELLS_DIR).as_posix():
                       _cell_summary(c) for (m, f, s), c in cells.items()}
    devices = sorted({c.get("device") for c in cells.values() if c.get("device")})
    record["device"] = ", ".join(devices) if devices else "cpu"
    record["method_time_s"] = {m: sum(c["fit_s"] + c["predict_s"] for (mm, _, _), c in
                                      cells.items() if mm == m)
                               for m in record["settings"]["methods"]}
    record["stages"] = stages
    record["status"] = "complete"
    record["end_time"] = environment.now()
    return record


def _cell_summary(cell: dict) -> dict:
    keep = ("fit_s", "predict_s", "n_fit", "n_test", "seed", "tuned_params", "backend",
            "device", "epochs_run", "best_epoch", "stopped", "restarts", "threshold", "pid")
    return {k: cell[k] for k in keep if k in cell}


def _timed(stages: dict, name: str, function, *args, **kwargs):
    t0 = time.perf_counter()
    result = function(*args, **kwargs)
    stages[f"{name}_s"] = time.perf_counter() - t0
    return result


@dataclass
class RunPlan:
    """A run folder made ready by :func:`prepare_run`: its record, its cells, what they read."""

    out: Path
    record: dict
    tasks: list[CellTask]
    pending: list[CellTask]
    dataset: Dataset
    splits: dict
    methods: list[str]
    profile: Profile
    seed: int
    stages: dict = field(default_factory=dict)
    #: Method -> family (``classical``, ``deep``), for the progress' time estimate.
    families: dict = field(default_factory=dict)


def prepare_run(methods: list[str], *, data: str = "phantom", dataset: Dataset | None = None,
                profile: str | Profile = "standard", folds: int | None = None,
                seed: int | None = None, seeds: int | None = None,
                roi_margin: tuple[float, float] = DEFAULT_ROI_MARGIN,
                out: str | os.PathLike | None = None, splits: dict | None = None,
                shifted: dict[str, Dataset] | None = None, level: str = "",
                study_level: dict | None = None, command=None,
                executor: str = "sequential") -> RunPlan:
    """Check the settings, write (or check) a run folder's split, boxes and record; list its cells.

    Parameters are those of :func:`run_benchmark`, and, for a study:

    dataset : Dataset, optional
        The data itself (``data`` then only names it in ``run.json``).
    profile : str or Profile
        A profile, possibly changed by the study (its name is the setting checked on resume).
    splits : dict, optional
        The split to use (a subsampled one), instead of one made from ``seed``.
    shifted : dict of str to Dataset, optional
        Test sets of the same cases under other conditions: every cell also predicts and
        scores its test cases from each (``metrics_<name>.csv`` in the cell folder).
    level : str
        The study level, shown in the progress lines.
    study_level : dict, optional
        The study's description of this folder, a setting checked on resume.

    Returns
    -------
    RunPlan
    """
    prof = get_profile(profile) if isinstance(profile, str) else profile
    n_folds = folds if folds is not None else prof.n_folds
    check_n_folds(n_folds)
    methods = as_names(methods)  # plug-ins given by spec or class are loaded and checked
    has_deep = any(is_deep(m) for m in methods)
    check_profile(prof, deep=has_deep)
    seed = DEFAULT_SEED if seed is None else seed
    seeds = prof.seeds if seeds is None else seeds
    check_seeds(seeds)
    roi_margin = list(check_margin(DEFAULT_ROI_MARGIN if roi_margin is None else roi_margin))
    stages = {}
    if dataset is None:
        dataset = _timed(stages, "load", load_stage, data, prof)
    info = method_info(methods)
    loaded = {m: plugins.loaded(m) for m in methods if info[m].spec}
    backend = None
    if any(info[m].family == "deep" for m in methods):
        from deep.device import backend_name

        backend = backend_name()
    settings = {"data": str(data), "data_fingerprint": dataset.fingerprint,
                "profile": prof.name, "folds": n_folds, "seed": seed, "seeds": seeds,
                "roi_margin": roi_margin, "methods": list(methods),
                "keras_backend": backend}
    if study_level is not None:
        settings["study_level"] = store.jsonable(study_level)
    if loaded:
        settings["plugins"] = {m: p.setting() for m, p in loaded.items()}
    out = Path(out) if out is not None else default_out(prof.name)
    previous = check_folder(out, settings)
    splits = _timed(stages, "splits", split_stage, out, dataset, n_folds=n_folds, seed=seed,
                    given=splits)
    rois = _timed(stages, "rois", roi_stage, out, dataset, seed=seed, margin=roi_margin)
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    store.remove_temporary(out)  # left by a run killed mid-write
    if not (out / store.SPLITS_JSON).is_file():
        write_splits(splits, out / store.SPLITS_JSON)
    if not (out / store.ROIS_CSV).is_file():
        write_rois(out / store.ROIS_CSV, rois)
    if not (out / store.CASES_NPZ).is_file():
        store.write_cases(out / store.CASES_NPZ, dataset)

    record = start_record(settings, prof, dataset, info, previous=previous, command=command,
                          executor=executor)
    store.write_json(out / store.RUN_JSON, record)
    shifted = shifted or {}
    tasks = [CellTask(run_dir=str(out), method=m, fold=f["fold"], profile=prof, seed=seed,
                      train=tuple(dataset.subset(f["train"])),
                      val=tuple(dataset.subset(f["val"])),
                      test=tuple(dataset.subset(f["test"])), rois=rois, seed_index=s,
                      level=level, plugin=loaded.get(m),
                      shifted={name: tuple(other.subset(f["test"]))
                               for name, other in shifted.items()})
             for m in methods for f in splits["folds"]
             for s in range(seeds if info[m].stochastic else 1)]
    pending = [t for t in tasks if not store.is_done(out, t.method, t.fold, t.seed_index)]
    return RunPlan(out=out, record=record, tasks=tasks, pending=pending, dataset=dataset,
                   splits=splits, methods=list(methods), profile=prof, seed=seed,
                   stages=stages, families={m: info[m].family for m in methods})


def interrupted(plan: RunPlan) -> None:
    """Mark a run as interrupted in its ``run.json`` (its complete cells stay)."""
    plan.record["status"] = "interrupted"
    store.write_json(plan.out / store.RUN_JSON, plan.record)


def error_summary(exc: BaseException) -> str:
    """An exception in one line: its type and the first line of its message (at most 300 chars).

    Examples
    --------
    >>> error_summary(KeyError("val_dice"))
    "KeyError: 'val_dice'"
    """
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def failed(plan: RunPlan, exc: BaseException) -> None:
    """Mark a run as failed in its ``run.json``, with the error in one line (``error``)."""
    plan.record["status"] = "failed"
    plan.record["error"] = error_summary(exc)
    plan.record["failed_time"] = environment.now()
    store.write_json(plan.out / store.RUN_JSON, plan.record)


def finish_run(plan: RunPlan, *, diagnosis: bool = True, progress: Progress | None = None,
               jobs: int = 1, scheduler: str | None = None) -> None:
    """Gather ``metrics.csv``, run the diagnosis stage (unless not asked) and complete the record.

    Every cell of ``plan`` must be complete.
    """
    stages = plan.stages
    _timed(stages, "metrics", gather_stage, plan.out, plan.tasks)
    if diagnosis:
        plan.record["diagnosis"] = _timed(
            stages, "diagnosis", run_diagnosis, plan.out, plan.dataset, plan.splits,
            plan.methods, seed=plan.seed, tune_forest=plan.profile.tune_forest,
            progress=progress, n_jobs=1 if scheduler else jobs)
    else:
        plan.record["diagnosis"] = {"skipped": "not asked (a study's run)", "classifiers": []}
    finish_record(plan.record, plan.out, plan.tasks, stages)
    store.write_json(plan.out / store.RUN_JSON, plan.record)


def run_benchmark(methods: list[str], *, data: str = "phantom", profile: str = "standard",
                  folds: int | None = None, seed: int | None = None,
                  seeds: int | None = None,
                  roi_margin: tuple[float, float] = DEFAULT_ROI_MARGIN,
                  out: str | os.PathLike | None = None, jobs: int = 1,
                  scheduler: str | None = None, quiet: bool = False, command=None,
                  stream=None) -> Path:
    """Run ``methods`` on every fold and write (or complete) a run folder.

    Parameters
    ----------
    methods : list of str or type
        Method names, plug-in specs (``FILE.py:Class``, ``module:Class``, an entry point's
        name) or plug-in classes (see :func:`benchmark.harness.methods.resolve_methods`);
        they run in this order.
    data : str, default "phantom"
        ``phantom``, a course-format folder or a manifest CSV.
    profile : {"quick", "standard", "full"}
    folds : int, optional
        Default: the profile's.
    seed : int, optional
        Seed of the split, of the ROI boxes and of the methods (default 12345).
    seeds : int, optional
        Training seeds of every deep cell (default: the profile's); each is trained, scored
        and written apart (``metrics.csv``'s ``seed`` column). Classical methods and floors
        run once: given the data they are deterministic.
    roi_margin : (float, float), default (0.10, 0.30)
        Range of the margin of each side of the ROI boxes, as fractions of the lesion's
        extent (:func:`benchmark.ground.roi.draw_roi`).
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

    Returns
    -------
    Path
        The run folder.
    """
    methods = as_names(methods)
    plugins.check_workers([p for p in map(plugins.loaded, methods) if p is not None],
                          workers=jobs > 1 or bool(scheduler))
    plan = prepare_run(methods, data=data, profile=profile, folds=folds, seed=seed,
                       seeds=seeds, roi_margin=roi_margin, out=out, command=command,
                       executor=describe(jobs, scheduler))
    tasks, pending = plan.tasks, plan.pending
    progress = Progress.choose(len(tasks), len(tasks) - len(pending), quiet=quiet,
                               stream=stream, pending=[t.method for t in pending],
                               families=plan.families, jobs=1 if scheduler else jobs,
                               first_cell_s=plan.profile.first_cell_s)
    progress.message(f"massbench run: {len(methods)} method(s) x "
                     f"{len(plan.splits['folds'])} fold(s) on {plan.dataset.name} "
                     f"({len(plan.dataset)} cases), profile {plan.profile.name}; "
                     f"{len(tasks) - len(pending)} cell(s) already complete; writing to "
                     f"{plan.out}")
    stream = stream if stream is not None else sys.stderr
    try:
        _timed(plan.stages, "cells", cells_stage, pending, progress, jobs=jobs,
               scheduler=scheduler)
        progress.close()
        finish_run(plan, progress=progress, jobs=jobs, scheduler=scheduler)
    except KeyboardInterrupt:
        progress.close()
        interrupted(plan)
        print(f"interrupted: complete cells are kept; rerun the same command with --out "
              f"{plan.out} to continue", file=stream)
        raise
    except Exception as exc:  # a bug or a broken environment: the folder says so
        progress.close()
        failed(plan, exc)
        if not isinstance(exc, InputError | ParameterError):  # those are one line already
            print(f"run failed ({plan.record['error']}); {store.RUN_JSON} records it and "
                  f"complete cells are kept: rerun the same command with --out {plan.out} "
                  "to continue", file=stream)
        raise
    return plan.out


def record_report(out: str | os.PathLike, report: str | os.PathLike, seconds: float) -> None:
    """Add the report's path and the time it took to a complete run's ``run.json``."""
    path = Path(out) / store.RUN_JSON
    record = store.read_json(path)
    record["report"] = str(report)
    record["stages"]["report_s"] = seconds
    store.write_json(path, record)
