"""The README's commands, run as a student would type them (with small data where needed).

Every line of the README's ``bash`` blocks is either a massbench command, run here in order in
a scratch folder (later commands use what earlier ones wrote), or a set-up step (clone, venv,
pip install, tox) whose parts are checked against the project (the extras it names exist).
The commands of the command table are run with ``--help``. The standard run and any ``run``
without a profile are run with ``--profile quick`` and four methods: the same code path on
small data.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
#: Set-up steps: checked, not run (the clone and the installs are what CI itself does).
SETUP = ("git clone", "cd massbench", "python3.11 -m venv", "source .venv/bin/activate",
         "python -m pip install", "tox")
#: What a full ``run`` becomes here: the same command on the quick profile, four methods.
SMALL_METHODS = "otsu,radial_maxvar,roi_ellipse,prior_disk"

pytestmark = pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="the README's commands run once, under the default backend")


def readme_commands() -> list[str]:
    """Every command line of the README's bash blocks, comments removed, in order."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    lines = []
    for block in blocks:
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line:
                lines.append(line)
    return lines


def table_commands() -> list[str]:
    """The command names of the README's command table (its first column)."""
    table = README.read_text().split("## The commands", 1)[1].split("\n\n", 2)[1]
    names = re.findall(r"^\| `([a-z-]+)", table, flags=re.M)
    return list(dict.fromkeys(names))


def test_the_readme_stays_short_for_a_student():
    assert len(README.read_text().splitlines()) <= 250


def test_setup_steps_name_what_the_project_has():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    text = README.read_text()
    for extra in re.findall(r'pip install "\.\[([a-z-]+)\]"', text):
        assert extra in extras, extra
    for line in readme_commands():
        assert line.startswith(SETUP) or line.startswith("python -m benchmark "), line
    # CI runs exactly the README's test command
    assert "python -m pip install tox && tox" in (ROOT / ".ci" / "run").read_text()
    assert "python -m pip install tox && tox" in readme_commands()


def _small(argv: list[str]) -> list[str]:
    """A README ``run`` on small data: the quick profile and four methods."""
    if argv[0] != "run" or "--profile" in argv and "quick" in argv and "--all" in argv:
        return argv
    argv = [a for a in argv if a != "--all"]
    if "--methods" not in argv:
        argv += ["--methods", SMALL_METHODS]
    if "--profile" not in argv:
        argv += ["--profile", "quick"]
    return argv


def _raw_crops(folder: Path, rois: Path) -> None:
    """Two raw crops (bright disks, 240 px) and their boxes on the preprocessed grid."""
    from benchmark.ground.data.imageio import write_pgm

    folder.mkdir()
    yy, xx = np.mgrid[:240, :240]
    for name, (r, c) in {"0001_a_1": (120, 120), "0002_b_2": (100, 140)}.items():
        image = 60 + 120 * (((yy - r) ** 2 + (xx - c) ** 2) < 50 ** 2)
        write_pgm(folder / f"{name}.pgm", image.astype(np.uint8))
    rois.write_text("case,row_min,row_max,col_min,col_max\n"
                    "0001_a_1,6,25,6,25\n0002_b_2,4,23,8,27\n")


def test_every_readme_command_runs(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "3"}
    _raw_crops(tmp_path / "raw_crops", tmp_path / "rois.csv")
    ran = []
    for line in readme_commands():
        if not line.startswith("python -m benchmark "):
            continue
        argv = _small(shlex.split(line)[3:])
        result = subprocess.run([sys.executable, "-m", "benchmark", *argv], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, (line, result.stderr[-2000:])
        ran.append(argv[0])
    assert {"run", "make-phantom", "data", "segment", "classify", "report"} <= set(ran)
    # what the README says the commands leave behind
    assert (tmp_path / "runs" / "quick" / "report.html").is_file()
    assert "At a glance" in (tmp_path / "runs" / "quick" / "summary.txt").read_text()
    assert sorted(p.name for p in (tmp_path / "my_reference").glob("0001_a_1_*")) == [
        "0001_a_1_mass_mask.pgm", "0001_a_1_overlay.png", "0001_a_1_resized.pgm"]
    assert (tmp_path / "runs" / "mine" / "features_reference.csv").is_file()


@pytest.mark.parametrize("command", table_commands())
def test_every_command_of_the_table_answers_help(command):
    result = subprocess.run([sys.executable, "-m", "benchmark", command, "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
