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
from benchmark.ground.errors import InputError
from benchmark.ground.roi import draw_roi
from benchmark.harness import studies, study_registry
from benchmark.harness.cells import TIMING_COLUMNS
from benchmark.harness.cli import build_parser
from benchmark.harness.profiles import get_profile
from benchmark.harness.studies import (
    STUDIES,
    deep_settings,
    epoch_factor,
    scaled_profile,
    steps_per_epoch,
    study_methods,
)

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


def test_the_command_line_offers_every_study_of_the_registry():
    assert list(STUDIES) == list(study_registry.STUDIES)
    assert all(study.name == name for name, study in STUDIES.items())
    study = build_parser()._subparsers._group_actions[0].choices["study"]
    text = study.format_help()
    for name, entry in study_registry.STUDIES.items():
        assert name in text and entry.description.split(" (")[0] in " ".join(text.split())


def test_scaled_profile_scales_one_method_s_epoch_counts():
    standard = get_profile("standard")
    scaled = scaled_profile(standard, "unet", 2.5)
    for key in ("epochs", "patience", "min_epochs", "lr_patience"):
        assert scaled.deep_per_model["unet"][key] == int(np.ceil(standard.deep[key] * 2.5))
        assert scaled.deep[key] == standard.deep[key]  # the other methods keep theirs
    # the model's own settings (its widths) are kept beside the scaled counts
    assert scaled.deep_per_model["unet"]["model_kwargs"] == \
        standard.deep_per_model["unet"]["model_kwargs"]
    assert scaled_profile(standard, "unet", 1.0) is standard


def test_epoch_factor_is_the_ratio_of_steps_per_epoch_not_the_share():
    # 10 % of 115 training cases is 12 cases: 2 batches of 8, not 115 / 8 / 10
    assert steps_per_epoch(115, 8) == 15 and steps_per_epoch(12, 8) == 2
    assert epoch_factor(115, 12, 8) == 7.5
    assert epoch_factor(40, 3, 8) == 5.0  # fewer cases than a batch: one step an epoch


def test_learning_curve_deep_cells_get_the_full_part_s_steps_per_fold(tmp_path):
    pytest.importorskip("keras")
    from benchmark.ground.data import make_phantom
    from benchmark.ground.splits import make_splits
    from benchmark.harness.methods import make_method

    study, prof = STUDIES["learning-curve"], get_profile("standard")
    dataset = make_phantom(60, size=32)
    splits = make_splits(dataset, n_folds=3, seed=1)
    plans = study.plans(["unet_roi", "otsu"], {lv.name: dataset for lv in study.levels},
                        splits, data="phantom", prof=prof, folds=3, seed=1, seeds=1,
                        roi_margin=[0.1, 0.3], out=tmp_path, command=None,
                        executor="sequential")
    full_train = {f["fold"]: len(f["train"]) for f in splits["folds"]}
    batch = prof.deep["batch_size"]
    checked = 0
    for level, _, plan in plans:
        sizes = {f["fold"]: len(f["train"]) for f in plan.splits["folds"]}
        assert plan.pending == plan.tasks  # the pending cells are the scaled ones
        for task in plan.tasks:
            model = make_method(task.method, task.profile, seed=0)
            if task.method == "otsu":
                assert task.profile is prof
                continue
            full_epochs = deep_settings(prof, task.method)["epochs"]  # the model's own cap
            full_steps = full_epochs * steps_per_epoch(full_train[task.fold], batch)
            steps = model.epochs * steps_per_epoch(sizes[task.fold], batch)
            # as many steps as with the full training part, to within one epoch's
            assert full_steps <= steps < full_steps + steps_per_epoch(sizes[task.fold], batch)
            assert model.patience >= deep_settings(prof, task.method)["patience"]
            checked += level.params["fraction"] < 1
        study_level = json.loads((plan.out / store.RUN_JSON).read_text())["settings"][
            "study_level"]
        assert study_level["params"] == level.params  # the typed level, in run.json
        assert (level.params["fraction"] < 1) == bool(study_level["epoch_factors"])
    assert checked == 3 * 3  # three subsampled levels, three folds


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
    study = STUDIES["roi-looseness"]
    levels = [lv["name"] for lv in record["levels"]]
    assert levels == [lv.name for lv in study.levels]
    # the levels are typed: their margins are parameters, the reference is marked
    assert [lv["params"] for lv in record["levels"]] == [
        {"roi_margin": [0.0, 0.0]}, {"roi_margin": [0.1, 0.3]}, {"roi_margin": [0.3, 0.6]},
        {"roi_margin": [0.6, 1.0]}]
    assert [lv["reference"] for lv in record["levels"]] == [False, True, False, False]
    table = results(out)
    # one row per (condition, level, method, fold, case): 40 test cases, 4 levels, 2 conditions
    assert len(table) == 2 * 4 * 2 * 40
    assert set(table.groupby(["condition", "level", "method"]).size()) == {40}
    cases = {c: np.load(out / "levels" / levels[0] / store.CASES_NPZ)[f"mask_{i}"]
             for i, c in enumerate(np.load(out / "levels" / levels[0] / store.CASES_NPZ)
                                   ["case_ids"].tolist())}
    for level in record["levels"]:
        rois = pd.read_csv(out / level["run_dir"] / store.ROIS_CSV, dtype={"case": str})
        margin = tuple(level["params"]["roi_margin"])
        for row in rois.head(5).itertuples():  # the runner's draw at this level's margins
            assert (row.row_min, row.row_max, row.col_min, row.col_max) == draw_roi(
                cases[row.case], seed=12345, case_id=row.case, margin=margin)
    # a looser box can only make the inscribed ellipse worse on average
    matched = table[table["condition"] == "matched"]
    ellipse = matched[matched["method"] == "roi_ellipse"].groupby("level")["dice"].mean()
    assert ellipse[levels[0]] > ellipse[levels[1]] > ellipse[levels[2]] > ellipse[levels[3]]
    html = (out / "report.html").read_text()
    assert "How much does a semi-automatic method depend" in html
    assert "Smoke test" in html and html.count("data:image/png;base64,") == 1
    # the change tables are Holm families, and the report says over how many
    assert "<strong>Bold</strong> is a finding and needs both" in html
    assert html.count("after Holm over the 6 comparisons of this table") == 2 * 2


