"""``python -m benchmark study NAME``: the benchmark along one more coordinate.

A study is a set of run folders that differ in one setting, its *levels*, each a complete run
folder of the runner (split, boxes, cells, ``metrics.csv``) under ``STUDY_DIR/levels/``, each
level's setting a typed parameter (:class:`Level`, ``study.json``):

- ``learning-curve`` (:mod:`.learning_curve`): every fold's training part cut to nested
  shares of its patients, the deep models given the full part's optimizer steps;
- ``robustness`` (:mod:`.robustness`): the phantom remade at other difficulty levels;
- ``roi-looseness`` (:mod:`.roi_looseness`): the semi-automatic methods with ROI boxes drawn
  at margins from tight to loose.

Robustness and roi-looseness are crossed (:mod:`.crossed`): the models trained at the default
level are also tested at every level, beside each level run by itself. All pending cells of
all levels run in one pool (the runner's executors), so resuming a killed study, like a run,
redoes only the cells without ``done.json`` (:mod:`.folder`: the record, the resume check and
the times). ``study_metrics.csv`` holds one row per (level, condition, method, fold, seed,
test case), and the report is drawn from it and ``study.json``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from benchmark.ground import store
from benchmark.ground.errors import ParameterError
from benchmark.ground.roi import DEFAULT_ROI_MARGIN, check_margin
from benchmark.ground.splits import DEFAULT_SEED, check_n_folds, make_splits
from benchmark.harness import environment, plugins
from benchmark.harness.executors import describe, execute
from benchmark.harness.methods import as_names
from benchmark.harness.profiles import check_seeds, get_profile
from benchmark.harness.progress import Progress
from benchmark.harness.runner import finish_run, interrupted
from benchmark.harness.studies.base import (
    MATCHED,
    SAME,
    TRANSFER,
    Level,
    Planned,
    Study,
    study_methods,
)
from benchmark.harness.studies.folder import (
    STUDY_FORMAT,
    _attempt_times,
    check_study_folder,
    clear_unfinished_level,
    default_out,
    record_study_report,
    write_record,
)
from benchmark.harness.studies.learning_curve import (
    EPOCH_SETTINGS,
    deep_settings,
    epoch_factor,
    scaled_profile,
    steps_per_epoch,
)
from benchmark.harness.studies.robustness import DEFAULT_DIFFICULTY
from benchmark.harness.study_registry import STUDIES as REGISTRY

#: The registry (:data:`benchmark.harness.study_registry.STUDIES`), loaded: name -> study.
STUDIES: dict[str, Study] = {name: entry.load() for name, entry in REGISTRY.items()}


def get_study(name: str) -> Study:
    """The study called ``name``; a :class:`ParameterError` naming the choices otherwise."""
    if name not in STUDIES:
        raise ParameterError("study", "get_study", f"one of {', '.join(STUDIES)}", name,
                             choices=tuple(STUDIES))
    return STUDIES[name]


def run_study(name: str, methods: list[str], *, data: str = "phantom",
              profile: str = "standard", folds: int | None = None, seed: int | None = None,
              seeds: int | None = None, roi_margin=DEFAULT_ROI_MARGIN,
              out: str | os.PathLike | None = None, jobs: int = 1,
              scheduler: str | None = None, quiet: bool = False, command=None,
              stream=None) -> Path:
    """Run (or continue) a study and write its folder; return the folder.

    Parameters
    ----------
    name : {"learning-curve", "robustness", "roi-looseness"}
    methods : list of str
        Resolved method names (:func:`study_methods`).
    data, profile, folds, seed, seeds, roi_margin, jobs, scheduler, quiet, command, stream
        As for :func:`benchmark.harness.runner.run_benchmark` (``roi_margin`` is the
        study's knob in roi-looseness and is not used there).
    out : path-like, optional
        The study folder (default: a new folder under ``runs/``); an existing study folder
        with the same settings is continued.

    Returns
    -------
    Path
    """
    started = time.perf_counter()
    study = get_study(name)
    prof = get_profile(profile)
    seed = DEFAULT_SEED if seed is None else seed
    # resolved, so that ``--folds 5`` given on a resume is the setting it was left out of
    folds = prof.n_folds if folds is None else folds
    seeds = prof.seeds if seeds is None else seeds
    check_n_folds(folds)
    check_seeds(seeds)
    roi_margin = list(check_margin(DEFAULT_ROI_MARGIN if roi_margin is None else roi_margin))
    methods = as_names(methods)  # plug-ins given by spec or class are loaded and checked
    loaded = [p for p in map(plugins.loaded, methods) if p is not None]
    plugins.check_workers(loaded, workers=jobs > 1 or bool(scheduler))
    settings = {"study": study.name, "data": str(data), "profile": prof.name,
                "folds": folds, "seed": seed, "seeds": seeds,
                "roi_margin": study.roi_margin_setting(roi_margin),
                "methods": list(methods)}
    if loaded:  # a changed plug-in file is a changed setting
        settings["plugins"] = {p.name: p.setting() for p in loaded}
    out = Path(out) if out is not None else default_out(study.name, prof.name)
    previous = check_study_folder(out, store.jsonable(settings))
    t0 = time.perf_counter()
    executor = describe(jobs, scheduler)
    # everything that can refuse the input, before anything is written
    datasets = study.datasets(data, prof)
    splits = make_splits(next(iter(datasets.values())), n_folds=folds, seed=seed)
    record = _start_record(study, settings, previous, out, prof=prof, command=command,
                           executor=executor)
    # written before the levels are planned: a study killed while it writes its level
    # folders is a study folder, and the same command continues it
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    store.remove_temporary(out)
    write_record(out, record, started)
    for level in study.levels:
        clear_unfinished_level(out / store.LEVELS_DIR / level.name)
    plans = study.plans(methods, datasets, splits, prof=prof, data=data, folds=folds,
                        seed=seed, seeds=seeds, roi_margin=roi_margin, out=out,
                        command=command, executor=executor)
    record["stages"]["prepare_s"] = time.perf_counter() - t0
    record["levels"] = [_level_entry(study, planned, out) for planned in plans]
    record["status"] = "running"
    write_record(out, record, started)
    _run_cells(study, plans, methods, record, out, started, prof=prof, jobs=jobs,
               scheduler=scheduler, quiet=quiet, stream=stream)
    _finish(study, plans, record, out, started)
    return out


def _start_record(study: Study, settings: dict, previous: dict | None, out: Path, *,
                  prof, command, executor: str) -> dict:
    """The ``study.json`` of a study that starts (or continues, keeping its first start)."""
    return {
        "massbench_study": STUDY_FORMAT, "study": study.name, "question": study.question,
        "axis": study.axis, "presentation": study.presentation(), "settings": settings,
        "profile_settings": prof.as_dict(),
        "command_line": " ".join(command) if command else None, "levels": [],
        "versions": environment.versions(), "machine": environment.machine(),
        "executor": executor, "status": "preparing",
        "start_time": (previous or {}).get("start_time", environment.now()),
        "attempts": (previous or {}).get("attempts", []) + [environment.now()],
        "attempt_s": _attempt_times(out, previous) + [None],
        "end_time": None, "stages": {},
    }


def _level_entry(study: Study, planned: Planned, out: Path) -> dict:
    """A level's entry in ``study.json``: its typed parameters, condition, folder, sizes."""
    plan = planned.plan
    return {**study.entry(planned.level), "condition": study.condition_of(planned),
            "run_dir": plan.out.relative_to(out).as_posix(),
            "n_train_cases": [len(f["train"]) + len(f["val"]) for f in plan.splits["folds"]],
            "epoch_factors": plan.record["settings"].get("study_level", {}).get(
                "epoch_factors", {})}


def _run_cells(study: Study, plans: list[Planned], methods, record: dict, out: Path,
               started: float, *, prof, jobs: int, scheduler, quiet: bool, stream) -> None:
    """Run every level's pending cells in one pool; Ctrl-C marks the study interrupted."""
    # the deep cells (the longest) first: a worker left alone with one at the end idles
    # the other (about a minute of a 22-minute robustness study when they came last)
    families = {m: plans[0].plan.record["methods"][m]["family"] for m in methods}
    pending = sorted((t for p in plans for t in p.plan.pending),
                     key=lambda t: families[t.method] != "deep")
    total = sum(len(p.plan.tasks) for p in plans)
    progress = Progress.choose(total, total - len(pending), quiet=quiet, stream=stream,
                               pending=[t.method for t in pending], families=families,
                               jobs=1 if scheduler else jobs,
                               first_cell_s=prof.first_cell_s)
    progress.message(f"massbench study {study.name}: {len(plans)} level(s) x "
                     f"{len(methods)} method(s), profile {prof.name}; "
                     f"{total - len(pending)} of {total} cell(s) already complete; writing "
                     f"to {out}")
    t0 = time.perf_counter()
    try:
        execute(pending, progress, jobs=jobs, scheduler=scheduler)
    except KeyboardInterrupt:
        progress.close()
        for p in plans:
            interrupted(p.plan)
        record["status"] = "interrupted"
        write_record(out, record, started)
        print(f"interrupted: complete cells are kept; rerun the same command with --out {out} "
              "to continue", file=stream if stream is not None else sys.stderr)
        raise
    progress.close()
    record["stages"]["cells_s"] = time.perf_counter() - t0


def _finish(study: Study, plans: list[Planned], record: dict, out: Path,
            started: float) -> None:
    """Complete every level's run folder, write ``study_metrics.csv``, close the record."""
    t0 = time.perf_counter()
    for p in plans:
        finish_run(p.plan, diagnosis=False)
    store.write_csv(out / store.STUDY_CSV, study.gather(plans))
    record["stages"]["gather_s"] = time.perf_counter() - t0
    record["keras_backend"] = next((p.plan.record["keras_backend"] for p in plans
                                    if p.plan.record["keras_backend"]), None)
    record["device"] = ", ".join(sorted({p.plan.record["device"] for p in plans}))
    record["status"] = "complete"
    record["end_time"] = environment.now()
    record["stages"]["run_s"] = time.perf_counter() - started
    write_record(out, record, started)


__all__ = ["DEFAULT_DIFFICULTY", "EPOCH_SETTINGS", "MATCHED", "SAME", "STUDIES", "TRANSFER",
           "Level", "Planned", "Study", "check_study_folder", "deep_settings", "default_out",
           "epoch_factor", "get_study", "record_study_report", "run_study", "scaled_profile",
           "steps_per_epoch", "study_methods"]
