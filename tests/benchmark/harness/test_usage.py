"""The command line's first answer: usage errors before heavy imports, "did you mean", help,
exit codes; and what a run says while it works (cell times, time left, narrow terminals)."""

import io
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from benchmark.harness import cells, cli, progress
from benchmark.harness.cli import did_you_mean, main
from benchmark.harness.methods import method_names
from benchmark.harness.profiles import PROFILES
from benchmark.harness.progress import Progress

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("tensorflow", "keras", "sklearn", "skimage", "matplotlib", "numba", "scipy", "torch",
         "jax")


def _main_in_fresh_process(args, cwd, **environment):
    """Exit code, stderr and the heavy modules imported by ``main(args)`` in a new process."""
    code = ("import json, sys\nfrom benchmark.harness.cli import main\n"
            f"try:\n    rc = main({list(map(str, args))!r})\n"
            "except SystemExit as exc:  # argparse's own usage errors\n    rc = exc.code\n"
            f"print(json.dumps([rc, sorted(m for m in {HEAVY!r} if m in sys.modules)]))")
    env = dict(os.environ, PYTHONPATH=str(ROOT), **environment)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=cwd, env=env, timeout=120)
    rc, heavy = json.loads(out.stdout.strip().splitlines()[-1])
    return rc, out.stderr, heavy


@pytest.mark.parametrize("args, fragment", [
    (["run", "--methods", "otsuu"], "unknown method 'otsuu'; did you mean 'otsu'?"),
    (["run", "--methods", "otsu,unett"], "unknown method 'unett'; did you mean 'unet'?"),
    (["run", "--all", "--profile", "quik"], "unknown profile 'quik'; did you mean 'quick'?"),
    (["study", "robustnes"], "unknown study 'robustnes'; did you mean 'robustness'?"),
    (["rnu", "--all"], "unknown command 'rnu'; did you mean 'run'?"),
    (["run", "--all", "--folds", "1"], "--folds must be an integer >= 2; got 1"),
    (["run", "--all", "--data", "no/such/data"], "--data no/such/data: no such file"),
    (["segment", "no/raw", "--rois", "r.csv", "--out", "o"], "no/raw: not a folder"),
    (["segment", ".", "--rois", "r.csv", "--out", "o"], "r.csv: no such ROI file"),
    (["segment", ".", "--rois", "r.csv", "--out", "o", "--method", "unet"],
     "unknown segment method 'unet'"),
    (["classify", "no.csv"], "no.csv: no such feature table"),
    (["report", "no/run"], "no/run: no such run folder"),
    (["segment", ".", "--out", "o"], "one of the arguments --rois --preview is required"),
    (["segment", ".", "--rois", "r.csv", "--preview", "--out", "o"], "argument --preview: "
     "not allowed with argument --rois"),
    (["list", "--profile", "quik"], "unknown profile 'quik'; did you mean 'quick'?"),
])
def test_usage_errors_are_answered_before_any_heavy_import(args, fragment, tmp_path):
    rc, stderr, heavy = _main_in_fresh_process(args, tmp_path)
    assert rc == 2
    assert fragment in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert heavy == []
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("command", [["run", "--all"], ["study", "robustness", "--all"]])
def test_a_misspelled_keras_backend_is_one_line_before_any_heavy_import(command, tmp_path):
    rc, stderr, heavy = _main_in_fresh_process(command, tmp_path, KERAS_BACKEND="pytorch",
                                               KERAS_HOME=str(tmp_path / "keras"))
    assert rc == 2 and heavy == []
    assert "KERAS_BACKEND='pytorch' is not a Keras backend massbench trains with; did you " \
           "mean 'torch'? (choose from tensorflow, jax, torch)" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_a_deep_method_with_a_misspelled_backend_stops_before_keras(tmp_path):
    rc, stderr, heavy = _main_in_fresh_process(["run", "--methods", "otsu,unet", "--out", "o"],
                                               tmp_path, KERAS_BACKEND="pytorch",
                                               KERAS_HOME=str(tmp_path / "keras"))
    assert rc == 2, stderr
    assert "keras" not in heavy and "tensorflow" not in heavy and "torch" not in heavy
    assert stderr.strip().endswith("or leave the deep methods out")
    assert "did you mean 'torch'?" in stderr and len(stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())  # Keras never started (it makes its home)


