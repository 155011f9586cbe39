"""``python -m benchmark study NAME``: the benchmark along one more coordinate.

A study is a set of run folders that differ in one setting, its *levels*, each a complete run
folder of the runner (split, boxes, cells, ``metrics.csv``) under ``STUDY_DIR/levels/``:

- ``learning-curve``: every fold's training part (train and validation) cut to nested shares
  of its patients (:func:`benchmark.ground.splits.subsample_training`); test parts unchanged.
  The deep models get the same number of optimizer steps at every level (epochs, patience
  and the schedule's patience divided by the share), so a curve measures the data, not the
  training budget.
- ``robustness``: the phantom remade with the same seed at other difficulty levels (the same
  lesions and masks; only contrast and noise change). The models trained at the default
  level are tested at every level ("trained at default"), and each level is also run by
  itself ("matched": trained and tested at that level).
- ``roi-looseness``: the semi-automatic methods with ROI boxes drawn at margins from tight
  to loose.

All pending cells of all levels run in one pool (the runner's executors), so resuming a
killed study, like a run, redoes only the cells without ``done.json``. ``study.json``
records the settings and the levels, ``study_metrics.csv`` holds one row per (level,
condition, method, fold, seed, test case), and the report is drawn from those two files.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pandas as pd

from benchmark.ground import store
from benchmark.ground.data import make_phantom
from benchmark.ground.errors import InputError, ParameterError
from benchmark.ground.roi import DEFAULT_ROI_MARGIN
from benchmark.ground.splits import DEFAULT_SEED, make_splits, subsample_training
from benchmark.harness import environment
from benchmark.harness.cells import METRIC_COLUMNS
from benchmark.harness.executors import describe, execute
from benchmark.harness.methods import all_methods, method_names
from benchmark.harness.profiles import Profile, get_profile
from benchmark.harness.progress import Progress
from benchmark.harness.runner import finish_run, interrupted, load_stage, prepare_run

#: The deep settings counted in epochs: divided by the training share in a learning curve.
EPOCH_SETTINGS = ("epochs", "patience", "min_epochs", "lr_patience")
#: The condition of the rows of a study without one.
SAME = "as run"
TRANSFER = "trained at default"
MATCHED = "matched"

_CLASSICAL_SET = ("region_growing", "chan_vese", "radial_maxvar", "roi_ellipse",
                  "region_growing_auto", "pixel_rf", "prior_disk")


@dataclass(frozen=True)
class Level:
    """One level of a study: a folder name, the value on the plot's axis, words."""

    name: str
    value: float
    label: str


@dataclass(frozen=True)
class Study:
    """What a study varies and which methods it runs when none are named.

    Parameters
    ----------
    name : str
    question : str
        What it answers, in the report's words.
    axis : str
        The level axis's label.
    levels : tuple of Level
    methods : tuple of str
        The methods of the standard form (``--methods`` / ``--all`` replace them).
    semi_automatic_only : bool
        Only methods that are given the ROI take part (roi-looseness).
    """

    name: str
    question: str
    axis: str
    levels: tuple[Level, ...]
    methods: tuple[str, ...]
    semi_automatic_only: bool = False


#: The default level of the robustness study (the phantom's default difficulty).
DEFAULT_DIFFICULTY = 0.5

STUDIES = {
    "learning-curve": Study(
        "learning-curve",
        "With how many annotated training cases does each method reach its score, and where "
        "do the deep models overtake the classical ones?",
        "annotated training cases (train + validation) per fold",
        tuple(Level(f"fraction_{f:.2f}", f, f"{f:.0%} of the training patients")
              for f in (0.10, 0.25, 0.50, 1.00)),
        (*_CLASSICAL_SET[:4], "unet_roi", *_CLASSICAL_SET[4:], "unet_course")),
    "robustness": Study(
        "robustness",
        "Which methods break first when the lesions get fainter and the noise stronger?",
        "phantom difficulty (0.5 = default; contrast x (1.5 - d), noise x (0.5 + d))",
        tuple(Level(f"difficulty_{d:.2f}", d, f"difficulty {d:g}")
              for d in (0.25, 0.50, 0.75, 1.00)),
        (*_CLASSICAL_SET[:4], "unet_roi", *_CLASSICAL_SET[4:], "unet_course")),
    "roi-looseness": Study(
        "roi-looseness",
        "How much does a semi-automatic method depend on how loosely the user draws the box?",
        "ROI margin per side (% of the lesion's extent; the middle of the range drawn from)",
        tuple(Level(f"margin_{lo:.2f}-{hi:.2f}", (lo + hi) / 2,
                    f"margins {lo:.0%}-{hi:.0%}" if hi else "tight box (0 %)")
              for lo, hi in ((0.0, 0.0), (0.1, 0.3), (0.3, 0.6), (0.6, 1.0))),
        ("region_growing", "geodesic_active_contour", "chan_vese", "radial_maxvar",
         "roi_ellipse", "unet_roi"),
        semi_automatic_only=True),
}


