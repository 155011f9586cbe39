"""The study report's numbers: summaries, paired changes and crossings against direct sums."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from benchmark.ground import store
from reports import study
from reports.stats import PATIENT_TEST
from reports.study import (
    FOLD_TEST,
    _factors,
    _verdict,
    _wall,
    build_study,
    change_table,
    paired_change,
    paired_test,
    shows_difference,
    summarise,
)


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


def _levels(*names, reference="a"):
    return [{"name": n, "label": f"level {n}", "reference": n == reference} for n in names]


def _three_levels(seed=0):
    """``_table`` with a third level ``c`` (a drop of 0.05) and a floor that reads no pixel."""
    table = _table(seed)
    third = table[table["level"] == "b"].assign(level="c", level_value=3.0,
                                                dice=lambda t: t["dice"] + 0.05)
    table = pd.concat([table, third], ignore_index=True)
    floor = table[table["method"] == "m1"].assign(method="floor", family="floor")
    floor["dice"] = 0.5 + 0.01 * floor["case"].str[1:].astype(int) % 7  # the same per level
    return pd.concat([table, floor], ignore_index=True)


def test_a_change_table_is_one_holm_family_and_only_its_survivors_are_findings(monkeypatch):
    table = _three_levels()
    known = {("m1", "b"): 0.01, ("m1", "c"): 0.04, ("m2", "b"): 0.03, ("m2", "c"): 0.02,
             ("floor", "b"): 0.001, ("floor", "c"): 0.001}
    monkeypatch.setattr(study, "paired_test", lambda here, there: {
        "test": "Wilcoxon over patients", "n_units": 15,
        "p": known[here["method"].iloc[0], here["level"].iloc[0]]})
    summary = summarise(table)
    t = change_table(table, summary, _levels("a", "b", "c"), condition="as run",
                     reference="a", reference_label="level a")
    # Holm over the 6 comparisons, by hand: sorted 0.001, 0.001, 0.01, 0.02, 0.03, 0.04
    # times 6, 5, 4, 3, 2, 1 -> 0.006, 0.005 -> 0.006, 0.04, 0.06, 0.06, 0.06 (monotone)
    assert t["n_tests"] == 6
    cells = {(row["method"], level): value for row in t["rows"]
             for level, value in zip(t["levels"], row["values"], strict=True)}
    assert cells["m1", "level b"]["p"] == "0.040" and cells["m2", "level c"]["p"] == "0.060"
    assert cells["m2", "level b"]["p"] == "0.060" and cells["m1", "level c"]["p"] == "0.060"
    # every change of m1 and m2 excludes 0 (a drop of 0.05-0.1); only m1 at b survives Holm
    assert [k for k, v in cells.items() if v["significant"]] == [("m1", "level b")]
    assert len(t["findings"]) == 1 and t["findings"][0].startswith("m1 at level b: -0.")
    # the floor's scores are the same at every level: no change, never a finding
    assert cells["floor", "level b"]["text"] == "no change (every case scores the same)"
    assert not cells["floor", "level b"]["significant"]


def test_a_change_of_plus_zero_is_not_shown_as_a_difference():
    table = _table()
    b = (table["level"] == "b") & (table["method"] == "m1")
    a = (table["level"] == "a") & (table["method"] == "m1")
    table.loc[b, "dice"] = table.loc[a, "dice"].to_numpy() + 1e-5  # tiny, always positive
    change = paired_change(table, "m1", condition="as run", level="b", reference="a")
    assert 0 < change["low"] and change["p"] < 0.001  # the old rule made it bold
    assert not shows_difference(change)
    t = change_table(table, summarise(table), _levels("a", "b"), condition="as run",
                     reference="a", reference_label="level a")
    cell = next(row["values"][0] for row in t["rows"] if row["method"] == "m1")
    # printed as no change (it was "+0.000 [+0.000, +0.000]", in bold), never a finding
    assert cell["text"] == "no change at three decimals" and not cell["significant"]
    assert [f.split(" at ")[0] for f in t["findings"]] == ["m2"]  # m2's drop of 0.1 is


def _deep_pair(rng, *, fold_sd=0.015, case_sd=0.01, n_folds=5, per_fold=12):
    """A deep model at two levels with no true change: each fold's training shifts its cases."""
    rows = []
    base = rng.uniform(0.7, 0.9, n_folds * per_fold)
    for level in ("a", "b"):
        shifts = rng.normal(0, fold_sd, n_folds)
        for case in range(n_folds * per_fold):
            fold = case // per_fold
            rows.append({"condition": "as run", "level": level, "method": "net",
                         "family": "deep", "fold": fold, "seed": 0, "case": f"c{case}",
                         "patient": f"p{case // 2}", "n_train_cases": 4 * per_fold,
                         "dice": base[case] + shifts[fold] + rng.normal(0, case_sd)})
    return pd.DataFrame(rows)


