"""One cell of a run: fit one method on one fold's training part, predict and score its test part.

:func:`run_cell` is what every executor runs (in this process, in joblib workers, on Dask
workers): it takes a plain, picklable :class:`CellTask` and writes the cell's folder. The
cell's ``done.json`` is written last, so a cell interrupted at any moment is simply redone.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from benchmark import store
from benchmark.data.records import Case
from benchmark.metrics import score_masks
from benchmark.profiles import Profile
from benchmark.roi import roi_from_mask

#: Columns of ``metrics.csv``, in order.
METRIC_COLUMNS = ["method", "family", "needs_roi", "fold", "case", "patient", "label", "dice",
                  "jaccard", "sensitivity", "precision", "specificity", "hd95", "assd", "tp",
                  "fp", "fn", "tn", "empty_flag", "fit_s", "predict_s"]
#: Columns that are measurements of time, not results; they differ between two runs.
TIMING_COLUMNS = ["fit_s", "predict_s"]


@dataclass(frozen=True)
class CellTask:
    """Everything a worker needs to run one cell (picklable, no open files)."""

    run_dir: str
    method: str
    fold: int
    profile: Profile
    seed: int
    train: tuple[Case, ...]
    val: tuple[Case, ...]
    test: tuple[Case, ...]
    #: Threads a worker may use (None: leave the libraries' defaults).
    threads: int | None = None


def run_cell(task: CellTask) -> dict:
    """Run one cell and write its folder; return its ``done.json`` record.

    A complete cell (``done.json`` present) is not run again; its record is returned.
    """
    out = store.cell_dir(task.run_dir, task.method, task.fold)
    done = out / store.DONE_JSON
    if done.is_file():
        return store.read_json(done)
    if task.threads is not None:
        _limit_threads(task.threads)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".*.tmp*"):  # left by an attempt that was killed mid-write
        stale.unlink(missing_ok=True)
    started = time.time()
    from benchmark.methods import make_method

    model = make_method(task.method, task.profile, seed=task.seed + task.fold, workdir=out)
    if task.threads is not None and "torch" in sys.modules:
        import torch

        torch.set_num_threads(task.threads)
    needs_roi = bool(model.needs_roi)
    family = model.family
    fit_part = list(task.train) if family == "deep" else list(task.train + task.val)

    def rois(cases):
        return [roi_from_mask(c.mask) for c in cases] if needs_roi else None

    t0 = time.perf_counter()
    if family == "deep":
        model.fit([c.image for c in task.train], [c.mask for c in task.train],
                  [c.image for c in task.val], [c.mask for c in task.val])
    else:
        model.fit([c.image for c in fit_part], [c.mask for c in fit_part], rois(fit_part))
    fit_s = time.perf_counter() - t0

    test = list(task.test)
    if family == "deep":  # one batched prediction; the time is shared out over the cases
        t0 = time.perf_counter()
        predicted = model.predict([c.image for c in test])
        predict_s = [(time.perf_counter() - t0) / max(1, len(test))] * len(test)
    else:  # the classical methods segment one image at a time: time each
        predicted, predict_s = [], []
        test_rois = rois(test) or [None] * len(test)
        for case, roi in zip(test, test_rois, strict=True):
            t0 = time.perf_counter()
            predicted.extend(model.predict([case.image], None if roi is None else [roi]))
            predict_s.append(time.perf_counter() - t0)

    rows = []
    for case, mask, seconds in zip(test, predicted, predict_s, strict=True):
        scores = score_masks(case.mask[None], mask[None])
        rows.append({"method": task.method, "family": family, "needs_roi": needs_roi,
                     "fold": task.fold, "case": case.id, "patient": case.patient,
                     "label": case.label, **{k: v[0].item() for k, v in scores.items()},
                     "fit_s": fit_s, "predict_s": seconds})
    metrics = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    metrics["label"] = metrics["label"].astype("Int64")

    from baselines.features import MassFeatures

    features = MassFeatures().fit_transform([(c.image, m) for c, m in
                                             zip(test, predicted, strict=True)])
    feature_table = pd.DataFrame(features, columns=MassFeatures().get_feature_names_out())
    feature_table.insert(0, "case", [c.id for c in test])

    store.write_masks(out / "predictions.npz", [c.id for c in test], predicted)
    record = {"method": task.method, "family": family, "needs_roi": needs_roi,
              "fold": task.fold, "seed": task.seed + task.fold, "n_fit": len(fit_part),
              "n_test": len(test), "fit_s": fit_s, "predict_s": float(np.sum(predict_s)),
              "started": started, "finished": None, "pid": os.getpid()}
    if family == "deep":
        record |= {"model_file": "model.keras", "params": _jsonable(model.get_params()),
                   **model.fit_info()}
    else:
        _dump_model(model, out / "model.joblib")
        record |= {"model_file": "model.joblib",
                   "params": _jsonable(model.get_params()),
                   "tuned_params": _jsonable(getattr(model, "tuned_params_", {})),
                   "tuning_results": _jsonable(getattr(model, "tuning_results_", []))}
    store.write_csv(out / "features.csv", feature_table)
    store.write_csv(out / "metrics.csv", metrics)
    record["finished"] = time.time()
    store.write_json(done, record)  # last: from here on the cell is complete
    return record


def _dump_model(model, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    joblib.dump(model, tmp, compress=3)
    os.replace(tmp, path)


def _jsonable(value):
    """Parameters as JSON-ready values (numbers, strings, lists, dicts)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def _limit_threads(threads: int) -> None:
    """Keep a worker to ``threads`` threads (no parallelism nested inside parallel workers)."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ[name] = str(threads)
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                          f"intra_op_parallelism_threads={threads}")
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
