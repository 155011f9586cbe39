"""The report's "at a glance" block, its plain-text summary and the degenerate-output flags."""

import numpy as np
import pandas as pd
import pytest

from reports.glance import QUICK_BANNER, verdict
from reports.stats import DEGENERATE_SHARE, WHOLE_CROP, leaderboard, whole_crop


def _rows(method, predicted_share, n=8, size=100):
    """Metric rows of ``n`` cases whose predicted masks cover ``predicted_share`` of the crop."""
    rows = []
    for i in range(n):
        predicted = int(round(predicted_share[i] * size))
        reference = 20
        tp = min(predicted, reference)
        rows.append({"method": method, "fold": 0, "seed": 0, "case": f"c{i}",
                     "patient": f"p{i}", "label": i % 2, "tp": tp, "fp": predicted - tp,
                     "fn": reference - tp, "tn": size - predicted - (reference - tp),
                     "dice": 2 * tp / (predicted + reference), "jaccard": np.nan,
                     "hd95": 1.0, "assd": 1.0, "empty_flag": predicted == 0})
    return rows


def test_whole_crop_and_degenerate_follow_their_thresholds():
    n = 8
    allowed = int(DEGENERATE_SHARE * n)  # this many failures are tolerated
    ok = [0.25] * n
    tolerated = [0.0] * allowed + [0.25] * (n - allowed)
    failing = [0.0] * allowed + [WHOLE_CROP] + [0.25] * (n - allowed - 1)
    metrics = pd.DataFrame(_rows("ok", ok) + _rows("tolerated", tolerated)
                           + _rows("failing", failing))
    assert whole_crop(metrics).sum() == 1
    board = leaderboard(metrics, ["ok", "tolerated", "failing"])
    assert not board.loc["ok", "degenerate"]
    assert not board.loc["tolerated", "degenerate"]
    assert board.loc["failing", "degenerate"]
    assert board.loc["failing", "n_empty"] == allowed
    assert board.loc["failing", "n_whole"] == 1


def test_the_verdict_says_when_the_best_is_not_above_the_floor():
    track = {"name": "ROI given", "floor": "roi_ellipse", "floor_dice": "0.930",
             "best": {"method": "otsu", "dice": "0.900", "ci": "0.880-0.920",
                      "vs_floor": "-0.030", "floor_p": "0.010", "above_floor": False},
             "runner_up": {"method": "radial", "dice": "0.890", "ci": "0.870-0.910",
                           "p": "0.400", "differ": False}}
    text = verdict(track)
    assert "NOT significantly above" in text and "a tie on this data" in text
    track["best"]["above_floor"] = True
    track["runner_up"]["differ"] = True
    text = verdict(track)
    assert "above it by -0.030" in text and "significant difference (p 0.400" in text


def test_glance_names_each_tracks_best_runner_up_and_floor(report_run):
    from reports.rundata import load_run
    from reports.stats import paired_tests

    run = load_run(report_run)
    html = (report_run / "report.html").read_text()
    # the block comes first: before the dataset section
    assert 0 < html.index('id="glance"') < html.index('id="dataset"')
    assert QUICK_BANNER in html  # the fixture is a quick run
    summary = (report_run / "summary.txt").read_text()
    assert str((report_run / "report.html").resolve()) in summary
    assert "quick profile: a smoke test" in summary
    means = run.metrics.groupby("method")["dice"].mean()
    tracks = {"ROI given": (["otsu", "region_growing"], "roi_ellipse"),
              "automatic": (["cae"], "prior_disk")}
    for name, (methods, floor) in tracks.items():
        ranked = sorted(methods, key=lambda m: -means[m])
        # a track's entry: its first line and the indented lines that continue it
        text = summary.split(f"Track {name}:", 1)[1].split("\n  Track ", 1)[0]
        line = " ".join(text.split())
        assert f"{ranked[0]} has the best mean Dice, {means[ranked[0]]:.3f}" in line
        assert f"Floor {floor} {means[floor]:.3f}" in line
        if len(ranked) > 1:
            tests = paired_tests(run.metrics, methods + [floor], "dice").set_index("method")
            if tests["best"].iloc[0] == ranked[0]:
                p = tests.loc[ranked[1], "p_holm"]
                assert ("a significant difference" in line) == (p < 0.05)
            assert f"runner-up {ranked[1]}, {means[ranked[1]]:.3f}" in line


def test_degenerate_methods_are_flagged_where_they_show(report_run):
    from reports.rundata import load_run

    run = load_run(report_run)
    html = (report_run / "report.html").read_text()
    summary = (report_run / "summary.txt").read_text()
    for method, part in run.metrics.groupby("method"):
        empty = int(((part["tp"] + part["fp"]) == 0).sum())
        whole = int(whole_crop(part).sum())
        degenerate = empty + whole > DEGENERATE_SHARE * part["case"].nunique()
        flagged = f"{method} (" in summary and "Degenerate output" in summary
        assert flagged == degenerate, method
        if degenerate:
            assert f"{empty} of {part['case'].nunique()} masks empty" in html or whole
    if "empty prediction" in html:  # the gallery labels an empty mask as such
        assert 'class="flag">empty prediction' in html


@pytest.mark.parametrize("profile, banner", [("quick", True), ("standard", False)])
def test_only_a_quick_report_carries_the_smoke_test_banner(profile, banner):
    from reports.glance import glance_section

    glance = glance_section([], {}, {}, profile=profile)
    assert (glance["banner"] == QUICK_BANNER) == banner
