"""The statistics of the report: patient-level bootstrap intervals and paired tests, by track.

A patient's views are not independent cases, so every interval and test here treats the
patient as the unit:

- the 95 % interval of a mean over cases is a *cluster* (two-level) bootstrap: patients are
  drawn with replacement, each bringing all of its cases (:func:`cluster_bootstrap_ci`,
  percentile interval, seeded);
- a paired test averages each patient's case-by-case differences first, then runs the
  Wilcoxon signed-rank test (:func:`scipy.stats.wilcoxon`) over patients
  (:func:`wilcoxon_pair`), Holm-corrected over the family of comparisons.

Methods are ranked and tested only within their **track**: "ROI given" (semi-automatic
methods, told where the mass is by an ROI box) or "automatic" (the image alone); each track
has its floor (family ``floor``), which reads no pixel of the image.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from benchmark.ground.metrics import METRICS

#: The two tracks, by whether a method is given an ROI (``needs_roi``).
TRACKS = {True: "ROI given", False: "automatic"}
#: Metrics of the leaderboard (their direction and label come from ``METRICS``).
LEADERBOARD_METRICS = ("dice", "jaccard", "hd95", "assd")
N_RESAMPLES = 2000
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


def leaderboard(metrics: pd.DataFrame, methods: list[str], *, seed: int = 0) -> pd.DataFrame:
    """Mean, median and patient-level 95 % CI of every leaderboard metric per method.

    Best mean Dice first.

    Returns
    -------
    DataFrame
        Index: method; columns ``<metric>_mean``, ``<metric>_median``, ``<metric>_low``,
        ``<metric>_high``, ``n_cases``, ``n_patients``, ``n_empty`` (empty predicted
        masks), ``n_flagged`` (cases where exactly one of the two masks is empty: their
        distances take the image diagonal).
    """
    rows = []
    for method in methods:
        part = metrics[metrics["method"] == method]
        row = {"method": method, "n_cases": len(part),
               "n_patients": int(part["patient"].nunique()),
               "n_empty": int(((part["tp"] + part["fp"]) == 0).sum()),
               "n_flagged": int(part["empty_flag"].astype(bool).sum())}
        for metric in LEADERBOARD_METRICS:
            values = part[metric].to_numpy(float)
            finite = np.isfinite(values).any()
            row[f"{metric}_mean"] = float(np.nanmean(values)) if finite else np.nan
            row[f"{metric}_median"] = float(np.nanmedian(values)) if finite else np.nan
            row[f"{metric}_low"], row[f"{metric}_high"] = cluster_bootstrap_ci(
                values, part["patient"].to_numpy(), seed=seed)
        rows.append(row)
    table = pd.DataFrame(rows).set_index("method")
    return table.sort_values("dice_mean", ascending=False, kind="stable")


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaNs kept, not counted).

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    valid = np.flatnonzero(np.isfinite(p))
    order = valid[np.argsort(p[valid], kind="stable")]
    m = len(order)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, (m - rank) * p[index])
        adjusted[index] = min(1.0, running)
    return adjusted


def wilcoxon_pair(a: pd.Series, b: pd.Series, groups: pd.Series | None = None) -> dict:
    """Wilcoxon signed-rank test of ``a`` against ``b``, paired by index (NaN pairs dropped).

    With ``groups`` (index -> patient), each patient's differences are averaged first and
    the test runs over patients: a patient's two views are not two independent pairs.

    Returns
    -------
    dict
        ``n_pairs`` (cases), ``n_units`` (what the test ran over: patients, or cases without
        groups), ``median_difference`` (a minus b, over those units), ``statistic``,
        ``p_value``; the p-value is 1 when every difference is zero and NaN with fewer than
        two units.
    """
    pair = pd.concat([a, b], axis=1, keys=["a", "b"]).dropna()
    diff = pair["a"] - pair["b"]
    if groups is not None and len(diff):
        diff = diff.groupby(groups.reindex(diff.index).to_numpy()).mean()
    diff = diff.to_numpy(float)
    if len(diff) < 2 or np.all(diff == 0):
        statistic, p_value = np.nan, (1.0 if len(diff) >= 2 else np.nan)
    else:
        result = stats.wilcoxon(diff)
        statistic, p_value = float(result.statistic), float(result.pvalue)
    return {"n_pairs": len(pair), "n_units": len(diff),
            "median_difference": float(np.median(diff)) if len(diff) else np.nan,
            "statistic": statistic, "p_value": p_value}


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


def _wide(metrics: pd.DataFrame, metric: str) -> tuple[pd.DataFrame, pd.Series]:
    """Cases x methods table of one metric, and every case's patient."""
    wide = metrics.pivot_table(index="case", columns="method", values=metric, aggfunc="first",
                               dropna=False)
    patients = metrics.drop_duplicates("case").set_index("case")["patient"]
    return wide, patients


def best_method(metrics: pd.DataFrame, methods: list[str], metric: str = "dice") -> str:
    """The method with the best mean of ``metric`` (in its direction, from ``METRICS``)."""
    means = metrics[metrics["method"].isin(methods)].groupby("method")[metric].mean()
    means = means.reindex(methods)
    return means.idxmax() if METRICS[metric].higher_is_better else means.idxmin()


def paired_tests(metrics: pd.DataFrame, methods: list[str], metric: str = "dice", *,
                 against: str | None = None) -> pd.DataFrame:
    """Patient-level Wilcoxon test of every method against one (default: the best) on ``metric``.

    Give the methods of one track: methods are compared only within their track. Each
    other method is paired with ``against`` case by case (cases where either value is NaN
    are dropped), the differences are averaged per patient and tested over patients
    (:func:`wilcoxon_pair`); p-values are Holm-corrected over the comparisons.

    Returns
    -------
    DataFrame
        Columns ``method, best, n_pairs, n_units, median_difference, statistic, p_value,
        p_holm``; ``median_difference`` is method minus ``against``, over patients.
    """
    wide, patients = _wide(metrics, metric)
    best = against if against is not None else best_method(metrics, methods, metric)
    rows = []
    for method in methods:
        if method == best:
            continue
        rows.append({"method": method, "best": best,
                     **wilcoxon_pair(wide[method], wide[best], patients)})
    table = pd.DataFrame(rows, columns=["method", "best", "n_pairs", "n_units",
                                        "median_difference", "statistic", "p_value"])
    table["p_holm"] = holm(table["p_value"]) if len(table) else []
    return table
