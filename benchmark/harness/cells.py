"""One cell of a run: fit one method on one fold's training part, predict and score its test part.

:func:`run_cell` is what every executor runs (in this process, in joblib workers, on Dask
workers): it takes a plain, picklable :class:`CellTask` and writes the cell's folder. Every
method, classical, deep or plug-in, goes through the same estimator contract
(:mod:`benchmark.ground.segmenter`), so a cell knows no family. The cell's ``done.json`` is
written last, so a cell interrupted at any moment is simply redone.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from benchmark.ground import store
from benchmark.ground.data.records import Case
from benchmark.ground.metrics import METRICS, dice_score, score_masks
from benchmark.harness.plugins import Plugin
from benchmark.harness.profiles import Profile

#: Columns of ``metrics.csv``, in order. Beside the metrics: ``ceiling_dice``, the Dice of the
#: method's resolution ceiling (its ``resolution_ceiling`` mask: the reference sent through
#: its own resize path and back) against the reference, and ``seed_hit``, 1.0 when the
#: method's automatic seed (``predict_seeds``) lies inside the reference mask, else 0.0; each
#: NaN for a method without that optional method.
METRIC_COLUMNS = ["method", "family", "needs_roi", "fold", "seed", "case", "patient", "label",
                  *METRICS, "tp", "fp", "fn", "tn", "empty_flag", "ceiling_dice", "seed_hit",
                  "fit_s", "predict_s"]
#: Distance between the model seeds of two training seeds of one cell (more than any fold
#: number, so no two (fold, seed) pairs share a model seed).
SEED_STRIDE = 1000
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
    #: Case id -> ROI rectangle, the run's ``rois.csv`` (every case the cell sees).
    rois: Mapping[str, tuple[int, int, int, int]]
    #: Threads a worker may use (None: leave the libraries' defaults).
    threads: int | None = None
    #: Index of the training seed (``run --seeds K``; only deep methods get more than one).
    seed_index: int = 0
    #: The study level the cell belongs to (shown in progress lines; "" in a plain run).
    level: str = ""
    #: Name -> the test cases under another condition (the same ids, other pixels): the
    #: fitted model also predicts and scores these (``metrics_<name>.csv``; a study's
    #: robustness to image quality).
    shifted: Mapping[str, tuple[Case, ...]] = field(default_factory=dict)
    #: Name -> other ROI boxes (case id -> rectangle) for the same test cases: the fitted
    #: model also predicts and scores its test cases with these (``metrics_<name>.csv``; a
    #: study's models trained with one kind of box, tested with another).
    shifted_rois: Mapping[str, Mapping[str, tuple[int, int, int, int]]] = field(
        default_factory=dict)
    #: The plug-in ``method`` is (None for a registered method): a worker rebuilds its class
    #: from the spec (a class given from Python travels in it, pickled by value).
    plugin: Plugin | None = None

    @property
    def model_seed(self) -> int:
        """The seed the method is made with (run seed + fold + SEED_STRIDE x seed index)."""
        return self.seed + self.fold + SEED_STRIDE * self.seed_index


def run_cell(task: CellTask) -> dict:
    """Run one cell and write its folder; return its ``done.json`` record.

    A complete cell (``done.json`` present) is not run again; its record is returned.
    """
    out = store.cell_dir(task.run_dir, task.method, task.fold, task.seed_index)
    done = out / store.DONE_JSON
    if done.is_file():
        return store.read_json(done)
    out.mkdir(parents=True, exist_ok=True)
    store.remove_temporary(out)  # left by an attempt that was killed mid-write
    if task.threads is not None:  # before a backend starts: they read the environment
        limit_threads(task.threads)
    from benchmark.harness.methods import make_method

    model = make_method(task.method, task.profile, seed=task.model_seed, workdir=out,
                        plugin=task.plugin)
    if task.threads is not None and "deep.device" in sys.modules:
        from deep.device import limit_backend_threads  # a backend's own pool (torch)

        limit_backend_threads(task.threads)
    warm_up()
    # the cell's time starts here: a worker's start-up, the imports of the method's libraries
    # and the loading of the compiled metric kernels (seconds, once per process) are not the
    # method's time
    started = time.time()
    images, masks, rois = _arrays(task.train, task.rois, model.needs_roi)
    val = _arrays(task.val, task.rois, model.needs_roi)
    t0 = time.perf_counter()
    model.fit(images, masks, rois=rois, val=val)
    fit_s = time.perf_counter() - t0

    test = list(task.test)
    predicted, predict_s = predict_timed(model, test, task.rois)
    metrics = score_cell(task, model, test, predicted, fit_s, predict_s)
    features = mass_features(test, predicted)

    store.write_masks(out / store.PREDICTIONS_NPZ, [c.id for c in test], predicted)
    for name, cases in task.shifted.items():
        shifted, seconds = predict_timed(model, list(cases), task.rois)
        store.write_csv(out / store.shifted_metrics_csv(name),
                        score_cell(task, model, list(cases), shifted, fit_s, seconds))
    for name, rois in task.shifted_rois.items():
        boxed, seconds = predict_timed(model, test, rois)
        store.write_csv(out / store.shifted_metrics_csv(name),
                        score_cell(task, model, test, boxed, fit_s, seconds))
    record = {"method": task.method, "level": task.level, "family": model.family,
              "needs_roi": bool(model.needs_roi), "fold": task.fold,
              "seed_index": task.seed_index, "seed": task.model_seed, "n_fit": model.n_fit_,
              "n_test": len(test), "fit_s": fit_s, "predict_s": float(np.sum(predict_s)),
              "started": started, "finished": None, "pid": os.getpid(),
              "model_file": model.save(out), "params": store.jsonable(model.get_params()),
              **model.fit_record()}
    store.write_csv(out / store.FEATURES_CSV, features)
    store.write_csv(out / store.METRICS_CSV, metrics)
    record["finished"] = time.time()
    store.write_json(done, record)  # last: from here on the cell is complete
    return record


_WARM = []  # a process that has run warm_up


def warm_up() -> None:
    """Do once per process what a cell's first scoring would do before its work.

    Imports the feature code and loads the metrics' compiled kernels (numba's cache), so
    that no cell's time counts them.
    """
    if _WARM:
        return
    import baselines.features  # noqa: F401

    tiny = np.zeros((1, 4, 4), dtype=bool)
    tiny[0, 1:3, 1:3] = True
    score_masks(tiny, tiny)
    _WARM.append(True)


def _arrays(cases, rois: Mapping, needs_roi: bool):
    """(images, masks, rois) of some cases; ROIs (the run's) only for a semi-automatic method."""
    images, masks = [c.image for c in cases], [c.mask for c in cases]
    return images, masks, [tuple(rois[c.id]) for c in cases] if needs_roi else None


def predict_timed(model, cases, rois: Mapping) -> tuple[list, list[float]]:
    """Predict the masks of ``cases``; the seconds per case.

    A model that predicts in batches is timed over one call and the time shared out over
    the cases; the others segment, and are timed, one image at a time.
    """
    images, _, rois = _arrays(cases, rois, model.needs_roi)
    if model.batch_predict:
        t0 = time.perf_counter()
        predicted = model.predict(images, rois=rois)
        return predicted, [(time.perf_counter() - t0) / max(1, len(cases))] * len(cases)
    predicted, seconds = [], []
    for i, image in enumerate(images):
        t0 = time.perf_counter()
        predicted.extend(model.predict([image], rois=None if rois is None else [rois[i]]))
        seconds.append(time.perf_counter() - t0)
    return predicted, seconds


def ceiling_dice(model, cases, rois: Mapping) -> list[float]:
    """Per case, the Dice of the method's resolution ceiling; NaN for a method without one.

    The ceiling is ``model.resolution_ceiling(masks, rois=...)``: each reference mask sent
    through the method's own resize path and back, scored against the reference.
    """
    if not hasattr(model, "resolution_ceiling"):
        return [np.nan] * len(cases)
    _, masks, boxes = _arrays(cases, rois, model.needs_roi)
    ceilings = model.resolution_ceiling(masks, rois=boxes)
    return [float(dice_score(m, c)) for m, c in zip(masks, ceilings, strict=True)]


def seed_hits(model, cases, rois: Mapping) -> list[float]:
    """Per case, 1.0 when the method's automatic seed lies in the reference mask, else 0.0.

    The seeds are ``model.predict_seeds(images, rois=...)``, one ``(row, col)`` per image
    (rounded to the nearest pixel; a seed off the image, or None, misses). NaN for a method
    without ``predict_seeds``.
    """
    if not hasattr(model, "predict_seeds"):
        return [np.nan] * len(cases)
    images, masks, boxes = _arrays(cases, rois, model.needs_roi)
    seeds = model.predict_seeds(images, rois=boxes)
    hits = []
    for mask, seed in zip(masks, seeds, strict=True):
        if seed is None:
            hits.append(0.0)
            continue
        row, col = (int(np.rint(v)) for v in seed)
        inside = 0 <= row < mask.shape[0] and 0 <= col < mask.shape[1]
        hits.append(float(inside and bool(mask[row, col])))
    return hits


def score_cell(task: CellTask, model, test, predicted, fit_s: float,
               predict_s: list[float]) -> pd.DataFrame:
    """The cell's rows of ``metrics.csv``: every metric of every test case."""
    rows = []
    ceilings, hits = ceiling_dice(model, test, task.rois), seed_hits(model, test, task.rois)
    for case, mask, seconds, ceiling, hit in zip(test, predicted, predict_s, ceilings, hits,
                                                 strict=True):
        scores = score_masks(case.mask[None], mask[None])
        rows.append({"method": task.method, "family": model.family,
                     "needs_roi": bool(model.needs_roi), "fold": task.fold,
                     "seed": task.seed_index, "case": case.id,
                     "patient": case.patient, "label": case.label,
                     **{k: v[0].item() for k, v in scores.items()},
                     "ceiling_dice": ceiling, "seed_hit": hit,
                     "fit_s": fit_s, "predict_s": seconds})
    metrics = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    metrics["label"] = metrics["label"].astype("Int64")
    return metrics


def mass_features(cases, masks) -> pd.DataFrame:
    """The mass features of each case's mask (a ``case`` column first)."""
    from baselines.features import MassFeatures

    features = MassFeatures().fit_transform([(c.image, m) for c, m in
                                             zip(cases, masks, strict=True)])
    table = pd.DataFrame(features, columns=MassFeatures().get_feature_names_out())
    table.insert(0, "case", [c.id for c in cases])
    return table


def limit_threads(threads: int) -> None:
    """Keep a worker to ``threads`` threads (no parallelism nested inside parallel workers)."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ[name] = str(threads)
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                          f"intra_op_parallelism_threads={threads}")
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
