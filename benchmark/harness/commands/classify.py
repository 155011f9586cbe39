"""``python -m benchmark classify FEATURES.csv|RUN_DIR``: the course's classification exercise.

The table has a ``case`` column, numeric feature columns, a ``label`` column (1 malignant,
0 benign) and optionally ``patient``; a run folder gives the table of one mask source
(``--source``, default the reference masks) that its diagnosis stage wrote. Every classifier of
:data:`baselines.classifiers.CLASSIFIERS` is evaluated by stratified, patient-grouped 5-fold
cross-validation repeated over seeds; ``classification.csv`` and ``roc.png`` are written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from baselines.classifiers import cross_validate
from benchmark.ground import store
from benchmark.ground.errors import InputError


def read_feature_table(path: Path):
    """Validate and split a feature table into (x, y, groups, feature names, cases)."""
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
    if not features:
        raise InputError("no feature columns", path)
    y = labels.to_numpy().astype(int)
    if min(np.bincount(y, minlength=2)) < 5:
        raise InputError("each class needs at least 5 cases for 5-fold cross-validation", path)
    groups = (table["patient"].astype(str).to_numpy() if "patient" in table.columns
              else table["case"].astype(str).to_numpy())
    x = table[features].to_numpy(dtype=np.float64)
    return x, y, groups, features, table["case"].astype(str).tolist()


def run_classify(features_csv, out_dir=None, *, repeats: int = 5, seed: int = 12345,
                 n_folds: int = 5, n_jobs: int = -1):
    """Cross-validate every classifier on a feature table; write the CSV and ROC figure.

    Returns
    -------
    pandas.DataFrame
        One row per (classifier, repeat, fold).
    """
    features_csv = Path(features_csv)
    x, y, groups, _, _ = read_feature_table(features_csv)
    out_dir = Path(out_dir) if out_dir is not None else features_csv.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    results, curves = cross_validate(x, y, groups, n_folds=n_folds, repeats=repeats,
                                     seed=seed, n_jobs=n_jobs)
    store.write_csv(out_dir / store.CLASSIFICATION_CSV, results, float_format="%.6g")
    from reports.plots import png_bytes, roc_comparison

    by_classifier = {}
    for curve in curves:
        by_classifier.setdefault(curve["classifier"], []).append((curve["fpr"], curve["tpr"]))
    store.atomic_write_bytes(out_dir / store.ROC_PNG,
                             png_bytes(roc_comparison(by_classifier), dpi=100))
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
    if args.out:
        out = Path(args.out)
    elif Path(args.features).is_dir():  # never over the run's own results
        out = Path(args.features) / store.classify_dir(args.source or "reference")
    else:
        out = table.parent
    results = run_classify(table, out, repeats=args.repeats)
    summary = results.groupby("classifier", sort=False)["roc_auc"].agg(["mean", "std"])
    n_folds = results.groupby("classifier").size().iloc[0]
    print(f"ROC AUC over {n_folds} folds (5-fold, patient-grouped, {args.repeats} repeats):")
    for name, row in summary.iterrows():
        print(f"  {name:<15} {row['mean']:.3f} +- {row['std']:.3f}")
    print(f"wrote {out / store.CLASSIFICATION_CSV} and {out / store.ROC_PNG}")
    return 0
