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
                            "n_patients", "image_sizes", "problems", "format", "n_dropped",
                            "dropped", "notes"}
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
    for name in SEGMENTERS:
        assert name in out.stdout
    assert "semi-automatic" in out.stdout and "classical" in out.stdout
    for name in ("cae", "unet_course", "unet", "attention_unet"):
        assert f"  {name} " in out.stdout
    assert " deep " in out.stdout


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


def test_segment_writes_course_pairs_that_load(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _raw_crops(raw)
    rois = tmp_path / "rois.csv"
    rois.write_text("case,row_min,row_max,col_min,col_max\n0001p1_1_1,5,45,4,44\n"
                    "0002p1_1_2,6,44,5,43\n")
    out = cli("segment", raw, "--rois", rois, "--out", tmp_path / "out")
    assert out.returncode == 0, out.stderr
    assert "0001p1_1_1: preprocessed grid 51 x 51" in out.stdout and "<case>" not in out.stdout
    assert "grid(s), on which the ROIs are given: 51 x 51\n" in out.stdout
    from PIL import Image

    from benchmark.ground.data.course import read_mask

    for case in ("0001p1_1_1", "0002p1_1_2"):
        overlay = np.asarray(Image.open(tmp_path / "out" / f"{case}_overlay.png"))
        mask = read_mask(tmp_path / "out" / f"{case}_mass_mask.pgm")
        assert overlay.shape == (51, 51, 3)
        outline = (overlay == (230, 159, 0)).all(axis=2)
        assert outline.any() == mask.any() and not (outline & ~mask).any()
    assert (overlay[6, 5:44] == (0, 114, 178)).all()  # the second ROI's top side
    summary = json.loads(cli("data", tmp_path / "out", "--json").stdout)
    assert summary["n_cases"] == 2 and summary["image_sizes"] == {"51x51": 2}
    assert summary["n_malignant"] == 1 and summary["n_benign"] == 1
    from benchmark.ground.data import load_dataset

    assert load_dataset(tmp_path / "out").reference == "semi-automatic"  # it says so


@pytest.mark.parametrize("row, fragment", [
    ("0003p1_1_1,5,45,4,44", "rois.csv:3: unknown case '0003p1_1_1'"),
    ("0002p1_1_2,5,60,4,44", "rois.csv:3: ROI: rectangle rows 5-60"),
    ("0002p1_1_2,5,60,4,44", "on 0002p1_1_2's preprocessed grid, 51 x 51 (its raw 400 x 400 "
     "crop smoothed and shrunk by 8)"),
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
