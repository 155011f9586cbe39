"""The runner: run folders, resumption after interruption, parallel executors, bad input."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.ground import store
from benchmark.ground.errors import InputError, ParameterError
from benchmark.harness.cells import METRIC_COLUMNS, TIMING_COLUMNS
from benchmark.harness.commands.run import run_with_report
from benchmark.harness.executors import default_jobs, describe
from benchmark.harness.methods import resolve_methods
from benchmark.harness.progress import Progress
from benchmark.harness.runner import run_benchmark

ROOT = Path(__file__).resolve().parents[3]
FAST = ["otsu", "region_growing"]
#: The runner's tests with classical methods do not touch Keras; they run once, in the
#: TensorFlow environment of the tox matrix (the deep-cell test runs under every backend).
backend_independent = pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="backend-independent; runs in the tensorflow environment")


def cli(*args, cwd=None, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "benchmark", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=600,
                          **kwargs)


def results(run_dir):
    """metrics.csv without the timing columns (measurements that differ run to run)."""
    return pd.read_csv(Path(run_dir) / "metrics.csv").drop(columns=TIMING_COLUMNS)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "quick"
    run_with_report(FAST, profile="quick", out=out, quiet=True, command=["test"])
    return out


@backend_independent
def test_run_folder_holds_every_file_of_the_layout(quick_run):
    for name in ("run.json", "splits.json", "rois.csv", "metrics.csv", "classification.csv",
                 "classification_scores.csv", "cases.npz", "report.html"):
        assert (quick_run / name).is_file(), name
    for method in FAST:
        for fold in (0, 1):
            cell = quick_run / "cells" / method / f"fold_{fold}"
            for name in ("done.json", "predictions.npz", "model.joblib", "metrics.csv",
                         "features.csv"):
                assert (cell / name).is_file(), cell / name
    assert not list(quick_run.rglob(".*tmp*")), "temporary files left behind"
    dataset = json.loads((quick_run / "run.json").read_text())["dataset"]
    assert dataset["generator"] == "massbench phantom 3.0"


@backend_independent
def test_metrics_csv_has_one_row_per_method_fold_and_case(quick_run):
    metrics = pd.read_csv(quick_run / "metrics.csv", dtype={"case": str})
    assert list(metrics.columns) == METRIC_COLUMNS
    splits = json.loads((quick_run / "splits.json").read_text())
    n_cases = sum(len(f["test"]) for f in splits["folds"])
    assert len(metrics) == len(FAST) * n_cases
    for _, rows in metrics.groupby("method"):
        assert rows["case"].is_unique and len(rows) == n_cases
        for fold in splits["folds"]:
            assert sorted(rows.loc[rows["fold"] == fold["fold"], "case"]) == fold["test"]
    assert metrics["needs_roi"].all()  # both methods are semi-automatic
    assert metrics["dice"].between(0, 1).all()
    assert (metrics[["tp", "fp", "fn", "tn"]].sum(axis=1) == 64 * 64).all()


@backend_independent
def test_predictions_score_to_the_recorded_metrics(quick_run):
    from benchmark.ground.metrics import dice_score

    metrics = pd.read_csv(quick_run / "metrics.csv", dtype={"case": str}).set_index(
        ["method", "case"])
    with np.load(quick_run / "cases.npz") as cases:
        ids = cases["case_ids"].tolist()
        reference = {c: cases[f"mask_{i}"] for i, c in enumerate(ids)}
    masks = store.read_masks(quick_run / "cells" / "otsu" / "fold_1" / "predictions.npz")
    for case, mask in masks.items():
        assert dice_score(reference[case], mask) == pytest.approx(
            metrics.loc[("otsu", case), "dice"])


@backend_independent
def test_run_json_records_settings_versions_and_stages(quick_run):
    record = json.loads((quick_run / "run.json").read_text())
    assert record["status"] == "complete"
    assert record["settings"]["profile"] == "quick" and record["settings"]["folds"] == 2
    assert record["settings"]["data_fingerprint"] == record["dataset"]["fingerprint"]
    assert json.loads((quick_run / "splits.json").read_text())["fingerprint"] == \
        record["dataset"]["fingerprint"]
    assert {"numpy", "scikit-learn", "python"} <= set(record["versions"])
    assert {"load_s", "splits_s", "cells_s", "metrics_s", "diagnosis_s"} <= set(
        record["stages"])
    assert record["start_time"] <= record["end_time"]
    assert record["device"] == "cpu" and record["methods"]["otsu"]["needs_roi"]
    assert record["methods"]["otsu"]["stochastic"] is False  # one seed says it all


@backend_independent
def test_classification_covers_reference_and_every_method(quick_run):
    table = pd.read_csv(quick_run / "classification.csv")
    assert list(table.columns[:4]) == ["mask_source", "features", "classifier", "fold"]
    assert {"roc_auc", "sensitivity", "specificity"} <= set(table.columns)
    # prior_disk's fixed disk is a mask source beside the reference: what a segmentation adds
    assert set(table["mask_source"]) == {"reference", "prior_disk", *FAST}
    assert set(table["classifier"]) == {"svm_rbf", "random_forest"}
    assert set(table["features"]) == {"shape", "intensity", "all"}
    # every feature group with the SVM, all features with the random forest too; 2 folds
    assert len(table) == 4 * (3 + 1) * 2
    assert set(table.loc[table["features"] != "all", "classifier"]) == {"svm_rbf"}
    # a fixed disk's shape features are one value for every case: no AUC, and a note says why
    constant = (table["mask_source"] == "prior_disk") & (table["features"] == "shape")
    assert table.loc[constant, "roc_auc"].isna().all()
    assert table.loc[constant, "note"].str.contains("same for every").all()
    assert table.loc[~constant, "roc_auc"].between(0, 1).all()
    scores = pd.read_csv(quick_run / "classification_scores.csv")
    # every case scored once per source, feature group and classifier, but the fixed disk's
    # shape features (no classifier trained on them)
    assert len(scores) == (4 * (3 + 1) - 1) * 40


@backend_independent
def test_the_same_command_twice_gives_identical_metrics(quick_run, tmp_path):
    again = run_benchmark(FAST, profile="quick", out=tmp_path / "again", quiet=True)
    assert not (again / "report.html").exists()  # the run command, not the runner, asks for it
    pd.testing.assert_frame_equal(results(quick_run), results(again))
    a = pd.read_csv(quick_run / "classification.csv")
    b = pd.read_csv(again / "classification.csv")
    pd.testing.assert_frame_equal(a, b)


@backend_independent
def test_rerun_skips_complete_cells_and_redoes_the_rest(quick_run, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(quick_run, out)
    kept = out / "cells" / "otsu" / "fold_0" / "done.json"
    kept_record = kept.read_text()
    lost = out / "cells" / "region_growing" / "fold_1"
    (lost / "done.json").unlink()  # as if killed before the cell finished
    (lost / "metrics.csv").write_text("half a fil")
    (out / "metrics.csv").unlink()
    run_benchmark(FAST, profile="quick", out=out, quiet=True)
    assert kept.read_text() == kept_record  # not run again
    assert (lost / "done.json").is_file()
    pd.testing.assert_frame_equal(results(quick_run), results(out))
    assert len(json.loads((out / "run.json").read_text())["attempts"]) == 2


@backend_independent
@pytest.mark.parametrize("change, option", [
    ({"profile": "standard"}, "--profile"),
    ({"seed": 7}, "--seed"),
    ({"folds": 3}, "--folds"),
    ({"roi_margin": (0, 0)}, "--roi-margin"),
    ({"seeds": 2}, "--seeds"),
])
def test_other_settings_in_an_existing_run_folder_are_refused(quick_run, change, option):
    kwargs = {"profile": "quick", "quiet": True} | change
    with pytest.raises(InputError, match=f"{option} differs"):
        run_benchmark(FAST, out=quick_run, **kwargs)


@backend_independent
def test_rois_csv_holds_the_drawn_box_of_every_case(quick_run):
    from benchmark.ground.data import make_phantom
    from benchmark.ground.roi import ROI_COLUMNS, draw_roi
    from benchmark.harness.profiles import get_profile

    rois = pd.read_csv(quick_run / "rois.csv", dtype={"case": str})
    assert tuple(rois.columns) == ROI_COLUMNS
    profile = get_profile("quick")
    dataset = make_phantom(profile.phantom_cases, size=profile.phantom_size)
    assert sorted(rois["case"]) == sorted(c.id for c in dataset)
    for row in rois.itertuples():
        expected = draw_roi(dataset[row.case].mask, seed=12345, case_id=row.case,
                            margin=(0.1, 0.3))
        assert (row.row_min, row.row_max, row.col_min, row.col_max) == expected
    record = json.loads((quick_run / "run.json").read_text())
    assert record["settings"]["roi_margin"] == [0.1, 0.3]


@backend_independent
def test_the_cells_use_the_boxes_of_rois_csv_and_a_resume_reuses_them(tmp_path):
    out = run_benchmark(["roi_ellipse"], profile="quick", out=tmp_path / "e", quiet=True)
    rois = pd.read_csv(out / "rois.csv", dtype={"case": str})
    metrics = pd.read_csv(out / "metrics.csv", dtype={"case": str})
    case, fold = metrics.loc[0, "case"], int(metrics.loc[0, "fold"])
    # a resumed run reads the folder's boxes, it does not draw them again
    rois.loc[rois["case"] == case, ["row_min", "row_max", "col_min", "col_max"]] = [2, 20, 3, 30]
    rois.to_csv(out / "rois.csv", index=False)
    (out / "cells" / "roi_ellipse" / f"fold_{fold}" / "done.json").unlink()
    run_benchmark(["roi_ellipse"], profile="quick", out=out, quiet=True)
    predicted = store.read_masks(out / "cells" / "roi_ellipse" / f"fold_{fold}" /
                                 "predictions.npz")[case]
    rows, cols = np.nonzero(predicted)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (2, 20, 3, 30)
    # a box file that does not fit the data is refused, naming it
    for broken, message in ((rois.assign(row_max=rois["row_max"].where(rois.index > 0, 999)),
                             "not inside"), (rois.iloc[1:], "has no ROI for case"),
                            (pd.concat([rois, rois.iloc[:1]]), "more than one ROI for case")):
        broken.to_csv(out / "rois.csv", index=False)
        with pytest.raises(InputError, match=f"rois.csv.*{message}"):
            run_benchmark(["roi_ellipse"], profile="quick", out=out, quiet=True)


@backend_independent
def test_other_methods_in_an_existing_run_folder_are_refused(quick_run):
    with pytest.raises(InputError, match="--all/--methods differs"):
        run_benchmark(["otsu"], profile="quick", out=quick_run, quiet=True)


@backend_independent
def test_a_folder_that_is_not_a_run_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a massbench run folder"):
        run_benchmark(FAST, profile="quick", out=tmp_path, quiet=True)


@backend_independent
def test_local_workers_give_the_sequential_results(quick_run, tmp_path):
    out = run_benchmark(FAST, profile="quick", out=tmp_path / "jobs", jobs=2, quiet=True)
    pd.testing.assert_frame_equal(results(quick_run), results(out))
    pids = {json.loads(p.read_text())["pid"] for p in out.glob("cells/*/*/done.json")}
    assert os.getpid() not in pids  # the cells ran in worker processes
    # the diagnosis stage ran its mask sources in workers too, with the same tables
    for name in ("classification.csv", "classification_scores.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(quick_run / name), pd.read_csv(out / name))


@backend_independent
def test_dask_scheduler_gives_the_sequential_results(quick_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        out = run_benchmark(FAST, profile="quick", out=tmp_path / "dask",
                            scheduler=cluster.scheduler_address, quiet=True)
    pd.testing.assert_frame_equal(results(quick_run), results(out))
    record = json.loads((out / "run.json").read_text())
    assert record["executor"].startswith("dask tcp://")


@backend_independent
def test_an_unreachable_scheduler_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    with pytest.raises(InputError, match="--scheduler"):
        run_benchmark(["otsu"], profile="quick", out=tmp_path / "x", quiet=True,
                      scheduler="tcp://127.0.0.1:9")


@backend_independent
def test_ctrl_c_stops_cleanly_and_the_run_resumes(tmp_path, monkeypatch):
    import benchmark.harness.executors as executors

    real, calls = executors.run_cell, []

    def interrupted_after_one(task):
        if calls:
            raise KeyboardInterrupt
        calls.append(task)
        return real(task)

    monkeypatch.setattr(executors, "run_cell", interrupted_after_one)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(["otsu"], profile="quick", out=out, quiet=True)
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    assert len(list(out.glob("cells/*/*/done.json"))) == 1
    monkeypatch.setattr(executors, "run_cell", real)
    run_benchmark(["otsu"], profile="quick", out=out, quiet=True)
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    assert len(pd.read_csv(out / "metrics.csv")) == 40


@backend_independent
def test_an_unexpected_error_marks_the_run_failed_and_report_says_how_to_continue(
        tmp_path, monkeypatch, capsys):
    import benchmark.harness.executors as executors
    from benchmark.harness.cli import main

    real, calls = executors.run_cell, []

    def fails_after_one(task):
        if calls:
            raise KeyError("val_dice")  # as a deep cell on an empty validation part did
        calls.append(task)
        return real(task)

    monkeypatch.setattr(executors, "run_cell", fails_after_one)
    out = tmp_path / "run"
    command = ["python", "-m", "benchmark", "run", "--methods", "otsu", "--out", str(out)]
    with pytest.raises(KeyError):
        run_benchmark(["otsu"], profile="quick", out=out, command=command)
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "failed" and record["error"] == "KeyError: 'val_dice'"
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert said == (f"run failed (KeyError: 'val_dice'); run.json records it and complete cells "
                    f"are kept: rerun the same command with --out {out} to continue")
    assert main(["report", str(out)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"python -m benchmark: {out / 'run.json'}: the run failed (KeyError: 'val_dice'), so it "
        "has no report; its complete cells are kept: rerun the same command (python -m "
        f"benchmark run --methods otsu --out {out}) to continue"]
    monkeypatch.setattr(executors, "run_cell", real)  # fixed: the same command completes it
    run_benchmark(["otsu"], profile="quick", out=out, quiet=True, command=command)
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    assert len(list(out.glob("cells/*/*/done.json"))) == 2


@backend_independent
def test_a_folder_made_on_other_data_names_both_paths(quick_run, phantom_folder, tmp_path):
    with pytest.raises(InputError) as info:
        run_benchmark(FAST, data=str(phantom_folder), profile="quick", out=quick_run,
                      quiet=True)
    message = str(info.value)
    assert message.startswith(f"{quick_run / 'run.json'}: --data differs from the run in this "
                              f"folder (it ran on --data phantom, this command gives --data "
                              f"{phantom_folder}, and their cases or pixels differ: "
                              "fingerprint ")
    assert message.index(str(phantom_folder)) < message.index("fingerprint")
    # the same path whose files changed since
    import shutil

    data = tmp_path / "data"
    shutil.copytree(phantom_folder, data)
    out = run_benchmark(["roi_ellipse"], data=str(data), profile="quick", out=tmp_path / "r",
                        quiet=True)
    victim = sorted(data.glob("*_mass_mask.pgm"))[0]
    mask = victim.read_bytes()
    victim.write_bytes(mask[:-1] + bytes([255 - mask[-1]]))
    with pytest.raises(InputError, match=f"the data at --data {data} have changed since the "
                       "run in this folder used them"):
        run_benchmark(["roi_ellipse"], data=str(data), profile="quick", out=out, quiet=True)


@backend_independent
def test_sigkill_at_any_moment_then_rerun_gives_the_uninterrupted_metrics(tmp_path):
    args = ["run", "--methods", "radial_maxvar,otsu", "--profile", "quick"]
    reference = cli(*args, "--out", tmp_path / "whole", "--quiet")
    assert reference.returncode == 0, reference.stderr
    out = tmp_path / "killed"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "benchmark", *args, "--out", str(out),
                             "--quiet"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob("cells/*/*/done.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # most likely inside the next cell now
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "metrics.csv").exists()  # the kill came before the end
    resumed = cli(*args, "--out", out, "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    pd.testing.assert_frame_equal(results(tmp_path / "whole"), results(out))


@backend_independent
def test_cli_run_prints_the_folder_and_logs_progress_lines(tmp_path):
    out = cli("run", "--methods", "otsu", "--profile", "quick", "--out", tmp_path / "r")
    assert out.returncode == 0, out.stderr
    # the at-a-glance summary (the report's, as text), then the folder
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == f"run folder: {tmp_path / 'r'}"
    assert lines[0].startswith("At a glance")
    assert "highest mean Dice (a smoke test, not a ranking): otsu" in out.stdout
    assert out.stdout.strip()[:-len(lines[-1])].strip() == (
        tmp_path / "r" / "summary.txt").read_text().strip()
    # plain lines: stderr is not a terminal; workers may finish in either order
    assert re.search(r"\[2/2\] otsu fold [01]: done", out.stderr), out.stderr
    record = json.loads((tmp_path / "r" / "run.json").read_text())
    # by default one worker per core (at most 4)
    assert record["executor"] == describe(default_jobs(), None)
    assert record["command_line"].startswith("python -m benchmark run --methods otsu")
    quiet = cli("run", "--methods", "otsu", "--profile", "quick", "--out", tmp_path / "q",
                "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""


@backend_independent
def test_cli_broken_dataset_fails_before_any_cell(tmp_path):
    assert cli("make-phantom", tmp_path / "data", "--cases", 12, "--size", 32).returncode == 0
    victim = sorted((tmp_path / "data").glob("*_mass_mask.pgm"))[3]
    victim.write_bytes(b"P5\n32 32\n255\n" + bytes(5))
    out = cli("run", "--methods", "otsu", "--data", tmp_path / "data", "--out",
              tmp_path / "run")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and victim.name in lines[0]
    assert not (tmp_path / "run").exists()


@backend_independent
def test_cli_unknown_method_lists_the_valid_names(tmp_path):
    out = cli("run", "--methods", "otsu,snake", "--out", tmp_path / "run")
    assert out.returncode == 2
    assert "'snake'" in out.stderr and "radial_maxvar" in out.stderr and "unet" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


@backend_independent
@pytest.mark.parametrize("value, message", [
    ("0.3,0.1", "0 <= LO <= HI"), ("0.1", "two fractions"), ("a,b", "two fractions")])
def test_cli_a_bad_roi_margin_is_one_line_naming_the_option(tmp_path, value, message):
    out = cli("run", "--methods", "otsu", "--roi-margin", value, "--out", tmp_path / "run")
    assert out.returncode == 2 and "--roi-margin" in out.stderr and message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and not (tmp_path / "run").exists()


@backend_independent
def test_cli_runs_a_course_folder(tmp_path, phantom_folder):
    out = cli("run", "--methods", "region_growing", "--data", phantom_folder, "--profile",
              "quick", "--out", tmp_path / "r", "--quiet")
    assert out.returncode == 0, out.stderr
    metrics = pd.read_csv(tmp_path / "r" / "metrics.csv")
    assert len(metrics) == 24


def test_resolve_methods_keeps_registry_order_and_aliases():
    assert resolve_methods(["region_growing", "otsu"]) == ["otsu", "region_growing"]
    assert resolve_methods(["radial"]) == ["radial_maxvar"]
    with pytest.raises(ParameterError, match="given once each"):
        resolve_methods(["otsu", "otsu"])


class FakeTerminal:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass

    def isatty(self):
        return True


def test_progress_draws_a_bar_on_a_terminal(monkeypatch):
    from benchmark.harness import progress as progress_module

    monkeypatch.setattr(progress_module, "_columns", lambda stream: 100)
    stream = FakeTerminal()
    progress = Progress.choose(4, 1, stream=stream)
    assert progress.mode == "bar"
    progress.starting("unet", 2)
    progress.finished("unet", 2, 1.0)
    progress.close()
    assert "unet fold 2" in stream.text and "2/4 cells" in stream.text


def test_a_deep_method_runs_in_a_cell_and_records_its_device(tmp_path):
    pytest.importorskip("keras")
    out = run_benchmark(["cae"], profile="quick", out=tmp_path / "deep", quiet=True)
    record = json.loads((out / "run.json").read_text())
    assert record["settings"]["keras_backend"] == os.environ.get("KERAS_BACKEND",
                                                                 "tensorflow")
    cell = json.loads((out / "cells" / "cae" / "fold_0" / "done.json").read_text())
    assert cell["device"] and cell["backend"] == record["settings"]["keras_backend"]
    assert (out / "cells" / "cae" / "fold_0" / "model.keras").is_file()
    history = pd.read_csv(out / "cells" / "cae" / "fold_0" / "history.csv")
    assert len(history) == sum(a["epochs_run"] for a in cell["attempts"])
    assert cell["restarts"] == 0  # the quick profile does not restart
    # at most three epochs: a cap, or a collapse (a CAE that predicts nothing yet, stopped
    # after its first epoch), never a plateau
    assert cell["stopped"] in ("cap", "collapsed") and 1 <= cell["epochs_run"] <= 3
    assert cell["epochs_run"] == 3 or cell["stopped"] == "collapsed"
    assert len(pd.read_csv(out / "metrics.csv")) == 40
    summary = record["cells"]["cae/fold_0"]
    assert summary["stopped"] == cell["stopped"] and summary["restarts"] == cell["restarts"]


def test_a_tiny_dataset_with_empty_validation_parts_trains_and_reports(tmp_path):
    """Three cases in two folds leave no validation case (issue 26): the run still completes."""
    data, out = tmp_path / "p3", tmp_path / "r3"
    assert cli("make-phantom", data, "--cases", "3").returncode == 0
    done = run_with_report(["radial_maxvar", "roi_ellipse", "unet_roi"], data=str(data),
                           profile="quick", folds=2, out=out, quiet=True)
    assert done == out and (out / "report.html").is_file()
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    folds = json.loads((out / "splits.json").read_text())["folds"]
    assert [f["val"] for f in folds] == [[], []]
    for fold in folds:
        cell = json.loads((out / "cells" / "unet_roi" / f"fold_{fold['fold']}" /
                           "done.json").read_text())
        # every epoch trained, the last weights kept, the threshold left at 0.5
        assert cell["stopped"] == "cap" and cell["epochs_run"] == cell["best_epoch"] == 3
        assert cell["n_val"] == 0 and cell["threshold"] == 0.5
        assert cell["validation"].startswith("no validation cases")
    metrics = pd.read_csv(out / "metrics.csv")
    assert len(metrics) == 3 * 3
    deep = metrics[metrics["method"] == "unet_roi"]
    assert deep["ceiling_dice"].between(0.9, 1).all()
    assert metrics.loc[metrics["method"] != "unet_roi", "ceiling_dice"].isna().all()


def test_seeds_train_each_deep_cell_several_times_and_score_every_seed(tmp_path):
    pytest.importorskip("keras")
    out = run_benchmark(["otsu", "cae"], profile="quick", seeds=2, out=tmp_path / "seeds",
                        quiet=True)
    metrics = pd.read_csv(out / "metrics.csv")
    assert metrics.groupby("method")["seed"].apply(set).to_dict() == {"otsu": {0},
                                                                      "cae": {0, 1}}
    assert len(metrics) == 40 * 3  # otsu once, cae twice, 40 test cases each
    cells = out / "cells" / "cae"
    assert sorted(p.name for p in cells.iterdir()) == ["fold_0", "fold_0_seed_1", "fold_1",
                                                       "fold_1_seed_1"]
    first = json.loads((cells / "fold_0" / "done.json").read_text())
    second = json.loads((cells / "fold_0_seed_1" / "done.json").read_text())
    assert second["seed"] == first["seed"] + 1000 and second["seed_index"] == 1
    one, two = (metrics[(metrics["method"] == "cae") & (metrics["seed"] == k)]
                for k in (0, 1))
    assert list(one["case"]) == list(two["case"])
    losses = [pd.read_csv(cells / name / "history.csv")["loss"] for name in ("fold_0",
                                                                          "fold_0_seed_1")]
    assert not np.allclose(losses[0].iloc[0], losses[1].iloc[0])  # two trainings
    record = json.loads((out / "run.json").read_text())
    assert record["settings"]["seeds"] == 2 and "cae/fold_1_seed_1" in record["cells"]


@backend_independent
def test_seeds_must_be_a_positive_count(tmp_path):
    with pytest.raises(ParameterError, match="'seeds'"):
        run_benchmark(FAST, profile="quick", seeds=0, out=tmp_path / "x", quiet=True)
    done = cli("run", "--methods", "otsu", "--profile", "quick", "--seeds", "0",
               "--out", tmp_path / "y")
    assert done.returncode == 2 and "--seeds" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "y").exists()


@pytest.mark.parametrize("gpu, expected", [(True, "full"), (False, "standard")])
def test_without_profile_run_takes_full_on_a_gpu_and_standard_otherwise(gpu, expected,
                                                                         monkeypatch):
    pytest.importorskip("keras")
    import deep.device
    from benchmark.harness.commands.run import default_profile

    monkeypatch.setattr(deep.device, "has_gpu", lambda: gpu)
    monkeypatch.setattr(deep.device, "describe_device", lambda: "gpu:Test" if gpu else "cpu")
    profile, why = default_profile(["otsu", "unet"])
    assert profile == expected and ("GPU" in why)
    if gpu:
        assert "gpu:Test" in why
    # without a deep method the device is not looked up at all
    monkeypatch.setattr(deep.device, "has_gpu", lambda: pytest.fail("looked up"))
    assert default_profile(["otsu"]) == ("standard", None)


def test_cli_says_which_profile_it_took(tmp_path, monkeypatch, capsys):
    pytest.importorskip("keras")
    import deep.device
    from benchmark.harness import cli as cli_module

    seen = {}

    def fake_run(methods, **options):
        seen.update(options)
        return tmp_path

    monkeypatch.setattr(deep.device, "has_gpu", lambda: True)
    monkeypatch.setattr(deep.device, "describe_device", lambda: "gpu:Test")
    monkeypatch.setattr("benchmark.harness.commands.run.run_with_report", fake_run)
    assert cli_module.main(["run", "--methods", "unet", "--out", str(tmp_path)]) == 0
    assert seen["profile"] == "full" and seen["seeds"] is None
    assert "profile: full (the Keras backend sees a GPU (gpu:Test))" in capsys.readouterr().err


def test_profiles_reach_the_methods_they_name():
    pytest.importorskip("keras")
    from benchmark.harness.methods import make_method
    from benchmark.harness.profiles import PROFILES

    standard = PROFILES["standard"]
    unet = make_method("unet", standard, seed=4)
    assert unet.model_kwargs == {"widths": (8, 16, 32, 64), "bridge": 128}
    assert (unet.input_size, unet.patch_size, unet.seed, unet.epochs) == (80, 48, 4, 30)
    assert make_method("cae", standard, seed=0).model_kwargs is None
    grower = make_method("region_growing", standard, seed=3)
    assert grower.max_tuning_cases is None and grower.random_state == 3
    assert make_method("pixel_rf", standard, seed=0).pixels_per_image == 200
    assert make_method("otsu", standard, seed=0).get_params() == {}
    assert make_method("unet_roi", standard, seed=0).input_size == 32
    assert make_method("unet_roi", standard, seed=0).model_kwargs == unet.model_kwargs
    quick = make_method("unet", PROFILES["quick"], seed=0)
    assert quick.run_eagerly and quick.input_size == 32
    assert quick.model_kwargs == {"widths": (4, 8, 16, 32), "bridge": 64}


@backend_independent
def test_classify_takes_a_runs_feature_tables_as_they_are(quick_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(quick_run, run)
    table = pd.read_csv(run / "features_reference.csv", dtype={"case": str, "patient": str})
    assert list(table.columns[:3]) == ["case", "label", "patient"] and len(table) == 40
    assert set(table["label"]) == {0, 1}
    for method in FAST:
        assert (run / f"features_{method}.csv").is_file()
    before = (run / "classification.csv").read_bytes()
    out = cli("classify", run, "--source", "otsu", "--repeats", 1)
    assert out.returncode == 0, out.stderr
    assert (run / "classify_otsu" / "roc.png").is_file()
    assert (run / "classification.csv").read_bytes() == before  # the run's own results kept
    wrong = cli("classify", run, "--source", "snake")
    # prior_disk's fixed disk is a source of every diagnosis, run or not
    assert wrong.returncode == 2
    assert "this one has: otsu, prior_disk, reference, region_growing" in wrong.stderr
