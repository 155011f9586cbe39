"""``python -m benchmark study NAME``: the benchmark along one more coordinate.

A study is a set of run folders that differ in one setting, its *levels*, each a complete run
folder of the runner (split, boxes, cells, ``metrics.csv``) under ``STUDY_DIR/levels/``:

- ``learning-curve``: every fold's training part (train and validation) cut to nested shares
  of its patients (:func:`benchmark.ground.splits.subsample_training`); test parts unchanged.
  The deep models get the same number of optimizer steps per fold at every level, to within
  one epoch's: their epoch counts (cap, minimum, patience of early stopping and of the
  schedule) are multiplied by the ratio of the steps per epoch, ``ceil(n_train / batch)``, of
  the fold's full training part to those of its subsampled one (:func:`epoch_factor`), so a
  curve measures the data, not the training budget.
- ``robustness``: the phantom remade with the same seed at other difficulty levels (the same
  lesions and masks; only contrast and noise change). The models trained at the default
  level are tested at every level ("trained at default"), and each level is also run by
  itself ("matched": trained and tested at that level).
- ``roi-looseness``: the semi-automatic methods with ROI boxes drawn at margins from tight
  to loose.

All pending cells of all levels run in one pool (the runner's executors), so resuming a
killed study, like a run, redoes only the cells without ``done.json``; ``study.json`` is
written (status ``preparing``) before the levels are planned, so a study killed while it
prepares its level folders continues too. ``study.json`` records the settings (resolved:
``--folds`` and ``--seeds`` as the profile fills them in) and the levels, the start and
duration of every attempt (``wall_s``: their sum), ``study_metrics.csv`` holds one row per
(level, condition, method, fold, seed, test case), and the report is drawn from those two
files.
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
from benchmark.ground.roi import DEFAULT_ROI_MARGIN, check_margin
from benchmark.ground.splits import (
    DEFAULT_SEED,
    check_n_folds,
    make_splits,
    subsample_training,
)
from benchmark.harness import environment
from benchmark.harness.cells import METRIC_COLUMNS
from benchmark.harness.executors import describe, execute
from benchmark.harness.methods import _deep_model, all_methods, method_names
from benchmark.harness.profiles import PROFILES, Profile, check_seeds, get_profile
from benchmark.harness.progress import Progress
from benchmark.harness.runner import finish_run, interrupted, load_stage, prepare_run

#: The deep settings counted in epochs: multiplied by :func:`epoch_factor` in a learning curve.
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


def steps_per_epoch(n_cases: int, batch_size: int) -> int:
    """Optimizer steps in one epoch over ``n_cases`` training cases.

    As :class:`deep.training.DeepSegmenter` trains: batches of ``min(batch_size, n_cases)``,
    the last one short.

    Examples
    --------
    >>> steps_per_epoch(115, 8), steps_per_epoch(12, 8), steps_per_epoch(5, 8)
    (15, 2, 1)
    """
    return math.ceil(n_cases / min(batch_size, n_cases))


def epoch_factor(n_full: int, n_part: int, batch_size: int) -> float:
    """How many times more epochs a training on ``n_part`` cases needs for the steps of ``n_full``.

    The ratio of :func:`steps_per_epoch` of the full training part to that of the
    subsampled one. The share of patients kept is not that ratio: steps per epoch round up,
    so at 10 % of 115 cases (12) an epoch has 2 steps of 8, not 1.5.

    Examples
    --------
    >>> epoch_factor(115, 12, 8)
    7.5
    """
    return steps_per_epoch(n_full, batch_size) / steps_per_epoch(n_part, batch_size)


def deep_settings(profile: Profile, method: str) -> dict:
    """The ``DeepSegmenter`` settings ``profile`` gives the deep method ``method``.

    The profile's ``deep``, then its model's ``deep_per_model`` entry, then the method's own
    (a ROI-track model has its model's settings, then its own), as
    :func:`benchmark.harness.methods.make_method` merges them.
    """
    model, _ = _deep_model(method)
    return (profile.deep | profile.deep_per_model.get(model, {})
            | profile.deep_per_model.get(method, {}))


def scaled_profile(profile: Profile, method: str, factor: float) -> Profile:
    """``profile`` with the epoch counts of ``method`` multiplied by ``factor`` (rounded up).

    With fewer training cases an epoch has fewer optimizer steps; multiplying the epoch cap,
    the minimum, and the patience of early stopping and of the schedule by
    :func:`epoch_factor` keeps the steps (and the steps without improvement before a stop)
    as with the full training part, to within one epoch's. The scaled counts go into
    ``method``'s ``deep_per_model`` entry, so the other methods keep theirs; an unset count
    (``lr_patience=None`` follows the patience) stays unset.

    Examples
    --------
    >>> quarter = scaled_profile(get_profile("standard"), "unet_roi", 3.75)
    >>> quarter.deep_per_model["unet_roi"]["epochs"], quarter.deep["epochs"]
    (75, 20)
    """
    if factor == 1:
        return profile
    settings = deep_settings(profile, method)
    scaled = {key: math.ceil(settings[key] * factor) for key in EPOCH_SETTINGS
              if settings.get(key)}
    per_model = {**profile.deep_per_model,
                 method: {**profile.deep_per_model.get(method, {}), **scaled}}
    return replace(profile, deep_per_model=per_model)


def _epoch_factors(full: dict, part: dict, prof: Profile, deep: list[str]) -> dict:
    """Deep method -> epoch factor of each fold (in fold order) for a subsampled split."""
    sizes = {f["fold"]: len(f["train"]) for f in full["folds"]}
    return {m: [epoch_factor(sizes[f["fold"]], len(f["train"]),
                             deep_settings(prof, m)["batch_size"]) for f in part["folds"]]
            for m in deep}


def _with_factors(plan, factors: dict):
    """``plan`` with each deep cell's profile scaled by its fold's epoch factor."""
    if not factors:
        return plan
    folds = [f["fold"] for f in plan.splits["folds"]]

    def scaled(task):
        if task.method not in factors:
            return task
        factor = factors[task.method][folds.index(task.fold)]
        return replace(task, profile=scaled_profile(task.profile, task.method, factor))

    tasks = [scaled(t) for t in plan.tasks]
    pending_keys = {(t.method, t.fold, t.seed_index) for t in plan.pending}
    return replace(plan, tasks=tasks, pending=[t for t in tasks if (t.method, t.fold,
                                                                    t.seed_index)
                                               in pending_keys])


def default_out(study: str, profile: str) -> Path:
    """A new folder under ``runs/``, named by the time, the study and the profile."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path("runs") / f"{stamp}-study-{study}-{profile}"
    n = 1
    while out.exists():
        n += 1
        out = Path("runs") / f"{stamp}-study-{study}-{profile}-{n}"
    return out


def _resolved(settings: dict) -> dict:
    """``settings`` with ``folds`` and ``seeds`` filled in from the profile where None.

    A record written before the values were resolved (None: the profile's) compares with one
    that names the profile's value (``--folds 5`` given the second time only).
    """
    resolved = dict(settings)
    profile = PROFILES.get(settings.get("profile"))
    if profile is not None:
        if resolved.get("folds") is None:
            resolved["folds"] = profile.n_folds
        if resolved.get("seeds") is None:
            resolved["seeds"] = profile.seeds
    return resolved


def check_study_folder(out: Path, settings: dict) -> dict | None:
    """The existing ``study.json`` of ``out`` if its settings agree; errors otherwise.

    The settings compared are the resolved ones (:func:`_resolved`): an option given with
    the value the profile would have chosen is the same setting as the option left out.
    """
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
    old, settings = _resolved(old), _resolved(settings)
    for key, option in options.items():
        if old.get(key) != settings.get(key):
            raise InputError(f"{option} differs from the study in this folder (it was made "
                             f"with {old.get(key)!r}, this command gives "
                             f"{settings.get(key)!r}); repeat its settings to resume it, or "
                             "choose another --out", path)
    return previous


def _datasets(study: Study, data: str, prof: Profile) -> dict:
    """Level name -> the dataset of that level (one dataset, or robustness' phantoms).

    Nothing is written: a dataset that cannot be loaded stops the study before its folder
    is made.
    """
    if study.name != "robustness":
        dataset = load_stage(data, prof)
        return {level.name: dataset for level in study.levels}
    if data != "phantom":
        raise InputError("the robustness study remakes the phantom at other difficulty "
                         "levels, which a dataset folder cannot do; leave --data out "
                         "(the phantom)", data)
    return {level.name: make_phantom(prof.phantom_cases, size=prof.phantom_size,
                                     difficulty=level.value) for level in study.levels}


def _plans(study: Study, methods, datasets: dict, splits: dict, *, data, prof, folds, seed,
           seeds, roi_margin, out, command, executor) -> list[tuple[Level, str, object]]:
    """(level, condition, run plan) of every run folder of the study (written as planned).

    ``splits`` is the full benchmark's split of the data (every level's, or the one the
    learning curve subsamples).
    """
    common = {"data": data, "folds": folds, "seed": seed, "seeds": seeds, "command": command,
              "executor": executor}
    levels_dir = out / store.LEVELS_DIR
    plans = []
    if study.name == "learning-curve":
        deep = [m for m in methods if m not in method_names(deep=False)]
        for level in study.levels:
            dataset = datasets[level.name]
            part = (subsample_training(splits, dataset, level.value, seed=seed)
                    if level.value < 1 else splits)
            # the deep cells' epoch counts per fold, for the steps of the full training part
            factors = _epoch_factors(splits, part, prof, deep) if level.value < 1 else {}
            plan = prepare_run(
                methods, dataset=dataset, profile=prof, roi_margin=roi_margin,
                out=levels_dir / level.name, splits=part, level=level.name,
                study_level={"study": study.name, "level": level.name,
                             "fraction": level.value, "epoch_factors": factors}, **common)
            plans.append((level, SAME, _with_factors(plan, factors)))
    elif study.name == "robustness":
        default = next(v for v in study.levels if v.value == DEFAULT_DIFFICULTY)
        for level in study.levels:
            shifted = ({v.name: datasets[v.name] for v in study.levels if v != default}
                       if level == default else None)
            plans.append((level, MATCHED, prepare_run(
                methods, dataset=datasets[level.name], profile=prof, roi_margin=roi_margin,
                out=levels_dir / level.name, shifted=shifted, level=level.name,
                study_level={"study": study.name, "level": level.name,
                             "difficulty": level.value,
                             "tested_at": sorted(shifted or [])}, **common)))
    else:
        for level in study.levels:
            plans.append((level, SAME, prepare_run(
                methods, dataset=datasets[level.name], profile=prof,
                roi_margin=margin_of(level), out=levels_dir / level.name, level=level.name,
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
    # resolved, so that ``--folds 5`` given on a resume is the setting it was left out of
    folds = prof.n_folds if folds is None else folds
    seeds = prof.seeds if seeds is None else seeds
    check_n_folds(folds)
    check_seeds(seeds)
    roi_margin = list(check_margin(DEFAULT_ROI_MARGIN if roi_margin is None else roi_margin))
    settings = {"study": study.name, "data": str(data), "profile": prof.name,
                "folds": folds, "seed": seed, "seeds": seeds,
                "roi_margin": None if study.semi_automatic_only else roi_margin,
                "methods": list(methods)}
    out = Path(out) if out is not None else default_out(study.name, prof.name)
    previous = check_study_folder(out, store.jsonable(settings))
    t0 = time.perf_counter()
    executor = describe(jobs, scheduler)
    # everything that can refuse the input, before anything is written
    datasets = _datasets(study, data, prof)
    splits = make_splits(next(iter(datasets.values())), n_folds=folds, seed=seed)
    record = {
        "massbench_study": 1, "study": study.name, "question": study.question,
        "axis": study.axis, "settings": settings,
        "command_line": " ".join(command) if command else None, "levels": [],
        "versions": environment.versions(), "machine": environment.machine(),
        "executor": executor, "status": "preparing",
        "start_time": (previous or {}).get("start_time", environment.now()),
        "attempts": (previous or {}).get("attempts", []) + [environment.now()],
        "attempt_s": _attempt_times(out, previous) + [None],
        "end_time": None, "stages": {},
    }
    # written before the levels are planned: a study killed while it writes its level
    # folders is a study folder, and the same command continues it
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    store.remove_temporary(out)
    _write_record(out, record, started)
    for level in study.levels:
        _clear_unfinished_level(out / store.LEVELS_DIR / level.name)
    plans = _plans(study, methods, datasets, splits, data=data, prof=prof, folds=folds,
                   seed=seed, seeds=seeds, roi_margin=roi_margin, out=out, command=command,
                   executor=executor)
    record["stages"]["prepare_s"] = time.perf_counter() - t0
    record["levels"] = [
        {"name": level.name, "value": level.value, "label": level.label,
         "condition": condition + ("; also the models tested at every level"
                                   if plan.tasks and plan.tasks[0].shifted else ""),
         "run_dir": plan.out.relative_to(out).as_posix(),
         "n_train_cases": [len(f["train"]) + len(f["val"]) for f in plan.splits["folds"]],
         "epoch_factors": plan.record["settings"].get("study_level", {}).get(
             "epoch_factors", {})}
        for level, condition, plan in plans]
    record["status"] = "running"
    _write_record(out, record, started)
    # the deep cells (the longest) first: a worker left alone with one at the end idles
    # the other (about a minute of a 22-minute robustness study when they came last)
    families = {m: plans[0][2].record["methods"][m]["family"] for m in methods}
    pending = sorted((t for _, _, plan in plans for t in plan.pending),
                     key=lambda t: families[t.method] != "deep")
    total = sum(len(plan.tasks) for _, _, plan in plans)
    progress = Progress.choose(total, total - len(pending), quiet=quiet, stream=stream,
                               pending=[t.method for t in pending], families=families,
                               jobs=1 if scheduler else jobs, profile=prof.name)
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
        _write_record(out, record, started)
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
    _write_record(out, record, started)
    return out


def _write_record(out: Path, record: dict, started: float) -> None:
    """Write ``study.json`` with this attempt's seconds so far and their sum over attempts.

    ``attempt_s[-1]`` is the time since ``started`` (``perf_counter``); ``wall_s`` the sum of
    every attempt's known seconds.
    """
    record["attempt_s"][-1] = time.perf_counter() - started
    record["wall_s"] = sum(s for s in record["attempt_s"] if s is not None)
    store.write_json(out / store.STUDY_JSON, record)


def _attempt_times(out: Path, previous: dict | None) -> list:
    """The seconds of every earlier attempt of the study in ``out`` (None: not known).

    An attempt that was killed (its ``study.json`` still says ``preparing`` or
    ``running``) recorded only its time up to its last write of ``study.json``; it ran at
    least until the last file it wrote in the folder (a cell's ``done.json``, say), so it is
    counted to that file's time. A record from before attempts were timed has None for them.
    """
    if previous is None:
        return []
    times = list(previous.get("attempt_s", []))
    times += [None] * (len(previous.get("attempts", [])) - len(times))
    if times and previous.get("status") in ("preparing", "running"):
        begun = datetime.fromisoformat(previous["attempts"][-1]).timestamp()
        last = max((p.stat().st_mtime for p in out.rglob("*") if p.is_file()),
                   default=begun)
        times[-1] = max(times[-1] or 0.0, last - begun)
    return times


def _clear_unfinished_level(folder: Path) -> None:
    """Remove what a study killed while it prepared ``folder`` left there.

    :func:`benchmark.harness.runner.prepare_run` writes a level's split, boxes and cases
    before its ``run.json``; a folder that holds only those (they are made again, the same
    for the same settings) would otherwise be refused as not a run folder. A folder with
    anything else in it is left to the runner's check.
    """
    if not folder.is_dir() or (folder / store.RUN_JSON).exists():
        return
    store.remove_temporary(folder)
    prepared = {store.SPLITS_JSON, store.ROIS_CSV, store.CASES_NPZ}
    files = list(folder.iterdir())
    if all(f.is_file() and f.name in prepared for f in files):
        for f in files:
            f.unlink()


def record_study_report(out: str | os.PathLike, report: str | os.PathLike,
                        seconds: float) -> None:
    """Add the report's path and the time it took to a complete study's ``study.json``."""
    path = Path(out) / store.STUDY_JSON
    record = store.read_json(path)
    record["report"] = str(report)
    record["stages"]["report_s"] = seconds
    # this attempt, from the command's start to the report; ``wall_s``: every attempt's
    record["attempt_s"][-1] = record["stages"]["run_s"] + seconds
    record["wall_s"] = sum(s for s in record["attempt_s"] if s is not None)
    store.write_json(path, record)
