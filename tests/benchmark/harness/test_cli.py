"""The command line, run as users run it: exit codes, one-line errors, JSON keys."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


def cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "benchmark", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_help_lists_every_command_of_the_design():
    out = cli("--help")
    assert out.returncode == 0
    for command in ("run", "list", "data", "make-phantom", "segment", "classify", "report",
                    "compare"):
        assert command in out.stdout


@pytest.mark.parametrize("args, fragment", [
    (["report", "/no/such/run"], "no such run folder"),
    (["compare", "/no/such/a", "/no/such/b"], "no such run folder"),
    (["compare", "only_one"], "at least two run folders"),
    (["run"], "one of the arguments --all --methods is required"),
    (["run", "--all", "--folds", "1"], "--folds must be an integer >= 2; got 1"),
    (["run", "--all", "--folds", "0"], "--folds must be an integer >= 2; got 0"),
    (["run", "--all", "--folds", "two"], "argument --folds: expected an integer >= 2, got "
     "'two'"),
    (["run", "--methods", "otsu", "--profile", "quick", "--folds", "30", "--out", "never"],
     "--folds must be at most the number of patients (and at least 2) of dataset "
     "'phantom' (26); got 30"),
])
def test_report_compare_and_run_usage_errors_exit_2(args, fragment, tmp_path):
    out = cli(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert fragment in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())  # nothing is left behind


def test_make_phantom_then_data_json(tmp_path):
    out = cli("make-phantom", tmp_path / "ph", "--cases", 10, "--seed", 2, "--size", 48)
    assert out.returncode == 0, out.stderr
    assert len(list((tmp_path / "ph").glob("*_mass_mask.pgm"))) == 10
    meta = json.loads((tmp_path / "ph" / "phantom.json").read_text())
    assert meta["version"] and meta["seed"] == 2 and meta["size"] == 48
    out = cli("data", tmp_path / "ph", "--json")
    assert out.returncode == 0
    summary = json.loads(out.stdout)
    assert set(summary) == {"n_cases", "n_malignant", "n_benign", "n_unlabelled",
                            "n_patients", "patients_from", "labels_from", "image_sizes",
                            "warnings", "problems", "format", "n_dropped", "dropped", "notes"}
    assert summary["warnings"] == [] and "course naming" in summary["patients_from"]
    assert summary["n_cases"] == 10 and summary["image_sizes"] == {"48x48": 10}
    assert summary["n_malignant"] + summary["n_benign"] == 10
    text = cli("data", tmp_path / "ph")
    assert text.returncode == 0 and "fingerprint" in text.stdout


def test_data_on_a_broken_folder_exits_2_with_one_line(tmp_path):
    assert cli("make-phantom", tmp_path, "--cases", 3, "--size", 32).returncode == 0
    victim = sorted(tmp_path.glob("*_resized.pgm"))[1]
    victim.write_bytes(b"P5\n32 32\n255\n" + bytes(10))
    for args in (["data", tmp_path], ["data", tmp_path, "--json"]):
        out = cli(*args)
        assert out.returncode == 2
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and victim.name in lines[0] and "truncated" in lines[0]
        assert "Traceback" not in out.stderr
    summary = json.loads(cli("data", tmp_path, "--json").stdout)
    assert summary["n_cases"] == 2 and summary["problems"][0]["file"] == str(victim)


@pytest.mark.parametrize("args, fragment", [
    (["data", "/no/such/folder"], "no such file or folder"),
    (["make-phantom", "x", "--cases", "0"], "--cases"),
    (["make-phantom", "x", "--size", "16"], "--size must be an int >= 32; got 16"),
    (["frobnicate"], "unknown command 'frobnicate'"),
])
def test_bad_usage_is_one_line_and_exit_2(args, fragment, tmp_path):
    out = cli(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert fragment in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_list_names_the_datasets_and_every_segmenter():
    from baselines.registry import SEGMENTERS

    out = cli("list")
    assert out.returncode == 0 and "phantom" in out.stdout
    assert out.stderr == ""  # no TensorFlow start-up lines (absl, oneDNN)
    for name in SEGMENTERS:
        assert name in out.stdout
    assert "semi-automatic" in out.stdout and "classical" in out.stdout
    for name in ("cae", "unet_course", "unet", "attention_unet"):
        assert f"  {name} " in out.stdout
    assert " deep " in out.stdout
    # the values a standard run uses, said to be the standard profile's
    assert out.stdout.startswith("methods, with the settings of the standard profile, the "
                                 "default on a CPU")
    unet = out.stdout.split("\n  unet ")[1].splitlines()
    # the automatic models predict on 80 px and train on 48 px windows; the ROI models at 32
    assert "input_size=80" in unet[2] and "widths=(8, 16, 32, 64)" in unet[2]
    assert unet[3].split("also: ")[1] == "epochs=30, patch_size=48"
    unet_roi = out.stdout.split("\n  unet_roi ")[1].splitlines()
    assert "input_size=32" in unet_roi[2]
    assert unet_roi[3].split("also: ")[1] == "epochs=20, patch_size=None"
    # tuning on the whole validation part, as the deep models stop on it
    assert "max_tuning_cases=None" in out.stdout.split("\n  radial_maxvar ")[1].splitlines()[2]
    assert "patience=5" in out.stdout.split("training of every deep model (standard): ")[1]


def test_list_shows_the_values_of_the_profile_it_is_given():
    from benchmark.harness.methods import make_method
    from benchmark.harness.profiles import get_profile

    out = cli("list", "--profile", "quick")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("methods, with the settings of the quick profile (")
    for name in ("cae", "unet", "attention_unet_roi"):
        shown = out.stdout.split(f"\n  {name} ")[1].splitlines()[2]
        estimator = make_method(name, get_profile("quick"), seed=0)
        assert f"input_size={estimator.input_size}" in shown and "input_size=32" in shown
    assert "epochs=3" in out.stdout.split("training of every deep model (quick): ")[1]


def test_make_phantom_refuses_a_folder_holding_other_files(tmp_path):
    assert cli("make-phantom", tmp_path / "ph", "--cases", 3, "--size", 32).returncode == 0
    again = cli("make-phantom", tmp_path / "ph", "--cases", 3, "--size", 32)
    assert again.returncode == 0  # the same command twice is harmless
    other = cli("make-phantom", tmp_path / "ph", "--cases", 2, "--size", 32)
    assert other.returncode == 2 and "not empty" in other.stderr
    assert len(list((tmp_path / "ph").glob("*_resized.pgm"))) == 3


def _raw_crops(folder, rng_seed=0):
    """Two synthetic 'raw' crops (bright blurred disks on noise), 8-bit, 400 x 400."""
    import numpy as np
    from scipy import ndimage as ndi

    from benchmark.ground.data.imageio import write_pgm

    rng = np.random.default_rng(rng_seed)
    rows, cols = np.mgrid[:400, :400]
    for name in ("0001p1_1_1", "0002p1_1_2"):
        body = (rows - 200) ** 2 + (cols - 190) ** 2 < 110**2
        image = ndi.gaussian_filter(60 + 120 * body + rng.normal(0, 8, body.shape), 6)
        write_pgm(folder / f"{name}.pgm", np.clip(image, 0, 255).astype(np.uint8))


#: Boxes of the two raw crops of :func:`_raw_crops` in which radial finds the disk (on the
#: looser 5-45 boxes it finds nothing: the mask is empty).
BOXES = ("0001p1_1_1,12,38,11,37", "0002p1_1_2,11,39,10,38")


def test_segment_writes_course_pairs_that_load(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _raw_crops(raw)
    rois = tmp_path / "rois.csv"
    rois.write_text(f"case,row_min,row_max,col_min,col_max\n{BOXES[0]}\n{BOXES[1]}\n")
    out = cli("segment", raw, "--rois", rois, "--out", tmp_path / "out")
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # no mask came out empty, no crop was left out
    assert "0001p1_1_1: preprocessed grid 51 x 51" in out.stdout and "<case>" not in out.stdout
    assert "grid(s), on which the ROIs are given: 51 x 51\n" in out.stdout
    from PIL import Image

    from benchmark.ground.data.course import read_mask

    for case in ("0001p1_1_1", "0002p1_1_2"):
        overlay = np.asarray(Image.open(tmp_path / "out" / f"{case}_overlay.png"))
        mask = read_mask(tmp_path / "out" / f"{case}_mass_mask.pgm")
        assert overlay.shape == (51, 51, 3)
        outline = (overlay == (230, 159, 0)).all(axis=2)
        assert outline.any() and mask.any() and not (outline & ~mask).any()
    top = overlay[11, 10:39]  # the second ROI's top side, where the outline does not cross
    blue, orange = (top == (0, 114, 178)).all(axis=1), (top == (230, 159, 0)).all(axis=1)
    assert (blue | orange).all() and blue.sum() > 20
    summary = json.loads(cli("data", tmp_path / "out", "--json").stdout)
    assert summary["n_cases"] == 2 and summary["image_sizes"] == {"51x51": 2}
    assert summary["n_malignant"] == 1 and summary["n_benign"] == 1
    from benchmark.ground.data import load_dataset

    assert load_dataset(tmp_path / "out").reference == "semi-automatic"  # it says so


@pytest.mark.parametrize("row, fragment", [
    ("0003p1_1_1,5,45,4,44", "rois.csv:3: unknown case '0003p1_1_1'"),
    ("0002p1_1_2,5,60,4,44", "rois.csv:3: ROI: rectangle rows 5-60"),
    ("0002p1_1_2,5,60,4,44", "on 0002p1_1_2's preprocessed grid, 51 x 51 (its raw 400 x 400 "
     "crop smoothed and shrunk by 8; --preview writes that grid)"),
    ("0002p1_1_2,5,x,4,44", "row 3: row_min, row_max, col_min, col_max must be integers"),
    ("0002p1_1_2,40,5,4,44", "rois.csv:3: ROI: rectangle rows 40-5, cols 4-44 is inverted"),
])
def test_segment_bad_rows_name_the_row_and_write_nothing(tmp_path, row, fragment):
    raw = tmp_path / "raw"
    raw.mkdir()
    _raw_crops(raw)
    rois = tmp_path / "rois.csv"
    rois.write_text(f"case,row_min,row_max,col_min,col_max\n0001p1_1_1,5,45,4,44\n{row}\n")
    out = cli("segment", raw, "--rois", rois, "--out", tmp_path / "out")
    assert out.returncode == 2 and fragment in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def _rois(path, rows, separator=","):
    lines = ["case,row_min,row_max,col_min,col_max", *rows]
    path.write_text("\n".join(line.replace(",", separator) for line in lines) + "\n")
    return path


def test_segment_refuses_an_out_folder_holding_masks_unless_overwrite(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    out.mkdir()
    _raw_crops(raw)
    rois = _rois(tmp_path / "rois.csv", BOXES)
    drawn = out / "0002p1_1_2_mass_mask.png"  # the user's own, hand-drawn mask
    from PIL import Image

    Image.fromarray(np.full((51, 51), 255, np.uint8)).save(drawn)
    before = drawn.read_bytes()
    refused = cli("segment", raw, "--rois", rois, "--out", out)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"python -m benchmark: {drawn}: --out already holds this file, which segment would "
        "replace or mix with its own; choose a new or empty folder, or give --overwrite to "
        "replace them"]
    assert sorted(out.iterdir()) == [drawn] and drawn.read_bytes() == before
    drawn.unlink()
    (out / "reference.json").write_text('{"reference": "manual"}')
    refused = cli("segment", raw, "--rois", rois, "--out", out)
    assert refused.returncode == 2 and "reference.json: --out already holds" in refused.stderr
    done = cli("segment", raw, "--rois", rois, "--out", out, "--overwrite")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert json.loads((out / "reference.json").read_text())["reference"] == "semi-automatic"


def test_segment_preview_writes_the_grids_the_boxes_are_drawn_on(tmp_path):
    from benchmark.ground.data.imageio import read_image, write_pgm

    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    _raw_crops(raw)
    write_pgm(raw / "0003p1_1_1.pgm", np.full((512, 512), 90, np.uint8))
    preview = cli("segment", raw, "--preview", "--out", out)
    assert preview.returncode == 0, preview.stderr
    assert "0003p1_1_1: preprocessed grid 65 x 65 (raw 512 x 512)" in preview.stdout
    assert "0001p1_1_1: preprocessed grid 51 x 51 (raw 400 x 400)" in preview.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        f"000{i}p1_1_{j}_resized.pgm" for i, j in ((1, 1), (2, 2), (3, 1))]
    assert read_image(out / "0003p1_1_1_resized.pgm")[0].shape == (65, 65)
    grid = (out / "0001p1_1_1_resized.pgm").read_bytes()
    # then the boxes, drawn on those grids; the preview's files are not in the way, the crop
    # the ROI file (';'-separated) leaves out is named
    rois = _rois(tmp_path / "rois.csv", BOXES, ";")
    done = cli("segment", raw, "--rois", rois, "--out", out)
    assert done.returncode == 0, done.stderr
    assert (out / "0001p1_1_1_resized.pgm").read_bytes() == grid
    assert (out / "0001p1_1_1_mass_mask.pgm").is_file()
    assert done.stderr.strip().splitlines() == [
        f"python -m benchmark segment: 1 crop(s) of {raw} have no row in {rois} and were not "
        f"segmented: 0003p1_1_1; 1 of them have a grid but no mask in {out} (from --preview): "
        "add their boxes or delete those grids"]


def test_segment_names_the_crops_its_rois_leave_out(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _raw_crops(raw)
    from benchmark.ground.data.imageio import write_pgm

    for i in range(3, 10):
        write_pgm(raw / f"000{i}p1_1_1.pgm", np.full((64, 64), 90, np.uint8))
    rois = _rois(tmp_path / "rois.csv", BOXES[:1])
    done = cli("segment", raw, "--rois", rois, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"python -m benchmark segment: 8 crop(s) of {raw} have no row in {rois} and were not "
        "segmented: 0002p1_1_2, 0003p1_1_1, 0004p1_1_1, 0005p1_1_1, 0006p1_1_1 and 3 more"]


def test_segment_says_which_masks_came_out_empty(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _raw_crops(raw)
    rois = _rois(tmp_path / "rois.csv", ["0001p1_1_1,5,45,4,44", BOXES[1]])  # 5-45: nothing
    done = cli("segment", raw, "--rois", rois, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines() == [
        "python -m benchmark segment: the mask of 1 case(s) came out empty: 0001p1_1_1; look "
        f"at their <case>_overlay.png in {tmp_path / 'out'} and redraw the box: `data` and "
        "`run` refuse an empty reference mask"]


def test_segment_refuses_a_jpeg_crop_saying_why(tmp_path):
    from PIL import Image

    raw = tmp_path / "raw"
    raw.mkdir()
    Image.fromarray(np.full((64, 64), 90, np.uint8)).save(raw / "0001p1_1_1.jpg")
    rois = _rois(tmp_path / "rois.csv", ["0001p1_1_1,1,5,1,5"])
    for args in (["--rois", rois], ["--preview"]):
        out = cli("segment", raw, *args, "--out", tmp_path / "out")
        assert out.returncode == 2 and "0001p1_1_1.jpg: JPEG is not accepted" in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "out").exists()


def test_data_names_an_empty_mask_and_run_refuses_it_before_writing(tmp_path):
    assert cli("make-phantom", tmp_path / "d", "--cases", 6, "--size", 32).returncode == 0
    victim = sorted((tmp_path / "d").glob("*_mass_mask.pgm"))[2]
    case = victim.name.removesuffix("_mass_mask.pgm")
    from benchmark.ground.data.imageio import write_pgm

    write_pgm(victim, np.zeros((32, 32), np.uint8))
    data = cli("data", tmp_path / "d")
    assert data.returncode == 2
    assert data.stderr.strip() == (f"python -m benchmark: {victim}: case {case}: the reference "
                                   "mask is empty (all zero), so every method would score 0 on "
                                   "it; draw its mass or leave the case out")
    run = cli("run", "--methods", "otsu", "--profile", "quick", "--data", tmp_path / "d",
              "--out", tmp_path / "run")
    assert run.returncode == 2 and run.stderr == data.stderr
    assert not (tmp_path / "run").exists()


def test_data_says_how_patients_were_derived_and_run_repeats_the_warning(tmp_path):
    from benchmark.ground.data.imageio import write_pgm

    folder = tmp_path / "lesions"
    folder.mkdir()
    mask = np.zeros((32, 32), np.uint8)
    mask[10:20, 10:20] = 255
    for i in range(1, 13):
        write_pgm(folder / f"lesion{i}_resized.pgm", np.full((32, 32), 90, np.uint8))
        write_pgm(folder / f"lesion{i}_mass_mask.pgm", mask)
    data = cli("data", folder)
    assert data.returncode == 0, data.stderr
    assert "patient = first four characters of the case id (course naming)" in data.stdout
    assert "warning      patients may be wrong: 12 of 12 case ids do not start with four " \
           "digits" in data.stdout
    run = cli("run", "--methods", "otsu", "--profile", "quick", "--data", folder, "--out",
              tmp_path / "run")
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert "--folds must be at most the number of patients (and at least 2) of dataset " \
           "'lesions' (1); got 2; patients may be wrong" in run.stderr
    assert "give a manifest CSV with a patient column" in run.stderr
    assert not (tmp_path / "run").exists()


def test_segment_runs_on_the_real_crops(tmp_path, course_samples):
    rois = tmp_path / "rois.csv"
    rois.write_text("case,row_min,row_max,col_min,col_max\n0016p1_2_1,45,90,45,115\n"
                    "0025p1_4_1,25,80,45,95\n0036p1_1_1,40,85,38,88\n")
    out = cli("segment", course_samples[0].parent, "--rois", rois, "--out", tmp_path / "o")
    assert out.returncode == 0, out.stderr
    assert json.loads(cli("data", tmp_path / "o", "--json").stdout)["n_cases"] == 3


def test_classify_prints_auc_per_classifier(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 20)
    lines = ["case,patient,label,f0,f1"] + [
        f"c{i},p{i // 2},{y[i]},{rng.normal() + 6 * y[i]:.4f},{rng.normal():.4f}"
        for i in range(40)]
    (tmp_path / "features.csv").write_text("\n".join(lines) + "\n")
    out = cli("classify", tmp_path / "features.csv", "--repeats", 1)
    assert out.returncode == 0, out.stderr
    for name in ("svm_rbf", "svm_linear", "random_forest"):
        assert name in out.stdout
    assert (tmp_path / "classification.csv").exists() and (tmp_path / "roc.png").exists()


def test_the_console_script_names_itself(tmp_path):
    script = Path(sys.executable).with_name("massbench")
    if not script.exists():
        pytest.skip("the massbench console script is not installed in this environment")
    out = subprocess.run([str(script), "run", "--methods", "snake"], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.startswith("massbench run: error: argument --methods")
    assert subprocess.run([str(script), "--help"], capture_output=True, text=True,
                          timeout=60).stdout.startswith("usage: massbench")
