"""``evaluate``: masks made elsewhere, scored with the benchmark's metrics, statistics and report.

A folder of predictions (``<case>_mask.png|pgm|tif``, or the course's ``<case>_mass_mask.*``;
values {0, 1} or {0, 255}, read by :func:`benchmark.ground.data.course.read_mask`) is scored
against the reference masks of a dataset, case by case, by the same function that scores a
run's cells (:func:`benchmark.harness.cells.score_cell`). Two forms:

- **alone** (no ``run``): every case of the data is scored. The folder written is run-like
  (``run.json`` with status complete, ``splits.json``, ``metrics.csv``, ``cases.npz``,
  ``cells/<name>/fold_<k>/``, the diagnosis tables, ``report.html`` and ``summary.txt``):
  the leaderboard with patient-level intervals, the gallery and, where the cases have
  labels, the diagnosis stage, whose classifiers train on the folds of ``splits.json``
  (made here, grouped by patient; the masks were not made on them). No floors: they learn
  on a training part, which masks made elsewhere have not got; the report says so.
- **inside a run** (``run=RUN_DIR``): the masks are scored on the run's test cases (every
  fold's test part, each in its fold) and ranked in their track beside the run's methods,
  floors and ceilings, with the report's paired tests (a method made elsewhere is not
  stochastic: paired with a trained model its comparison is tested over the run's folds).
  The data must be the run's (the fingerprints agree). The run folder is never changed:
  ``out`` receives a copy of every file of the run except its models (``model.keras``,
  ``model.joblib``: the report reads none) and its report, plus the new method's cells, its
  rows appended to ``metrics.csv`` and to the diagnosis tables (classified on the run's
  folds with the run's seed), and a new report.

The masks are ranked in the ROI-given track by default, the weaker claim: masks made
elsewhere may have used a box around the lesion. ``track="automatic"`` claims that they
were made from the image alone (massbench cannot check it).

Every check (the name, the data, every prediction's presence, readability and size) is made
before anything is written. ``run.json`` is written first with status ``running`` and last
with status ``complete``; an existing folder is reused only when ``evaluate`` wrote it
(its ``run.json`` has an ``evaluate`` record): it is emptied first.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from benchmark.ground import store
from benchmark.ground.data import PHANTOM_FILE, REFERENCE_FILE, Dataset, load_dataset
from benchmark.ground.data.course import IMAGE_TAG, MASK_TAG, course_name, read_mask
from benchmark.ground.data.imageio import IMAGE_SUFFIXES, JPEG_SUFFIXES
from benchmark.ground.errors import InputError, ParameterError
from benchmark.ground.formats import split_spec
from benchmark.ground.splits import DEFAULT_FOLDS, DEFAULT_SEED, make_splits
from benchmark.harness import environment
from benchmark.harness.cells import METRIC_COLUMNS, mass_features, score_cell
from benchmark.harness.diagnosis import (
    ANCHOR_SOURCE,
    classify_sources,
    empty_results,
    run_diagnosis,
    skip_reason,
    write_feature_tables,
)
from benchmark.harness.profiles import PROFILES
from benchmark.harness.progress import Progress

#: ``--track`` -> whether the masks rank in the ROI-given track (``needs_roi``).
TRACKS = {"roi": True, "automatic": False}
#: The track masks made elsewhere rank in unless told otherwise: the weaker claim.
DEFAULT_TRACK = "roi"
#: The family of a method whose masks were made elsewhere.
FAMILY = "external"
#: The tags a prediction's file name ends with (before its suffix), the course's first:
#: ``_mass_mask`` also ends with ``_mask``.
PREDICTION_TAGS = (MASK_TAG, "_mask")
#: A method name: it names a folder (``cells/<name>``) and a file (``features_<name>.csv``).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
#: Names the diagnosis stage gives its own mask sources.
RESERVED_NAMES = ("reference", ANCHOR_SOURCE)
#: Files of a run folder that ``evaluate --run`` does not copy: the models (the report reads
#: none), the report (written anew) and leftovers of a writer killed mid-write.
NOT_COPIED = (store.MODEL_KERAS, store.MODEL_JOBLIB, "*.keras", "*.joblib", "*.pt", "*.pth",
              store.REPORT_HTML, "summary.txt", store.TEMPORARY_GLOB)
#: What the record says was copied from the run.
COPIED = ("every file of the run folder except its models (model.keras, model.joblib: the "
          "report reads none) and its report")
#: How many file names the warning about unused files shows.
SHOWN_EXTRAS = 5


def check_track(track: str) -> bool:
    """``needs_roi`` of a track name (``roi`` or ``automatic``).

    Examples
    --------
    >>> check_track("roi"), check_track("automatic")
    (True, False)
    """
    if track not in TRACKS:
        raise ParameterError("track", "evaluate", f"one of {', '.join(TRACKS)}", track,
                             choices=TRACKS)
    return TRACKS[track]


def check_name(name: str, taken=()) -> str:
    """A method name for the masks: a folder-safe word, not a diagnosis source, not ``taken``.

    Raises
    ------
    InputError
        For a name that cannot name a folder, is reserved, or is already a method of the run
        (``taken``); the message says to give ``--name``.

    Examples
    --------
    >>> check_name("student_otsu")
    'student_otsu'
    """
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InputError(f"the name {name!r} cannot name a method (use letters, digits and "
                         "_ . + -, starting with a letter or digit); give another --name")
    if name in RESERVED_NAMES:
        raise InputError(f"the name {name!r} is taken by the diagnosis stage's own mask "
                         f"sources ({', '.join(RESERVED_NAMES)}); give another --name")
    if name in taken:
        raise InputError(f"the name {name!r} is a method of the run; give the masks another "
                         "--name")
    return name


def prediction_case(path: str | os.PathLike, known=()) -> str | None:
    """The case a prediction file is named for (``<case>_mask.png``, ``<case>_mass_mask.pgm``).

    A name that two tags could read (``a_mass_mask.png``: case ``a``, or ``a_mass``) is read
    as the case of ``known`` it names; with none, the course's tag wins.

    Examples
    --------
    >>> prediction_case("preds/0001_1_mask.png"), prediction_case("0001_1_mass_mask.pgm")
    ('0001_1', '0001_1')
    >>> prediction_case("a_mass_mask.png", known=["a_mass"]), prediction_case("notes.txt")
    ('a_mass', None)
    """
    path = Path(path)
    if path.suffix.lower() not in IMAGE_SUFFIXES + JPEG_SUFFIXES:
        return None
    stem = path.name[: -len(path.suffix)]
    candidates = [stem[: -len(tag)] for tag in PREDICTION_TAGS
                  if stem.endswith(tag) and len(stem) > len(tag)]
    for case in candidates:
        if case in known:
            return case
    return candidates[0] if candidates else None


def find_predictions(pred_dir: str | os.PathLike,
                     cases: list[str]) -> tuple[dict[str, Path], list[str]]:
    """The prediction file of every case of ``cases``, and the files that match none.

    The files of a course-format folder that are not predictions (``<case>_resized.*``
    images, ``reference.json``, the phantom's record) and hidden files are passed over.

    Returns
    -------
    files : dict of str to Path
        Case -> its file, in the order of ``cases``.
    extras : list of str
        Names of the other files (sorted).

    Raises
    ------
    InputError
        For a folder that is not one, a case with two files, or cases without a file (the
        first named, the others counted).
    """
    folder = Path(pred_dir)
    if not folder.is_dir():
        raise InputError("no such folder of predicted masks", folder)
    known = set(cases)
    found: dict[str, Path] = {}
    extras = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        case = prediction_case(path, known)
        if case in known:
            if case in found:
                raise InputError(f"case {case} has two predicted masks ({found[case].name} and "
                                 f"{path.name}); keep one", folder)
            found[case] = path
            continue
        parsed = course_name(path)
        if path.name in (REFERENCE_FILE, PHANTOM_FILE) or (
                parsed is not None and parsed[1] == "image" and parsed[0] in known):
            continue
        extras.append(path.name)
    missing = [c for c in cases if c not in found]
    if missing:
        more = (f" (and {len(missing) - 1} more case{'s' if len(missing) > 2 else ''})"
                if len(missing) > 1 else "")
        case = missing[0]
        raise InputError(f"no predicted mask for case {case}{more}: expected {case}_mask.png "
                         f"(or .pgm, .tif) or {case}{MASK_TAG}.png (or .pgm, .tif)", folder)
    return {c: found[c] for c in cases}, extras


def read_predictions(files: dict[str, Path], dataset: Dataset) -> dict[str, np.ndarray]:
    """Case -> predicted mask (2-D bool), each checked against its reference mask's size.

    Raises
    ------
    InputError
        For a file that cannot be read or is not a mask ({0, 1} or {0, 255}), or a mask
        whose size is not its reference's (both sizes said), naming the case and the file.
    """
    masks = {}
    for case, path in files.items():
        try:
            mask = read_mask(path)
        except InputError as exc:
            raise InputError(f"case {case}: {exc.message}", exc.path or path) from None
        shape = dataset[case].mask.shape
        if mask.shape != shape:
            raise InputError(f"case {case}: the predicted mask is {mask.shape[0]} x "
                             f"{mask.shape[1]} pixels but its reference mask is {shape[0]} x "
                             f"{shape[1]}; write every mask on the grid of its image "
                             f"({case}{IMAGE_TAG})", path)
        masks[case] = mask
    return masks


def extras_warning(pred_dir, extras: list[str]) -> str | None:
    """The one warning line naming the files of ``pred_dir`` that match no case, or None.

    Examples
    --------
    >>> print(extras_warning("preds", ["x_mask.png", "notes.txt"]))
    warning: preds: 2 files match no case of the data and were not scored: x_mask.png, notes.txt
    """
    if not extras:
        return None
    shown = ", ".join(extras[:SHOWN_EXTRAS]) + (", ..." if len(extras) > SHOWN_EXTRAS else "")
    files = "file matches" if len(extras) == 1 else "files match"
    return (f"warning: {pred_dir}: {len(extras)} {files} no case of the data and were not "
            f"scored: {shown}")


def diagnosis_splits(dataset: Dataset, seed: int = DEFAULT_SEED) -> dict:
    """The folds of a folder scored alone: grouped, stratified, min(5, patients) of them.

    With one patient there is one fold, every case in its test part and none to train on
    (the diagnosis stage then cannot run).
    """
    n_patients = len({c.patient for c in dataset})
    if n_patients >= 2:
        return make_splits(dataset, n_folds=min(DEFAULT_FOLDS, n_patients), seed=seed)
    return {"fingerprint": dataset.fingerprint, "seed": int(seed), "n_folds": 1,
            "folds": [{"fold": 0, "train": [], "val": [], "test": sorted(dataset.ids)}]}


def track_note(name: str, pred_dir, needs_roi: bool) -> str:
    """What the report says of the masks' track."""
    if needs_roi:
        return (f"{name}: masks made elsewhere (read from {pred_dir}) and scored by evaluate. "
                "They rank in the ROI-given track, the weaker claim: masks made elsewhere may "
                "have used a box around the lesion. Give --track automatic when they were "
                "made from the image alone.")
    return (f"{name}: masks made elsewhere (read from {pred_dir}) and scored by evaluate. They "
            "rank in the automatic track, as --track automatic claims: made from the image "
            "alone, with no box around the lesion (massbench cannot check it).")


ALONE_NOTES = (
    "No floors: the floors learn from a training part, and masks made elsewhere have none "
    "here. Score them inside a run (evaluate --run RUN_DIR) to rank them beside its methods, "
    "floors and ceilings.",
    "The folds of splits.json serve the diagnosis stage only (its classifiers train on each "
    "fold's training part); the masks were not made on them.",
)
#: The leaderboard's line where a floor would stand, for a folder scored alone.
ALONE_FLOOR_NOTE = ("No floor: the floors learn on a training part, and masks scored alone "
                    "by evaluate have none; evaluate --run RUN_DIR ranks them beside a run's "
                    "floors.")
#: How a folder scored alone describes its (absent) boxes.
ALONE_ROI_NOTE = ("massbench drew no ROI box here: the masks were made elsewhere, with "
                  "whatever box (or none) their maker used.")


def run_note(name: str, run_dir, n_cases: int) -> str:
    """What the report says of masks scored inside a run."""
    return (f"{name} was scored on the {n_cases} test cases of the run {run_dir} (every "
            "fold's test part) and ranked beside its methods, but it was not made on the "
            "run's folds: if the masks' maker learned from some of these cases, its scores "
            f"are optimistic. This folder holds {COPIED}, and {name}'s cells.")


def _dataset_record(dataset: Dataset) -> dict:
    return {"name": dataset.name, "source": dataset.source, "reference": dataset.reference,
            "generator": dataset.generator, "labels_from": dataset.labels_from,
            "patients_from": dataset.patients_from, "n_cases": len(dataset),
            "n_patients": len({c.patient for c in dataset}),
            "fingerprint": dataset.fingerprint}


def run_dataset(record: dict, data: str) -> Dataset:
    """The data ``evaluate --run`` scores on, read as the run read it (its profile's phantom)."""
    profile = PROFILES.get(record["settings"].get("profile"))
    if data == "phantom" and profile is not None:
        from benchmark.harness.runner import load_stage

        return load_stage(data, profile)
    return load_dataset(data)


def check_out(out: Path, *, run_dir: Path | None = None, inputs=()) -> None:
    """Refuse an ``out`` in the way: a file, a folder ``evaluate`` did not write, an input's.

    ``out`` may not be the run folder or lie inside it (a run is never changed), nor hold
    one of ``inputs`` (the predictions, the data), which emptying it would remove.
    """
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder; choose another --out", out)
    target = out.resolve()
    if run_dir is not None:
        run = Path(run_dir).resolve()
        if target == run or run in target.parents:
            raise InputError("is the run folder or inside it, and evaluate never changes a "
                             "run; choose another --out", out)
    for path in inputs:
        inside = Path(path).resolve()
        if inside == target or target in inside.parents:
            raise InputError(f"holds {path}, an input of this evaluation; choose another "
                             "--out", out)
    if out.is_dir() and any(out.iterdir()):
        try:
            made_here = "evaluate" in store.read_json(out / store.RUN_JSON)
        except (OSError, ValueError, TypeError):
            made_here = False
        if not made_here:
            raise InputError("folder is not empty and was not written by evaluate; choose a "
                             "new or empty --out", out)


def _score(name: str, needs_roi: bool, cases: list, masks: dict, fold: int) -> tuple:
    """(metrics rows, features) of one fold's test cases, as a run's cell scores them."""
    task = SimpleNamespace(method=name, fold=fold, seed_index=0, rois={})
    method = SimpleNamespace(family=FAMILY, needs_roi=needs_roi)
    predicted = [masks[c.id] for c in cases]
    n = len(cases)
    metrics = score_cell(task, method, cases, predicted, np.nan, [np.nan] * n)
    return metrics, mass_features(cases, predicted) if n else None


def write_cells(out: Path, name: str, needs_roi: bool, dataset: Dataset, splits: dict,
                masks: dict, source: str) -> tuple[pd.DataFrame, pd.DataFrame | None, dict]:
    """Write ``cells/<name>/fold_<k>/`` of every fold; its metrics, features and record.

    Returns
    -------
    metrics : DataFrame
        The new rows of ``metrics.csv`` (columns :data:`~benchmark.harness.cells.METRIC_COLUMNS`).
    features : DataFrame or None
        The out-of-fold feature table of the masks (None when no case was scored).
    cells : dict
        ``run.json``'s ``cells`` entries of the new cells.
    """
    frames, tables, cells = [], [], {}
    for fold in splits["folds"]:
        cases = dataset.subset(fold["test"])
        metrics, features = _score(name, needs_roi, cases, masks, fold["fold"])
        cell = store.cell_dir(out, name, fold["fold"])
        cell.mkdir(parents=True, exist_ok=True)
        store.write_masks(cell / store.PREDICTIONS_NPZ, [c.id for c in cases],
                          [masks[c.id] for c in cases])
        store.write_csv(cell / store.METRICS_CSV, metrics)
        if features is not None:
            store.write_csv(cell / store.FEATURES_CSV, features)
            tables.append(features)
        now = time.time()
        done = {"method": name, "level": "", "family": FAMILY, "needs_roi": needs_roi,
                "fold": fold["fold"], "seed_index": 0, "seed": None, "n_fit": 0,
                "n_test": len(cases), "fit_s": 0.0, "predict_s": 0.0, "started": now,
                "finished": now, "pid": os.getpid(), "model_file": None, "params": {},
                "source": source}
        store.write_json(cell / store.DONE_JSON, done)
        cells[store.cell_dir("", name, fold["fold"]).relative_to(store.CELLS_DIR).as_posix()] \
            = {k: done[k] for k in ("fit_s", "predict_s", "n_fit", "n_test", "pid")}
        frames.append(metrics)
    metrics = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=METRIC_COLUMNS)
    metrics["label"] = metrics["label"].astype("Int64")
    features = pd.concat(tables, ignore_index=True) if tables else None
    return metrics, features, cells


