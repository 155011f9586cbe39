"""The command line, run as users run it: exit codes, one-line errors, JSON keys."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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


@pytest.mark.parametrize("args", [["run", "--all"], ["report", "x"], ["classify", "f.csv"],
                                  ["compare", "a", "b"],
                                  ["segment", "raw", "--rois", "r.csv", "--out", "o"]])
def test_commands_not_built_say_so_and_exit_2(args):
    out = cli(*args)
    assert out.returncode == 2
    assert "not built yet" in out.stderr and len(out.stderr.strip().splitlines()) == 1


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
                            "n_patients", "image_sizes", "problems"}
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
    (["make-phantom", "x", "--size", "16"], "--size must be at least 32"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_usage_is_one_line_and_exit_2(args, fragment, tmp_path):
    out = cli(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert fragment in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_list_names_the_phantom_dataset():
    out = cli("list")
    assert out.returncode == 0 and "phantom" in out.stdout


def test_make_phantom_refuses_a_folder_holding_other_files(tmp_path):
    assert cli("make-phantom", tmp_path / "ph", "--cases", 3, "--size", 32).returncode == 0
    again = cli("make-phantom", tmp_path / "ph", "--cases", 3, "--size", 32)
    assert again.returncode == 0  # the same command twice is harmless
    other = cli("make-phantom", tmp_path / "ph", "--cases", 2, "--size", 32)
    assert other.returncode == 2 and "not empty" in other.stderr
    assert len(list((tmp_path / "ph").glob("*_resized.pgm"))) == 3
