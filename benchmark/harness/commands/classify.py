"""``python -m benchmark classify FEATURES.csv|RUN_DIR``: the course's classification exercise.

The table has a ``case`` column, numeric feature columns, a ``label`` column (1 malignant,
0 benign) and optionally ``patient``; a run folder gives the table of one mask source
(``--source``, default the reference masks) that its diagnosis stage wrote. Every classifier of
:data:`baselines.classifiers.CLASSIFIERS` is evaluated by stratified, patient-grouped 5-fold
cross-validation repeated over seeds, each classifier tuned by an inner grouped search on the
training part; ``classification.csv`` (ROC AUC, and sensitivity and specificity at the Youden
threshold chosen on each fold's training part, which it records), ``roc.png`` and
``classify.json`` (the table, the source, the settings, when it was made) are written. From a
run folder they go to ``RUN_DIR/classify_<source>/``, which the run's report shows. An AUC
worse than chance gets a line saying so and what that usually means
(:func:`reports.diagnosis.worse_than_chance`).

Missing values (NaN, e.g. the features of an empty mask) are imputed by the training part's
median. A feature column without any value is left out with a printed note; a table in which
more than half the rows miss a feature is refused (exit 2): its AUC would measure the
imputation, not the masses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from baselines.classifiers import cross_validate, missing_features_reason
from benchmark.ground import store
from benchmark.ground.errors import InputError
from reports.diagnosis import worse_than_chance


@dataclass
class FeatureTable:
    """A validated feature table: features, labels, patients, and the columns left out."""

    x: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    features: list[str]
    cases: list[str]
    dropped: list[str]


def read_feature_table(path: Path) -> FeatureTable:
    """Validate a feature table and split it into features, labels and patients.

    Raises
    ------
    InputError
        For an unreadable file, a missing ``case`` or ``label`` column, a label other than
        0 / 1, a non-numeric or no feature column, fewer than 5 cases of a class, or more
        than half the rows with a missing feature.
    """
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read the feature table ({exc})", path) from None
    for column in ("case", "label"):
        if column not in table.columns:
            raise InputError(f"missing column {column!r}; expected case, label, [patient] "
                             "and numeric feature columns", path)
    labels = pd.to_numeric(table["label"], errors="coerce")
    bad = table.index[~labels.isin([0, 1])]
    if len(bad):
        raise InputError(f"row {bad[0] + 2}: label {table['label'][bad[0]]!r} is not 0 or 1",
                         path)
    features = [c for c in table.columns if c not in ("case", "label", "patient")]
    non_numeric = [c for c in features if not pd.api.types.is_numeric_dtype(table[c])]
    if non_numeric:
        raise InputError(f"column {non_numeric[0]!r} is not numeric", path)
    dropped = [c for c in features if table[c].isna().all()]
    features = [c for c in features if c not in dropped]
    if not features:
        raise InputError("no feature columns" + (" with values" if dropped else ""), path)
    y = labels.to_numpy().astype(int)
    if min(np.bincount(y, minlength=2)) < 5:
        raise InputError("each class needs at least 5 cases for 5-fold cross-validation", path)
    x = table[features].to_numpy(dtype=np.float64)
    reason = missing_features_reason(x)
    if reason is not None:
        raise InputError(f"{reason}; at most half the rows may miss a feature (they are "
                         "imputed): leave those rows out or fix their masks", path)
    groups = (table["patient"].astype(str).to_numpy() if "patient" in table.columns
              else table["case"].astype(str).to_numpy())
    return FeatureTable(x=x, y=y, groups=groups, features=features,
                        cases=table["case"].astype(str).tolist(), dropped=dropped)


def run_classify(features_csv, out_dir=None, *, repeats: int = 5, seed: int = 12345,
                 n_folds: int = 5, n_jobs: int = -1, note=None, source: str | None = None):
    """Cross-validate every classifier on a feature table; write the CSV and ROC figure.

    Parameters
    ----------
    features_csv : path-like
    out_dir : path-like, optional
        Default: the table's folder.
    repeats, seed, n_folds, n_jobs
        As :func:`baselines.classifiers.cross_validate` (outer folds in ``n_jobs``
        processes; the results do not depend on it).
    note : callable, optional
        Called with a one-line message about columns left out (e.g. ``print``).
    source : str, optional
        The mask source of a run folder's table, recorded in ``classify.json``.

    Returns
    -------
    pandas.DataFrame
        One row per (classifier, repeat, fold): ROC AUC, sensitivity, specificity and the
        fold's Youden threshold.

    Raises
    ------
    InputError
        For a table :func:`read_feature_table` refuses.
    """
    features_csv = Path(features_csv)
    table = read_feature_table(features_csv)
    if table.dropped and note is not None:
        note(f"note: left out feature column(s) without any value: {', '.join(table.dropped)}")
    out_dir = Path(out_dir) if out_dir is not None else features_csv.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    results, curves = cross_validate(table.x, table.y, table.groups, n_folds=n_folds,
                                     repeats=repeats, seed=seed, n_jobs=n_jobs)
    store.write_csv(out_dir / store.CLASSIFICATION_CSV, results, float_format="%.6g")
    from reports.plots import png_bytes, roc_comparison

    by_classifier = {}
    for curve in curves:
        by_classifier.setdefault(curve["classifier"], []).append((curve["fpr"], curve["tpr"]))
    store.atomic_write_bytes(out_dir / store.ROC_PNG,
                             png_bytes(roc_comparison(by_classifier), dpi=100))
    store.write_json(out_dir / store.CLASSIFY_JSON, {
        "table": str(features_csv.resolve()), "source": source,
        "made": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "repeats": repeats, "n_folds": n_folds, "seed": seed, "n_cases": len(table.y),
        "features": table.features, "left_out": table.dropped})
    return results


def feature_table_path(path, source: str | None = None) -> Path:
    """The feature table a path names: the CSV itself, or a run folder's table of ``source``.

    Raises
    ------
    InputError
        For a run folder without that source's table (listing the sources it has), or a
        ``source`` given with a CSV.
    """
    path = Path(path)
    if not path.is_dir():
        if source is not None:
            raise InputError("--source picks a table in a run folder; this is a file", path)
        return path
    source = "reference" if source is None else source
    table = path / store.features_csv(source)
    if not table.is_file():
        have = sorted(p.name.removeprefix("features_").removesuffix(".csv")
                      for p in path.glob(store.features_csv("*")))
        raise InputError(f"no feature table of source {source!r} (a run folder's diagnosis "
                         f"stage writes them; this one has: {', '.join(have) or 'none'})", path)
    return table


def cmd_classify(args) -> int:
    """Cross-validate the classifiers on a feature table; print the mean ROC AUC of each."""
    table = feature_table_path(args.features, args.source)
    source = None  # the mask source of a run's own table
    if Path(args.features).is_dir():
        source = args.source or "reference"
    elif (table.parent / store.RUN_JSON).is_file():  # a run's own table, named by its path
        source = table.name.removeprefix("features_").removesuffix(".csv")
    if args.out:
        out = Path(args.out)
    elif source is not None:  # never over the run's own results; the report shows them
        out = table.parent / store.classify_dir(source)
    else:
        out = table.parent
    results = run_classify(table, out, repeats=args.repeats, note=print, source=source)
    summary = results.groupby("classifier", sort=False).agg(
        auc=("roc_auc", "mean"), sd=("roc_auc", "std"), sensitivity=("sensitivity", "mean"),
        specificity=("specificity", "mean"))
    n_folds = results.groupby("classifier").size().iloc[0]
    print(f"ROC AUC mean +- SD over {n_folds} folds (5-fold, patient-grouped, {args.repeats} "
          "repeats); sensitivity and specificity at the Youden threshold chosen on each "
          "fold's training part:")
    for name, row in summary.iterrows():
        print(f"  {name:<15} AUC {row['auc']:.3f} +- {row['sd']:.3f}   sensitivity "
              f"{row['sensitivity']:.3f}   specificity {row['specificity']:.3f}")
    for name, part in results.groupby("classifier", sort=False):
        line = worse_than_chance(part["roc_auc"])
        if line is not None:
            print(f"  warning: {name}: {line}.")
    print(f"wrote {out / store.CLASSIFICATION_CSV} and {out / store.ROC_PNG}")
    return 0
