"""The results store: the layout of a run folder and atomic writes into it.

::

    RUN_DIR/
      run.json            settings, dataset fingerprint, versions, backend, device, timings
      splits.json
      cases.npz           images (8-bit, at most 256 px a side) and reference masks
      metrics.csv         one row per (method, fold, case)
      classification.csv  one row per (mask source, classifier, fold)
      classification_scores.csv  the classifiers' score of every test case (ROC curves)
      cells/<method>/fold_<k>/
          metrics.csv, features.csv, predictions.npz, model.joblib or model.keras,
          history.csv (deep), done.json (written last: the cell is complete)
      report.html

Every file is written to a temporary name in its folder and renamed over the target, so a
reader (or a restarted run) sees either the old file or the new one, never half of one.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.data.imageio import atomic_write_bytes

RUN_JSON = "run.json"
SPLITS_JSON = "splits.json"
METRICS_CSV = "metrics.csv"
CLASSIFICATION_CSV = "classification.csv"
SCORES_CSV = "classification_scores.csv"
CASES_NPZ = "cases.npz"
DONE_JSON = "done.json"
#: The largest side of the images kept in ``cases.npz`` for the report.
THUMBNAIL_SIDE = 256


def cell_dir(run_dir: str | os.PathLike, method: str, fold: int) -> Path:
    """The folder of one (method, fold) cell."""
    return Path(run_dir) / "cells" / method / f"fold_{fold}"


def write_json(path: str | os.PathLike, data) -> None:
    """Write JSON atomically."""
    atomic_write_bytes(Path(path), (json.dumps(data, indent=1, default=_plain) + "\n").encode())


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in JSON")


def read_json(path: str | os.PathLike):
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_csv(path: str | os.PathLike, table: pd.DataFrame) -> None:
    """Write a table atomically (floats written so that they read back exactly)."""
    atomic_write_bytes(Path(path), table.to_csv(index=False).encode("utf-8"))


def write_npz(path: str | os.PathLike, **arrays) -> None:
    """Write compressed arrays atomically."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write_bytes(Path(path), buffer.getvalue())


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


def is_done(run_dir: str | os.PathLike, method: str, fold: int) -> bool:
    """Whether a cell is complete (its ``done.json`` exists)."""
    return (cell_dir(run_dir, method, fold) / DONE_JSON).is_file()
