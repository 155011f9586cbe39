"""Public datasets through the command line: data, list, --format, refusals, quick runs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.ground.formats import FORMAT_NAMES
from tests.benchmark.ground.data.synthetic import (
    CbisRow,
    cbis_for_run,
    inbreast_for_run,
    write_cbis,
    write_mias,
)

ROOT = Path(__file__).resolve().parents[3]
QUICK = ["--methods", "otsu,radial_maxvar,roi_ellipse", "--profile", "quick", "--folds", "2"]


def cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("MASSBENCH_CACHE", None)
    return subprocess.run([sys.executable, "-m", "benchmark", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_list_shows_every_format_of_the_registry(monkeypatch, capsys):
    from benchmark.harness.commands import listing

    monkeypatch.setattr(listing, "all_methods", lambda deep=True: {})
    assert listing.cmd_list(None) == 0
    out = capsys.readouterr().out
    for name in FORMAT_NAMES:
        assert f"  {name} " in out
    assert "refused" in out and "synthetic crops" in out  # mini-MIAS; the phantom's details


def test_data_says_format_kept_dropped_and_how(tmp_path):
    pytest.importorskip("pydicom")
    root = write_cbis(tmp_path / "cbis", [CbisRow("P_00001"), CbisRow("P_00002", view="MLO"),
                                          CbisRow("P_00003", mask_shape=(150, 110))])
    out = cli("data", root)
    assert out.returncode == 0, out.stderr
    assert "format       cbis-ddsm (detected" in out.stdout
    assert "cases        2" in out.stdout and "dropped      3 (kept 2" in out.stdout
    assert "2  calcification row" in out.stdout
    assert "1  mask size 150x110 differs from its image 160x120: " \
           "Mass-Training_P_00003_LEFT_CC_1" in out.stdout
    assert "note         pixels: DICOM values" in out.stdout
    assert "note         labels: the description CSV's pathology" in out.stdout
    summary = json.loads(cli("data", root, "--json").stdout)
    assert summary["format"] == "cbis-ddsm" and summary["n_dropped"] == 3
    assert summary["n_cases"] == 2 and summary["n_patients"] == 2
    assert {d["case"] for d in summary["dropped"]} >= {"Mass-Training_P_00003_LEFT_CC_1"}


def test_format_forces_one_and_a_misspelt_one_is_a_usage_error(tmp_path):
    pytest.importorskip("pydicom")
    root = write_cbis(tmp_path / "cbis", [CbisRow("P_00001")])
    forced = cli("data", root, "--format", "course")
    assert forced.returncode == 2 and "format       course (forced" in forced.stdout
    assert "no cases found" in forced.stderr
    bad = cli("data", root, "--format", "inbrest")
    assert bad.returncode == 2 and "did you mean 'inbreast'" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_mini_mias_is_refused_in_one_line_by_data_and_run(tmp_path):
    mias = write_mias(tmp_path / "mias")
    for args in (["data", mias], ["run", "--data", mias, *QUICK, "--out", tmp_path / "r"]):
        out = cli(*args)
        lines = out.stderr.strip().splitlines()
        assert out.returncode == 2 and len(lines) == 1 and "Traceback" not in out.stderr
        assert "mini-MIAS" in lines[0] and "circle" in lines[0]
    assert not (tmp_path / "r").exists()


def test_a_quick_run_on_a_cbis_ddsm_copy(tmp_path):
    pytest.importorskip("pydicom")
    from benchmark.harness.runner import run_benchmark

    root = cbis_for_run(tmp_path / "cbis")
    out = run_benchmark(["otsu", "radial_maxvar", "roi_ellipse"], data=str(root),
                        profile="quick", folds=2, out=tmp_path / "run", quiet=True)
    record = json.loads((out / "run.json").read_text())
    assert record["dataset"]["n_cases"] == 12 and record["dataset"]["n_patients"] == 6
    assert record["dataset"]["generator"] == "massbench cbis-ddsm importer 1"
    assert "patient_id" in record["dataset"]["patients_from"]
    metrics = (out / "metrics.csv").read_text().splitlines()
    assert len(metrics) == 1 + 3 * 12  # three methods, every case tested once


def test_a_quick_run_on_an_inbreast_copy_says_its_labels_are_birads(tmp_path):
    pytest.importorskip("pydicom")
    root = inbreast_for_run(tmp_path / "inb")
    out = cli("run", "--data", root, *QUICK, "--out", tmp_path / "run", "--quiet")
    assert out.returncode == 0, out.stderr
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert "BI-RADS-derived" in record["dataset"]["labels_from"]
    report = (tmp_path / "run" / "report.html").read_text()
    assert "Labels from" in report and "BI-RADS-derived, not pathology" in report