@backend_independent
def test_roi_looseness_tests_the_default_box_models_with_every_level_s_boxes(tmp_path):
    out = tmp_path / "crossed"
    studies.run_study("roi-looseness", ["region_growing", "roi_ellipse"], profile="quick",
                      out=out, quiet=True)
    table = results(out).set_index(["condition", "level", "method", "fold", "case"])
    study = STUDIES["roi-looseness"]
    default = study.reference().name
    assert default == "margin_0.10-0.30"
    transfer, matched = table.loc["trained at default"], table.loc["matched"]
    # the same test cases, fold by fold, in both conditions at every level
    assert transfer.index.equals(matched.index)
    # the default level's cells fitted once and scored the other levels' boxes beside
    cell = out / "levels" / default / "cells" / "region_growing" / "fold_0"
    assert sorted(p.name for p in cell.glob("metrics_*.csv")) == [
        f"metrics_{lv.name}.csv" for lv in study.levels if lv.name != default]
    # the inscribed ellipse learns nothing from its training boxes: with a level's boxes
    # it scores as that level's own run does, so the transfer rows use that level's boxes
    ellipse = (transfer.xs("roi_ellipse", level="method")["dice"],
               matched.xs("roi_ellipse", level="method")["dice"])
    pd.testing.assert_series_equal(*ellipse)
    # region growing is tuned with its training boxes: at the default level both conditions
    # are one model, elsewhere the model tuned with 10-30 % boxes scores otherwise
    grower = (transfer.xs("region_growing", level="method")["dice"],
              matched.xs("region_growing", level="method")["dice"])
    pd.testing.assert_series_equal(grower[0].loc[default], grower[1].loc[default])
    assert not np.allclose(grower[0].loc["margin_0.00-0.00"],
                           grower[1].loc["margin_0.00-0.00"])
    # the default level's run folder says it was tested elsewhere (checked on resume)
    run = json.loads((out / "levels" / default / store.RUN_JSON).read_text())
    assert run["settings"]["study_level"]["tested_at"] == sorted(
        lv.name for lv in study.levels if lv.name != default)


def test_a_study_folder_of_the_untyped_format_is_not_continued(tmp_path):
    out = tmp_path / "old"
    out.mkdir()
    settings = {"study": "roi-looseness", "data": "phantom", "profile": "quick", "folds": 2,
                "seed": 12345, "seeds": 1, "roi_margin": None, "methods": ["roi_ellipse"]}
    store.write_json(out / store.STUDY_JSON, {"massbench_study": 1, "settings": settings,
                                              "status": "running"})
    with pytest.raises(InputError, match="older massbench"):
        _study(out)
    assert sorted(p.name for p in out.iterdir()) == [store.STUDY_JSON]


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
        (("learning-curves", "--methods", "otsu"), "unknown study"),
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


