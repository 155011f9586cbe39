"""The Python API: ``benchmark.run`` / ``evaluate`` / ``load`` write what the CLI writes."""

import html.parser
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import benchmark
from benchmark.ground import store
from benchmark.ground.errors import InputError, ParameterError
from benchmark.harness import progress
from benchmark.harness.cells import TIMING_COLUMNS
from benchmark.harness.cli import main
from benchmark.harness.progress import Progress
from benchmark.harness.results import LEADERBOARD_COLUMNS, Figures, Results
from reports.format import fmt, fmt_p

ROOT = Path(__file__).resolve().parents[3]
METHODS = ["otsu", "roi_ellipse", "box_shape"]
HEAVY = ("tensorflow", "keras", "sklearn", "skimage", "matplotlib", "numba", "scipy", "torch",
         "jax", "pandas", "reports")
backend_independent = pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="backend-independent; runs in the tensorflow environment")


@pytest.fixture(scope="module")
def api_run(tmp_path_factory, phantom_folder):
    out = tmp_path_factory.mktemp("api") / "run"
    return benchmark.run(methods=METHODS, data=phantom_folder, profile="quick", folds=2,
                         out=out, jobs=1, quiet=True)


def without_timings(path):
    return pd.read_csv(path, dtype={"case": str, "patient": str}).drop(columns=TIMING_COLUMNS)


