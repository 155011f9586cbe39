"""``python -m benchmark classify FEATURES.csv``: the course's classification exercise.

The table has a ``case`` column, numeric feature columns, a ``label`` column (1 malignant,
0 benign) and optionally ``patient``. Every classifier of
:data:`baselines.classifiers.CLASSIFIERS` is evaluated by stratified, patient-grouped 5-fold
cross-validation repeated over seeds; ``classification.csv`` and ``roc.png`` are written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from baselines.classifiers import CLASSIFIERS, cross_validate, mean_roc
from benchmark.data.imageio import atomic_write_bytes
from benchmark.errors import InputError


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
                 n_folds: int = 5):
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
                                     seed=seed)
    atomic_write_bytes(out_dir / "classification.csv",
                       results.to_csv(index=False, float_format="%.6g").encode())
    plot_roc(curves, out_dir / "roc.png")
    return results


def plot_roc(curves, path: Path) -> None:
    """Mean ROC per classifier with a +-1 SD band over folds and repeats."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    styles = ["-", "--", ":"]
    for style, name in zip(styles, CLASSIFIERS, strict=False):
        if not any(c["classifier"] == name for c in curves):
            continue
        fpr, tpr, sd = mean_roc(curves, name)
        ax.plot(fpr, tpr, style, color="black", label=name)
        ax.fill_between(fpr, np.clip(tpr - sd, 0, 1), np.clip(tpr + sd, 0, 1), color="0.5",
                        alpha=0.2)
    ax.plot([0, 1], [0, 1], color="0.7", lw=0.8)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    ax.set_title("ROC, mean and +-1 SD over folds")
    ax.legend(loc="lower right")
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)
