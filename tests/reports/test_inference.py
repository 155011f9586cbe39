"""The paired tests at the unit where the noise is: simulations with known truth, and the rules.

The simulations are seeded and vectorised (a few seconds each). Their model: 5 folds of 20
patients (one or two views each); a method trained once per fold (or with K seeds) carries a
shift per training of SD 0.015 (the seed SD measured in docs/methods.md), beside per-patient
and per-case noise; the other method is rule-based.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from reports.inference import (
    FOLD_TEST,
    PATIENT_TEST,
    SEED_TEST,
    choose_test,
    pair_test,
    paired_tests,
    stochastic_methods,
)
from reports.significance import (
    corrected_resampled_ttest,
    detectable_difference,
    hierarchical_bootstrap,
    holm,
    wilcoxon_pair,
)

FOLDS, PATIENTS, SEED_SD = 5, 20, 0.015
#: one or two views per patient, the same layout in every fold
VIEWS = np.tile([1, 2], PATIENTS // 2)
GROUP = np.repeat(np.arange(PATIENTS), VIEWS)


def fold_data(rng, delta, n_seeds, *, seed_sd=SEED_SD):
    """Per fold: (K, n) values of the trained model a, (1, n) of the rule-based b, patients."""
    a, b = [], []
    for _ in range(FOLDS):
        n = len(GROUP)
        base = rng.uniform(0.6, 0.9, n) + rng.normal(0, 0.04, PATIENTS)[GROUP]
        shift = rng.normal(0, seed_sd, (n_seeds, 1))  # one per training
        a.append(base + delta + shift + rng.normal(0, 0.02, (n_seeds, n)))
        b.append((base + rng.normal(0, 0.02, n))[None, :])
    return a, b, [GROUP] * FOLDS


# Holm ------------------------------------------------------------------------------------

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


def test_holm_controls_the_familywise_error_where_raw_p_values_do_not(rng):
    # 6 true nulls per family, 2000 families: any raw p < 0.05 in about 26 %, Holm <= 5 %
    p = rng.uniform(size=(2000, 6))
    raw = (p < 0.05).any(axis=1).mean()
    adjusted = np.array([holm(row) for row in p])
    assert raw > 0.2 and (adjusted < 0.05).any(axis=1).mean() <= 0.06


# The fold-level test against the per-patient one -----------------------------------------

def test_with_one_seed_the_fold_test_keeps_false_positives_the_patient_test_does_not(rng):
    draws = 1000
    fold_p, patient_p = [], []
    for _ in range(draws):
        a, b, groups = fold_data(rng, 0.0, 1)
        per_fold = [float((x[0] - y[0]).mean()) for x, y in zip(a, b, strict=True)]
        fold_p.append(corrected_resampled_ttest(per_fold, 1 / (FOLDS - 1))["p_value"])
        d = np.concatenate([x[0] - y[0] for x, y in zip(a, b, strict=True)])
        patients = np.concatenate([g + k * PATIENTS for k, g in enumerate(groups)])
        per_patient = np.bincount(patients, d) / np.bincount(patients)
        patient_p.append(stats.wilcoxon(per_patient).pvalue)
    fold_rate = np.mean(np.array(fold_p) < 0.05)
    patient_rate = np.mean(np.array(patient_p) < 0.05)
    # the corrected t is conservative when the folds' shifts are independent (its variance
    # allows for the correlation of overlapping training sets), never liberal
    assert 0.005 <= fold_rate <= 0.10
    assert patient_rate > 0.15


def test_the_corrected_t_is_exact_when_the_folds_correlate_as_nadeau_and_bengio_assume(rng):
    # differences with pairwise correlation rho, rho / (1 - rho) = n_test / n_train
    ratio, draws, j = 0.25, 4000, 5
    rho = ratio / (1 + ratio)
    d = (np.sqrt(rho) * rng.normal(size=(draws, 1))
         + np.sqrt(1 - rho) * rng.normal(size=(draws, j))) * 0.02
    p = np.array([corrected_resampled_ttest(row, ratio)["p_value"] for row in d])
    assert 0.035 <= np.mean(p < 0.05) <= 0.065
    greater = np.array([corrected_resampled_ttest(row, ratio, alternative="greater")["p_value"]
                        for row in d])
    assert 0.035 <= np.mean(greater < 0.05) <= 0.065


# The hierarchical bootstrap ----------------------------------------------------------------

def _seed_averaged_fold_test(a, b):
    per_fold = [float((x.mean(axis=0) - y[0]).mean()) for x, y in zip(a, b, strict=True)]
    return corrected_resampled_ttest(per_fold, 1 / (FOLDS - 1))["p_value"]


def test_the_bootstrap_over_three_seeds_keeps_false_positives_near_nominal(rng):
    p = [hierarchical_bootstrap(*fold_data(rng, 0.0, 3), n_resamples=499,
                                seed=int(rng.integers(1 << 30)))["p_value"]
         for _ in range(300)]
    assert 0.01 <= np.mean(np.array(p) < 0.05) <= 0.10


def test_the_bootstrap_over_three_seeds_finds_a_true_gap_more_often_than_the_corrected_t(rng):
    boot, fold = [], []
    for _ in range(200):
        a, b, groups = fold_data(rng, 0.02, 3)
        boot.append(hierarchical_bootstrap(a, b, groups, n_resamples=499,
                                           seed=int(rng.integers(1 << 30)))["p_value"])
        fold.append(_seed_averaged_fold_test(a, b))
    boot_power, fold_power = np.mean(np.array(boot) < 0.05), np.mean(np.array(fold) < 0.05)
    assert boot_power > 0.6 and boot_power > fold_power + 0.2


def test_the_small_k_correction_widens_the_bootstrap_as_sqrt_k_over_k_minus_1(rng):
    # with seed noise alone (one patient, no patient spread), the replicates' variance is the
    # seed mean's: the corrected one is K / (K - 1) times the uncorrected
    a = [rng.normal(0, 1, (3, 1)) for _ in range(4)]
    b = [np.zeros((1, 1))] * 4
    groups = [np.zeros(1)] * 4
    plain = hierarchical_bootstrap(a, b, groups, small_k_correction=False, n_resamples=20000)
    corrected = hierarchical_bootstrap(a, b, groups, n_resamples=20000)
    assert corrected["se"] ** 2 / plain["se"] ** 2 == pytest.approx(3 / 2, rel=0.05)
    # and the corrected variance is about the textbook s^2 / (K F) of the seed means
    s2 = np.mean([x[:, 0].var(ddof=1) for x in a])
    assert corrected["se"] ** 2 == pytest.approx(s2 / 12, rel=0.1)


def test_the_bootstrap_of_identical_methods_finds_nothing():
    a = [np.full((2, 6), 0.7)] * 3
    out = hierarchical_bootstrap(a, a, [np.arange(6)] * 3)
    assert out["mean_difference"] == 0 and out["p_value"] == 1.0


# The smallest detectable difference ------------------------------------------------------

def test_the_detectable_difference_of_the_patient_test_has_power_0_8(rng):
    n, sd, draws = 30, 0.05, 3000
    delta = detectable_difference(sd / np.sqrt(n), n - 1, 0.05)
    d = rng.normal(delta, sd, (draws, n))
    power = np.mean(stats.wilcoxon(d, axis=1).pvalue < 0.05)
    assert 0.72 <= power <= 0.88  # the Wilcoxon's efficiency is 95 % of the t's
    one_sided = detectable_difference(sd / np.sqrt(n), n - 1, 0.05, alternative="greater")
    d = rng.normal(one_sided, sd, (draws, n))
    assert 0.72 <= np.mean(stats.wilcoxon(d, axis=1, alternative="greater").pvalue
                           < 0.05) <= 0.88


def test_the_detectable_difference_of_the_fold_test_has_power_0_8(rng):
    ratio, j, sd, draws = 0.25, 5, 0.02, 4000
    rho = ratio / (1 + ratio)
    se = np.sqrt((1 / j + ratio) * (1 - rho)) * sd  # the corrected t's standard error
    for level in (0.05, 0.05 / 3):
        delta = detectable_difference(se, j - 1, level)
        d = delta + (np.sqrt(rho) * rng.normal(size=(draws, 1))
                     + np.sqrt(1 - rho) * rng.normal(size=(draws, j))) * sd
        p = np.array([corrected_resampled_ttest(row, ratio)["p_value"] for row in d])
        assert 0.74 <= np.mean(p < level) <= 0.86


def test_the_detectable_difference_of_the_bootstrap_has_power_0_8(rng):
    # the estimator's true spread, by simulation of the point estimate alone
    estimates = [np.mean(np.concatenate([x.mean(axis=0) - y[0] for x, y in
                                         zip(*fold_data(rng, 0.0, 3)[:2], strict=True)]))
                 for _ in range(400)]
    delta = detectable_difference(float(np.std(estimates, ddof=1)), np.inf, 0.05)
    results = [hierarchical_bootstrap(*fold_data(rng, delta, 3), n_resamples=499,
                                      seed=int(rng.integers(1 << 30))) for _ in range(200)]
    # the bootstrap's standard error is the estimator's spread, and the power about 0.8
    assert np.mean([r["se"] for r in results]) == pytest.approx(np.std(estimates), rel=0.15)
    assert 0.68 <= np.mean([r["p_value"] < 0.05 for r in results]) <= 0.9


def test_detectable_difference_of_an_untested_comparison_is_nan():
    assert np.isnan(detectable_difference(np.nan, np.nan))
    assert detectable_difference(0.01, 4, 0.05 / 4) > detectable_difference(0.01, 4, 0.05)


# The floor rule: one-sided ------------------------------------------------------------------

def constructed_floor_case():
    """Per-patient differences with median -0.049, a positive mean and one-sided p 0.996."""
    negatives = -0.049 + np.linspace(-0.005, 0.004, 19)  # the 11th of 21 is -0.049
    return np.concatenate([negatives, [0.45, 0.55]])


def test_the_floor_is_tested_one_sided_in_the_direction_claimed():
    d = constructed_floor_case()
    assert np.median(d) == pytest.approx(-0.049) and d.mean() > 0
    floor = pd.Series(0.5, index=[f"c{i}" for i in range(len(d))])
    method = floor + d
    patients = pd.Series(floor.index, index=floor.index)
    greater = wilcoxon_pair(method, floor, patients, alternative="greater")
    assert greater["p_value"] == pytest.approx(0.996, abs=0.002)
    # the two-sided test finds the same data "significant" in the other direction
    assert wilcoxon_pair(method, floor, patients)["p_value"] < 0.02
    from reports.wording import floor_mark

    assert floor_mark(greater["difference"], greater["p_value"]) == "not shown above the floor"


# The unit rules on a run's metrics table ---------------------------------------------------

def metrics_table(rng, *, n_folds=FOLDS, n_seeds=1, delta=0.0):
    """A metrics table of a trained model 'deep' (n_seeds) and rule-based 'a' and 'b'."""
    rows = []
    for fold in range(n_folds):
        a, b, groups = fold_data(rng, delta, n_seeds)
        cases = [f"f{fold}c{i}" for i in range(len(groups[0]))]
        patients = [f"f{fold}p{g}" for g in groups[0]]
        for seed in range(n_seeds):
            rows += [{"method": "deep", "fold": fold, "seed": seed, "case": c, "patient": p,
                      "dice": v} for c, p, v in zip(cases, patients, a[0][seed], strict=True)]
        for name, shift in (("a", 0.0), ("b", -0.05)):
            rows += [{"method": name, "fold": fold, "seed": 0, "case": c, "patient": p,
                      "dice": v + shift} for c, p, v in zip(cases, patients, b[0][0],
                                                             strict=True)]
    frame = pd.DataFrame(rows)
    frame["hd95"] = 10 * (1 - frame["dice"])
    return frame


def test_each_pair_gets_the_test_of_its_unit(rng):
    assert choose_test(1, 1, False, False) == PATIENT_TEST
    assert choose_test(1, 1, False, True) == FOLD_TEST
    assert choose_test(3, 1, True, False) == SEED_TEST
    assert choose_test(3, 1, True, True) == FOLD_TEST  # a stochastic method seeded once
    one = metrics_table(rng)
    # a trained model with one seed is tested over folds, though it has one seed only
    assert pair_test(one, "deep", "a", stochastic={"deep"})["test"] == FOLD_TEST
    assert pair_test(one, "a", "b", stochastic={"deep"})["test"] == PATIENT_TEST
    three = metrics_table(rng, n_seeds=3)
    out = pair_test(three, "deep", "a", stochastic={"deep"})
    assert out["test"] == SEED_TEST and out["units"] == "5 folds x 3 seeds, 100 patients"
    assert out["n_units"] == 15 and out["n_pairs"] == 150


def test_the_fold_test_matches_the_corrected_t_over_the_folds_mean_differences(rng):
    metrics = metrics_table(rng)
    out = pair_test(metrics, "deep", "a", stochastic={"deep"}, test_train_ratio=0.3,
                    alternative="greater")
    wide = metrics.pivot_table(index="case", columns="method", values="dice")
    fold = metrics.drop_duplicates("case").set_index("case")["fold"]
    diffs = (wide["deep"] - wide["a"]).groupby(fold).mean()
    expected = corrected_resampled_ttest(diffs.to_numpy(), 0.3, alternative="greater")
    assert out["p_value"] == pytest.approx(expected["p_value"])
    assert out["se"] == pytest.approx(expected["se"]) and out["df"] == 4
    assert out["difference"] == pytest.approx((wide["deep"] - wide["a"]).mean())


def test_two_folds_with_one_seed_cannot_be_tested(rng):
    metrics = metrics_table(rng, n_folds=2)
    out = pair_test(metrics, "deep", "a", stochastic={"deep"})
    assert np.isnan(out["p_value"]) and out["test"] == FOLD_TEST
    assert out["reason"] == "2 folds, one training each; a test over folds needs at least 3"
    table = paired_tests(metrics, ["deep", "a", "b"], against="a", stochastic={"deep"})
    table = table.set_index("method")
    assert np.isnan(table.loc["deep", "p_holm"]) and np.isnan(table.loc["deep", "mde"])
    # the family is the comparisons that could be tested: one here, at the full level
    assert table.loc["b", "level"] == 0.05 and table.loc["b", "p_holm"] < 1e-3
    # with two seeds the same two folds are tested over seeds and patients
    seeded = pair_test(metrics_table(rng, n_folds=2, n_seeds=2), "deep", "a",
                       stochastic={"deep"})
    assert seeded["test"] == SEED_TEST and np.isfinite(seeded["p_value"])


def test_paired_tests_give_the_detectable_difference_at_alpha_over_m(rng):
    metrics = metrics_table(rng)
    table = paired_tests(metrics, ["deep", "a", "b"], against="a",
                         stochastic={"deep"}).set_index("method")
    assert set(table["against"]) == {"a"}
    assert (table["level"] == 0.05 / 2).all()
    for method, row in table.iterrows():
        assert row["mde"] == pytest.approx(detectable_difference(row["se"], row["df"],
                                                                 0.05 / 2)), method
    raw = table["p_value"].to_numpy()
    np.testing.assert_allclose(table["p_holm"], naive_holm(raw))


def test_paired_tests_over_patients_match_scipy(rng):
    metrics = metrics_table(rng)
    table = paired_tests(metrics, ["a", "b"], against="a").set_index("method")
    wide = metrics.pivot_table(index="case", columns="method", values="dice")
    patient = metrics.drop_duplicates("case").set_index("case")["patient"]
    per_patient = (wide["b"] - wide["a"]).groupby(patient).mean()
    assert table.loc["b", "p_value"] == pytest.approx(stats.wilcoxon(per_patient).pvalue)
    assert table.loc["b", "n_units"] == 100 and table.loc["b", "test"] == PATIENT_TEST
    assert table.loc["b", "median_difference"] == pytest.approx(per_patient.median())
    lower = paired_tests(metrics, ["a", "b"], "hd95")
    assert set(lower["against"]) == {"a"}  # the lowest HD95 is the best


def test_wilcoxon_pair_without_groups_pairs_cases():
    a = pd.Series([0.9, 0.8, 0.7, 0.6], index=list("wxyz"))
    b = pd.Series([0.5, 0.5, 0.5, np.nan], index=list("wxyz"))
    result = wilcoxon_pair(a, b)
    assert result["n_pairs"] == result["n_units"] == 3
    assert result["median_difference"] == pytest.approx(0.3)
    assert result["p_value"] == pytest.approx(stats.wilcoxon([0.4, 0.3, 0.2]).pvalue)


def test_the_corrected_resampled_t_test_inflates_the_plain_variance():
    d = np.array([0.02, 0.035, 0.01, 0.025, 0.02, 0.03])
    out = corrected_resampled_ttest(d, 0.25)
    plain = stats.ttest_1samp(d, 0.0)
    # t shrinks by sqrt((1/J) / (1/J + n_test/n_train)); the same t distribution, J - 1 df
    expected = plain.statistic * np.sqrt((1 / 6) / (1 / 6 + 0.25))
    assert out["statistic"] == pytest.approx(expected)
    assert out["p_value"] == pytest.approx(2 * stats.t.sf(expected, 5))
    assert out["p_value"] > plain.pvalue and out["n_units"] == 6
    assert corrected_resampled_ttest(d, 0.25, alternative="greater")["p_value"] == \
        pytest.approx(stats.t.sf(expected, 5))
    assert corrected_resampled_ttest([0, 0, 0], 0.25)["p_value"] == 1.0


def test_stochastic_methods_read_the_flag_and_fall_back_to_the_deep_family():
    record = {"methods": {"unet": {"family": "deep"}, "rg": {"family": "classical"},
                          "medsam": {"family": "foundation", "stochastic": False},
                          "plug": {"family": "classical", "stochastic": True}}}
    assert stochastic_methods(record) == {"unet", "plug"}


def test_the_moved_names_are_still_importable_from_stats():
    from reports import stats as old

    assert old.wilcoxon_pair is wilcoxon_pair and old.holm is holm
