"""The statistics of the report: bootstrap confidence intervals and paired tests.

Means, medians and 95 % bootstrap intervals (BCa, :func:`scipy.stats.bootstrap`, seeded) of
each metric over cases; paired Wilcoxon signed-rank tests (:func:`scipy.stats.wilcoxon`) of
every method against the best one, on the cases both scored, with Holm's step-down
correction of the family of p-values.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from benchmark.ground.metrics import METRICS

#: Metrics of the leaderboard (their direction and label come from ``METRICS``).
LEADERBOARD_METRICS = ("dice", "jaccard", "hd95", "assd")
N_RESAMPLES = 2000
#: The false-positive rates mean ROC curves are given on.
ROC_GRID = np.linspace(0, 1, 101)


def bootstrap_ci(values, *, seed: int = 0, confidence: float = 0.95) -> tuple[float, float]:
    """Bootstrap confidence interval of the mean (NaNs dropped).

    Returns
    -------
    low, high : float
        NaN when fewer than two values are left; the value itself when all are equal.
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return (np.nan, np.nan)
    if np.all(values == values[0]):
        return (float(values[0]), float(values[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # degenerate BCa on tiny samples
        result = stats.bootstrap((values,), np.mean, confidence_level=confidence,
                                 n_resamples=N_RESAMPLES, method="BCa",
                                 rng=np.random.default_rng(seed), vectorized=True)
    low, high = result.confidence_interval
    if not (np.isfinite(low) and np.isfinite(high)):  # BCa failed: fall back to percentile
        result = stats.bootstrap((values,), np.mean, confidence_level=confidence,
                                 n_resamples=N_RESAMPLES, method="percentile",
                                 rng=np.random.default_rng(seed), vectorized=True)
        low, high = result.confidence_interval
    return float(low), float(high)


def leaderboard(metrics: pd.DataFrame, methods: list[str], *, seed: int = 0) -> pd.DataFrame:
    """Mean, median and 95 % CI of every leaderboard metric per method, best Dice first.

    Returns
    -------
    DataFrame
        Index: method; columns ``<metric>_mean``, ``<metric>_median``, ``<metric>_low``,
        ``<metric>_high``, ``n_cases``, ``n_empty`` (cases flagged: one mask empty).
    """
    rows = []
    for method in methods:
        part = metrics[metrics["method"] == method]
        row = {"method": method, "n_cases": len(part),
               "n_empty": int(part["empty_flag"].astype(bool).sum())}
        for metric in LEADERBOARD_METRICS:
            values = part[metric].to_numpy(float)
            row[f"{metric}_mean"] = float(np.nanmean(values)) if np.isfinite(values).any() \
                else np.nan
            row[f"{metric}_median"] = float(np.nanmedian(values)) if np.isfinite(
                values).any() else np.nan
            row[f"{metric}_low"], row[f"{metric}_high"] = bootstrap_ci(values, seed=seed)
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


def wilcoxon_pair(a: pd.Series, b: pd.Series) -> dict:
    """Wilcoxon signed-rank test of ``a`` against ``b``, paired by index (NaN pairs dropped).

    Returns
    -------
    dict
        ``n_pairs``, ``median_difference`` (a minus b), ``statistic``, ``p_value``; the
        p-value is 1 when every difference is zero and NaN with fewer than two pairs.
    """
    pair = pd.concat([a, b], axis=1, keys=["a", "b"]).dropna()
    diff = (pair["a"] - pair["b"]).to_numpy()
    if len(diff) < 2 or np.all(diff == 0):
        statistic, p_value = np.nan, (1.0 if len(diff) >= 2 else np.nan)
    else:
        result = stats.wilcoxon(pair["a"], pair["b"])
        statistic, p_value = float(result.statistic), float(result.pvalue)
    return {"n_pairs": len(diff),
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


def paired_tests(metrics: pd.DataFrame, methods: list[str], metric: str = "dice") -> pd.DataFrame:
    """Wilcoxon signed-rank test of every method against the best one on ``metric``.

    The best method has the best mean (in the metric's direction, from ``METRICS``); each
    other method is paired with it case by case (cases where either value is NaN are
    dropped). p-values are Holm-corrected over the comparisons.

    Returns
    -------
    DataFrame
        Columns ``method, best, n_pairs, median_difference, statistic, p_value, p_holm``;
        ``median_difference`` is method minus best.
    """
    wide = metrics.pivot_table(index="case", columns="method", values=metric, aggfunc="first",
                               dropna=False)
    means = wide[methods].mean()
    best = means.idxmax() if METRICS[metric].higher_is_better else means.idxmin()
    rows = []
    for method in methods:
        if method == best:
            continue
        rows.append({"method": method, "best": best, **wilcoxon_pair(wide[method], wide[best])})
    table = pd.DataFrame(rows, columns=["method", "best", "n_pairs", "median_difference",
                                        "statistic", "p_value"])
    table["p_holm"] = holm(table["p_value"]) if len(table) else []
    return table
