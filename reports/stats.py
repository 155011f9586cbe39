"""The descriptive statistics of the report: leaderboards with patient-level intervals.

A patient's views are not independent cases, so the 95 % interval of a mean over cases is a
*cluster* (two-level) bootstrap: patients are drawn with replacement, each bringing all of
its cases (:func:`cluster_bootstrap_ci`, percentile interval, seeded).

A deep model trained with several seeds (``run --seeds K``) is scored per seed; its
leaderboard values are over the seed-averaged scores of each case, with the spread of the
per-seed means beside them. Beside the scores: each deep model's resolution ceiling (the
mean Dice of the reference masks sent through its own resize path and back,
``ceiling_dice``) and, for methods that place a seed themselves, how often it fell inside
the lesion (``seed_hit``).

The paired tests (at the unit where the noise is: patients, folds, or seeds and patients)
are in :mod:`reports.inference`. Methods are ranked and tested only within their **track**:
"ROI given" (semi-automatic methods, told where the mass is by an ROI box) or "automatic"
(the image alone).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.ground.metrics import METRICS

#: The two tracks, by whether a method is given an ROI (``needs_roi``).
TRACKS = {True: "ROI given", False: "automatic"}
#: Metrics of the leaderboard (their direction and label come from ``METRICS``).
LEADERBOARD_METRICS = ("dice", "jaccard", "hd95", "assd")
N_RESAMPLES = 2000
#: Optional per-case columns the leaderboard averages when a run has them.
EXTRA_COLUMNS = ("ceiling_dice", "seed_hit")
#: A predicted mask covering at least this share of its crop is "the whole crop".
WHOLE_CROP = 0.9
#: A method whose masks are empty or the whole crop in more than this share of its test
#: cases is flagged as degenerate: its scores describe a failure, not a segmentation.
DEGENERATE_SHARE = 0.25
#: The false-positive rates mean ROC curves are given on.
ROC_GRID = np.linspace(0, 1, 101)


def track_of(needs_roi) -> str:
    """The track a method ranks in.

    Examples
    --------
    >>> track_of(True), track_of(False)
    ('ROI given', 'automatic')
    """
    return TRACKS[bool(needs_roi)]


def cluster_bootstrap_ci(values, groups, *, seed: int = 0, confidence: float = 0.95,
                         n_resamples: int = N_RESAMPLES) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean over cases, resampling groups (patients).

    Each resample draws as many groups as there are, with replacement, and takes the mean
    over all the cases of the groups drawn (a group drawn twice counts twice). Cases with a
    NaN value are left out first.

    Parameters
    ----------
    values : (n,) array_like of float
        One value per case.
    groups : (n,) array_like
        The group (patient) of every case.
    seed : int, default 0
    confidence : float, default 0.95
    n_resamples : int, default 2000

    Returns
    -------
    low, high : float
        The value itself when all values are equal; otherwise NaN with fewer than two
        values or fewer than two groups (no spread between groups can be estimated).

    References
    ----------
    .. [1] C. A. Field and A. H. Welsh, "Bootstrapping clustered data", Journal of the Royal
       Statistical Society B 69(3), 369-390 (2007).
       https://doi.org/10.1111/j.1467-9868.2007.00593.x

    Examples
    --------
    Two identical views per patient carry no more information than one:

    >>> one = cluster_bootstrap_ci([0.2, 0.9, 0.5, 0.7], ["a", "b", "c", "d"])
    >>> two = cluster_bootstrap_ci([0.2, 0.2, 0.9, 0.9, 0.5, 0.5, 0.7, 0.7],
    ...                            ["a", "a", "b", "b", "c", "c", "d", "d"])
    >>> one == two
    True
    """
    values = np.asarray(values, dtype=float)
    groups = np.asarray(groups)
    if values.shape != groups.shape:
        raise ValueError(f"got {values.size} values but {groups.size} group labels")
    keep = np.isfinite(values)
    values, groups = values[keep], groups[keep]
    if len(values) < 2:
        return (np.nan, np.nan)
    if np.all(values == values[0]):
        return (float(values[0]), float(values[0]))
    _, inverse = np.unique(groups, return_inverse=True)
    sums = np.bincount(inverse, weights=values)
    counts = np.bincount(inverse).astype(float)
    k = len(sums)
    if k < 2:
        return (np.nan, np.nan)
    draws = np.random.default_rng(seed).integers(0, k, size=(n_resamples, k))
    means = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def n_seeds(metrics: pd.DataFrame, method: str) -> int:
    """How many training seeds ``method`` was scored with (1 without a ``seed`` column)."""
    if "seed" not in metrics:
        return 1
    return max(1, int(metrics.loc[metrics["method"] == method, "seed"].nunique()))


