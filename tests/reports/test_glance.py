"""The report's "at a glance" block, its plain-text summary, the marks and the degenerate flags.

Each wording rule is checked on a synthetic run whose differences are known
(``synthetic.py``), then on the quick run of the fixtures.
"""

import numpy as np
import pandas as pd
import pytest

from reports.glance import QUICK_BANNER, glance_section, glance_text
from reports.inference import paired_tests
from reports.leaderboards import leaderboard_section, n_test_patients, smoke_test
from reports.stats import DEGENERATE_SHARE, WHOLE_CROP, leaderboard, whole_crop

from .synthetic import per_patient, synthetic_run


def glance_of(run):
    board = leaderboard_section(run, seed=0)
    glance = glance_section(board["tracks"], smoke_test=smoke_test(run.record),
                            n_test_patients=n_test_patients(run))
    return board, glance, " ".join(glance_text(glance, "report.html").split())


def track(glance, name):
    return next(t for t in glance["tracks"] if t["name"] == name)


def test_the_floor_is_the_strongest_floor_and_a_method_under_it_is_below_it(rng):
    n = 40
    base = per_patient(rng, n, 0.0, 0.02)
    run = synthetic_run({"box_ellipse": ("floor", True, 0.60 + base),
                         "box_shape": ("floor", True, 0.66 + base + rng.normal(0, 0.01, 2 * n)),
                         "roi_ellipse": ("reference", True, 0.55 + base),
                         "rg": ("classical", True, 0.43 + base + rng.normal(0, 0.02, 2 * n))})
    board, glance, text = glance_of(run)
    roi = board["tracks"][0]
    assert roi["floor"] == "box_shape" and roi["ranked"] == ["roi_ellipse", "rg"]
    rows = {r["method"]: r for r in roi["rows"]}
    assert rows["box_ellipse"]["weaker_floor"] and rows["box_shape"]["is_floor"]
    assert rows["rg"]["below_floor"] and rows["rg"]["floor_mark"] == "below the floor"
    assert roi["below_floor"] == ["roi_ellipse", "rg"]
    # the plots draw the strongest floor
    assert "the mean of the floor, box_shape" in roi["figures"][0].alt
    means = roi["board"]["dice_mean"]
    assert (f"Floor (the strongest of the pixel-free predictors that ran): box_shape "
            f"{means['box_shape']:.3f}; roi_ellipse is below the floor "
            f"({means['roi_ellipse'] - means['box_shape']:+.3f})") in text
    assert "NOT" not in text and "not above" not in text
    # the floors are not tested against their strongest one; the others are, one-sided
    floor_table = roi["tests"]["floor"]
    assert set(floor_table["method"]) == {"roi_ellipse", "rg"}
    assert set(floor_table["alternative"]) == {"greater"}


def test_a_higher_mean_without_a_one_sided_test_is_not_shown_above_the_floor():
    # the constructed case: per-patient differences with median -0.049, mean +0.003
    from .test_inference import constructed_floor_case

    d = np.repeat(constructed_floor_case(), 2)
    floor = np.full(len(d), 0.6)
    run = synthetic_run({"prior_disk": ("floor", False, floor),
                         "auto": ("classical", False, floor + d)}, n_patients=21)
    board, glance, text = glance_of(run)
    row = next(r for r in board["tracks"][0]["rows"] if r["method"] == "auto")
    assert row["floor_mark"] == "not shown above the floor" and row["floor_p"] == "0.996"
    assert ("auto is not shown above the floor (+0.003, p 0.996, one-sided, Holm); this run "
            "could detect differences of ") in text
    assert board["tracks"][0]["not_shown"] == ["auto"]