def _study(out, **options):
    return studies.run_study("roi-looseness", ["roi_ellipse"], profile="quick", out=out,
                             quiet=True, **options)


@backend_independent
def test_a_study_killed_while_preparing_its_levels_continues(tmp_path, monkeypatch):
    real = studies.base.prepare_run
    calls = []

    def killed_on_the_second_level(*args, **kwargs):
        calls.append(kwargs["out"])
        if len(calls) == 2:  # the runner had written the split, not yet run.json
            kwargs["out"].mkdir(parents=True)
            (kwargs["out"] / store.SPLITS_JSON).write_text("{}")
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(studies.base, "prepare_run", killed_on_the_second_level)
    with pytest.raises(KeyboardInterrupt):
        _study(tmp_path / "killed")
    record = json.loads((tmp_path / "killed" / store.STUDY_JSON).read_text())
    assert record["status"] == "preparing" and record["levels"] == []
    monkeypatch.setattr(studies.base, "prepare_run", real)
    _study(tmp_path / "killed")  # the same command continues it
    _study(tmp_path / "whole")
    record = json.loads((tmp_path / "killed" / store.STUDY_JSON).read_text())
    assert record["status"] == "complete" and len(record["attempts"]) == 2
    pd.testing.assert_frame_equal(results(tmp_path / "whole"), results(tmp_path / "killed"))


@backend_independent
def test_a_study_resumed_with_the_profile_s_folds_and_seeds_named_continues(tmp_path):
    out = tmp_path / "s"
    _study(out)
    quick = get_profile("quick")
    _study(out, folds=quick.n_folds, seeds=quick.seeds)  # the values the profile chose
    record = json.loads((out / store.STUDY_JSON).read_text())
    assert record["settings"]["folds"] == quick.n_folds and len(record["attempts"]) == 2
    with pytest.raises(InputError, match="--folds differs"):
        _study(out, folds=quick.n_folds + 1)
    # a record from before the values were resolved (None: the profile's) continues too
    record["settings"]["folds"] = record["settings"]["seeds"] = None
    store.write_json(out / store.STUDY_JSON, record)
    _study(out, folds=quick.n_folds)


@backend_independent
def test_wall_time_is_the_sum_of_the_attempts(tmp_path):
    out = tmp_path / "s"
    _study(out)
    studies.record_study_report(out, out / "report.html", 2.0)
    _study(out)
    studies.record_study_report(out, out / "report.html", 3.0)
    record = json.loads((out / store.STUDY_JSON).read_text())
    first, second = record["attempt_s"]
    assert first > 2.0 and second > 3.0  # each attempt's run and its report
    assert record["wall_s"] == pytest.approx(first + second)


def test_a_killed_attempt_counts_until_the_last_file_it_wrote(tmp_path):
    from datetime import UTC, datetime

    begun = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    previous = {"status": "running", "attempts": [begun.isoformat(), begun.isoformat()],
                "attempt_s": [100.0, 5.0]}
    done = tmp_path / "levels" / "a" / "cells" / "m" / "fold_0" / store.DONE_JSON
    done.parent.mkdir(parents=True)
    done.write_text("{}")
    os.utime(done, (begun.timestamp() + 600, begun.timestamp() + 600))
    assert studies._attempt_times(tmp_path, previous) == [100.0, 600.0]
    # an attempt that ended cleanly keeps its own time; one never timed is unknown
    assert studies._attempt_times(tmp_path, {**previous, "status": "interrupted"}) == [
        100.0, 5.0]
    assert studies._attempt_times(tmp_path, {"status": "complete",
                                             "attempts": [begun.isoformat()]}) == [None]


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
    # the killed attempt ran at least until its last cell; the total is both attempts'
    assert len(record["attempt_s"]) == 2 and record["attempt_s"][0] > 0
    assert record["wall_s"] == pytest.approx(sum(record["attempt_s"]))


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
    # a deep model's changes are tested over the folds (each fold one training), and said so
    html = (out / "report.html").read_text()
    assert "p (Holm)" in html and " †</td>" in html
