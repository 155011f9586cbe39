"""The tests on arrays, each with the smallest difference it could have detected.

The Wilcoxon signed-rank test over patients, the corrected resampled t-test over folds, the
hierarchical bootstrap over seeds and patients, and Holm's correction. Which of them a
comparison of two methods runs is decided in :mod:`reports.inference`; every function here
returns plain numbers with the test's standard error and degrees of freedom, so that
:func:`detectable_difference` can say what the run could have found.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from reports.stats import N_RESAMPLES

#: The level of every test, before Holm's correction.
ALPHA = 0.05
#: The power at which the smallest detectable difference is given.
POWER = 0.8
#: A test needs at least this many units (patients, folds, trainings).
MIN_UNITS = 3
ALTERNATIVES = ("two-sided", "greater")


def check_alternative(alternative: str) -> None:
    """Raise ValueError unless ``alternative`` is one of :data:`ALTERNATIVES`."""
    if alternative not in ALTERNATIVES:
        raise ValueError(f"The 'alternative' parameter must be one of {ALTERNATIVES}. "
                         f"Got {alternative!r} instead.")


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaNs kept, not counted).

    References
    ----------
    .. [1] S. Holm, "A simple sequentially rejective multiple test procedure", Scandinavian
       Journal of Statistics 6(2), 65-70 (1979). https://www.jstor.org/stable/4615733

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


def detectable_difference(se: float, df: float, level: float = ALPHA, *,
                          alternative: str = "two-sided", power: float = POWER) -> float:
    """The smallest true difference a test of standard error ``se`` detects with ``power``.

    ``(q(1 - level / 2) + q(power)) * se`` (``1 - level`` one-sided), with ``q`` the quantile
    of Student's t with ``df`` degrees of freedom (the normal one for ``df = inf``): the usual
    approximation for a test whose statistic is the difference over its standard error.

    Parameters
    ----------
    se : float
        The standard error of the tested difference, at the observed spread.
    df : float
        Degrees of freedom of the test's t reference (``np.inf``: normal).
    level : float, default 0.05
        The level the difference is tested at (alpha / m in a family of m comparisons).
    alternative : {'two-sided', 'greater'}
    power : float, default 0.8

    Returns
    -------
    float
        NaN when ``se`` or ``df`` is not usable (an untested comparison).

    References
    ----------
    .. [1] J. Cohen, Statistical Power Analysis for the Behavioral Sciences, 2nd ed.,
       Lawrence Erlbaum (1988), chapter 2. https://doi.org/10.4324/9780203771587

    Examples
    --------
    With a known spread (normal reference), 2.80 standard errors at 5 %, two-sided:

    >>> round(detectable_difference(0.01, np.inf), 4)
    0.028
    >>> round(detectable_difference(0.01, np.inf, alternative="greater"), 4)
    0.0249
    """
    check_alternative(alternative)
    if not (np.isfinite(se) and se >= 0 and df > 0 and 0 < level < 1):
        return np.nan
    tail = level / 2 if alternative == "two-sided" else level
    return float((stats.t.isf(tail, df) + stats.t.ppf(power, df)) * se)


def _p_without_spread(mean: float, alternative: str) -> float:
    """The p-value of a difference measured without any spread: 0 or 1."""
    if alternative == "greater":
        return 0.0 if mean > 0 else 1.0
    return 1.0 if mean == 0 else 0.0


def _p_of_t(statistic: float, df: float, alternative: str) -> float:
    if alternative == "greater":
        return float(stats.t.sf(statistic, df))
    return float(2 * stats.t.sf(abs(statistic), df))


def wilcoxon_pair(a: pd.Series, b: pd.Series, groups: pd.Series | None = None, *,
                  alternative: str = "two-sided") -> dict:
    """Wilcoxon signed-rank test of ``a`` against ``b``, paired by index (NaN pairs dropped).

    With ``groups`` (index -> patient), each patient's differences are averaged first and
    the test runs over patients: a patient's two views are not two independent pairs.

    Parameters
    ----------
    a, b : Series
        One value per case, indexed alike.
    groups : Series, optional
        Case -> patient.
    alternative : {'two-sided', 'greater'}
        ``'greater'``: a is claimed above b.

    Returns
    -------
    dict
        ``n_pairs`` (cases), ``n_units`` (what the test ran over: patients, or cases without
        groups), ``difference`` (mean over cases of a minus b), ``median_difference`` (over
        the units), ``statistic``, ``p_value``, ``se`` and ``df`` (the paired t's standard
        error over the units and its degrees of freedom, for :func:`detectable_difference`),
        ``reason`` (why it was not tested, or ''). The p-value is 1 when every difference is
        zero and NaN with fewer than :data:`MIN_UNITS` units.

    References
    ----------
    .. [1] F. Wilcoxon, "Individual comparisons by ranking methods", Biometrics Bulletin
       1(6), 80-83 (1945). https://doi.org/10.2307/3001968

    Examples
    --------
    >>> a = pd.Series([0.9, 0.8, 0.7, 0.6, 0.8])
    >>> out = wilcoxon_pair(a, a - 0.1, alternative="greater")
    >>> out["n_units"], round(out["p_value"], 4)
    (5, 0.0312)
    """
    check_alternative(alternative)
    pair = pd.concat([a, b], axis=1, keys=["a", "b"]).dropna()
    diff = pair["a"] - pair["b"]
    mean = float(diff.mean()) if len(diff) else np.nan
    if groups is not None and len(diff):
        diff = diff.groupby(groups.reindex(diff.index).to_numpy()).mean()
    diff = diff.to_numpy(float)
    n = len(diff)
    out = {"n_pairs": len(pair), "n_units": n, "difference": mean,
           "median_difference": float(np.median(diff)) if n else np.nan,
           "statistic": np.nan, "p_value": np.nan, "se": np.nan, "df": np.nan, "reason": ""}
    if n < MIN_UNITS:
        unit = "patients" if groups is not None else "cases"
        out["reason"] = (f"{n} {unit} with both scores; a test over {unit} needs at least "
                         f"{MIN_UNITS}")
        return out
    out["se"], out["df"] = float(diff.std(ddof=1) / np.sqrt(n)), n - 1
    if np.all(diff == 0):
        out["p_value"] = 1.0
    else:
        result = stats.wilcoxon(diff, alternative=alternative)
        out["statistic"], out["p_value"] = float(result.statistic), float(result.pvalue)
    return out


def corrected_resampled_ttest(differences, test_train_ratio: float, *,
                              alternative: str = "two-sided") -> dict:
    """Nadeau and Bengio's corrected resampled t-test of mean differences over resamples.

    The resamples (here, the folds of a cross-validation, each one training) share training
    data, so their differences are correlated and the plain t-test's variance ``s^2 / J`` is
    too small; the corrected variance is ``(1 / J + n_test / n_train) s^2``, with ``J - 1``
    degrees of freedom. It counts the variance between trainings on different training sets,
    so it is the test for a model trained once per fold.

    Parameters
    ----------
    differences : array-like of float
        One mean difference (method a minus method b, over the test cases) per resample.
    test_train_ratio : float
        Test cases over training cases of one resample (``1 / (K - 1)`` for K folds).
    alternative : {'two-sided', 'greater'}

    Returns
    -------
    dict
        ``n_units`` (resamples), ``mean_difference``, ``statistic`` (t), ``p_value`` (1 when
        every difference is zero, NaN with fewer than :data:`MIN_UNITS` resamples), ``se``
        (the corrected standard error), ``df``, ``reason`` (why not tested, or '').

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
    >>> corrected_resampled_ttest([0.02, 0.03], 1.0)["reason"]
    '2 folds, one training each; a test over folds needs at least 3'
    """
    check_alternative(alternative)
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    n = len(d)
    mean = float(d.mean()) if n else np.nan
    out = {"n_units": n, "mean_difference": mean, "statistic": np.nan, "p_value": np.nan,
           "se": np.nan, "df": np.nan, "reason": ""}
    if n < MIN_UNITS:
        out["reason"] = (f"{n} fold{'s' if n != 1 else ''}, one training each; a test over "
                         f"folds needs at least {MIN_UNITS}")
        return out
    variance = float(d.var(ddof=1))
    out["se"], out["df"] = float(np.sqrt((1 / n + test_train_ratio) * variance)), n - 1
    if variance == 0:
        out["statistic"] = 0.0 if mean == 0 else float(np.copysign(np.inf, mean))
        out["p_value"] = _p_without_spread(mean, alternative)
        return out
    out["statistic"] = mean / out["se"]
    out["p_value"] = _p_of_t(out["statistic"], n - 1, alternative)
    return out


def _patient_sums(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """(K, n) per-case values -> (K, P) per-patient sums."""
    onehot = np.zeros((len(codes), n_groups))
    onehot[np.arange(len(codes)), codes] = 1.0
    return values @ onehot


def _shrunk_to_mean(values: np.ndarray, correct: bool) -> np.ndarray:
    """Each seed's deviation from the seed mean scaled by sqrt(K / (K - 1)) (K >= 2)."""
    k = values.shape[0]
    if k < 2 or not correct:
        return values
    mean = values.mean(axis=0)
    return mean + np.sqrt(k / (k - 1)) * (values - mean)