def test_folds_zero_and_one_get_the_same_words():
    out = [subprocess.run([sys.executable, "-m", "benchmark", "run", "--all", "--folds", k],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
           for k in ("0", "1")]
    assert [o.returncode for o in out] == [2, 2]
    assert out[0].stderr.replace("got 0", "got 1") == out[1].stderr


def test_too_many_folds_names_the_dataset_and_its_most_and_keeps_an_existing_folder(
        tmp_path, capsys):
    existing = tmp_path / "kept"
    existing.mkdir()  # empty: a folder the user made for the run
    for out in (tmp_path / "new", existing):
        assert main(["run", "--methods", "otsu", "--profile", "quick", "--folds", "30",
                     "--out", str(out)]) == 2
        message = capsys.readouterr().err
        assert "--folds must be at most the number of patients (and at least 2) of " \
               "dataset 'phantom' (26); got 30" in message
    assert not (tmp_path / "new").exists()
    assert existing.is_dir()


def test_did_you_mean_says_nothing_for_a_name_far_from_all():
    assert did_you_mean("zzzz", method_names()) == ""
    assert did_you_mean("chan_vesee", method_names()) == "; did you mean 'chan_vese'?"


def test_help_documents_the_exit_codes():
    text = cli.build_parser().format_help()
    for code in ("0 ", "1 ", "2 ", "130"):
        assert f"\n  {code}" in text
    assert "interrupted" in text


def test_ctrl_c_exits_130_with_one_line(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    module = types.ModuleType("benchmark.harness.commands.listing")
    module.cmd_list = interrupted
    monkeypatch.setitem(sys.modules, "benchmark.harness.commands.listing", module)
    assert main(["list"]) == 130
    assert capsys.readouterr().err.strip().endswith("interrupted")


def test_segment_help_offers_only_the_methods_it_accepts():
    sub = cli.build_parser()._subparsers._group_actions[0].choices["segment"]
    text = sub.format_help()
    assert "radial_maxvar" in text and "unet" not in text and "chan_vese_auto" not in text
    assert "`list` shows" not in text


# --- what a run says ---------------------------------------------------------------------

def test_the_time_left_counts_each_method_at_its_own_pace():
    stream = io.StringIO()
    first = PROFILES["standard"].first_cell_s
    bar = Progress(5, mode="log", stream=stream, pending=["otsu"] * 3 + ["unet"] * 2,
                   families={"otsu": "classical", "unet": "deep"}, first_cell_s=first)
    assert bar.remaining() is None
    bar.finished("otsu", 0, 2.0)
    seconds, rough = bar.remaining()
    assert rough and seconds == pytest.approx(2 * 2.0 + 2 * first["deep"])
    bar.finished("otsu", 1, 4.0)
    bar.finished("otsu", 2, 3.0)
    bar.finished("unet", 0, 300.0)
    seconds, rough = bar.remaining()
    assert not rough and seconds == pytest.approx(300.0)
    assert stream.getvalue().splitlines()[-1].endswith("about 5:00 left)")
    assert "(rough)" in stream.getvalue().splitlines()[0]


def test_a_method_without_history_takes_its_familys_pace_and_jobs_share_the_work():
    bar = Progress(4, mode="quiet", pending=["otsu", "chan_vese", "chan_vese", "unet"],
                   families={"otsu": "classical", "chan_vese": "classical", "unet": "deep"},
                   jobs=2, first_cell_s=PROFILES["standard"].first_cell_s)
    bar.finished("otsu", 0, 10.0)
    seconds, rough = bar.remaining()
    assert rough and seconds == pytest.approx(
        (2 * 10.0 + PROFILES["standard"].first_cell_s["deep"]) / 2)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_of_zero_columns_gets_plain_lines(monkeypatch):
    monkeypatch.setattr(progress, "_columns", lambda stream: 0)
    stream = _Terminal()
    bar = Progress.choose(2, stream=stream)
    assert bar.mode == "log"
    bar.finished("otsu", 0, 1.0)
    assert "[1/2] otsu fold 0: done in 1.0 s" in stream.getvalue()


def test_a_wide_terminal_gets_a_bar_with_the_time_left(monkeypatch):
    monkeypatch.setattr(progress, "_columns", lambda stream: 120)
    stream = _Terminal()
    bar = Progress.choose(3, stream=stream, pending=["otsu"] * 3)
    assert bar.mode == "bar"
    bar.finished("otsu", 0, 61.0)
    bar.close()
    assert "1/3 cells" in stream.getvalue() and "about 2:02 left" in stream.getvalue()


def test_a_cells_time_leaves_out_start_up_and_imports(monkeypatch, tmp_path):
    from benchmark.ground.data import make_phantom
    from benchmark.harness import methods
    from benchmark.harness.profiles import get_profile

    now = [1000.0]
    monkeypatch.setattr(cells, "time", types.SimpleNamespace(
        time=lambda: now[0], perf_counter=lambda: now[0]))
    real = methods.make_method

    def slow_to_import(*args, **kwargs):
        now[0] += 100.0  # a worker's first imports
        return real(*args, **kwargs)

    monkeypatch.setattr(methods, "make_method", slow_to_import)
    data = make_phantom(6, size=32)
    cases = list(data)
    rois = {c.id: (2, 28, 2, 28) for c in cases}
    task = cells.CellTask(run_dir=str(tmp_path), method="otsu", fold=0,
                          profile=get_profile("quick"), seed=0, train=tuple(cases[:3]),
                          val=tuple(cases[3:4]), test=tuple(cases[4:]), rois=rois)
    record = cells.run_cell(task)
    assert record["started"] == 1100.0 and record["finished"] - record["started"] == 0.0