def get_study(name: str) -> Study:
    """The study called ``name``; a :class:`ParameterError` naming the choices otherwise."""
    if name not in STUDIES:
        raise ParameterError("study", "get_study", f"one of {', '.join(STUDIES)}", name,
                             choices=tuple(STUDIES))
    return STUDIES[name]


def margin_of(level: Level) -> tuple[float, float]:
    """The ROI margin range of a roi-looseness level (from its name)."""
    low, high = level.name.removeprefix("margin_").split("-")
    return float(low), float(high)


def study_methods(study: Study, names: list[str] | None = None, *,
                  every: bool = False) -> list[str]:
    """The methods a study runs: ``names`` (resolved), every method, or the study's own set.

    Parameters
    ----------
    study : Study
    names : list of str, optional
        ``--methods``; None: the study's set (its standard form).
    every : bool, default False
        ``--all``: every registered method (for roi-looseness, every semi-automatic one).

    Raises
    ------
    InputError
        When roi-looseness is given an automatic method.
    """
    from benchmark.harness.methods import resolve_methods

    if every:
        methods = resolve_methods(None)
    else:
        methods = resolve_methods(list(study.methods) if names is None else names)
    if not study.semi_automatic_only:
        return methods
    info = all_methods(deep=not set(methods) <= set(method_names(deep=False)))
    if every:
        return [m for m in methods if info[m].needs_roi]
    automatic = [m for m in methods if not info[m].needs_roi]
    if automatic:
        raise InputError(f"{study.name} studies methods that are given the ROI; "
                         f"{', '.join(automatic)} {'is' if len(automatic) == 1 else 'are'} "
                         "automatic (see `list`)", "--methods")
    return methods


def scaled_profile(profile: Profile, fraction: float) -> Profile:
    """``profile`` with its epoch counts divided by ``fraction`` (rounded up).

    With fewer training cases an epoch has fewer optimizer steps; dividing the epoch cap,
    the minimum, and the patience of early stopping and of the schedule by the share keeps
    the steps (and the steps without improvement before a stop) as at 100 %.

    Examples
    --------
    >>> scaled_profile(get_profile("standard"), 0.25).deep["epochs"]
    80
    """
    if fraction >= 1:
        return profile
    deep = dict(profile.deep)
    for key in EPOCH_SETTINGS:
        if deep.get(key):
            deep[key] = math.ceil(deep[key] / fraction)
    return replace(profile, deep=deep)


