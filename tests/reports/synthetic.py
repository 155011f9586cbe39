"""Synthetic runs for the report's wording tests: a metrics table with known differences.

:func:`synthetic_run` builds a :class:`reports.rundata.RunData` in memory (no files): one row
per (method, fold, seed, case), with the per-case Dice given by the test and the other
columns derived from it, the splits and the run record the report reads.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from reports.rundata import RunData


def synthetic_run(methods: dict, *, n_patients=40, n_folds=5, profile="standard",
                  smoke_test=None, hd95=None, extra=None) -> RunData:
    """A run whose methods score the given per-case Dice.

    Parameters
    ----------
    methods : dict
        name -> (family, needs_roi, dice) where dice is an (n,) array over the cases (two
        views per patient, cases in patient order) or a (K, n) array of K training seeds.
    hd95 : dict, optional
        name -> (n,) HD95 per case (default ``20 * (1 - dice)``).
    extra : dict, optional
        name -> {column: (n,) values} (``ceiling_dice``, ``seed_hit``).
    """
    n_cases = 2 * n_patients
    cases = [f"P{p:03d}_{v}" for p in range(n_patients) for v in (1, 2)]
    patients = [c[:4] for c in cases]
    fold_of = np.array([(i // 2) % n_folds for i in range(n_cases)])
    rows = []
    for name, (_, _, dice) in methods.items():
        dice = np.atleast_2d(np.asarray(dice, float))
        assert dice.shape[1] == n_cases, name
        for seed, values in enumerate(dice):
            distance = (hd95 or {}).get(name, 20 * (1 - values))
            for i, case in enumerate(cases):
                row = {"method": name, "fold": int(fold_of[i]), "seed": seed, "case": case,
                       "patient": patients[i], "label": i % 2, "tp": 80, "fp": 10, "fn": 10,
                       "tn": 900, "dice": values[i], "jaccard": values[i] / (2 - values[i]),
                       "hd95": distance[i], "assd": distance[i] / 3, "empty_flag": False}
                for column, column_values in (extra or {}).get(name, {}).items():
                    row[column] = column_values[i]
                rows.append(row)
    metrics = pd.DataFrame(rows)
    for column in ("ceiling_dice", "seed_hit"):
        if column in metrics:
            metrics[column] = metrics[column].astype(float)
    folds = [{"fold": k, "test": [c for c, f in zip(cases, fold_of, strict=True) if f == k],
              "train": [c for c, f in zip(cases, fold_of, strict=True) if f != k], "val": []}
             for k in range(n_folds)]
    profile_settings = {"name": profile}
    if smoke_test is not None:
        profile_settings["smoke_test"] = smoke_test
    record = {"settings": {"methods": list(methods), "profile": profile, "seed": 0,
                           "roi_margin": [0.1, 0.3]},
              "profile_settings": profile_settings,
              "methods": {name: {"family": family, "needs_roi": needs_roi,
                                 "description": name}
                          for name, (family, needs_roi, _) in methods.items()}}
    return RunData(path=Path("synthetic"), record=record,
                   splits={"folds": folds, "n_folds": n_folds}, metrics=metrics,
                   classification=pd.DataFrame(), scores=pd.DataFrame(), seed_cells={})


def per_patient(rng, n_patients, mean, sd):
    """Per-case values with one shared value per patient (both views alike)."""
    return np.repeat(rng.normal(mean, sd, n_patients), 2)