def method_record(name: str, needs_roi: bool, source: str) -> dict:
    """The masks' entry in ``run.json``'s ``methods``."""
    return {"family": FAMILY, "needs_roi": needs_roi, "stochastic": False, "source": source,
            "description": f"masks made elsewhere, read from {source} (nothing trained or "
                           "tuned here)"}


def evaluate_masks(pred_dir: str | os.PathLike, *, data: str | os.PathLike = "phantom",
                   out: str | os.PathLike, name: str | None = None,
                   track: str = DEFAULT_TRACK, run: str | os.PathLike | None = None,
                   quiet: bool = False, command=None, stream=None) -> Path:
    """Score a folder of predicted masks and write a run-like folder with its report.

    Parameters
    ----------
    pred_dir : path-like
        Folder of ``<case>_mask.png|pgm|tif`` (or ``<case>_mass_mask.*``) files, one per
        case, each on its image's grid, values {0, 1} or {0, 255}.
    data : str or path-like, default "phantom"
        The references: what ``run --data`` takes. With ``run``, the run's data (checked by
        fingerprint).
    out : path-like
        The folder to write: new, empty, or one that ``evaluate`` wrote (emptied first).
    name : str, optional
        The masks' method name (default: ``pred_dir``'s folder name).
    track : {"roi", "automatic"}, default "roi"
        The track the masks rank in (module docstring).
    run : path-like, optional
        A complete run folder to rank the masks in (its test cases, beside its methods).
    quiet : bool, default False
        No progress lines (the warning about unused files is printed all the same).
    command : list of str, optional
        The command line, recorded in ``run.json``.
    stream : file-like, optional
        Where progress and warnings go (default stderr).

    Returns
    -------
    Path
        The folder written (``out``), with ``report.html``.

    Raises
    ------
    InputError
        A missing, unreadable or wrongly sized prediction (naming the case and both sizes),
        data that are not the run's, a name that cannot be used (one of the run's methods, a
        diagnosis source, not a folder-safe word), an ``out`` in the way.
    ParameterError
        A track other than ``roi`` and ``automatic``.
    """
    from benchmark.harness.runner import record_report
    from reports import render_report
    from reports.rundata import load_run

    stream = stream if stream is not None else sys.stderr
    needs_roi = check_track(track)
    pred_dir = Path(pred_dir)
    if not pred_dir.is_dir():
        raise InputError("no such folder of predicted masks", pred_dir)
    name = check_name(name if name is not None else pred_dir.resolve().name)
    data, out = str(data), Path(out)
    base = load_run(run) if run is not None else None
    data_path = Path(split_spec(data)[1])
    inputs = [pred_dir] + ([data_path] if data != "phantom" and data_path.exists() else [])
    check_out(out, run_dir=None if base is None else base.path, inputs=inputs)
    if base is not None:
        check_name(name, taken=base.methods)
    progress = Progress(0, mode="quiet" if quiet else "log", stream=stream)
    t0 = time.perf_counter()
    if base is None:
        dataset = load_dataset(data)
        splits = diagnosis_splits(dataset)
    else:
        dataset = run_dataset(base.record, data)
        expected = base.record["settings"]["data_fingerprint"]
        if dataset.fingerprint != expected:
            raise InputError(f"--data {data} is not the data of the run {base.path} (its "
                             f"fingerprint is {dataset.fingerprint}, the run's {expected}); "
                             f"give the run's data (--data "
                             f"{base.record['settings'].get('data')})")
        splits = base.splits
    cases = [c for fold in splits["folds"] for c in fold["test"]]
    files, extras = find_predictions(pred_dir, cases)
    masks = read_predictions(files, dataset)
    warning = extras_warning(pred_dir, extras)
    if warning:
        print(warning, file=stream, flush=True)
    progress.message(f"massbench evaluate: {len(masks)} masks of {pred_dir} as {name} "
                     f"(track {track}) against {dataset.name} ({len(dataset)} cases)"
                     + (f", inside the run {base.path}" if base is not None else "")
                     + f"; writing to {out}")

    source = str(pred_dir.resolve())
    record = _start(out, base, dataset, name, needs_roi, source, track, data, splits,
                    command, extras)
    stages = record["stages"]
    metrics, features, cells = write_cells(out, name, needs_roi, dataset, splits, masks,
                                           source)
    if base is None:
        store.write_csv(out / store.METRICS_CSV, metrics)
        if all(f["train"] for f in splits["folds"]):
            record["diagnosis"] = run_diagnosis(out, dataset, splits, [name],
                                                seed=DEFAULT_SEED, progress=progress)
        else:  # one patient: no fold to train the classifiers on
            record["diagnosis"] = {"skipped": "one patient: no fold to train on",
                                   "classifiers": []}
            for file, table in zip((store.CLASSIFICATION_CSV, store.SCORES_CSV),
                                   empty_results(), strict=True):
                store.write_csv(out / file, table)
    else:
        _append_to_run(out, base, dataset, name, metrics, features, progress)
    record["cells"].update(cells)
    record["method_time_s"][name] = 0.0
    record["status"] = "complete"
    record["end_time"] = environment.now()
    stages["evaluate_s"] = time.perf_counter() - t0
    store.write_json(out / store.RUN_JSON, record)
    progress.message(f"report: rendering {store.REPORT_HTML}")
    t1 = time.perf_counter()
    report = render_report(out)
    record_report(out, report, time.perf_counter() - t1)
    progress.close()
    return out.resolve()


