import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from reports.stats import (
    PATIENT_TEST,
    SEEDED_TEST,
    cluster_bootstrap_ci,
    corrected_resampled_ttest,
    holm,
    leaderboard,
    paired_tests,
    wilcoxon_pair,
)


def naive_holm(p):
    """Holm's adjusted p-values by the textbook definition: max over the ordered prefix."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    m = len(p)
    out = np.empty(m)
    for rank, index in enumerate(order):
        out[index] = min(1.0, max((m - k) * p[order[k]] for k in range(rank + 1)))
    return out


@given(st.lists(st.floats(0, 1), min_size=1, max_size=12))
@settings(max_examples=200, deadline=None)
def test_holm_matches_the_textbook_definition(p):
    np.testing.assert_allclose(holm(p), naive_holm(p))


def test_holm_keeps_nans_out_of_the_family():
    adjusted = holm([0.01, np.nan, 0.02])
    assert np.isnan(adjusted[1])
    np.testing.assert_allclose(adjusted[[0, 2]], [0.02, 0.02])


def test_cluster_bootstrap_brackets_the_mean_and_is_seeded(rng):
    values = rng.normal(0.8, 0.1, size=120)
    groups = np.arange(120)  # one case per patient: the plain bootstrap of the mean
    low, high = cluster_bootstrap_ci(values, groups, seed=1)
    assert low < values.mean() < high
    assert (low, high) == cluster_bootstrap_ci(values, groups, seed=1)
    # about mean +- 1.96 standard errors for a normal sample
    se = values.std(ddof=1) / np.sqrt(len(values))
    assert high - low == pytest.approx(2 * 1.96 * se, rel=0.2)


def test_cluster_bootstrap_matches_the_exact_two_level_distribution():
    # a hand-made two-level example: three patients with 1, 2 and 3 cases. A resample draws
    # three patients with replacement (27 equally likely draws) and takes the mean over all
    # their cases, so its exact distribution can be enumerated.
    values = np.array([0.9, 0.2, 0.4, 0.6, 0.7, 0.8])
    groups = np.array(["p1", "p2", "p2", "p3", "p3", "p3"])
    sums = {"p1": 0.9, "p2": 0.6, "p3": 2.1}
    counts = {"p1": 1, "p2": 2, "p3": 3}
    exact = np.sort([sum(sums[g] for g in draw) / sum(counts[g] for g in draw)
                     for draw in itertools.product(sums, repeat=3)])
    low, high = cluster_bootstrap_ci(values, groups, seed=3, n_resamples=200_000,
                                     confidence=0.8)
    # the 10 % and 90 % quantiles of the exact distribution (atoms of weight 1/27)
    cdf = np.arange(1, 28) / 27
    assert low == pytest.approx(exact[np.searchsorted(cdf, 0.1)], abs=1e-9)
    assert high == pytest.approx(exact[np.searchsorted(cdf, 0.9)], abs=1e-9)
    # a case-level bootstrap treats the six cases as independent and is narrower here
    cases = cluster_bootstrap_ci(values, np.arange(6), seed=3, n_resamples=200_000,
                                 confidence=0.8)
    assert cases[1] - cases[0] < high - low


def test_duplicated_views_do_not_narrow_the_cluster_interval(rng):
    values = rng.uniform(0.5, 0.95, 30)
    patients = np.arange(30)
    one = cluster_bootstrap_ci(values, patients, seed=2)
    two = cluster_bootstrap_ci(np.repeat(values, 2), np.repeat(patients, 2), seed=2)
    assert one == pytest.approx(two)


def test_cluster_bootstrap_of_constant_tiny_or_single_patient_samples():
    assert cluster_bootstrap_ci([0.5, 0.5, 0.5], [1, 2, 3]) == (0.5, 0.5)
    assert all(np.isnan(cluster_bootstrap_ci([0.5, np.nan], [1, 2])))
    assert all(np.isnan(cluster_bootstrap_ci([0.5, 0.7], [1, 1])))
    with pytest.raises(ValueError, match="3 values but 2 group labels"):
        cluster_bootstrap_ci([0.5, 0.6, 0.7], [1, 2])


def _metrics(rng, n=40):
    truth = rng.uniform(0.5, 0.9, n)
    rows = []
    for method, shift in (("a", 0.0), ("b", -0.1), ("c", -0.002)):
        for i, value in enumerate(truth + shift + rng.normal(0, 0.01, n)):
            rows.append({"method": method, "case": f"c{i}", "patient": f"p{i // 2}",
                         "dice": value, "jaccard": value / (2 - value), "hd95": 10 * (1 - value),
                         "assd": 3 * (1 - value), "empty_flag": False,
                         "tp": 10, "fp": 1, "fn": 1, "tn": 100})
    return pd.DataFrame(rows)


def test_paired_tests_run_over_patients_and_match_scipy(rng):
    metrics = _metrics(rng)
    table = paired_tests(metrics, ["a", "b", "c"]).set_index("method")
    assert set(table["best"]) == {"a"} and set(table.index) == {"b", "c"}
    wide = metrics.pivot(index="case", columns="method", values="dice")
    patient = metrics.drop_duplicates("case").set_index("case")["patient"]
    raw = []
    for m in ("b", "c"):  # the reference: per-patient mean differences, by hand
        per_patient = (wide[m] - wide["a"]).groupby(patient).mean()
        raw.append(stats.wilcoxon(per_patient.to_numpy()).pvalue)
    np.testing.assert_allclose(table.loc[["b", "c"], "p_value"], raw)
    np.testing.assert_allclose(table.loc[["b", "c"], "p_holm"], naive_holm(raw))
    assert (table["n_pairs"] == 40).all() and (table["n_units"] == 20).all()
    assert table.loc["b", "p_holm"] < 1e-3  # a clear shift of 0.1 on 20 patients
    lower = paired_tests(metrics, ["a", "b", "c"], "hd95")
    assert set(lower["best"]) == {"a"}
    against = paired_tests(metrics, ["a", "b", "c"], against="b").set_index("method")
    assert set(against.index) == {"a", "c"} and (against["median_difference"] > 0).all()


def test_wilcoxon_pair_without_groups_pairs_cases():
    a = pd.Series([0.9, 0.8, 0.7, 0.6], index=list("wxyz"))
    b = pd.Series([0.5, 0.5, 0.5, np.nan], index=list("wxyz"))
    result = wilcoxon_pair(a, b)
    assert result["n_pairs"] == result["n_units"] == 3
    assert result["median_difference"] == pytest.approx(0.3)
    assert result["p_value"] == pytest.approx(stats.wilcoxon([0.4, 0.3, 0.2]).pvalue)


def test_leaderboard_orders_by_mean_dice_and_reports_medians_and_empties(rng):
    metrics = _metrics(rng)
    metrics.loc[(metrics["method"] == "b") & (metrics["case"] == "c0"), ["tp", "fp"]] = 0
    board = leaderboard(metrics, ["b", "c", "a"])
    assert list(board.index[:1]) == ["a"] and board.index[-1] == "b"
    part = metrics[metrics["method"] == "c"]
    assert board.loc["c", "dice_median"] == pytest.approx(part["dice"].median())
    assert board.loc["c", "hd95_median"] == pytest.approx(part["hd95"].median())
    assert board.loc["c", "dice_low"] < board.loc["c", "dice_mean"] < board.loc["c", "dice_high"]
    assert board.loc["b", "n_empty"] == 1 and board.loc["a", "n_empty"] == 0
    assert board.loc["a", "n_patients"] == 20
    # the interval is the patient-level one
    assert (board.loc["c", "dice_low"], board.loc["c", "dice_high"]) == cluster_bootstrap_ci(
        part["dice"], part["patient"])


def test_the_corrected_resampled_t_test_inflates_the_plain_variance():
    d = np.array([0.02, 0.035, 0.01, 0.025, 0.02, 0.03])
    out = corrected_resampled_ttest(d, 0.25)
    plain = stats.ttest_1samp(d, 0.0)
    # t shrinks by sqrt((1/J) / (1/J + n_test/n_train)); the same t distribution, J - 1 df
    expected = plain.statistic * np.sqrt((1 / 6) / (1 / 6 + 0.25))
    assert out["statistic"] == pytest.approx(expected)
    assert out["p_value"] == pytest.approx(2 * stats.t.sf(expected, 5))
    assert out["p_value"] > plain.pvalue and out["n_units"] == 6
    assert np.isnan(corrected_resampled_ttest([0.1], 0.25)["p_value"])  # one resample
    assert corrected_resampled_ttest([0, 0, 0], 0.25)["p_value"] == 1.0


def _seeded(rng, n_folds=5, n_seeds=3, per_fold=8):
    """Method 's' trained with seeds (a per-seed offset), method 'k' run once."""
    rows = []
    for fold in range(n_folds):
        truth = rng.uniform(0.6, 0.9, per_fold)
        for seed in range(n_seeds):
            offset = rng.normal(0, 0.03)  # the training variance
            for i, value in enumerate(truth + offset):
                rows.append({"method": "s", "fold": fold, "seed": seed, "case": f"f{fold}c{i}",
                             "patient": f"f{fold}p{i // 2}", "dice": value})
        for i, value in enumerate(truth - 0.01):
            rows.append({"method": "k", "fold": fold, "seed": 0, "case": f"f{fold}c{i}",
                         "patient": f"f{fold}p{i // 2}", "dice": value})
    frame = pd.DataFrame(rows)
    for column, scale in (("jaccard", 1.0), ("hd95", 10.0), ("assd", 3.0)):
        frame[column] = scale * (1 - frame["dice"])
    frame[["tp", "fp", "fn", "tn"]] = (10, 1, 1, 100)
    frame["empty_flag"] = False
    return frame


def test_a_model_trained_with_seeds_is_tested_over_its_seed_averaged_fold_means(rng):
    metrics = _seeded(rng)
    table = paired_tests(metrics, ["s", "k"], against="k",
                         test_train_ratio=0.3).set_index("method")
    assert table.loc["s", "test"] == SEEDED_TEST and table.loc["s", "n_units"] == 5
    # by hand: each fold's mean over the seeds of s, against k's one run on that fold; the
    # seeds of a fold share its partition, so the folds are the resamples
    means = metrics.groupby(["method", "fold", "seed"])["dice"].mean()
    diffs = [np.mean([means["s", f, s] for s in range(3)]) - means["k", f, 0]
             for f in range(5)]
    expected = corrected_resampled_ttest(diffs, 0.3)
    assert table.loc["s", "p_value"] == pytest.approx(expected["p_value"])
    assert table.loc["s", "median_difference"] == pytest.approx(np.median(diffs))
    default = paired_tests(metrics, ["s", "k"], against="k").set_index("method")
    assert default.loc["s", "p_value"] == pytest.approx(
        corrected_resampled_ttest(diffs, 1 / 4)["p_value"])  # K folds: 1 / (K - 1)
    plain = paired_tests(metrics[metrics["method"] == "k"].assign(method="k2").pipe(
        lambda f: pd.concat([metrics[metrics["method"] == "k"], f])), ["k", "k2"])
    assert plain["test"].iloc[0] == PATIENT_TEST


def test_the_leaderboard_averages_seeds_per_case_and_gives_their_spread(rng):
    metrics = _seeded(rng)
    board = leaderboard(metrics, ["s", "k"])
    part = metrics[metrics["method"] == "s"]
    per_seed = part.groupby("seed")["dice"].mean()
    assert board.loc["s", "n_seeds"] == 3 and board.loc["k", "n_seeds"] == 1
    assert board.loc["s", "n_cases"] == 40 and board.loc["s", "n_patients"] == 20
    assert board.loc["s", "dice_mean"] == pytest.approx(part["dice"].mean())
    assert board.loc["s", "dice_median"] == pytest.approx(
        part.groupby("case")["dice"].mean().median())
    assert board.loc["s", "dice_seed_sd"] == pytest.approx(per_seed.std(ddof=1))
    assert board.loc["s", "dice_seed_max"] == pytest.approx(per_seed.max())
    assert np.isnan(board.loc["k", "dice_seed_sd"])
