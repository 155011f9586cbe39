"""The report's diagnosis section: ROC AUC, sensitivity and specificity per mask source.

Three parts: the diagnosis stage's classifiers on all features of every mask source; the AUC
by feature group (shape alone, intensity alone, all), with the reference masks and
``prior_disk``'s fixed disk beside every method, so that a reader sees what a better
segmentation adds; and the results of ``classify RUN_DIR --source X`` when the run folder
holds them (``classify_<source>/``). An AUC worse than chance is named
(:func:`worse_than_chance`) wherever it is shown, by the report and by ``classify``.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.ground import store
from reports import plots
from reports.format import fmt
from reports.leaderboards import FLOOR_FAMILY
from reports.rundata import RunData

#: A mean AUC under this is worse than chance whatever its spread.
FAR_BELOW_CHANCE = 0.4
#: The sources the feature-group table puts first, beside every method.
ANCHORS = {"reference": "the dataset's masks", "prior_disk": "fixed disk, floor"}
#: The feature group that holds every feature (older runs have no ``features`` column).
ALL_FEATURES = "all"


def worse_than_chance(aucs) -> str | None:
    """A line saying that an AUC is worse than chance and what that usually means, or None.

    An AUC is worse than chance when its mean over folds is below 0.5 and its ±1 SD band
    over the folds lies below 0.5 too, or when its mean is under :data:`FAR_BELOW_CHANCE`.

    Parameters
    ----------
    aucs : array_like of float
        ROC AUC of each fold (NaN folds are left out).

    Returns
    -------
    str or None

    Examples
    --------
    >>> worse_than_chance([0.2, 0.3, 0.25]).split(":")[0]
    'AUC 0.25 ± 0.05 is worse than chance (0.5)'
    >>> worse_than_chance([0.45, 0.6, 0.5]) is None
    True
    """
    values = np.asarray(aucs, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if values.size > 1 else 0.0
    if not (mean < FAR_BELOW_CHANCE or (values.size > 1 and mean + sd < 0.5)):
        return None
    return (f"AUC {mean:.2f} ± {sd:.2f} is worse than chance (0.5): the scores rank benign "
            "cases above malignant ones. That usually means a flipped label (1 must be "
            "malignant, 0 benign), a leak between the features and the folds, or a tiny "
            "sample (cross-validation of features that carry no signal scores below 0.5 on "
            "few cases)")


def not_classified(part: pd.DataFrame) -> str | None:
    """Why a mask source's rows of ``classification.csv`` hold no result, or None.

    A source the diagnosis stage did not classify has NaN results and the reason in ``note``
    (runs made before ``note`` existed have none, and every source was classified).
    """
    if "note" not in part or part["roc_auc"].notna().any():
        return None
    notes = part["note"].dropna()
    return str(notes.iloc[0]) if len(notes) else None


def _all_features(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of all features (every row of a run made before feature groups)."""
    if "features" not in table:
        return table
    return table[table["features"] == ALL_FEATURES]


def _auc_text(aucs: pd.Series) -> str:
    return f"{fmt(aucs.mean())} ± {fmt(aucs.std(ddof=1))}"