def seed_average(part: pd.DataFrame, columns) -> pd.DataFrame:
    """One row per (method, case): ``columns`` averaged over the training seeds (NaN skipped).

    The case's method, patient and fold come along; one seed gives the rows as they are.
    """
    if "seed" not in part or part["seed"].nunique() <= 1:
        return part
    keys = [c for c in ("method", "case", "patient", "fold") if c in part]
    return part.groupby(keys, sort=False, as_index=False)[list(columns)].mean()


def leaderboard(metrics: pd.DataFrame, methods: list[str], *, seed: int = 0) -> pd.DataFrame:
    """Mean, median and patient-level 95 % CI of every leaderboard metric per method.

    Best mean Dice first. For a method scored with several training seeds, the values are
    those of each case averaged over the seeds first, and ``dice_seed_sd`` is the standard
    deviation of its per-seed mean Dice (the training variance the interval leaves out).

    Returns
    -------
    DataFrame
        Index: method; columns ``<metric>_mean``, ``<metric>_median``, ``<metric>_low``,
        ``<metric>_high``, ``n_cases``, ``n_patients``, ``n_empty`` (empty predicted
        masks, per seed), ``n_whole`` (predicted masks covering at least :data:`WHOLE_CROP`
        of the crop, per seed), ``degenerate`` (empty or whole-crop masks in more than
        :data:`DEGENERATE_SHARE` of the cases), ``n_flagged`` (cases where exactly one of the
        two masks is empty: their distances take the image diagonal; per seed), ``n_seeds``,
        ``dice_seed_sd``, ``dice_seed_min``, ``dice_seed_max``, ``ceiling_mean`` (mean
        ``ceiling_dice``: the Dice of the reference masks through the method's resize path;
        NaN where absent), ``seed_hit_mean`` (share of cases whose automatic seed fell
        inside the lesion; NaN where absent).
    """
    rows = []
    extra = [c for c in EXTRA_COLUMNS if c in metrics]
    for method in methods:
        part = metrics[metrics["method"] == method]
        k = n_seeds(metrics, method)
        per_seed = part.groupby("seed")["dice"].mean() if k > 1 else pd.Series(dtype=float)
        per_case = seed_average(part, list(LEADERBOARD_METRICS) + extra)
        row = {"method": method, "n_cases": int(part["case"].nunique()),
               "n_patients": int(part["patient"].nunique()),
               "n_empty": _per_seed(((part["tp"] + part["fp"]) == 0).sum(), k),
               "n_whole": _per_seed(whole_crop(part).sum(), k),
               "n_flagged": _per_seed(part["empty_flag"].astype(bool).sum(), k),
               "n_seeds": k,
               "dice_seed_sd": float(per_seed.std(ddof=1)) if k > 1 else np.nan,
               "dice_seed_min": float(per_seed.min()) if k > 1 else np.nan,
               "dice_seed_max": float(per_seed.max()) if k > 1 else np.nan}
        for metric in LEADERBOARD_METRICS:
            values = per_case[metric].to_numpy(float)
            finite = np.isfinite(values).any()
            row[f"{metric}_mean"] = float(np.nanmean(values)) if finite else np.nan
            row[f"{metric}_median"] = float(np.nanmedian(values)) if finite else np.nan
            row[f"{metric}_low"], row[f"{metric}_high"] = cluster_bootstrap_ci(
                values, per_case["patient"].to_numpy(), seed=seed)
        for column, name in (("ceiling_dice", "ceiling_mean"), ("seed_hit", "seed_hit_mean")):
            values = (per_case[column].to_numpy(float) if column in per_case
                      else np.array([np.nan]))
            row[name] = float(np.nanmean(values)) if np.isfinite(values).any() else np.nan
        row["degenerate"] = bool(row["n_empty"] + row["n_whole"]
                                 > DEGENERATE_SHARE * max(1, row["n_cases"]))
        rows.append(row)
    table = pd.DataFrame(rows).set_index("method")
    return table.sort_values("dice_mean", ascending=False, kind="stable")


