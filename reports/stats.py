"""The statistics of the report: patient-level bootstrap intervals and paired tests, by track.

A patient's views are not independent cases, so every interval and test here treats the
patient as the unit:

- the 95 % interval of a mean over cases is a *cluster* (two-level) bootstrap: patients are
  drawn with replacement, each bringing all of its cases (:func:`cluster_bootstrap_ci`,
  percentile interval, seeded);
- a paired test averages each patient's case-by-case differences first, then runs the
  Wilcoxon signed-rank test (:func:`scipy.stats.wilcoxon`) over patients
  (:func:`wilcoxon_pair`), Holm-corrected over the family of comparisons.

A deep model trained with several seeds (``run --seeds K``) is scored per seed; its
leaderboard values are over the seed-averaged prediction scores of each case, with the spread
of the per-seed means beside them, and a comparison that involves it uses the corrected
resampled t-test of Nadeau and Bengio (2003) over the folds' means, each averaged over the
seeds (:func:`corrected_resampled_ttest`): a Wilcoxon test over patients would treat one training
run as the method, and two seeds of one model already differ "significantly" that way.

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
#: The test of a paired comparison, as the report names it.
PATIENT_TEST = "Wilcoxon over patients"
SEEDED_TEST = "corrected resampled t over folds (seed-averaged)"
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
        ``dice_seed_sd``, ``dice_seed_min``, ``dice_seed_max``.
    """
    rows = []
    for method in methods:
        part = metrics[metrics["method"] == method]
        k = n_seeds(metrics, method)
        per_seed = part.groupby("seed")["dice"].mean() if k > 1 else pd.Series(dtype=float)
        per_case = seed_average(part, LEADERBOARD_METRICS)
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


def corrected_resampled_ttest(differences, test_train_ratio: float) -> dict:
    """Nadeau and Bengio's corrected resampled t-test of mean differences over resamples.

    The resamples (here, the folds of a cross-validation) share training data, so their
    differences are correlated and the plain t-test's variance ``s^2 / J`` is too small; the
    corrected variance is ``(1 / J + n_test / n_train) s^2``, with ``J - 1`` degrees of freedom.

    Parameters
    ----------
    differences : array-like of float
        One mean difference (method a minus method b, over the test cases) per resample.
    test_train_ratio : float
        Test cases over training cases of one resample (``1 / (K - 1)`` for K folds).

    Returns
    -------
    dict
        ``n_units`` (resamples), ``mean_difference``, ``statistic`` (t), ``p_value``
        (two-sided; 1 when every difference is zero, NaN with fewer than two resamples).

    References
    ----------
    .. [1] C. Nadeau, Y. Bengio, "Inference for the generalization error", Machine
       Learning 52, 239-281 (2003), doi:10.1023/A:1024068626366.
    .. [2] R. R. Bouckaert, E. Frank, "Evaluating the replicability of significance tests
       for comparing learning algorithms", PAKDD 2004, doi:10.1007/978-3-540-24775-3_3.

    Examples
    --------
    >>> out = corrected_resampled_ttest([0.02, 0.03, 0.01, 0.02, 0.02], 0.25)
    >>> round(out["statistic"], 3), round(out["p_value"], 4)
    (4.216, 0.0135)
    """
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    n = len(d)
    mean = float(d.mean()) if n else np.nan
    if n < 2:
        return {"n_units": n, "mean_difference": mean, "statistic": np.nan, "p_value": np.nan}
    variance = float(d.var(ddof=1))
    if variance == 0:
        statistic = 0.0 if mean == 0 else np.copysign(np.inf, mean)
        p_value = 1.0 if mean == 0 else 0.0
    else:
        statistic = mean / np.sqrt((1 / n + test_train_ratio) * variance)
        p_value = float(2 * stats.t.sf(abs(statistic), df=n - 1))
    return {"n_units": n, "mean_difference": mean, "statistic": float(statistic),
            "p_value": p_value}


def fold_means(metrics: pd.DataFrame, method: str, metric: str = "dice") -> pd.Series:
    """Per fold: the mean of ``metric`` over the test cases, averaged over the seeds."""
    part = metrics[metrics["method"] == method]
    by = [part["fold"], part["seed"]] if "seed" in part else [part["fold"]]
    return part.groupby(by)[metric].mean().groupby(level=0).mean().rename_axis("fold")