def test_a_test_that_finds_nothing_says_what_the_run_could_have_detected(rng):
    n = 40
    base = per_patient(rng, n, 0.75, 0.05)
    run = synthetic_run({"a": ("classical", True, base + rng.normal(0, 0.03, 2 * n)),
                         "b": ("classical", True, base + rng.normal(0, 0.03, 2 * n)),
                         "c": ("classical", True, base - 0.1 + rng.normal(0, 0.03, 2 * n))})
    board, glance, text = glance_of(run)
    roi = board["tracks"][0]
    best, runner = roi["ranked"][:2]
    table = paired_tests(run.metrics, ["a", "b", "c"], against=best).set_index("method")
    assert table.loc[runner, "p_holm"] > 0.05 and table.loc["c", "p_holm"] < 0.05
    mde = table.loc[runner, "mde"]
    assert mde == pytest.approx(table.loc[runner, "mde"]) and 0 < mde < 0.05
    expected = (f"runner-up {runner}, {track(glance, 'ROI given')['runner_up']['dice']} "
                f"({track(glance, 'ROI given')['runner_up']['ci']}): no difference detected "
                f"(p {table.loc[runner, 'p_holm']:.3f}, Holm); this run could detect "
                f"differences of {mde:.3f} or more (power 0.8)")
    assert expected in text
    assert "a tie" not in text
    found = {r["method"]: r for r in roi["test_tables"][0]["rows"]}
    assert found["c"]["finding"].startswith("a significant difference (p ")
    assert found[runner]["finding"].startswith("no difference detected (p ")
    assert found["c"]["significant"] and not found[runner]["significant"]


def test_a_smoke_test_shows_p_values_but_no_significance_and_no_order(rng):
    n = 40
    base = per_patient(rng, n, 0.75, 0.05)
    methods = {"prior": ("floor", True, base - 0.2),
               "a": ("classical", True, base + 0.1 + rng.normal(0, 0.03, 2 * n)),
               "b": ("classical", True, base + rng.normal(0, 0.03, 2 * n))}
    # behaviour on the recorded fact, not the profile's name
    quick = synthetic_run(methods, profile="standard", smoke_test=True)
    board, glance, text = glance_of(quick)
    assert glance["banner"] == QUICK_BANNER and not glance["claims"]
    words = [text] + [r["finding"] for t in board["tracks"] for table in t["test_tables"]
                      for r in table["rows"]] + [r["floor_mark"] for t in board["tracks"]
                                                 for r in t["rows"]]
    joined = " ".join(words).lower()
    assert "significant" not in joined and "best" not in joined and "runner-up" not in joined
    assert "above the floor" not in joined.replace("higher in mean than the floor", "")
    assert "p < 0.001 (holm)" in joined  # the p-values are shown
    assert "highest mean dice (a smoke test, not a ranking): a" in text.lower()
    assert not any(r["significant"] for t in board["tracks"] for table in t["test_tables"]
                   for r in table["rows"])
    standard = synthetic_run(methods, profile="quick", smoke_test=False)
    _, glance, text = glance_of(standard)
    assert glance["banner"] is None and "a has the best mean Dice" in text
    assert "a significant difference" in text and "a is above the floor by" in text


def test_a_small_sample_is_warned_about_in_the_glance_and_the_summary(rng):
    small = synthetic_run({"a": ("classical", True, rng.uniform(0.6, 0.9, 12)),
                           "b": ("classical", True, rng.uniform(0.6, 0.9, 12))},
                          n_patients=6, n_folds=2)
    _, glance, text = glance_of(small)
    warning = ("Small sample: the test parts hold 6 patients in all; with fewer than 10 the "
               "intervals and tests are unreliable.")
    assert glance["small_sample"] == warning and f"WARNING: {warning}" in text
    large = synthetic_run({"a": ("classical", True, rng.uniform(0.6, 0.9, 20)),
                           "b": ("classical", True, rng.uniform(0.6, 0.9, 20))},
                          n_patients=10, n_folds=2)
    _, glance, text = glance_of(large)
    assert glance["small_sample"] is None and "Small sample" not in text


