"""Reading a run folder back: the files the runner wrote, nothing recomputed.

:func:`load_run` checks that the folder is a complete run and returns a :class:`RunData`
with the tables as pandas frames; predicted masks are read on demand (the gallery needs a
few of them, not all).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.ground import store
from benchmark.ground.errors import InputError

#: Columns of ``metrics.csv`` that older runs lack (NaN there): the resolution ceiling's Dice
#: and whether the automatic seed hit the lesion (see ``benchmark.harness.cells``).
ADDED_METRIC_COLUMNS = ("ceiling_dice", "seed_hit")


@dataclass
class RunData:
    """The contents of a run folder."""

    path: Path
    record: dict
    splits: dict
    metrics: pd.DataFrame
    classification: pd.DataFrame
    scores: pd.DataFrame
    #: (method, fold, seed index) -> ``done.json`` of every cell, every training seed.
    seed_cells: dict
    #: (method, fold) -> the first training seed's ``history.csv`` (deep methods).
    histories: dict = field(default_factory=dict)
    _cases: dict | None = None
    _predictions: dict = field(default_factory=dict)

    @property
    def cells(self) -> dict:
        """(method, fold) -> the first training seed's ``done.json``."""
        return {(m, f): c for (m, f, s), c in self.seed_cells.items() if s == 0}

    @property
    def methods(self) -> list[str]:
        """Method names in run order."""
        return list(self.record["settings"]["methods"])

    @property
    def label(self) -> str:
        """A short name of the run: its folder, plus the Keras backend when it has one."""
        backend = self.record["settings"].get("keras_backend")
        return f"{self.path.name} ({backend})" if backend else self.path.name

    def cases(self) -> dict:
        """Case id -> (8-bit thumbnail, reference mask), from ``cases.npz``."""
        if self._cases is None:
            self._cases = store.read_cases(self.path / store.CASES_NPZ)
        return self._cases

    def prediction(self, method: str, fold: int, case: str) -> np.ndarray:
        """The predicted mask of one case, from its cell's ``predictions.npz`` (read once)."""
        if (method, fold) not in self._predictions:
            self._predictions[method, fold] = store.read_masks(
                store.cell_dir(self.path, method, fold) / store.PREDICTIONS_NPZ)
        return self._predictions[method, fold][case]


def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **kwargs)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read ({exc})", path) from None


def load_run(run_dir: str | os.PathLike) -> RunData:
    """Read a complete run folder.

    Raises
    ------
    InputError
        If the folder is missing, is not a run folder, or the run is not complete.
    """
    path = Path(run_dir)
    if not path.is_dir():
        raise InputError("no such run folder", path)
    run_json = path / store.RUN_JSON
    if not run_json.is_file():
        raise InputError("not a run folder (no run.json)", path)
    try:
        record = store.read_json(run_json)
        _ = record["settings"]["methods"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"unreadable run record ({exc})", run_json) from None
    if record.get("status") != "complete":
        raise InputError(f"the run is not complete (status: {record.get('status')}); rerun "
                         "its command to finish it", run_json)
    for name in (store.SPLITS_JSON, store.METRICS_CSV, store.CASES_NPZ):
        if not (path / name).is_file():
            raise InputError(f"missing {name}; the run folder is incomplete", path)
    splits = store.read_json(path / store.SPLITS_JSON)
    ids = {"case": str, "patient": str}
    metrics = _read_csv(path / store.METRICS_CSV, dtype=ids)
    classification = _read_csv(path / store.CLASSIFICATION_CSV)
    scores = _read_csv(path / store.SCORES_CSV, dtype={"case": str})
    histories, seed_cells = {}, {}
    n_seeds = int(record["settings"].get("seeds", 1))
    for method in record["settings"]["methods"]:
        deep = record.get("methods", {}).get(method, {}).get("family") == "deep"
        for fold in splits["folds"]:
            for seed in range(n_seeds if deep else 1):
                cell = store.cell_dir(path, method, fold["fold"], seed)
                seed_cells[method, fold["fold"], seed] = store.read_json(cell /
                                                                         store.DONE_JSON)
            cell = store.cell_dir(path, method, fold["fold"])
            if (cell / store.HISTORY_CSV).is_file():
                histories[method, fold["fold"]] = _read_csv(cell / store.HISTORY_CSV)
    if "seed" not in metrics:  # a run made before training seeds were counted
        metrics.insert(metrics.columns.get_loc("fold") + 1, "seed", 0)
    for column in ADDED_METRIC_COLUMNS:  # a run made before they were measured
        if column not in metrics:
            metrics.insert(metrics.columns.get_loc("fit_s") if "fit_s" in metrics
                           else len(metrics.columns), column, np.nan)
    return RunData(path=path, record=record, splits=splits, metrics=metrics,
                   classification=classification, scores=scores, seed_cells=seed_cells,
                   histories=histories)
