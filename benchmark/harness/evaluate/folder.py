"""Writing the folder of an evaluation: alone (run-like, its own folds) or a copy of a run.

The masks' cells are scored as a run's cells are (:func:`benchmark.harness.cells.score_cell`);
``run.json`` is written first with status ``running``, and completed by
:func:`benchmark.harness.evaluate.evaluate_masks`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from benchmark.ground import store
from benchmark.ground.data import Dataset
from benchmark.ground.errors import InputError
from benchmark.ground.splits import DEFAULT_FOLDS, DEFAULT_SEED, make_splits
from benchmark.harness import environment
from benchmark.harness.cells import METRIC_COLUMNS, mass_features, score_cell
from benchmark.harness.diagnosis import (
    classify_sources,
    empty_results,
    run_diagnosis,
    skip_reason,
    write_feature_tables,
)

#: The family of a method whose masks were made elsewhere.
FAMILY = "external"
#: Files of a run folder that ``evaluate --run`` does not copy: the models (the report reads
#: none), the report (written anew) and leftovers of a writer killed mid-write.
NOT_COPIED = (store.MODEL_KERAS, store.MODEL_JOBLIB, "*.keras", "*.joblib", "*.pt", "*.pth",
              store.REPORT_HTML, "summary.txt", store.TEMPORARY_GLOB)
#: What the record says was copied from the run.
COPIED = ("every file of the run folder except its models (model.keras, model.joblib: the "
          "report reads none) and its report")

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


def start_folder(out: Path, base, dataset, name, needs_roi, source, track, data, splits, command,
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
            "dataset": dataset.record(), "methods": {},
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


def append_to_run(out: Path, base, dataset: Dataset, name: str, metrics: pd.DataFrame,
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


def diagnose_alone(out: Path, dataset: Dataset, splits: dict, name: str, progress) -> dict:
    """The diagnosis stage of a folder scored alone, on its own folds; its ``run.json`` entry."""
    if all(f["train"] for f in splits["folds"]):
        return run_diagnosis(out, dataset, splits, [name], seed=DEFAULT_SEED,
                             progress=progress)
    for file, table in zip((store.CLASSIFICATION_CSV, store.SCORES_CSV), empty_results(),
                           strict=True):  # one patient: no fold to train the classifiers on
        store.write_csv(out / file, table)
    return {"skipped": "one patient: no fold to train on", "classifiers": []}
