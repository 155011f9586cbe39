"""The results store: every file name of a run folder, the one atomic writer, JSON values.

::

    RUN_DIR/
      run.json            settings, dataset fingerprint, versions, backend, device, timings
      splits.json
      rois.csv            the ROI rectangle of every case (drawn once, reused on resume)
      cases.npz           images (8-bit, at most 256 px a side) and reference masks
      metrics.csv         one row per (method, fold, case)
      classification.csv  one row per (mask source, classifier, fold)
      classification_scores.csv  the classifiers' score of every test case (ROC curves)
      features_<source>.csv  mass features of every case's mask from one source (reference
                          or a method), with case, label and patient: ``classify`` takes it
      classify_<source>/  ``classify RUN_DIR --source SOURCE``: classification.csv, roc.png,
                          classify.json (the table, the settings, when it was made)
      cells/<method>/fold_<k>/
          metrics.csv, features.csv, predictions.npz, model.joblib or model.keras,
          history.csv (deep), metrics_<condition>.csv (a study's other test sets),
          done.json (written last: the cell is complete)
      report.html

    STUDY_DIR/
      study.json          the study, its settings and levels, timings
      study_metrics.csv   one row per (level, condition, method, fold, seed, case)
      levels/<level>/     a run folder per level (no diagnosis stage)
      report.html

This module is the one owner of those names: the runner, the cells, the deep wrapper and
the report import them from here. Every file is written to a temporary name in its folder
and renamed over the target (:func:`atomic_path`), so a reader (or a restarted run) sees
either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

RUN_JSON = "run.json"
SPLITS_JSON = "splits.json"
ROIS_CSV = "rois.csv"
METRICS_CSV = "metrics.csv"
CLASSIFICATION_CSV = "classification.csv"
SCORES_CSV = "classification_scores.csv"
CASES_NPZ = "cases.npz"
REPORT_HTML = "report.html"
CELLS_DIR = "cells"
# the files of a study folder (its levels are run folders)
STUDY_JSON = "study.json"
STUDY_CSV = "study_metrics.csv"
LEVELS_DIR = "levels"
# the files of one cell
DONE_JSON = "done.json"
PREDICTIONS_NPZ = "predictions.npz"
FEATURES_CSV = "features.csv"
HISTORY_CSV = "history.csv"
MODEL_KERAS = "model.keras"
MODEL_JOBLIB = "model.joblib"
# the files of ``classify``
ROC_PNG = "roc.png"
CLASSIFY_JSON = "classify.json"
#: The largest side of the images kept in ``cases.npz`` for the report.
THUMBNAIL_SIDE = 256
#: What temporary files look like (a leftover of a writer killed mid-write matches it).
TEMPORARY_GLOB = ".*.tmp*"


def features_csv(source: str) -> str:
    """The name of a run's labelled feature table of one mask source (``classify`` reads it).

    Examples
    --------
    >>> features_csv("reference")
    'features_reference.csv'
    """
    return f"features_{source}.csv"


def shifted_metrics_csv(name: str) -> str:
    """The name of a cell's scores on its test cases under another condition ``name``.

    Examples
    --------
    >>> shifted_metrics_csv("difficulty_1.00")
    'metrics_difficulty_1.00.csv'
    """
    return f"metrics_{name}.csv"


def classify_dir(source: str) -> str:
    """The folder in a run folder where ``classify RUN_DIR --source SOURCE`` writes."""
    return f"classify_{source}"


def cell_dir(run_dir: str | os.PathLike, method: str, fold: int, seed_index: int = 0) -> Path:
    """The folder of one (method, fold, training seed) cell.

    ``seed_index`` counts the training seeds (``run --seeds K``): the first seed's cell is
    ``fold_<k>``, the others' ``fold_<k>_seed_<s>``, so a one-seed run has the layout of
    every run.
    """
    name = f"fold_{fold}" if seed_index == 0 else f"fold_{fold}_seed_{seed_index}"
    return Path(run_dir) / CELLS_DIR / method / name


def is_done(run_dir: str | os.PathLike, method: str, fold: int, seed_index: int = 0) -> bool:
    """Whether a cell is complete (its ``done.json`` exists)."""
    return (cell_dir(run_dir, method, fold, seed_index) / DONE_JSON).is_file()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path to write ``path`` through; renamed over ``path`` when the block ends.

    The temporary file lies in the same folder and keeps the suffix (writers such as Keras
    and matplotlib choose the format by it). If the block raises, the temporary file is
    removed and ``path`` is left as it was.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "a.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> (folder / "a.txt").read_text(), sorted(p.name for p in folder.iterdir())
    ('done', ['a.txt'])
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (flushed to disk before the rename)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def remove_temporary(folder: str | os.PathLike) -> None:
    """Remove the temporary files a writer killed mid-write left in ``folder``."""
    for stale in Path(folder).glob(TEMPORARY_GLOB):
        stale.unlink(missing_ok=True)


def jsonable(value):
    """``value`` as plain JSON data: dicts (string keys), lists, numbers, strings, None.

    NumPy scalars and arrays become numbers and lists, paths strings, tuples lists; any
    other object is stored as its ``repr`` (a parameter such as an estimator, say).

    Examples
    --------
    >>> jsonable({"a": (np.int64(1), Path("x")), 2: np.array([0.5])})
    {'a': [1, 'x'], '2': [0.5]}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def write_json(path: str | os.PathLike, data, *, indent: int = 1) -> None:
    """Write JSON atomically (values converted by :func:`jsonable`)."""
    atomic_write_bytes(path, (json.dumps(jsonable(data), indent=indent) + "\n").encode())