def test_import_benchmark_and_its_api_names_stay_light():
    code = ("import json, sys\nimport benchmark\nbenchmark.run, benchmark.evaluate, "
            "benchmark.load, benchmark.make_phantom\n"
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@backend_independent
def test_run_writes_what_the_command_line_writes(api_run, phantom_folder, tmp_path, capsys):
    assert isinstance(api_run, Results) and api_run.report.is_file()
    cli_out = tmp_path / "cli"
    assert main(["run", "--methods", ",".join(METHODS), "--data", str(phantom_folder),
                 "--profile", "quick", "--folds", "2", "--out", str(cli_out), "--jobs", "1",
                 "--quiet"]) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(without_timings(api_run.path / store.METRICS_CSV),
                                  without_timings(cli_out / store.METRICS_CSV))
    ours = json.loads((api_run.path / store.RUN_JSON).read_text())
    theirs = json.loads((cli_out / store.RUN_JSON).read_text())
    assert ours["settings"] == {**theirs["settings"]}
    # the API's command is the equivalent command line, which continues the API's folder
    assert ours["command"][3:5] == ["run", "--methods"]
    pd.testing.assert_frame_equal(api_run.metrics.drop(columns=TIMING_COLUMNS),
                                  without_timings(api_run.path / store.METRICS_CSV),
                                  check_dtype=False)


def _report_rows(report: Path) -> dict[str, str]:
    """Method -> the text of its row in the report's leaderboard tables."""
    page = report.read_text(encoding="utf-8")
    section = page[page.index('<section id="leaderboard"'):page.index('id="tests"')]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", section, flags=re.S):
        match = re.search(r'<td class="num">(\d*)</td><td>([^<]+)', row)
        if match:  # a floor carries no rank
            rows[match.group(2)] = row
    return rows


@backend_independent
def test_leaderboard_holds_the_reports_numbers(api_run):
    board = api_run.leaderboard()
    assert list(board.columns) == LEADERBOARD_COLUMNS and set(board.index) == set(METHODS)
    assert board.loc["box_shape", "is_floor"] and board["track"].eq("roi").all()
    # ranked as the report ranks: the floors carry none, the others 1..n in order
    floors = board["family"].eq("floor")
    assert board.loc[floors, "rank"].isna().all()
    assert board.loc[~floors, "rank"].tolist() == list(range(1, int((~floors).sum()) + 1))
    rows = _report_rows(api_run.report)
    assert set(rows) == set(METHODS)
    for method, row in board.iterrows():
        text = rows[method]
        assert fmt(row["dice_mean"]) in text and fmt(row["hd95_mean"], 2) in text
        assert f"{fmt(row['dice_low'])}, {fmt(row['dice_high'])}" in text
        if not row["is_floor"]:
            floor = board.loc[board["is_floor"], "dice_mean"].iloc[0]
            assert row["vs_floor"] == pytest.approx(row["dice_mean"] - floor)
            assert f"{row['vs_floor']:+.3f}" in text and fmt_p(row["vs_floor_p"]) in text
    assert api_run.leaderboard("automatic").empty
    pd.testing.assert_frame_equal(api_run.leaderboard("ROI given"), board)
    with pytest.raises(ParameterError, match="'track'"):
        api_run.leaderboard("roi_given")


class _Checker(html.parser.HTMLParser):
    VOID = {"br", "img", "meta", "hr", "input", "link"}

    def __init__(self):
        super().__init__()
        self.open, self.text = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, tag

    def handle_data(self, data):
        self.text.append(data)


@backend_independent
def test_the_notebook_display_is_the_glance_and_the_leaderboards(api_run):
    page = api_run._repr_html_()
    checker = _Checker()
    checker.feed(page)
    assert checker.open == []  # every element closed
    text = " ".join(" ".join(checker.text).split())
    assert "Track: ROI given (floor: box_shape" in text and "smoke test" in text
    assert all(m in text for m in METHODS) and "<img" not in page  # not the whole page
    assert len(page) < 20_000


@backend_independent
def test_figures_are_the_reports_pngs(api_run):
    dice = api_run.figure("dice")
    assert isinstance(dice, Figures) and len(dice) == 1
    assert dice._repr_png_().startswith(b"\x89PNG") and "Dice" in dice.figures[0].alt
    gallery = api_run.figure("gallery", method="otsu")
    assert len(gallery) == 1 and "otsu" in gallery.figures[0].alt
    assert len(api_run.figure("gallery")) == len(METHODS)
    assert '<img src="data:image/png;base64,' in gallery._repr_html_()
    with pytest.raises(ParameterError, match="Did you mean 'gallery'"):
        api_run.figure("galery")
    with pytest.raises(ParameterError, match="'method'"):
        api_run.figure("gallery", method="unet")


@backend_independent
def test_evaluate_returns_what_the_command_line_writes(api_run, phantom_folder, tmp_path,
                                                       capsys):
    preds = tmp_path / "mine"
    preds.mkdir()
    from PIL import Image

    for cell in sorted((api_run.path / "cells" / "otsu").glob("fold_*")):
        for case, mask in store.read_masks(cell / store.PREDICTIONS_NPZ).items():
            Image.fromarray(mask.astype(np.uint8) * 255).save(preds / f"{case}_mask.png")
    ours = benchmark.evaluate(preds, data=phantom_folder, run=api_run.path,
                              out=tmp_path / "api", quiet=True)
    assert main(["evaluate", str(preds), "--data", str(phantom_folder), "--run",
                 str(api_run.path), "--out", str(tmp_path / "cli"), "--quiet"]) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(without_timings(ours.path / store.METRICS_CSV),
                                  without_timings(tmp_path / "cli" / store.METRICS_CSV))
    board = ours.leaderboard("roi")
    assert board.loc["mine", "dice_mean"] == board.loc["otsu", "dice_mean"]
    assert board.loc["mine", "family"] == "external"
    assert benchmark.load(ours.path).methods == [*METHODS, "mine"]


def test_errors_are_the_projects_one_line_errors(tmp_path):
    with pytest.raises(ParameterError, match="'methods'"):
        benchmark.run(data="phantom", out=tmp_path / "x")
    with pytest.raises(ParameterError, match="'methods'"):
        benchmark.run(methods=["otsu"], all_methods=True)
    with pytest.raises(ParameterError, match="Did you mean 'otsu'"):
        benchmark.run(methods=["otsuu"], out=tmp_path / "x")
    with pytest.raises(InputError, match="no such file or folder"):
        benchmark.run(methods="otsu", data=tmp_path / "nothing", out=tmp_path / "x")
    with pytest.raises(ParameterError, match="'profile'"):
        benchmark.run(methods="otsu", profile="quik", out=tmp_path / "x")
    with pytest.raises(ParameterError, match="'roi_margin'"):
        benchmark.run(methods="otsu", roi_margin=(0.5, 0.1), out=tmp_path / "x")
    with pytest.raises(InputError, match="no such run folder"):
        benchmark.load(tmp_path / "no_run")
    with pytest.raises(InputError, match="no such folder of predicted masks"):
        benchmark.evaluate(tmp_path / "no_preds", out=tmp_path / "x")
    assert not (tmp_path / "x").exists()
    for error in (ParameterError, InputError):  # each is one line
        try:
            benchmark.run(methods=["otsuu"]) if error is ParameterError else benchmark.load(
                tmp_path)
        except error as exc:
            assert "\n" not in str(exc)


def test_make_phantom_writes_the_course_format(tmp_path, capsys):
    folder = benchmark.make_phantom(tmp_path / "ph", cases=6, size=32)
    assert len(list(folder.glob("*_resized.pgm"))) == 6
    assert "wrote 6 cases" in capsys.readouterr().out


def test_inside_a_jupyter_kernel_progress_is_a_notebook_bar(monkeypatch):
    assert not progress.in_notebook()
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    bar = Progress.choose(3, quiet=False, pending=["otsu"] * 3)
    assert bar.mode == "notebook" and type(bar._bar).__module__.startswith("tqdm")
    bar.starting("otsu", 0)
    bar.finished("otsu", 0, 0.1)
    assert bar._bar.n == 1
    bar.close()
    assert Progress.choose(3, quiet=True).mode == "quiet"


def test_a_fake_kernel_is_recognised(monkeypatch):
    class Shell:
        config = {"IPKernelApp": {}}

    fake = type(sys)("IPython")
    fake.get_ipython = lambda: Shell()
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert progress.in_notebook()
    Shell.config = {}
    assert not progress.in_notebook()