@pytest.mark.parametrize("gap, claim", [(6.0, True), (0.0, False)])
def test_by_hd95_the_best_only_when_its_test_against_the_dice_leader_says_so(rng, gap, claim):
    n = 40
    base = per_patient(rng, n, 0.75, 0.05)
    y = base + 0.05 + rng.normal(0, 0.01, 2 * n)  # the Dice leader
    x = base + rng.normal(0, 0.01, 2 * n)
    hd_y = 10 + rng.normal(0, 1.0, 2 * n)
    noise = rng.normal(0, 3.0, 2 * n)
    hd_x = hd_y - gap - 0.2 + noise - noise.mean()  # a lower mean HD95
    run = synthetic_run({"y": ("classical", True, y), "x": ("classical", True, x)},
                        hd95={"y": hd_y, "x": hd_x})
    _, glance, text = glance_of(run)
    sentence = track(glance, "ROI given")["hd95"]
    table = paired_tests(run.metrics, ["x", "y"], "hd95", against="x").set_index("method")
    p = table.loc["y", "p_holm"]
    assert (p < 0.05) == claim
    if claim:
        assert sentence.startswith("By HD95 the best is x (p ") and "against y" in sentence
    else:
        assert sentence == ("Lowest mean HD95 of the ranked methods: x (no difference from y "
                            f"detected, p {p:.3f}, Holm).")
        assert "By HD95 the best" not in text
    assert sentence in text


def test_each_deep_model_has_its_ceiling_and_the_share_of_its_gap(rng):
    n = 40
    base = per_patient(rng, n, 0.0, 0.02)
    score = 0.85 + base - base.mean()
    ceiling = np.full(2 * n, 0.95)
    hits = np.zeros(2 * n)
    hits[:43] = 1  # 43 of 80 cases: 54 %
    run = synthetic_run({"prior_disk": ("floor", False, 0.5 + base),
                         "unet": ("deep", False, score + rng.normal(0, 0.01, 2 * n)),
                         "rg_auto": ("classical", False, 0.6 + base)},
                        extra={"unet": {"ceiling_dice": ceiling},
                               "prior_disk": {"ceiling_dice": np.full(2 * n, np.nan)},
                               "rg_auto": {"seed_hit": hits}})
    board, glance, text = glance_of(run)
    auto = board["tracks"][0]
    rows = {r["method"]: r for r in auto["rows"]}
    assert rows["unet"]["ceiling"] == "0.950" and rows["rg_auto"]["ceiling"] == "–"
    assert board["has_ceiling"]
    assert rows["rg_auto"]["seed_hit"] == "seed in lesion: 54 %" and rows["unet"]["seed_hit"] == ""
    share = (1 - 0.95) / (1 - board["tracks"][0]["board"].loc["unet", "dice_mean"])
    expected = (f"unet: ceiling 0.950 (score {auto['board'].loc['unet', 'dice_mean']:.3f}): "
                f"the input size is {100 * share:.0f} % of its gap to a perfect score")
    assert track(glance, "automatic")["ceilings"] == [expected]
    assert expected in text and "Resolution ceilings" in text


def test_a_trained_model_on_two_folds_with_one_seed_cannot_be_tested(rng):
    n = 20
    base = per_patient(rng, n, 0.7, 0.05)
    run = synthetic_run({"unet": ("deep", False, base + 0.05),
                         "otsu": ("classical", False, base)}, n_patients=n, n_folds=2)
    board, glance, text = glance_of(run)
    runner = track(glance, "automatic")["runner_up"]
    assert runner["finding"] == ("cannot be tested: 2 folds, one training each; a test over "
                                 "folds needs at least 3")
    row = board["tracks"][0]["test_tables"][0]["rows"][0]
    assert row["test"] == "corrected t, folds" and row["p_holm"] == "–"
    # with two seeds the same run is tested over seeds and patients
    seeded = synthetic_run({"unet": ("deep", False, np.stack([base + 0.05, base + 0.04])),
                            "otsu": ("classical", False, base)}, n_patients=n, n_folds=2)
    board, _, _ = glance_of(seeded)
    row = board["tracks"][0]["test_tables"][0]["rows"][0]
    assert row["test"] == "bootstrap, seeds and patients" and row["p_holm"] != "–"


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


