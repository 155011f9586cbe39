import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from reports.stats import bootstrap_ci, holm, leaderboard, paired_tests


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


def test_bootstrap_ci_brackets_the_mean_and_is_seeded(rng):
    values = rng.normal(0.8, 0.1, size=120)
    low, high = bootstrap_ci(values, seed=1)
    assert low < values.mean() < high
    assert (low, high) == bootstrap_ci(values, seed=1)
    # about mean +- 1.96 standard errors for a normal sample
    se = values.std(ddof=1) / np.sqrt(len(values))
    assert high - low == pytest.approx(2 * 1.96 * se, rel=0.2)


def test_bootstrap_ci_of_constant_or_tiny_samples():
    assert bootstrap_ci([0.5, 0.5, 0.5]) == (0.5, 0.5)
    assert all(np.isnan(bootstrap_ci([0.5, np.nan])))


def _metrics(rng, n=40):
    truth = rng.uniform(0.5, 0.9, n)
    rows = []
    for method, shift in (("a", 0.0), ("b", -0.1), ("c", -0.002)):
        for i, value in enumerate(truth + shift + rng.normal(0, 0.01, n)):
            rows.append({"method": method, "case": f"c{i}", "dice": value,
                         "jaccard": value / (2 - value), "hd95": 10 * (1 - value),
                         "assd": 3 * (1 - value), "empty_flag": False})
    return pd.DataFrame(rows)


def test_paired_tests_against_the_best_match_scipy(rng):
    metrics = _metrics(rng)
    table = paired_tests(metrics, ["a", "b", "c"]).set_index("method")
    assert set(table["best"]) == {"a"} and set(table.index) == {"b", "c"}
    wide = metrics.pivot(index="case", columns="method", values="dice")
    raw = [stats.wilcoxon(wide[m], wide["a"]).pvalue for m in ("b", "c")]
    np.testing.assert_allclose(table.loc[["b", "c"], "p_value"], raw)
    np.testing.assert_allclose(table.loc[["b", "c"], "p_holm"], naive_holm(raw))
    assert table.loc["b", "p_holm"] < 1e-6  # a clear shift of 0.1 on 40 pairs
    lower = paired_tests(metrics, ["a", "b", "c"], "hd95")
    assert set(lower["best"]) == {"a"}


def test_leaderboard_orders_by_mean_dice_and_reports_median(rng):
    metrics = _metrics(rng)
    board = leaderboard(metrics, ["b", "c", "a"])
    assert list(board.index[:1]) == ["a"] and board.index[-1] == "b"
    part = metrics[metrics["method"] == "c"]
    assert board.loc["c", "dice_median"] == pytest.approx(part["dice"].median())
    assert board.loc["c", "dice_low"] < board.loc["c", "dice_mean"] < board.loc["c", "dice_high"]
