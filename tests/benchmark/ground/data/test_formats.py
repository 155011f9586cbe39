"""The format registry: detection order, forcing a format, mini-MIAS refused, a light import."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.ground.data import load_dataset, scan_dataset
from benchmark.ground.errors import InputError, ParameterError
from benchmark.ground.formats import (
    FORMAT_NAMES,
    FORMATS,
    detect_format,
    get_format,
    scan,
    split_spec,
    with_format,
)
from tests.benchmark.ground.data.synthetic import (
    CbisRow,
    InbreastImage,
    triangle,
    write_cbis,
    write_inbreast,
    write_mias,
)

ROOT = Path(__file__).resolve().parents[4]


def test_the_registry_holds_every_format_of_the_design():
    assert FORMAT_NAMES == ("phantom", "manifest", "cbis-ddsm", "inbreast", "mini-mias",
                            "course")
    for fmt in FORMATS.values():  # each has a detector, and a loader or a refusal, never both
        assert fmt.detect and bool(fmt.loader) != bool(fmt.refusal)
    assert FORMATS["course"] is list(FORMATS.values())[-1]  # any folder: tried last


def test_each_copy_is_detected_as_its_format(tmp_path, phantom_folder):
    pytest.importorskip("pydicom")
    cbis = write_cbis(tmp_path / "cbis", [CbisRow("P_00001")])
    inb = write_inbreast(tmp_path / "inb", [InbreastImage("1", "0" * 16,
                                                          rois=[("Mass", triangle())])])
    mias = write_mias(tmp_path / "mias")
    manifest = tmp_path / "m.csv"
    manifest.write_text("image,mask\n")
    found = {p: detect_format(p).name for p in (cbis, inb, inb.parent, mias, manifest,
                                               phantom_folder)}
    assert list(found.values()) == ["cbis-ddsm", "inbreast", "inbreast", "mini-mias",
                                    "manifest", "course"]
    assert detect_format("phantom").name == "phantom"


def test_mini_mias_is_refused_in_one_sentence(tmp_path):
    mias = write_mias(tmp_path / "all-mias")
    with pytest.raises(InputError) as info:
        scan_dataset(mias)
    message = str(info.value)
    assert "mini-MIAS" in message and "circle" in message and "\n" not in message


def test_a_forced_format_skips_detection(tmp_path, phantom_folder):
    forced = scan(phantom_folder, format="course")
    assert forced.forced and forced.format == "course" and len(forced.dataset) == 24
    assert scan(f"course:{phantom_folder}").forced
    wrong = scan(phantom_folder, format="cbis-ddsm")  # no description CSV there
    assert wrong.dataset is None and "mass_case_description" in wrong.problems[0]["problem"]
    with pytest.raises(ParameterError, match="(?i)did you mean 'inbreast'"):
        load_dataset(phantom_folder, format="inbrest")


def test_specs_name_a_format_only_with_a_registered_prefix():
    assert split_spec("cbis-ddsm:/data/x") == ("cbis-ddsm", "/data/x")
    assert split_spec("C:/data/x") == (None, "C:/data/x")
    assert split_spec("phantom") == (None, "phantom")
    assert with_format("course", "inbreast:/d") == "course:/d"
    assert with_format(None, "/d") == "/d"
    assert get_format("inbreast").extra == "dicom"


def test_missing_and_unknown_paths_are_problems_not_errors(tmp_path):
    dataset, problems = scan_dataset(tmp_path / "nope")
    assert dataset is None and "no such file or folder" in problems[0]["problem"]
    other = tmp_path / "notes.txt"
    other.write_text("x")
    assert "expected a course-format folder" in scan_dataset(other)[1][0]["problem"]


def test_the_registry_imports_nothing_heavy():
    code = ("import json, sys; import benchmark.ground.formats; print(json.dumps("
            "sorted(m for m in ('numpy', 'pydicom', 'scipy', 'pandas') if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True)
    assert json.loads(out.stdout) == []
