"""``evaluate``: masks made elsewhere scored alone and inside a run, and every bad input."""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from benchmark.ground import store
from benchmark.ground.data import PhantomConfig, make_phantom, write_course_folder
from benchmark.ground.data.imageio import write_pgm
from benchmark.ground.errors import InputError, ParameterError
from benchmark.harness.cells import TIMING_COLUMNS
from benchmark.harness.cli import main
from benchmark.harness.commands.run import run_with_report
from benchmark.harness.evaluate import evaluate_masks, prediction_case
from reports.inference import FOLD_TEST, pair_test, stochastic_methods
from reports.leaderboards import leaderboard_section
from reports.rundata import load_run

METHODS = ["otsu", "box_shape"]
#: Columns that name the method or measure time: they differ between a method and its copy.
NOT_COMPARED = ["method", "family", *TIMING_COLUMNS]

backend_independent = pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="backend-independent; runs in the tensorflow environment")
pytestmark = backend_independent


@pytest.fixture(scope="module")
def base_run(tmp_path_factory, phantom_folder):
    out = tmp_path_factory.mktemp("evaluate") / "run"
    run_with_report(METHODS, data=str(phantom_folder), profile="quick", out=out, quiet=True,
                    command=["test"])
    return out


def write_predictions(run_dir, method, out, *, course_every=0, ones=False):
    """The run's predicted masks of ``method`` as files: ``<case>_mask.png`` {0, 255}.

    Every ``course_every``-th case is written as the course's ``<case>_mass_mask.pgm``
    instead, and with ``ones`` the PNGs hold {0, 1}.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    masks = {}
    for cell in sorted((Path(run_dir) / "cells" / method).glob("fold_*")):
        masks.update(store.read_masks(cell / store.PREDICTIONS_NPZ))
    for i, (case, mask) in enumerate(sorted(masks.items())):
        pixels = mask.astype(np.uint8) * (1 if ones else 255)
        if course_every and i % course_every == 0:
            write_pgm(out / f"{case}_mass_mask.pgm", mask.astype(np.uint8) * 255)
        else:
            Image.fromarray(pixels).save(out / f"{case}_mask.png")
    return out


def folder_digest(folder) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def rows(metrics, method):
    part = metrics[metrics["method"] == method].sort_values(["fold", "case"])
    return part.drop(columns=NOT_COMPARED).reset_index(drop=True)


def test_prediction_names_follow_both_conventions():
    assert prediction_case("a/0001_1_mask.tif") == "0001_1"
    assert prediction_case("0001_1_mass_mask.PGM") == "0001_1"
    assert prediction_case("0001_1_resized.pgm") is None
    assert prediction_case("0001_1_mask.txt") is None


def test_masks_copied_from_a_run_score_exactly_what_the_run_scored(base_run, phantom_folder,
                                                                    tmp_path, capsys):
    before = folder_digest(base_run)
    preds = write_predictions(base_run, "otsu", tmp_path / "copied")
    out = tmp_path / "inside"
    assert main(["evaluate", str(preds), "--data", str(phantom_folder), "--run", str(base_run),
                 "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert f"evaluate folder: {out.resolve()}" in printed and "At a glance" in printed
    assert folder_digest(base_run) == before  # the run folder is never changed

    metrics = pd.read_csv(out / store.METRICS_CSV, dtype={"case": str, "patient": str})
    pd.testing.assert_frame_equal(rows(metrics, "copied"), rows(metrics, "otsu"))
    original = pd.read_csv(base_run / store.METRICS_CSV, dtype={"case": str, "patient": str})
    pd.testing.assert_frame_equal(metrics[metrics["method"] != "copied"].reset_index(drop=True),
                                  original)
    # ranked beside the run's methods, its floor and its tests, in the ROI track
    run = load_run(out)
    assert run.methods == [*METHODS, "copied"]
    board = leaderboard_section(run, 0, figures=False)
    track = board["tracks"][0]
    assert track["key"] == "roi" and track["floor"] == "box_shape"
    assert {"otsu", "copied"} <= set(track["tests"]["floor"]["method"])
    assert track["board"].loc["copied", "dice_mean"] == track["board"].loc["otsu", "dice_mean"]
    # the diagnosis classifies the copy as it classified the method, fold by fold
    table = pd.read_csv(out / store.CLASSIFICATION_CSV)
    auc = table.set_index(["mask_source", "features", "classifier", "fold"])["roc_auc"]
    np.testing.assert_array_equal(auc.loc["copied"].to_numpy(), auc.loc["otsu"].to_numpy())
    assert (out / store.features_csv("copied")).is_file()
    # the models stay behind; the report reads none
    assert not list(out.rglob("model.joblib")) and list(base_run.rglob("model.joblib"))
    record = json.loads((out / store.RUN_JSON).read_text())
    assert record["status"] == "complete" and record["evaluate"]["run"] == str(base_run)
    assert record["methods"]["copied"]["family"] == "external"
    html = (out / store.REPORT_HTML).read_text()
    assert "ROI-given track, the weaker claim" in html and "copied" in html


def test_a_method_made_elsewhere_is_not_stochastic_so_a_trained_partner_pairs_by_fold(
        base_run, phantom_folder, tmp_path):
    preds = write_predictions(base_run, "otsu", tmp_path / "mine")
    out = evaluate_masks(preds, data=str(phantom_folder), run=base_run, out=tmp_path / "o",
                         quiet=True)
    run = load_run(out)
    assert "mine" not in stochastic_methods(run.record)
    # were box_shape a trained model (stochastic), the pair would be tested over the folds
    result = pair_test(run.metrics, "mine", "box_shape", stochastic={"box_shape"})
    assert result["test"] == FOLD_TEST and result["units"] == "2 folds"


def test_alone_every_case_is_scored_with_its_report_and_no_floor(base_run, phantom_folder,
                                                                 tmp_path, capsys):
    preds = write_predictions(base_run, "otsu", tmp_path / "student", course_every=3,
                              ones=True)
    (preds / "notes.txt").write_text("not a mask")
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(preds / "9999_9_mask.png")
    out = tmp_path / "alone"
    assert main(["evaluate", str(preds), "--data", str(phantom_folder), "--out", str(out),
                 "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("warning: ") and "2 files match no case" in err[0]
    assert "9999_9_mask.png" in err[0] and "notes.txt" in err[0]

    for name in ("run.json", "splits.json", "metrics.csv", "cases.npz", "report.html",
                 "summary.txt", "classification.csv", "features_student.csv"):
        assert (out / name).is_file(), name
    metrics = pd.read_csv(out / store.METRICS_CSV, dtype={"case": str, "patient": str})
    original = pd.read_csv(base_run / store.METRICS_CSV, dtype={"case": str, "patient": str})
    assert len(metrics) == 24 and metrics["case"].is_unique  # every case, once
    # {0, 1} PNGs and course-named PGMs read as the run's masks: the same scores per case
    ours = metrics.set_index("case").sort_index()
    theirs = original[original["method"] == "otsu"].set_index("case").sort_index()
    np.testing.assert_allclose(ours["dice"], theirs["dice"])
    np.testing.assert_allclose(ours["hd95"], theirs["hd95"])
    run = load_run(out)
    board = leaderboard_section(run, 0, figures=False)
    assert not board["has_floor"] and "No floor" in board["floor_note"]
    record = run.record
    assert record["status"] == "complete" and record["settings"]["methods"] == ["student"]
    assert record["evaluate"]["not_scored"] == ["9999_9_mask.png", "notes.txt"]
    assert record["diagnosis"]["skipped"] is None  # the phantom has labels
    assert set(pd.read_csv(out / store.CLASSIFICATION_CSV)["mask_source"]) >= {"student",
                                                                               "reference"}
    summary = (out / "summary.txt").read_text()
    assert "No floors" in summary and "the weaker claim" in summary
    assert "student, the only method ranked, has a mean Dice of" in " ".join(summary.split())


def test_track_automatic_ranks_the_masks_in_the_automatic_track(base_run, phantom_folder,
                                                               tmp_path):
    preds = write_predictions(base_run, "otsu", tmp_path / "auto")
    out = evaluate_masks(preds, data=str(phantom_folder), run=base_run, out=tmp_path / "o",
                         track="automatic", quiet=True)
    board = leaderboard_section(load_run(out), 0, figures=False)
    tracks = {t["key"]: t["order"] for t in board["tracks"]}
    assert tracks["automatic"] == ["auto"] and "auto" not in tracks["roi"]


def _fails(capsys, *args):
    rc = main(["evaluate", *map(str, args)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1, err
    return err[0]


@pytest.fixture
def predictions(base_run, tmp_path):
    return write_predictions(base_run, "otsu", tmp_path / "preds")


def test_a_missing_prediction_names_the_case(predictions, phantom_folder, tmp_path, capsys):
    first = sorted(predictions.glob("*_mask.png"))[0]
    case = first.name.removesuffix("_mask.png")
    first.unlink()
    line = _fails(capsys, predictions, "--data", phantom_folder, "--out", tmp_path / "x")
    assert f"no predicted mask for case {case}" in line and not (tmp_path / "x").exists()


def test_an_unreadable_prediction_names_the_case(predictions, phantom_folder, tmp_path,
                                                 capsys):
    path = sorted(predictions.glob("*_mask.png"))[1]
    case = path.name.removesuffix("_mask.png")
    path.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    line = _fails(capsys, predictions, "--data", phantom_folder, "--out", tmp_path / "x")
    assert f"case {case}:" in line and "cannot decode" in line
    assert not (tmp_path / "x").exists()


def test_a_mask_with_other_values_names_the_case(predictions, phantom_folder, tmp_path,
                                                 capsys):
    path = sorted(predictions.glob("*_mask.png"))[2]
    Image.fromarray(np.full((64, 64), 7, np.uint8)).save(path)
    line = _fails(capsys, predictions, "--data", phantom_folder, "--out", tmp_path / "x")
    assert f"case {path.name.removesuffix('_mask.png')}:" in line and "{0, 1}" in line


def test_a_wrongly_sized_prediction_names_the_case_and_both_sizes(predictions, phantom_folder,
                                                                  tmp_path, capsys):
    path = sorted(predictions.glob("*_mask.png"))[3]
    Image.fromarray(np.zeros((32, 48), np.uint8)).save(path)
    line = _fails(capsys, predictions, "--data", phantom_folder, "--out", tmp_path / "x")
    case = path.name.removesuffix("_mask.png")
    assert f"case {case}:" in line and "32 x 48" in line and "64 x 64" in line
    assert not (tmp_path / "x").exists()


def test_a_name_that_clashes_with_a_method_of_the_run_is_refused(predictions, base_run,
                                                                 phantom_folder, tmp_path,
                                                                 capsys):
    line = _fails(capsys, predictions, "--data", phantom_folder, "--run", base_run, "--name",
                  "otsu", "--out", tmp_path / "x")
    assert "'otsu' is a method of the run" in line and not (tmp_path / "x").exists()
    with pytest.raises(InputError, match="diagnosis stage's own mask sources"):
        evaluate_masks(predictions, data=str(phantom_folder), name="reference",
                       out=tmp_path / "y")
    spaced = predictions.rename(predictions.with_name("my masks"))
    line = _fails(capsys, spaced, "--data", phantom_folder, "--out", tmp_path / "z")
    assert "'my masks' cannot name a method" in line and "--name" in line


def test_a_run_of_other_data_is_refused(predictions, base_run, tmp_path, capsys):
    other = tmp_path / "other"
    write_course_folder(make_phantom(24, seed=4, size=64), other, PhantomConfig(24, 4, 64))
    line = _fails(capsys, predictions, "--data", other, "--run", base_run, "--out",
                  tmp_path / "x")
    assert "is not the data of the run" in line and "fingerprint" in line
    assert not (tmp_path / "x").exists()


def test_the_run_folder_itself_and_foreign_folders_are_refused_as_out(predictions, base_run,
                                                                      phantom_folder,
                                                                      tmp_path, capsys):
    line = _fails(capsys, predictions, "--data", phantom_folder, "--run", base_run, "--out",
                  base_run / "inside")
    assert "evaluate never changes a run" in line
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    line = _fails(capsys, predictions, "--data", phantom_folder, "--out", foreign)
    assert "was not written by evaluate" in line and (foreign / "keep.txt").is_file()
    line = _fails(capsys, predictions, "--data", phantom_folder, "--out", predictions.parent)
    assert "an input of this evaluation" in line


def test_a_folder_evaluate_wrote_is_replaced(predictions, base_run, phantom_folder, tmp_path):
    out = tmp_path / "again"
    evaluate_masks(predictions, data=str(phantom_folder), run=base_run, out=out, quiet=True)
    first = pd.read_csv(out / store.METRICS_CSV)
    (out / "stale.txt").write_text("left from before")
    evaluate_masks(predictions, data=str(phantom_folder), run=base_run, out=out, quiet=True)
    pd.testing.assert_frame_equal(pd.read_csv(out / store.METRICS_CSV).drop(
        columns=TIMING_COLUMNS), first.drop(columns=TIMING_COLUMNS))
    assert not (out / "stale.txt").exists()


def test_missing_paths_are_one_line_before_any_work(tmp_path, capsys):
    line = _fails(capsys, tmp_path / "no_preds", "--out", tmp_path / "x")
    assert "no such folder of predicted masks" in line
    (tmp_path / "p").mkdir()
    line = _fails(capsys, tmp_path / "p", "--data", tmp_path / "no_data", "--out",
                  tmp_path / "x")
    assert "no such file or folder" in line
    line = _fails(capsys, tmp_path / "p", "--run", tmp_path / "no_run", "--out", tmp_path / "x")
    assert "no such run folder" in line
    with pytest.raises(InputError):
        evaluate_masks(tmp_path / "no_preds", out=tmp_path / "x")
    with pytest.raises(ParameterError, match="'track'"):
        evaluate_masks(tmp_path / "p", out=tmp_path / "x", track="roi_given")


def test_help_says_the_default_track_is_the_weaker_claim(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "default: roi, the weaker claim" in text and "--run RUN_DIR" in text


def test_a_missing_folder_is_answered_before_any_heavy_import(tmp_path):
    import subprocess
    import sys

    heavy = ("tensorflow", "keras", "sklearn", "skimage", "matplotlib", "numba", "scipy",
             "pandas")
    code = ("import json, sys\nfrom benchmark.harness.cli import main\n"
            f"rc = main(['evaluate', 'no/masks', '--out', 'x'])\n"
            f"print(json.dumps([rc, sorted(m for m in {heavy!r} if m in sys.modules)]))")
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(root)), timeout=120)
    rc, imported = json.loads(out.stdout.strip().splitlines()[-1])
    assert rc == 2 and imported == [] and "no/masks: no such folder" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