def _start(out: Path, base, dataset, name, needs_roi, source, track, data, splits, command,
           extras) -> dict:
    """Empty (or make) ``out``, copy the run's files into it, write its first ``run.json``."""
    if out.is_dir():
        shutil.rmtree(out)
    if base is None:
        out.mkdir(parents=True)
        store.write_json(out / store.SPLITS_JSON, splits)
        store.write_cases(out / store.CASES_NPZ, dataset)
        now = environment.now()
        record = {
            "massbench_run": 1,
            "settings": {"data": data, "data_fingerprint": dataset.fingerprint,
                         "profile": None, "folds": len(splits["folds"]),
                         "seed": DEFAULT_SEED, "seeds": 1, "roi_margin": None,
                         "methods": [], "keras_backend": None},
            "profile_settings": {"smoke_test": False},
            "dataset": _dataset_record(dataset), "methods": {},
            "versions": environment.versions(), "machine": environment.machine(),
            "keras_backend": None, "executor": "sequential", "device": "none (masks made "
            "elsewhere)", "start_time": now, "attempts": [now], "cells": {},
            "method_time_s": {}, "stages": {},
            "notes": [track_note(name, source, needs_roi), *ALONE_NOTES],
            "roi_note": ALONE_ROI_NOTE, "floor_note": ALONE_FLOOR_NOTE,
        }
    else:
        shutil.copytree(base.path, out, ignore=shutil.ignore_patterns(*NOT_COPIED))
        record = dict(base.record)
        record["settings"] = dict(record["settings"],
                                  methods=list(record["settings"]["methods"]))
        record["methods"] = dict(record["methods"])
        record["cells"] = dict(record.get("cells", {}))
        record["method_time_s"] = dict(record.get("method_time_s", {}))
        record["stages"] = dict(record.get("stages", {}))
        record["notes"] = [*record.get("notes", []), track_note(name, source, needs_roi),
                           run_note(name, base.path, sum(len(f["test"]) for f in
                                                         splits["folds"]))]
        record.pop("report", None)
    record["settings"]["methods"].append(name)
    record["methods"][name] = method_record(name, needs_roi, source)
    record["command"] = command if command is not None else []
    record["command_line"] = shlex.join(command) if command else None
    record["evaluate"] = {"predictions": source, "name": name, "track": track,
                          "run": str(base.path.resolve()) if base is not None else None,
                          "run_command_line": (base.record.get("command_line")
                                               if base is not None else None),
                          "copied": COPIED if base is not None else None,
                          "not_scored": list(extras)}
    record["status"] = "running"
    record["end_time"] = None
    store.write_json(out / store.RUN_JSON, record)
    return record