def test_a_deep_pair_is_tested_over_the_folds_with_the_corrected_t_test():
    table = _deep_pair(np.random.default_rng(1))
    here, there = (table[table["level"] == lv] for lv in ("b", "a"))
    out = paired_test(here, there)
    assert out["test"] == FOLD_TEST and out["n_units"] == 5
    # by hand: fold mean differences, variance (1 / 5 + 12 / 48) s^2, 4 degrees of freedom
    d = (here.groupby("fold")["dice"].mean() - there.groupby("fold")["dice"].mean()).to_numpy()
    t = d.mean() / np.sqrt((1 / 5 + 12 / 48) * d.var(ddof=1))
    assert out["p"] == pytest.approx(2 * stats.t.sf(abs(t), df=4))
    # a classical pair keeps the patient-level Wilcoxon test, over patient means
    classical = table.assign(family="classical")
    here, there = (classical[classical["level"] == lv] for lv in ("b", "a"))
    out = paired_test(here, there)
    per_patient = (here.set_index("case")["dice"] - there.set_index("case")["dice"]).groupby(
        here.set_index("case")["patient"]).mean()
    assert out["test"] == PATIENT_TEST and out["n_units"] == 15 * 2
    assert out["p"] == pytest.approx(stats.wilcoxon(per_patient.to_numpy()).pvalue)


def test_fold_level_tests_of_single_seed_deep_changes_keep_their_false_positive_rate():
    # no true change, the fold shifts of one training each (the seed SD of docs/methods.md)
    rng = np.random.default_rng(7)
    fold_hits = patient_hits = 0
    draws = 100
    for _ in range(draws):
        table = _deep_pair(rng)
        here, there = (table[table["level"] == lv] for lv in ("b", "a"))
        fold_hits += paired_test(here, there)["p"] < 0.05
        patient_hits += paired_test(here.assign(family="classical"),
                                    there.assign(family="classical"))["p"] < 0.05
    assert fold_hits / draws <= 0.08  # at or below the nominal 5 % (the test is cautious)
    assert patient_hits / draws > 0.25  # the per-patient test takes the training for an effect


def test_a_study_with_renamed_levels_and_folders_reports_the_same(study_folder, tmp_path):
    copy = tmp_path / "renamed"
    shutil.copytree(study_folder, copy)
    record = json.loads((copy / store.STUDY_JSON).read_text())
    names = {lv["name"]: f"level-{i}" for i, lv in enumerate(record["levels"])}
    for lv in record["levels"]:
        (copy / lv["run_dir"]).rename(copy / store.LEVELS_DIR / names[lv["name"]])
        lv["run_dir"] = f"{store.LEVELS_DIR}/{names[lv['name']]}"
        lv["name"] = names[lv["name"]]
    store.write_json(copy / store.STUDY_JSON, record)
    table = pd.read_csv(copy / store.STUDY_CSV, dtype={"case": str, "patient": str})
    store.write_csv(copy / store.STUDY_CSV, table.assign(level=table["level"].map(names)))
    before, after = build_study(study_folder), build_study(copy)
    # the same reference (the typed one, margins 10-30 %), the same numbers and words
    assert after["changes"][0]["reference"] == before["changes"][0]["reference"] == \
        "margins 10%-30%"
    assert after["tables"] == before["tables"] and after["changes"] == before["changes"]
    assert [lv["folder"] for lv in after["levels"]] == [
        f"levels/level-{i}" for i in range(len(names))]
    assert after["figure"].alt.replace("level-", "") == before["figure"].alt.replace(
        "level-", "")