def whole_crop(part: pd.DataFrame) -> pd.Series:
    """Whether each row's predicted mask covers at least :data:`WHOLE_CROP` of its crop."""
    total = part["tp"] + part["fp"] + part["fn"] + part["tn"]
    return (part["tp"] + part["fp"]) >= WHOLE_CROP * total


def mask_flag(predicted) -> str:
    """'empty prediction', 'whole crop' (at least :data:`WHOLE_CROP` of it) or '' for a mask.

    Examples
    --------
    >>> mask_flag(np.zeros((4, 4), bool)), mask_flag(np.ones((4, 4), bool))
    ('empty prediction', 'whole crop')
    """
    predicted = np.asarray(predicted, dtype=bool)
    if not predicted.any():
        return "empty prediction"
    if predicted.mean() >= WHOLE_CROP:
        return "whole crop"
    return ""


def degenerate_note(n_empty, n_whole, n_cases) -> str:
    """What a degenerate method's masks were, in words: '40 of 40 masks empty'.

    Examples
    --------
    >>> degenerate_note(0, 30, 40)
    '30 of 40 masks cover the whole crop'
    >>> degenerate_note(5, 12, 40)
    '5 of 40 masks empty, 12 cover the whole crop'
    """
    parts = []
    if n_empty:
        parts.append(f"{n_empty:g} of {n_cases} masks empty")
    if n_whole:
        parts.append(f"{n_whole:g} cover the whole crop" if parts
                     else f"{n_whole:g} of {n_cases} masks cover the whole crop")
    return ", ".join(parts)


def _per_seed(count, k: int):
    """A count over all seeds' rows, as an int for one seed and a mean per seed otherwise."""
    return int(count) if k == 1 else round(float(count) / k, 1)


def mean_roc(curves, grid=ROC_GRID) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean ROC curve of several folds, with its standard deviation.

    Each curve is interpolated onto ``grid`` (its true-positive rate at 0 set to 0).

    Parameters
    ----------
    curves : sequence of (fpr, tpr) pairs of ndarrays
    grid : (G,) ndarray, default 101 points in [0, 1]

    Returns
    -------
    fpr, mean_tpr, std_tpr : (G,) ndarray

    Examples
    --------
    >>> _, tpr, sd = mean_roc([([0, 1], [0, 1]), ([0, 0, 1], [0, 1, 1])], grid=[0, 0.5, 1])
    >>> tpr.tolist(), sd.tolist()
    ([0.0, 0.75, 1.0], [0.0, 0.25, 0.0])
    """
    grid = np.asarray(grid, dtype=float)
    tprs = np.array([np.interp(grid, fpr, tpr) for fpr, tpr in curves])
    tprs[:, 0] = 0.0
    return grid, tprs.mean(axis=0), tprs.std(axis=0)


def fold_means(metrics: pd.DataFrame, method: str, metric: str = "dice") -> pd.Series:
    """Per fold: the mean of ``metric`` over the test cases, averaged over the seeds.

    Examples
    --------
    >>> frame = pd.DataFrame({"method": "m", "fold": [0, 0, 0, 0, 1], "seed": [0, 0, 1, 1, 0],
    ...                       "dice": [0.8, 0.6, 0.9, 0.7, 0.5]})
    >>> fold_means(frame, "m").round(2).tolist()
    [0.75, 0.5]
    """
    part = metrics[metrics["method"] == method]
    by = [part["fold"], part["seed"]] if "seed" in part else [part["fold"]]
    return part.groupby(by)[metric].mean().groupby(level=0).mean().rename_axis("fold")


def best_method(metrics: pd.DataFrame, methods: list[str], metric: str = "dice") -> str:
    """The method with the best mean of ``metric`` (in its direction, from ``METRICS``)."""
    means = metrics[metrics["method"].isin(methods)].groupby("method")[metric].mean()
    means = means.reindex(methods)
    return means.idxmax() if METRICS[metric].higher_is_better else means.idxmin()


#: Names that moved to :mod:`reports.inference` (the paired tests), still importable here.
_MOVED = ("holm", "wilcoxon_pair", "corrected_resampled_ttest", "paired_tests",
          "PATIENT_TEST")


def __getattr__(name: str):
    """The paired tests' old home: ``from reports.stats import wilcoxon_pair`` still works."""
    if name in _MOVED:
        from reports import inference

        return getattr(inference, name)
    raise AttributeError(f"module 'reports.stats' has no attribute {name!r}")