def diagnosis_section(run: RunData) -> dict:
    """AUC per mask source and classifier, the reason for sources not classified, ROC figures.

    Returns
    -------
    dict
        ``skipped`` (the reason the stage did not run, or None), ``classifiers``, ``n_folds``,
        ``youden`` (whether sensitivity and specificity are at a threshold chosen on each
        training part: runs made before it took the classifier's own threshold), ``span`` (the
        columns a "not classified" cell spans), ``rows``
        (per source: ``source``, ``note`` when not classified, else ``values`` per
        classifier), ``chance`` (lines on AUCs worse than chance), ``groups`` (the AUC by
        feature group, :func:`group_section`, or None), ``figures`` (one per classifier,
        over the classified sources) and, in every case, ``classify`` (:func:`classify_runs`).
    """
    info = run.record.get("diagnosis", {})
    table = _all_features(run.classification)
    classify = classify_runs(run.path)
    if info.get("skipped") or table.empty:
        return {"skipped": info.get("skipped") or "no classification results",
                "classify": classify}
    sources = list(dict.fromkeys(table["mask_source"]))
    classifiers = list(dict.fromkeys(table["classifier"]))
    rows, classified, chance = [], [], []
    for source in sources:
        own = table[table["mask_source"] == source]
        note = not_classified(own)
        row = {"source": source, "note": note, "values": []}
        if note is None:
            classified.append(source)
        for name in classifiers if note is None else ():
            part = own[own["classifier"] == name]
            row["values"].append({
                "auc": _auc_text(part["roc_auc"]),
                "sensitivity": fmt(part["sensitivity"].mean()),
                "specificity": fmt(part["specificity"].mean())})
            line = worse_than_chance(part["roc_auc"])
            if line is not None:
                chance.append(f"{plots.source_title(source)}, {name}: {line}.")
        rows.append(row)
    scores = _all_features(run.scores)
    figures = ([{"classifier": c, "figure": plots.roc_panels(scores, c, classified)}
                for c in classifiers] if classified else [])
    return {"skipped": None, "classifiers": classifiers, "n_folds": table["fold"].nunique(),
            "youden": "threshold" in table, "span": 3 * len(classifiers), "rows": rows,
            "chance": chance,
            "groups": group_section(run.classification, pixel_free=_pixel_free(run)),
            "figures": figures, "classify": classify}


#: The family of ``roi_ellipse``: a plain reference beside the floors, reading no pixel.
REFERENCE_FAMILY = "reference"


def _pixel_free(run: RunData) -> set[str]:
    """The run's methods that read no pixel (floors and references): not segmentations."""
    return {m for m, meta in run.record.get("methods", {}).items()
            if meta.get("family") in (FLOOR_FAMILY, REFERENCE_FAMILY)}


def group_section(table: pd.DataFrame, *, pixel_free=()) -> dict | None:
    """The AUC of each mask source by feature group, anchors first; None without groups.

    The classifier is the first one the diagnosis stage ran on more than one group (the
    SVM). Beside every source: the paired difference of its all-feature AUC from
    ``prior_disk``'s over the same folds (mean ± SD).

    Returns
    -------
    dict or None
        ``classifier``, ``groups`` (in the table's order), ``anchor`` (whether
        ``prior_disk`` is a source), ``rows`` (per source: ``source``, ``role`` for the
        anchors, ``cells`` per group: ``auc`` text or ``note``, and ``gain``: the difference
        from ``prior_disk``) and ``reading`` (sentences on what the segmentation adds).
    """
    if "features" not in table:
        return None
    per = table.groupby("classifier", sort=False)["features"].nunique()
    wide = [name for name, n in per.items() if n > 1]
    if not wide:
        return None
    own = table[table["classifier"] == wide[0]]
    groups = list(dict.fromkeys(own["features"]))
    sources = list(dict.fromkeys(own["mask_source"]))
    order = [s for s in ANCHORS if s in sources] + [s for s in sources if s not in ANCHORS]
    disk = _fold_aucs(own, "prior_disk", ALL_FEATURES)
    rows, means = [], {}
    for source in order:
        cells = []
        for group in groups:
            part = own[(own["mask_source"] == source) & (own["features"] == group)]
            note = not_classified(part)
            cells.append({"note": note} if note is not None else
                         {"auc": _auc_text(part["roc_auc"]), "note": None})
            means[source, group] = part["roc_auc"].mean() if note is None else np.nan
        gain = None
        if disk is not None and source != "prior_disk":
            mine = _fold_aucs(own, source, ALL_FEATURES)
            if mine is not None:
                diff = (mine - disk).dropna()
                if len(diff):
                    gain = f"{diff.mean():+.3f} ± {diff.std(ddof=1):.3f}"
        rows.append({"source": source, "role": ANCHORS.get(source), "cells": cells,
                     "gain": gain})
    return {"classifier": wide[0], "groups": groups, "anchor": disk is not None,
            "rows": rows, "reading": _reading(means, sources, pixel_free=set(pixel_free))}


def _fold_aucs(table: pd.DataFrame, source: str, group: str) -> pd.Series | None:
    """Fold -> AUC of one source and group, or None when it was not classified."""
    part = table[(table["mask_source"] == source) & (table["features"] == group)]
    if part.empty or part["roc_auc"].isna().all():
        return None
    return part.set_index("fold")["roc_auc"]


