"""Paired tests at the unit where the noise is, with the difference each could have detected.

A comparison of two methods of one track pairs their scores case by case; which test it
runs depends on where the variance of the difference comes from (:func:`pair_test`):

- **neither method stochastic** (rule-based methods, floors: two runs give the same masks):
  the noise is between patients. Each patient's case-by-case differences are averaged and
  the Wilcoxon signed-rank test runs over patients (:func:`wilcoxon_pair`);
- **either stochastic** (a trained model whose training draws from a seed), **one training
  seed**: each fold is one training, so the training noise sits at fold level. The corrected
  resampled t-test of Nadeau and Bengio (2003) runs over the folds' mean differences
  (:func:`corrected_resampled_ttest`); a test over patients would take one training run for
  the method and find differences that a retraining removes;
- **either stochastic, K >= 2 seeds**: a hierarchical bootstrap over seeds and patients within
  each fold (:func:`hierarchical_bootstrap`), which uses the spread between the K trainings
  of every fold and conditions on the folds' training sets;
- **fewer than :data:`MIN_UNITS` units** (e.g. two folds with one seed): not tested, p NaN,
  with the reason.

Every result carries the standard error and degrees of freedom of its test, from which
:func:`detectable_difference` gives the smallest difference the run could have detected with
power :data:`POWER`. In a family of m Holm-corrected comparisons (:func:`paired_tests`) that
difference is given at the level alpha / m, Holm's first step (conservative for the others).

"Above the floor" is tested in the direction claimed: ``alternative="greater"`` (method minus
floor), one-sided, by the same unit rules.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from reports.significance import (
    ALPHA,
    MIN_UNITS,
    POWER,
    check_alternative,
    corrected_resampled_ttest,
    detectable_difference,
    hierarchical_bootstrap,
    holm,
    wilcoxon_pair,
)
from reports.stats import N_RESAMPLES, n_seeds

#: The tests, as the report names them.
PATIENT_TEST = "Wilcoxon over patients"
FOLD_TEST = "corrected resampled t over folds"
SEED_TEST = "hierarchical bootstrap over seeds and patients"


def stochastic_methods(record: dict) -> set[str]:
    """The methods of a run whose training draws from a seed (``run.json``'s ``methods``).

    Each method's ``stochastic`` flag; a run recorded before the flag counts the deep
    models (family ``deep``).

    Examples
    --------
    >>> sorted(stochastic_methods({"methods": {"unet": {"family": "deep"},
    ...                                       "otsu": {"family": "classical"},
    ...                                       "plug": {"family": "x", "stochastic": True}}}))
    ['plug', 'unet']
    """
    return {name for name, meta in record.get("methods", {}).items()
            if meta.get("stochastic", meta.get("family") == "deep")}


def _per_case(part: pd.DataFrame, metric: str) -> pd.Series:
    """Case -> ``metric`` averaged over the seeds; NaN when any seed's value is NaN."""
    agg = part.groupby("case")[metric].agg(["mean", "count", "size"])
    return agg["mean"].where(agg["count"] == agg["size"])


def _seed_rows(part: pd.DataFrame, metric: str, cases) -> np.ndarray:
    """(K, n) values of ``cases``, one row per training seed."""
    if "seed" not in part:
        return part.set_index("case")[metric].reindex(cases).to_numpy(float)[None, :]
    wide = part.pivot_table(index="seed", columns="case", values=metric, aggfunc="mean")
    return wide.reindex(columns=cases).to_numpy(float)


def choose_test(k_a: int, k_b: int, stochastic_a: bool, stochastic_b: bool) -> str:
    """Which test a pair gets, from its methods' seeds and whether their training is seeded.

    Examples
    --------
    >>> choose_test(1, 1, False, False) == PATIENT_TEST
    True
    >>> choose_test(1, 1, True, False) == FOLD_TEST, choose_test(3, 1, True, False) == SEED_TEST
    (True, True)
    """
    if not (stochastic_a or stochastic_b):
        return PATIENT_TEST
    seeds = [k for k, s in ((k_a, stochastic_a), (k_b, stochastic_b)) if s]
    return SEED_TEST if min(seeds) >= 2 else FOLD_TEST


def pair_test(metrics: pd.DataFrame, a: str, b: str, metric: str = "dice", *,
              stochastic: Collection[str] | None = None, other: pd.DataFrame | None = None,
              alternative: str = "two-sided", test_train_ratio: float | None = None,
              seed: int = 0, n_resamples: int = N_RESAMPLES) -> dict:
    """Test ``a`` against ``b`` on ``metric`` at the unit where the noise is.

    The cases are paired (a case whose value is NaN for either method, in any seed, is left
    out); the test follows the rules of this module's docstring (:func:`choose_test`).

    Parameters
    ----------
    metrics : DataFrame
        One row per (method, fold, seed, case): ``method, fold, case, patient, metric`` and
        ``seed`` when there are several.
    a, b : str
        The methods; differences are a minus b.
    stochastic : collection of str, optional
        The methods whose training draws from a seed (:func:`stochastic_methods`); default:
        those scored with several seeds.
    other : DataFrame, optional
        Read ``b`` from this table (another run of the same splits).
    alternative : {'two-sided', 'greater'}
        ``'greater'``: a is claimed above b (as above a floor).
    test_train_ratio : float, optional
        Test over training cases of a fold, for the corrected t (default ``1 / (J - 1)``).
    seed, n_resamples : int
        Of the hierarchical bootstrap.

    Returns
    -------
    dict
        ``test`` (:data:`PATIENT_TEST`, :data:`FOLD_TEST` or :data:`SEED_TEST`), ``units``
        (what it ran over, in words), ``n_pairs``, ``n_units``, ``difference`` (mean over
        the paired cases of a minus b, each averaged over its seeds), ``median_difference``
        (over patients, or folds), ``statistic``, ``p_value``, ``se``, ``df``, ``reason``
        (why it could not be tested, or '').
    """
    check_alternative(alternative)
    table_b = metrics if other is None else other
    part_a = metrics[metrics["method"] == a]
    part_b = table_b[table_b["method"] == b]
    if stochastic is None:
        stochastic = {m for m, t in ((a, metrics), (b, table_b)) if n_seeds(t, m) > 1}
    info = part_a.drop_duplicates("case").set_index("case")[["fold", "patient"]]
    pairs = pd.DataFrame({"a": _per_case(part_a, metric),
                          "b": _per_case(part_b, metric)}).dropna().join(info, how="inner")
    pairs["d"] = pairs["a"] - pairs["b"]
    k_a, k_b = n_seeds(metrics, a), n_seeds(table_b, b)
    test = choose_test(k_a, k_b, a in stochastic, b in stochastic)
    n_patients = int(pairs["patient"].nunique())
    out = {"test": test, "n_pairs": len(pairs),
           "difference": float(pairs["d"].mean()) if len(pairs) else np.nan}
    if test == PATIENT_TEST:
        result = wilcoxon_pair(pairs["a"], pairs["b"], pairs["patient"],
                               alternative=alternative)
        out["units"] = f"{result['n_units']} patients"
    elif test == FOLD_TEST:
        per_fold = pairs.groupby("fold")["d"].mean()
        ratio = (test_train_ratio if test_train_ratio is not None
                 else 1 / max(1, len(per_fold) - 1))
        result = corrected_resampled_ttest(per_fold.to_numpy(), ratio, alternative=alternative)
        result["median_difference"] = float(per_fold.median()) if len(per_fold) else np.nan
        out["units"] = f"{result['n_units']} folds"
    else:
        result = _bootstrap_pair(part_a, part_b, pairs, metric, alternative=alternative,
                                 seed=seed, n_resamples=n_resamples)
        k = min(k for k, s in ((k_a, a in stochastic), (k_b, b in stochastic)) if s)
        n_folds = int(pairs["fold"].nunique())
        out["units"] = f"{n_folds} folds x {k} seeds, {n_patients} patients"
        result["n_units"] = n_folds * k
    out.update({key: result[key] for key in ("n_units", "statistic", "p_value", "se", "df",
                                             "reason")})
    out["median_difference"] = result.get("median_difference", np.nan)
    return out


def _bootstrap_pair(part_a, part_b, pairs, metric, **options) -> dict:
    """:func:`hierarchical_bootstrap` of the paired cases, fold by fold."""
    per_patient = pairs.groupby("patient")["d"].mean()
    out = {"median_difference": float(per_patient.median()) if len(per_patient) else np.nan,
           "statistic": np.nan, "p_value": np.nan, "se": np.nan, "df": np.nan, "reason": ""}
    if len(per_patient) < MIN_UNITS:
        out["reason"] = (f"{len(per_patient)} patients with both scores; a test over seeds "
                         f"and patients needs at least {MIN_UNITS}")
        return out
    a_folds, b_folds, groups = [], [], []
    for _, fold in pairs.groupby("fold", sort=True):
        a, b = (_seed_rows(part, metric, fold.index.to_list()) for part in (part_a, part_b))
        keep = np.isfinite(a).all(axis=0) & np.isfinite(b).all(axis=0)  # a seed's row missing
        a_folds.append(a[:, keep])
        b_folds.append(b[:, keep])
        groups.append(fold["patient"].to_numpy()[keep])
    result = hierarchical_bootstrap(a_folds, b_folds, groups, **options)
    out.update({k: result[k] for k in ("statistic", "p_value", "se", "df")})
    return out


#: The columns of :func:`paired_tests`.
TEST_COLUMNS = ["method", "against", "test", "units", "n_pairs", "n_units", "difference",
                "median_difference", "statistic", "p_value", "p_holm", "se", "df", "level",
                "mde", "reason", "alternative"]


def paired_tests(metrics: pd.DataFrame, methods: list[str], metric: str = "dice", *,
                 against: str | None = None, stochastic: Collection[str] | None = None,
                 alternative: str = "two-sided", test_train_ratio: float | None = None,
                 alpha: float = ALPHA, seed: int = 0,
                 n_resamples: int = N_RESAMPLES) -> pd.DataFrame:
    """Every method of one track against one (default: the best) on ``metric``.

    Each pair by :func:`pair_test`; p-values Holm-corrected over the comparisons that could
    be tested; each row's smallest detectable difference (:func:`detectable_difference`) at
    the level alpha / m of the m comparisons tested (Holm's first step).

    Parameters
    ----------
    methods : list of str
        The methods of one track (methods are compared only within their track).
    against : str, optional
        The method every other is compared with; default the best mean of ``metric`` in its
        direction (:func:`reports.stats.best_method`).
    stochastic, alternative, test_train_ratio, seed, n_resamples
        As in :func:`pair_test`.
    alpha : float, default 0.05

    Returns
    -------
    DataFrame
        Columns :data:`TEST_COLUMNS`: ``difference`` and ``median_difference`` are method
        minus ``against``; ``level`` the level of ``mde``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> base = rng.uniform(0.6, 0.9, 30)
    >>> rows = [{"method": m, "fold": i % 3, "case": f"c{i}", "patient": f"p{i}",
    ...          "dice": v + s + rng.normal(0, 0.02)}
    ...         for m, s in (("a", 0.1), ("b", 0.0)) for i, v in enumerate(base)]
    >>> table = paired_tests(pd.DataFrame(rows), ["a", "b"])
    >>> table.loc[0, ["method", "against", "test"]].tolist()
    ['b', 'a', 'Wilcoxon over patients']
    >>> bool(table.loc[0, "p_holm"] < 0.001)
    True
    """
    from reports.stats import best_method

    reference = against if against is not None else best_method(metrics, methods, metric)
    rows = [{"method": method, "against": reference, "alternative": alternative,
             **pair_test(metrics, method, reference, metric, stochastic=stochastic,
                         alternative=alternative, test_train_ratio=test_train_ratio,
                         seed=seed, n_resamples=n_resamples)}
            for method in methods if method != reference]
    table = pd.DataFrame(rows, columns=[c for c in TEST_COLUMNS
                                        if c not in ("p_holm", "level", "mde")])
    table["p_holm"] = holm(table["p_value"]) if len(table) else []
    m = max(1, int(np.isfinite(table["p_value"].to_numpy(float)).sum()))
    table["level"] = alpha / m
    table["mde"] = [detectable_difference(r.se, r.df, alpha / m, alternative=alternative)
                    for r in table.itertuples()]
    return table[TEST_COLUMNS]


__all__ = ["ALPHA", "FOLD_TEST", "MIN_UNITS", "PATIENT_TEST", "POWER", "SEED_TEST",
           "choose_test", "corrected_resampled_ttest", "detectable_difference",
           "hierarchical_bootstrap", "holm", "pair_test", "paired_tests",
           "stochastic_methods", "wilcoxon_pair"]