def read_json(path: str | os.PathLike):
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_csv(path: str | os.PathLike, table: pd.DataFrame, **options) -> None:
    """Write a table atomically (floats written so that they read back exactly)."""
    atomic_write_bytes(path, table.to_csv(index=False, **options).encode("utf-8"))


def write_npz(path: str | os.PathLike, **arrays) -> None:
    """Write compressed arrays atomically."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def write_joblib(path: str | os.PathLike, obj) -> None:
    """Pickle ``obj`` with joblib (compressed) atomically."""
    import joblib

    with atomic_path(path) as tmp:
        joblib.dump(obj, tmp, compress=3)


def write_masks(path: str | os.PathLike, case_ids, masks) -> None:
    """Predicted masks of a cell: ``case_ids`` and ``mask_<i>`` (their shapes may differ)."""
    arrays = {f"mask_{i}": np.asarray(m, dtype=bool) for i, m in enumerate(masks)}
    write_npz(path, case_ids=np.array(list(case_ids), dtype=str), **arrays)


def read_masks(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Case id -> predicted mask, as written by :func:`write_masks`."""
    with np.load(path) as data:
        ids = data["case_ids"].tolist()
        return {case: data[f"mask_{i}"] for i, case in enumerate(ids)}


def thumbnail(image: np.ndarray) -> np.ndarray:
    """An 8-bit copy of an image in [0, 1], shrunk to at most ``THUMBNAIL_SIDE`` a side."""
    from skimage.transform import resize

    scale = THUMBNAIL_SIDE / max(image.shape)
    if scale < 1:
        shape = tuple(max(1, round(s * scale)) for s in image.shape)
        image = resize(image, shape, order=1, anti_aliasing=True, preserve_range=True)
    return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)


def write_cases(path: str | os.PathLike, dataset) -> None:
    """What the report shows of the data: a thumbnail and the reference mask of every case."""
    arrays = {}
    for i, case in enumerate(dataset):
        arrays[f"image_{i}"] = thumbnail(case.image)
        arrays[f"mask_{i}"] = case.mask
    write_npz(path, case_ids=np.array(dataset.ids, dtype=str), **arrays)


def read_cases(path: str | os.PathLike) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Case id -> (8-bit thumbnail, reference mask), as written by :func:`write_cases`."""
    with np.load(path) as data:
        ids = data["case_ids"].tolist()
        return {case: (data[f"image_{i}"], data[f"mask_{i}"]) for i, case in enumerate(ids)}
