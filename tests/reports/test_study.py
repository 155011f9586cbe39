"""The study report's numbers: summaries, paired changes and crossings against direct sums."""

import numpy as np
import pandas as pd
import pytest

from reports.study import _factors, _verdict, _wall, paired_change, summarise


def _table(seed=0):
    """Two methods at two levels on 30 cases of 15 patients (two views each)."""
    rng = np.random.default_rng(seed)
    rows = []
    for level, value, shift in (("a", 1.0, 0.0), ("b", 2.0, -0.1)):
        for method, base in (("m1", 0.8), ("m2", 0.6)):
            for case in range(30):
                dice = float(np.clip(base + shift + rng.normal(0, 0.05), 0, 1))
                rows.append({"study": "s", "level": level, "level_value": value,
                             "condition": "as run", "n_train_cases": 10 * value,
                             "method": method, "family": "classical", "needs_roi": True,
                             "fold": case % 3, "seed": 0, "case": f"c{case}",
                             "patient": f"p{case // 2}", "dice": dice, "tp": 5, "fp": 1})
    return pd.DataFrame(rows)


def test_summary_means_are_the_case_means():
    table = _table()
    summary = summarise(table).set_index(["level", "method"])
    for (level, method), part in table.groupby(["level", "method"]):
        row = summary.loc[(level, method)]
        assert row["dice"] == pytest.approx(part["dice"].mean())
        assert row["low"] < row["dice"] < row["high"]
        assert row["n_cases"] == 30 and row["n_empty"] == 0


def test_paired_change_is_the_mean_of_the_case_differences():
    table = _table()
    change = paired_change(table, "m1", condition="as run", level="b", reference="a")
    a = table[(table["level"] == "a") & (table["method"] == "m1")].set_index("case")["dice"]
    b = table[(table["level"] == "b") & (table["method"] == "m1")].set_index("case")["dice"]
    assert change["change"] == pytest.approx((b - a).mean())
    assert change["low"] < change["change"] < change["high"] < 0  # a drop of about 0.1
    assert change["p"] < 0.01


def test_seeds_are_averaged_per_case_before_the_mean():
    table = _table()
    other = table.assign(seed=1, dice=table["dice"] + 0.02)
    summary = summarise(pd.concat([table, other])).set_index(["level", "method"])
    assert summary.loc[("a", "m1"), "n_seeds"] == 2
    part = table[(table["level"] == "a") & (table["method"] == "m1")]
    assert summary.loc[("a", "m1"), "dice"] == pytest.approx(part["dice"].mean() + 0.01)


@pytest.mark.parametrize("diff, words", [
    ([0.1, 0.2, 0.3], "above at every size"),
    ([-0.1, -0.05, -0.01], "never ahead"),
    ([0.1, -0.1, -0.2], "behind at the largest"),
    ([-0.1, 0.1, 0.2], "overtakes at about 20 cases"),   # midway in log(10)..log(40)
])
def test_crossing_verdicts(diff, words):
    assert words in _verdict(np.array([10.0, 40.0, 100.0]), np.array(diff))


def test_the_wall_time_of_a_resumed_study_is_the_sum_and_says_so():
    record = {"wall_s": 700.0, "attempt_s": [400.0, 300.0], "stages": {"run_s": 290.0}}
    assert _wall(record) == "11 min 40 s over 2 attempts (the last 5 min 0 s)"
    assert "1 earlier attempt(s) not timed" in _wall({**record, "attempt_s": [None, 300.0]})
    # a record from before attempts were timed: the one time it has
    assert _wall({"wall_s": 65.0, "stages": {}}) == "1 min 5 s"


def test_epoch_factors_are_shown_per_fold_and_per_method_where_they_differ():
    assert _factors({"unet_roi": [7.5, 2.142857]}) == "×7.5, ×2.14"
    assert _factors({"a": [2.0], "b": [3.0]}) == "a: ×2; b: ×3"
    assert _factors({}).startswith("×1")