def _reading(means: dict, sources: list[str], *, pixel_free=frozenset()) -> list[str]:
    """What the group table says, in words (only what its means say).

    The "best method" is the best segmenting one: the floors and references
    (``pixel_free``) read no pixel, and their masks carry what the box gives away.
    """
    def auc(source, group):
        value = means.get((source, group), np.nan)
        return value if np.isfinite(value) else None

    lines = []
    ref_shape, ref_all = auc("reference", "shape"), auc("reference", ALL_FEATURES)
    disk_all = auc("prior_disk", ALL_FEATURES)
    if ref_shape is not None and ref_all is not None:
        lines.append(f"From the reference masks, shape features alone give AUC "
                     f"{ref_shape:.2f}, all features {ref_all:.2f}.")
    if disk_all is not None:
        lines.append(f"prior_disk's fixed disk gives {disk_all:.2f} from all features: its "
                     "shape features are nearly constant, so that is what the grey levels "
                     "inside a disk at the usual place tell, with no segmentation at all.")
        methods = [(auc(s, ALL_FEATURES), s) for s in sources
                   if s not in ANCHORS and s not in pixel_free]
        methods = [(value, s) for value, s in methods if value is not None]
        if ref_all is not None:
            lines.append(f"The reference masks add {ref_all - disk_all:+.2f} to the fixed "
                         "disk's AUC (all features)"
                         + (f"; the best method's masks ({max(methods)[1]}) add "
                            f"{max(methods)[0] - disk_all:+.2f}." if methods else "."))
    return lines


def classify_runs(run_dir: str | Path) -> list[dict]:
    """The results of ``classify RUN_DIR --source X`` kept in the run folder, by source.

    Each ``classify_<source>/classification.csv`` is summarised per classifier (mean ± SD
    ROC AUC over folds and repeats, mean sensitivity and specificity at each fold's Youden
    threshold), with the source, when it was made (``classify.json``, else the file's
    time) and ``roc.png`` when present.

    Returns
    -------
    list of dict
        ``source``, ``made``, ``repeats``, ``n_folds``, ``rows`` (``classifier``, ``auc``,
        ``sensitivity``, ``specificity``), ``chance`` (lines, :func:`worse_than_chance`),
        ``figure`` (or None), ``folder``; an empty list when there are none.
    """
    out = []
    for folder in sorted(Path(run_dir).glob(store.classify_dir("*"))):
        csv = folder / store.CLASSIFICATION_CSV
        if not csv.is_file():
            continue
        try:
            table = pd.read_csv(csv)
            record = (store.read_json(folder / store.CLASSIFY_JSON)
                      if (folder / store.CLASSIFY_JSON).is_file() else {})
        except (OSError, ValueError):
            continue  # a half-written or foreign file: not the report's to judge
        if not {"classifier", "roc_auc"} <= set(table.columns):
            continue
        made = record.get("made") or dt.datetime.fromtimestamp(
            csv.stat().st_mtime).astimezone().isoformat(timespec="seconds")
        rows, chance = [], []
        for name, part in table.groupby("classifier", sort=False):
            rows.append({"classifier": name, "auc": _auc_text(part["roc_auc"]),
                         "sensitivity": fmt(part["sensitivity"].mean())
                         if "sensitivity" in part else "–",
                         "specificity": fmt(part["specificity"].mean())
                         if "specificity" in part else "–"})
            line = worse_than_chance(part["roc_auc"])
            if line is not None:
                chance.append(f"{name}: {line}.")
        figure = None
        if (folder / store.ROC_PNG).is_file():
            data = base64.b64encode((folder / store.ROC_PNG).read_bytes()).decode("ascii")
            figure = plots.Figure(src=f"data:image/png;base64,{data}",
                                  alt="ROC curves of classify's classifiers: mean and ±1 SD "
                                      "band over folds")
        out.append({
            "source": record.get("source") or folder.name.removeprefix(
                store.classify_dir("")),
            "made": made.replace("T", " "), "folder": folder.name,
            "repeats": int(table["repeat"].nunique()) if "repeat" in table else None,
            "n_folds": int(table["fold"].nunique()) if "fold" in table else None,
            "rows": rows, "chance": chance, "figure": figure})
    return out