def _append_to_run(out: Path, base, dataset: Dataset, name: str, metrics: pd.DataFrame,
                   features: pd.DataFrame | None, progress) -> None:
    """Add the masks' rows to the copied run's ``metrics.csv`` and diagnosis tables."""
    ids = {"case": str, "patient": str}
    previous = pd.read_csv(base.path / store.METRICS_CSV, dtype=ids)
    table = pd.concat([previous, metrics], ignore_index=True)
    table["label"] = table["label"].astype("Int64")
    store.write_csv(out / store.METRICS_CSV, table)
    diagnosis = base.record.get("diagnosis") or {}
    if features is None or diagnosis.get("skipped") or skip_reason(dataset) is not None:
        return
    progress.message(f"diagnosis: classifying the mass features of {name}'s masks on the "
                     "run's folds")
    tune = bool((base.record.get("profile_settings") or {}).get("tune_forest", False))
    seed = int(base.record["settings"].get("seed", DEFAULT_SEED))
    results, scores = classify_sources({name: features}, dataset, base.splits, seed=seed,
                                       tune_forest=tune)
    write_feature_tables(out, {name: features}, dataset)
    for file, new in ((store.CLASSIFICATION_CSV, results), (store.SCORES_CSV, scores)):
        old = pd.read_csv(base.path / file, dtype={"case": str})
        store.write_csv(out / file, pd.concat([old, new], ignore_index=True))
