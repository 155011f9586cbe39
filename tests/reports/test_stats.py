"""The leaderboard's descriptive statistics: patient-level intervals, seeds, ceilings."""

import itertools

import numpy as np
import pandas as pd
import pytest

from reports.stats import cluster_bootstrap_ci, leaderboard


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


def test_the_leaderboard_gives_the_ceiling_and_the_seed_hit_rate_where_a_run_has_them(rng):
    metrics = _seeded(rng)
    assert np.isnan(leaderboard(metrics, ["s", "k"]).loc["s", "ceiling_mean"])  # an old run
    metrics["ceiling_dice"] = np.where(metrics["method"] == "s", 0.9, np.nan)
    metrics.loc[(metrics["method"] == "s") & (metrics["case"] == "f0c0"), "ceiling_dice"] = 0.5
    metrics["seed_hit"] = np.where(metrics["method"] == "k",
                                   (metrics["case"].str[-1] < "6").astype(float), np.nan)
    board = leaderboard(metrics, ["s", "k"])
    # a case's ceiling counts once (not once per seed): 39 cases at 0.9, one at 0.5
    assert board.loc["s", "ceiling_mean"] == pytest.approx((39 * 0.9 + 0.5) / 40)
    assert np.isnan(board.loc["k", "ceiling_mean"]) and np.isnan(board.loc["s", "seed_hit_mean"])
    assert board.loc["k", "seed_hit_mean"] == pytest.approx(6 / 8)  # cases c0-c5 of c0-c7