def hierarchical_bootstrap(a_folds, b_folds, groups, *, alternative: str = "two-sided",
                           n_resamples: int = N_RESAMPLES, seed: int = 0,
                           small_k_correction: bool = True) -> dict:
    """Hierarchical bootstrap of a mean difference over training seeds and patients.

    Per replicate and for every fold: K seeds drawn with replacement for each method (a
    method run once keeps its one row) and the fold's patients drawn with replacement, each
    with all its cases; the replicate's statistic is the mean, over the cases drawn, of the
    seed-averaged difference a minus b. The p-value is read from the replicates centred on
    the observed difference (the null distribution's estimate): two-sided, the share with
    ``|T* - T| >= |T|``; ``'greater'``, with ``T* - T >= T`` (each with the usual +1).

    Drawing K of K seeds underestimates the variance of their mean by (K - 1) / K, which is
    large for K = 2 or 3; with ``small_k_correction`` each seed's deviation from the case's
    seed mean is scaled by sqrt(K / (K - 1)) first, so that the resampled seed means have the
    unbiased variance ``s^2 / K``. In simulation (5 folds of 20 patients with one or two
    views, a training-seed SD of 0.015, no true difference; 2000 simulated runs of 499
    resamples, ``tests/reports/test_inference.py``'s model) this takes the false-positive
    rate at the 5 % level from 15 % to 8 % with 2 seeds and from 8.8 % to 6.1 % with 3. With
    2 seeds the seed variance rests on F (K - 1) = 5 degrees of freedom, so the test stays
    somewhat liberal: 3 seeds or more are the ones to read.

    The test **conditions on the folds' training sets**: it counts the variance between
    trainings on one training set (the seeds) and between patients, not the variance
    between training sets, which the corrected resampled t-test estimates from the folds
    (:func:`corrected_resampled_ttest`); in return it is far more powerful with few folds.

    Parameters
    ----------
    a_folds, b_folds : sequence of (K, n_f) array_like of float
        Per fold, one row per training seed (one row for a method run once) and one column
        per test case of the fold, in the same case order for a and b; no NaN.
    groups : sequence of (n_f,) array_like
        Per fold, the patient of every case.
    alternative : {'two-sided', 'greater'}
    n_resamples : int, default 2000
    seed : int, default 0
    small_k_correction : bool, default True

    Returns
    -------
    dict
        ``mean_difference`` (over all cases), ``se`` (the replicates' standard deviation),
        ``df`` (inf: the normal reference), ``statistic`` (difference over se),
        ``p_value``, ``n_folds``, ``n_seeds`` (the fewest seeds of a method with several).

    References
    ----------
    .. [1] V. Saravanan, G. J. Berman, S. J. Sober, "Application of the hierarchical
       bootstrap to multi-level data in neuroscience", Neurons, Behavior, Data analysis, and
       Theory 3(5) (2020), doi:10.1101/819334.
    .. [2] P. Hall, S. R. Wilson, "Two guidelines for bootstrap hypothesis testing",
       Biometrics 47(2), 757-762 (1991), doi:10.2307/2532163.
    .. [3] A. C. Davison, D. V. Hinkley, Bootstrap Methods and their Application, Cambridge
       University Press (1997), section 3.8 (multi-stage sampling),
       doi:10.1017/CBO9780511802843.

    Examples
    --------
    Two folds, three seeds of a model a above a method b run once:

    >>> rng = np.random.default_rng(0)
    >>> b = [rng.uniform(0.6, 0.9, (1, 10)) for _ in range(2)]
    >>> a = [x + 0.05 + rng.normal(0, 0.01, (3, 10)) for x in b]
    >>> g = [np.arange(10) // 2] * 2
    >>> out = hierarchical_bootstrap(a, b, g, alternative="greater")
    >>> round(out["mean_difference"], 2), bool(out["p_value"] < 0.01), out["n_seeds"]
    (0.05, True, 3)
    """
    check_alternative(alternative)
    rng = np.random.default_rng(seed)
    total = np.zeros(n_resamples)
    cases = np.zeros(n_resamples)
    observed, n_cases, ks = 0.0, 0, set()
    for a, b, g in zip(a_folds, b_folds, groups, strict=True):
        a, b = np.atleast_2d(np.asarray(a, float)), np.atleast_2d(np.asarray(b, float))
        _, codes = np.unique(np.asarray(g), return_inverse=True)
        n_groups = int(codes.max()) + 1
        counts = np.bincount(codes, minlength=n_groups).astype(float)
        observed += float((a.mean(axis=0) - b.mean(axis=0)).sum())
        n_cases += a.shape[1]
        drawn = np.zeros((n_resamples, n_groups))
        for values, sign in ((a, 1.0), (b, -1.0)):
            k = values.shape[0]
            sums = _patient_sums(_shrunk_to_mean(values, small_k_correction), codes, n_groups)
            if k > 1:
                ks.add(k)
                pick = rng.integers(0, k, size=(n_resamples, k))
                drawn += sign * sums[pick].mean(axis=1)
            else:
                drawn += sign * sums[0]
        patients = rng.integers(0, n_groups, size=(n_resamples, n_groups))
        total += np.take_along_axis(drawn, patients, axis=1).sum(axis=1)
        cases += counts[patients].sum(axis=1)
    replicates = total / cases
    mean = observed / n_cases
    se = float(replicates.std(ddof=1))
    centred = replicates - mean
    if alternative == "two-sided":
        extreme = np.abs(centred) >= abs(mean) - 1e-12
    else:
        extreme = centred >= mean - 1e-12
    p_value = float((1 + extreme.sum()) / (n_resamples + 1))
    if se == 0:  # every replicate equal: no spread to judge a difference by
        p_value = _p_without_spread(mean, alternative)
    statistic = mean / se if se > 0 else (0.0 if mean == 0 else float(np.copysign(np.inf,
                                                                                 mean)))
    return {"mean_difference": float(mean), "se": se, "df": np.inf,
            "statistic": float(statistic), "p_value": p_value,
            "n_folds": len(a_folds), "n_seeds": min(ks) if ks else 1}