def default_out(study: str, profile: str) -> Path:
    """A new folder under ``runs/``, named by the time, the study and the profile."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path("runs") / f"{stamp}-study-{study}-{profile}"
    n = 1
    while out.exists():
        n += 1
        out = Path("runs") / f"{stamp}-study-{study}-{profile}-{n}"
    return out


def check_study_folder(out: Path, settings: dict) -> dict | None:
    """The existing ``study.json`` of ``out`` if its settings agree; errors otherwise."""
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder; choose another --out", out)
    path = out / store.STUDY_JSON
    if not path.is_file():
        if out.is_dir() and any(out.iterdir()):
            raise InputError("folder is not empty and holds no study.json, so it is not a "
                             "massbench study folder; choose a new or empty --out", out)
        return None
    try:
        previous = store.read_json(path)
        old = previous["settings"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"unreadable study record ({exc}); choose another --out",
                         path) from None
    options = {"study": "the study", "data": "--data", "profile": "--profile",
               "folds": "--folds", "seed": "--seed", "seeds": "--seeds",
               "roi_margin": "--roi-margin", "methods": "--all/--methods"}
    for key, option in options.items():
        if old.get(key) != settings.get(key):
            raise InputError(f"{option} differs from the study in this folder (it was made "
                             f"with {old.get(key)!r}, this command gives "
                             f"{settings.get(key)!r}); repeat its settings to resume it, or "
                             "choose another --out", path)
    return previous


def _plans(study: Study, methods, *, data, prof, folds, seed, seeds, roi_margin, out,
           command, executor) -> list[tuple[Level, str, object]]:
    """(level, condition, run plan) of every run folder of the study."""
    common = {"data": data, "folds": folds, "seed": seed, "seeds": seeds, "command": command,
              "executor": executor}
    levels_dir = out / store.LEVELS_DIR
    plans = []
    if study.name == "learning-curve":
        dataset = load_stage(data, prof)
        n_folds = folds if folds is not None else prof.n_folds
        splits = make_splits(dataset, n_folds=n_folds, seed=seed)
        for level in study.levels:
            part = (subsample_training(splits, dataset, level.value, seed=seed)
                    if level.value < 1 else splits)
            plans.append((level, SAME, prepare_run(
                methods, dataset=dataset, profile=scaled_profile(prof, level.value),
                roi_margin=roi_margin, out=levels_dir / level.name, splits=part,
                level=level.name, study_level={"study": study.name, "level": level.name,
                                               "fraction": level.value}, **common)))
    elif study.name == "robustness":
        if data != "phantom":
            raise InputError("the robustness study remakes the phantom at other difficulty "
                             "levels, which a dataset folder cannot do; leave --data out "
                             "(the phantom)", data)
        phantoms = {level.name: make_phantom(prof.phantom_cases, size=prof.phantom_size,
                                             difficulty=level.value)
                    for level in study.levels}
        default = next(v for v in study.levels if v.value == DEFAULT_DIFFICULTY)
        for level in study.levels:
            shifted = ({v.name: phantoms[v.name] for v in study.levels if v != default}
                       if level == default else None)
            plans.append((level, MATCHED, prepare_run(
                methods, dataset=phantoms[level.name], profile=prof, roi_margin=roi_margin,
                out=levels_dir / level.name, shifted=shifted, level=level.name,
                study_level={"study": study.name, "level": level.name,
                             "difficulty": level.value,
                             "tested_at": sorted(shifted or [])}, **common)))
    else:
        dataset = load_stage(data, prof)
        for level in study.levels:
            plans.append((level, SAME, prepare_run(
                methods, dataset=dataset, profile=prof, roi_margin=margin_of(level),
                out=levels_dir / level.name, level=level.name,
                study_level={"study": study.name, "level": level.name}, **common)))
    return plans


def gather_study(study: Study, plans) -> pd.DataFrame:
    """The long table: every level's (and condition's) ``metrics.csv`` rows, one frame."""
    frames = []
    by_level = {level.name: plan for level, _, plan in plans}

    def add(metrics: pd.DataFrame, level: Level, condition: str, plan) -> None:
        annotated = {f["fold"]: len(f["train"]) + len(f["val"]) for f in plan.splits["folds"]}
        table = metrics.copy()
        table.insert(0, "study", study.name)
        table.insert(1, "level", level.name)
        table.insert(2, "level_value", level.value)
        table.insert(3, "condition", condition)
        table.insert(4, "n_train_cases", table["fold"].map(annotated))
        frames.append(table)

    def read(path: Path) -> pd.DataFrame:
        return pd.read_csv(path, dtype={"case": str, "patient": str})

    if study.name == "robustness":  # the models trained at the default level first
        default_level = next(v for v in study.levels if v.value == DEFAULT_DIFFICULTY)
        default = by_level[default_level.name]
        for level in study.levels:
            if level == default_level:
                add(read(default.out / store.METRICS_CSV), level, TRANSFER, default)
                continue
            cells = [read(store.cell_dir(default.out, t.method, t.fold, t.seed_index) /
                          store.shifted_metrics_csv(level.name)) for t in default.tasks]
            add(pd.concat(cells, ignore_index=True)[METRIC_COLUMNS], level, TRANSFER, default)
    for level, condition, plan in plans:
        add(read(plan.out / store.METRICS_CSV), level, condition, plan)
    table = pd.concat(frames, ignore_index=True)
    table["label"] = table["label"].astype("Int64")
    return table


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
    roi_margin = list(DEFAULT_ROI_MARGIN if roi_margin is None else roi_margin)
    settings = {"study": study.name, "data": str(data), "profile": prof.name,
                "folds": folds, "seed": seed, "seeds": seeds,
                "roi_margin": None if study.semi_automatic_only else roi_margin,
                "methods": list(methods)}
    out = Path(out) if out is not None else default_out(study.name, prof.name)
    previous = check_study_folder(out, store.jsonable(settings))
    t0 = time.perf_counter()
    executor = describe(jobs, scheduler)
    plans = _plans(study, methods, data=data, prof=prof, folds=folds, seed=seed, seeds=seeds,
                   roi_margin=roi_margin, out=out, command=command, executor=executor)
    out = out.resolve()
    prepare_s = time.perf_counter() - t0
    record = {
        "massbench_study": 1, "study": study.name, "question": study.question,
        "axis": study.axis, "settings": settings,
        "command_line": " ".join(command) if command else None,
        "levels": [{"name": level.name, "value": level.value, "label": level.label,
                    "condition": condition + ("; also the models tested at every level"
                                              if plan.tasks and plan.tasks[0].shifted else ""),
                    "run_dir": plan.out.relative_to(out).as_posix(),
                    "n_train_cases": [len(f["train"]) + len(f["val"])
                                      for f in plan.splits["folds"]]}
                   for level, condition, plan in plans],
        "versions": environment.versions(), "machine": environment.machine(),
        "executor": executor, "status": "running",
        "start_time": (previous or {}).get("start_time", environment.now()),
        "attempts": (previous or {}).get("attempts", []) + [environment.now()],
        "end_time": None, "stages": {"prepare_s": prepare_s},
    }
    store.write_json(out / store.STUDY_JSON, record)
    # the deep cells (the longest) first: a worker left alone with one at the end idles
    # the other (about a minute of a 22-minute robustness study when they came last)
    families = {m: plans[0][2].record["methods"][m]["family"] for m in methods}
    pending = sorted((t for _, _, plan in plans for t in plan.pending),
                     key=lambda t: families[t.method] != "deep")
    total = sum(len(plan.tasks) for _, _, plan in plans)
    progress = Progress.choose(total, total - len(pending), quiet=quiet, stream=stream)
    progress.message(f"massbench study {study.name}: {len(plans)} level(s) x "
                     f"{len(methods)} method(s), profile {prof.name}; "
                     f"{total - len(pending)} of {total} cell(s) already complete; writing "
                     f"to {out}")
    t0 = time.perf_counter()
    try:
        execute(pending, progress, jobs=jobs, scheduler=scheduler)
    except KeyboardInterrupt:
        progress.close()
        for _, _, plan in plans:
            interrupted(plan)
        record["status"] = "interrupted"
        store.write_json(out / store.STUDY_JSON, record)
        print(f"interrupted: complete cells are kept; rerun the same command with --out {out} "
              "to continue", file=stream if stream is not None else sys.stderr)
        raise
    progress.close()
    record["stages"]["cells_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _, _, plan in plans:
        finish_run(plan, diagnosis=False)
    store.write_csv(out / store.STUDY_CSV, gather_study(study, plans))
    record["stages"]["gather_s"] = time.perf_counter() - t0
    record["keras_backend"] = next((p.record["keras_backend"] for _, _, p in plans
                                    if p.record["keras_backend"]), None)
    record["device"] = ", ".join(sorted({p.record["device"] for _, _, p in plans}))
    record["status"] = "complete"
    record["end_time"] = environment.now()
    record["stages"]["run_s"] = time.perf_counter() - started
    store.write_json(out / store.STUDY_JSON, record)
    return out


def record_study_report(out: str | os.PathLike, report: str | os.PathLike,
                        seconds: float) -> None:
    """Add the report's path and the time it took to a complete study's ``study.json``."""
    path = Path(out) / store.STUDY_JSON
    record = store.read_json(path)
    record["report"] = str(report)
    record["stages"]["report_s"] = seconds
    # this attempt, from the command's start to the report (the whole study if not resumed)
    record["wall_s"] = record["stages"]["run_s"] + seconds
    store.write_json(path, record)
