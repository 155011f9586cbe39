"""Studies: their levels, the long table, the report, bad input and resume after a kill."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.ground import store
from benchmark.ground.roi import draw_roi
from benchmark.harness.cells import TIMING_COLUMNS
from benchmark.harness.cli import STUDY_NAMES
from benchmark.harness.profiles import get_profile
from benchmark.harness.studies import STUDIES, scaled_profile, study_methods

ROOT = Path(__file__).resolve().parents[3]
#: The classical study tests do not touch Keras: they run once, in the TensorFlow environment.
backend_independent = pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="backend-independent; runs in the tensorflow environment")


def cli(*args, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "benchmark", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=600, **kwargs)


def results(folder: Path) -> pd.DataFrame:
    table = pd.read_csv(folder / store.STUDY_CSV, dtype={"case": str, "patient": str})
    return table.drop(columns=TIMING_COLUMNS)


def test_the_command_line_offers_every_study():
    assert STUDY_NAMES == tuple(STUDIES)


def test_scaled_profile_keeps_the_optimizer_steps():
    standard = get_profile("standard")
    quarter = scaled_profile(standard, 0.25)
    for key in ("epochs", "patience", "min_epochs", "lr_patience"):
        assert quarter.deep[key] == int(np.ceil(standard.deep[key] / 0.25))
    assert quarter.deep["batch_size"] == standard.deep["batch_size"]
    assert scaled_profile(standard, 1.0) is standard


def test_roi_looseness_keeps_the_semi_automatic_methods_of_all():
    methods = study_methods(STUDIES["roi-looseness"], every=True)
    assert "region_growing" in methods and "unet_roi" in methods
    assert "prior_disk" not in methods and "unet" not in methods


@backend_independent
def test_roi_looseness_draws_each_level_s_boxes_and_writes_one_long_table(tmp_path):
    out = tmp_path / "study"
    done = cli("study", "roi-looseness", "--methods", "region_growing,roi_ellipse",
               "--profile", "quick", "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"study folder: {out}"
    record = json.loads((out / "study.json").read_text())
    assert record["status"] == "complete" and record["study"] == "roi-looseness"
    levels = [lv["name"] for lv in record["levels"]]
    assert levels == [lv.name for lv in STUDIES["roi-looseness"].levels]
    table = results(out)
    # one row per (level, method, fold, case): 40 test cases in each of 4 levels
    assert len(table) == 4 * 2 * 40
    assert set(table.groupby(["level", "method"]).size()) == {40}
    cases = {c: np.load(out / "levels" / levels[0] / store.CASES_NPZ)[f"mask_{i}"]
             for i, c in enumerate(np.load(out / "levels" / levels[0] / store.CASES_NPZ)
                                   ["case_ids"].tolist())}
    for level in STUDIES["roi-looseness"].levels:
        rois = pd.read_csv(out / "levels" / level.name / store.ROIS_CSV, dtype={"case": str})
        low, high = (float(v) for v in level.name.removeprefix("margin_").split("-"))
        for row in rois.head(5).itertuples():  # the runner's draw at this level's margins
            assert (row.row_min, row.row_max, row.col_min, row.col_max) == draw_roi(
                cases[row.case], seed=12345, case_id=row.case, margin=(low, high))
    # a looser box can only make the inscribed ellipse worse on average
    ellipse = table[table["method"] == "roi_ellipse"].groupby("level")["dice"].mean()
    assert ellipse[levels[0]] > ellipse[levels[1]] > ellipse[levels[2]] > ellipse[levels[3]]
    html = (out / "report.html").read_text()
    assert "How much does a semi-automatic method depend" in html
    assert "Smoke test" in html and html.count("data:image/png;base64,") == 1


@backend_independent
def test_learning_curve_levels_are_nested_and_tested_on_the_same_cases(tmp_path):
    out = tmp_path / "lc"
    done = cli("study", "learning-curve", "--methods", "region_growing_auto,prior_disk",
               "--profile", "quick", "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    splits = [json.loads((out / "levels" / lv.name / store.SPLITS_JSON).read_text())
              for lv in STUDIES["learning-curve"].levels]
    for smaller, larger in zip(splits, splits[1:], strict=False):
        for a, b in zip(smaller["folds"], larger["folds"], strict=True):
            assert set(a["train"]) < set(b["train"]) and a["test"] == b["test"]
    table = results(out)
    sizes = table.groupby("level")["n_train_cases"].mean()
    assert list(sizes.sort_values().index) == [lv.name for lv in
                                               STUDIES["learning-curve"].levels]
    per_level = table.groupby("level")["case"].apply(lambda c: tuple(sorted(c)))
    assert per_level.nunique() == 1
    # the prior disk learned from fewer masks sits elsewhere: its score moves with the size
    disk = table[table["method"] == "prior_disk"].groupby("level")["dice"].mean()
    assert disk.nunique() > 1
    html = (out / "report.html").read_text()
    assert "Where the deep models cross" not in html  # no deep model ran


@backend_independent
def test_robustness_tests_the_default_models_at_every_level_on_the_same_masks(tmp_path):
    out = tmp_path / "rob"
    done = cli("study", "robustness", "--methods", "region_growing,roi_ellipse,prior_disk",
               "--profile", "quick", "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    table = results(out)
    assert set(table["condition"]) == {"trained at default", "matched"}
    assert len(table) == 2 * 4 * 3 * 40
    # the reference mask of a case (tp + fn pixels) is the same at every difficulty
    area = table.assign(area=table["tp"] + table["fn"]).groupby("case")["area"].nunique()
    assert (area == 1).all()
    # at the default level both conditions are the same models on the same images
    default = table[table["level"] == "difficulty_0.50"]
    a = default[default["condition"] == "matched"].reset_index(drop=True)
    b = default[default["condition"] == "trained at default"].reset_index(drop=True)
    pd.testing.assert_frame_equal(a.drop(columns="condition"), b.drop(columns="condition"))
    # the floors read no pixel; region growing does, and the images differ between levels
    for method, moves in (("roi_ellipse", False), ("prior_disk", False),
                          ("region_growing", True)):
        means = table[(table["method"] == method) & (table["condition"] == "matched")] \
            .groupby("level")["dice"].mean()
        assert (means.nunique() > 1) == moves, method
    assert "trained at default" in (out / "report.html").read_text()


@backend_independent
def test_a_study_refuses_bad_input_in_one_line_and_writes_nothing(tmp_path):
    assert cli("make-phantom", tmp_path / "data", "--cases", 12, "--size", 32).returncode == 0
    cases = [
        (("robustness", "--methods", "otsu", "--data", tmp_path / "data"), "phantom"),
        (("roi-looseness", "--methods", "otsu,region_growing_auto"), "automatic"),
        (("roi-looseness", "--methods", "otsu", "--roi-margin", "0,0"), "--roi-margin"),
        (("learning-curve", "--methods", "otsu,nope"), "nope"),
        (("learning-curves", "--methods", "otsu"), "invalid choice"),
    ]
    for args, words in cases:
        out = tmp_path / "never"
        done = cli("study", *args, "--profile", "quick", "--out", out)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "Traceback" not in done.stderr, lines
        assert not out.exists()


@backend_independent
def test_a_study_continued_with_other_settings_is_refused(tmp_path):
    out = tmp_path / "s"
    args = ("study", "roi-looseness", "--profile", "quick", "--out", out, "--quiet")
    assert cli(*args, "--methods", "roi_ellipse").returncode == 0
    before = (out / store.STUDY_CSV).read_bytes()
    again = cli(*args, "--methods", "roi_ellipse,region_growing")
    assert again.returncode == 2 and "--all/--methods differs" in again.stderr
    assert (out / store.STUDY_CSV).read_bytes() == before


@backend_independent
def test_sigkill_during_a_study_then_rerun_gives_the_uninterrupted_table(tmp_path):
    args = ["study", "roi-looseness", "--methods", "radial_maxvar,region_growing", "--profile",
            "quick", "--jobs", "1", "--quiet"]
    reference = cli(*args, "--out", tmp_path / "whole")
    assert reference.returncode == 0, reference.stderr
    out = tmp_path / "killed"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "benchmark", *args, "--out", str(out)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list(out.glob("levels/*/cells/*/*/done.json"))) < 3 and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # most likely inside a radial cell now
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / store.STUDY_CSV).exists()  # the kill came before the end
    resumed = cli(*args, "--out", out)
    assert resumed.returncode == 0, resumed.stderr
    pd.testing.assert_frame_equal(results(tmp_path / "whole"), results(out))
    record = json.loads((out / store.STUDY_JSON).read_text())
    assert record["status"] == "complete" and len(record["attempts"]) == 2


def test_robustness_with_a_deep_model_scores_its_default_training_at_every_level(tmp_path):
    out = tmp_path / "deep"
    done = cli("study", "robustness", "--methods", "unet_course", "--profile", "quick",
               "--jobs", "1", "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    table = results(out)
    transfer = table[table["condition"] == "trained at default"]
    assert transfer.groupby("level").size().to_dict() == {
        lv.name: 40 for lv in STUDIES["robustness"].levels}
    # the models trained at the default level were fitted once per fold, not per level
    default = out / "levels" / "difficulty_0.50" / "cells" / "unet_course"
    assert sorted(p.name for p in default.glob("fold_0/metrics_*.csv")) == [
        "metrics_difficulty_0.25.csv", "metrics_difficulty_0.75.csv",
        "metrics_difficulty_1.00.csv"]