def seeded_pair(metrics: pd.DataFrame, a: str, b: str, metric: str = "dice", *,
                other: pd.DataFrame | None = None,
                test_train_ratio: float | None = None) -> dict:
    """Compare ``a`` with ``b`` over fold means (:func:`corrected_resampled_ttest`).

    Each fold's mean is averaged over the method's training seeds first (a method trained
    once counts its one run), and the test runs over the folds: the seeds of one fold share
    its partition, so they are not further resamples, and the spread between seeds enters
    through the fold means. With ``other``, ``b`` is read from that table (another run of
    the same splits).

    Parameters
    ----------
    test_train_ratio : float, optional
        Test cases over training cases (train + validation) of a fold; default
        ``1 / (K - 1)`` for K folds.
    """
    mean_a = fold_means(metrics, a, metric)
    mean_b = fold_means(metrics if other is None else other, b, metric)
    diffs = (mean_a - mean_b.reindex(mean_a.index)).to_numpy(float)
    ratio = test_train_ratio if test_train_ratio is not None else 1 / max(1, len(mean_a) - 1)
    out = corrected_resampled_ttest(diffs, ratio)
    n_pairs = int(metrics.loc[metrics["method"] == a, "case"].nunique())
    finite = diffs[np.isfinite(diffs)]
    return {"n_pairs": n_pairs, "n_units": out["n_units"],
            "median_difference": float(np.median(finite)) if len(finite) else np.nan,
            "statistic": out["statistic"], "p_value": out["p_value"]}


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
    """Cases x methods table of one metric (averaged over training seeds), and patients."""
    wide = metrics.pivot_table(index="case", columns="method", values=metric, aggfunc="mean",
                               dropna=False)
    patients = metrics.drop_duplicates("case").set_index("case")["patient"]
    return wide, patients


def best_method(metrics: pd.DataFrame, methods: list[str], metric: str = "dice") -> str:
    """The method with the best mean of ``metric`` (in its direction, from ``METRICS``)."""
    means = metrics[metrics["method"].isin(methods)].groupby("method")[metric].mean()
    means = means.reindex(methods)
    return means.idxmax() if METRICS[metric].higher_is_better else means.idxmin()


def paired_tests(metrics: pd.DataFrame, methods: list[str], metric: str = "dice", *,
                 against: str | None = None,
                 test_train_ratio: float | None = None) -> pd.DataFrame:
    """Paired test of every method against one (default: the best) on ``metric``.

    Give the methods of one track: methods are compared only within their track. Two
    methods trained (or run) once are paired case by case (cases where either value is NaN
    are dropped), the differences averaged per patient and tested over patients
    (:func:`wilcoxon_pair`). When either was trained with several seeds, the test is the
    corrected resampled t-test over the folds' seed-averaged means (:func:`seeded_pair`),
    whose units carry the training variance. p-values are Holm-corrected over the comparisons.

    ``test_train_ratio`` (test over train + validation cases of a fold) goes to the
    corrected t-test.

    Returns
    -------
    DataFrame
        Columns ``method, best, test, n_pairs, n_units, median_difference, statistic,
        p_value, p_holm``; ``median_difference`` is method minus ``against``, over the
        test's units (patients, or folds).
    """
    wide, patients = _wide(metrics, metric)
    best = against if against is not None else best_method(metrics, methods, metric)
    rows = []
    for method in methods:
        if method == best:
            continue
        if max(n_seeds(metrics, method), n_seeds(metrics, best)) > 1:
            rows.append({"method": method, "best": best, "test": SEEDED_TEST,
                         **seeded_pair(metrics, method, best, metric,
                                       test_train_ratio=test_train_ratio)})
        else:
            rows.append({"method": method, "best": best, "test": PATIENT_TEST,
                         **wilcoxon_pair(wide[method], wide[best], patients)})
    table = pd.DataFrame(rows, columns=["method", "best", "test", "n_pairs", "n_units",
                                        "median_difference", "statistic", "p_value"])
    table["p_holm"] = holm(table["p_value"]) if len(table) else []
    return table