def test_glance_of_the_quick_run_names_each_tracks_leader_and_floor(report_run):
    from reports.rundata import load_run

    run = load_run(report_run)
    html = (report_run / "report.html").read_text()
    # the block comes first: before the dataset section
    assert 0 < html.index('id="glance"') < html.index('id="dataset"')
    assert QUICK_BANNER in html  # the fixture is a quick run
    summary = (report_run / "summary.txt").read_text()
    assert str((report_run / "report.html").resolve()) in summary
    assert "quick profile: a smoke test" in summary
    means = run.metrics.groupby("method")["dice"].mean()
    meta = run.record["methods"]
    tracks = {"ROI given": [m for m in run.methods if meta[m]["needs_roi"]],
              "automatic": [m for m in run.methods if not meta[m]["needs_roi"]]}
    floors = {name: [m for m in methods if meta[m]["family"] == "floor"]
              for name, methods in tracks.items()}
    assert floors["automatic"]  # the fixture runs every floor
    for name, methods in tracks.items():
        ranked = sorted([m for m in methods if m not in floors[name]], key=lambda m: -means[m])
        text = summary.split(f"Track {name}:", 1)[1].split("\n  Track ", 1)[0]
        line = " ".join(text.split())
        assert (f"highest mean Dice (a smoke test, not a ranking): {ranked[0]}, "
                f"{means[ranked[0]]:.3f}") in line
        if floors[name]:
            floor = max(floors[name], key=lambda m: means[m])
            assert (f"Floor (the strongest of the pixel-free predictors that ran): {floor} "
                    f"{means[floor]:.3f}") in line
        if len(ranked) > 1:
            assert f"next {ranked[1]}, {means[ranked[1]]:.3f}" in line
        assert "significant" not in line and "best" not in line
    # the quick run trains the CAE once on two folds: its comparisons cannot be tested
    assert "cannot be tested: 2 folds, one training each" in html


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


@pytest.mark.parametrize("smoke, banner", [(True, True), (False, False)])
def test_only_a_smoke_test_carries_the_banner(smoke, banner):
    glance = glance_section([], smoke_test=smoke)
    assert (glance["banner"] == QUICK_BANNER) == banner


def test_the_method_that_shares_the_references_algorithm_is_flagged(rng):
    base = per_patient(rng, 40, 0.0, 0.02)
    run = synthetic_run({"box_shape": ("floor", True, 0.70 + base),
                         "radial_maxvar": ("classical", True, 0.72 + base),
                         "gac": ("classical", True, 0.55 + base)})
    assert not any(r["shares_reference"] for r in leaderboard_section(
        run, seed=0, figures=False)["tracks"][0]["rows"])
    run.record["dataset"] = {"reference_algorithm": "radial_maxvar",
                             "reference_algorithm_from": "assumed for a course folder"}
    roi = leaderboard_section(run, seed=0, figures=False)["tracks"][0]
    assert {r["method"]: r["shares_reference"] for r in roi["rows"]} == {
        "radial_maxvar": True, "box_shape": False, "gac": False}
    assert roi["shares_reference"] == ["radial_maxvar"]
    assert roi["reference_algorithm_from"] == "assumed for a course folder"


def test_floors_carry_no_rank_and_the_methods_are_ranked_without_them(rng):
    base = per_patient(rng, 40, 0.0, 0.02)
    run = synthetic_run({"box_shape": ("floor", True, 0.80 + base),
                         "box_ellipse": ("floor", True, 0.60 + base),
                         "radial_maxvar": ("classical", True, 0.72 + base),
                         "roi_ellipse": ("reference", True, 0.65 + base),
                         "gac": ("classical", True, 0.55 + base)})
    rows = leaderboard_section(run, seed=0, figures=False)["tracks"][0]["rows"]
    assert [(r["method"], r["rank"]) for r in rows] == [
        ("box_shape", ""), ("radial_maxvar", 1), ("roi_ellipse", 2), ("box_ellipse", ""),
        ("gac", 3)]
