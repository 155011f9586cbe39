"""Plug-in methods: written outside massbench, checked before a run writes, then run like any.

A segmenter in a file outside the project (``--methods FILE.py:Class``), in an installed
package's entry point (``massbench.methods``) or given as a class from Python ranks beside
the built-in methods, resumes, runs in workers; a broken one is one line and exit code 2
with nothing written; :func:`benchmark.check_segmenter` says the same in Python.
"""

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.ground import store
from benchmark.ground.errors import InputError
from benchmark.ground.segmenter import ContractError, SegmenterProtocol, check_segmenter
from benchmark.harness import plugins
from benchmark.harness.cli import main
from benchmark.harness.methods import resolve_methods
from benchmark.harness.runner import run_benchmark

ROOT = Path(__file__).resolve().parents[3]

#: A minimal plug-in, as its author would write it (the contract's required members only).
BRIGHTEST = '''\
"""A plug-in written outside massbench."""
import numpy as np


class Brightest:
    """Threshold at the training lesions' mean brightness, inside the ROI box."""

    needs_roi = True

    def __init__(self, margin=0.1):
        self.margin = margin

    def fit(self, images, masks, *, rois=None, val=None):
        self.level_ = float(np.mean([im[m].mean() for im, m in zip(images, masks)]))
        return self

    def predict(self, images, *, rois=None):
        masks = []
        for image, (r0, r1, c0, c1) in zip(images, rois):
            mask = np.zeros(image.shape, dtype=bool)
            box = image[r0:r1 + 1, c0:c1 + 1]
            mask[r0:r1 + 1, c0:c1 + 1] = box > self.level_ - self.margin
            masks.append(mask)
        return masks
'''


def cli(*args, cwd, pythonpath=()):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *map(str, pythonpath)]))
    return subprocess.run([sys.executable, "-m", "benchmark", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """A folder outside the project holding the plug-in file and a tiny phantom."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "brightest.py").write_text(BRIGHTEST)
    assert main(["make-phantom", str(folder / "tiny"), "--cases", "16", "--size", "32",
                 "--seed", "3"]) == 0
    return folder


def _run_args(spec, data, out, *more):
    return ["run", "--methods", f"otsu,prior_disk,{spec}", "--profile", "quick", "--folds",
            "2", "--data", str(data), "--out", str(out), *more]


def _ranked(run_dir) -> list[str]:
    from reports.leaderboards import leaderboard_section
    from reports.rundata import load_run

    section = leaderboard_section(load_run(run_dir), 0)
    return [row["method"] for track in section["tracks"] for row in track["rows"]]


def test_a_plugin_file_outside_the_project_ranks_beside_the_built_in_methods(outside,
                                                                             tmp_path):
    spec = outside / "brightest.py:Brightest"
    done = cli(*_run_args(spec, outside / "tiny", tmp_path / "run", "--jobs", "1"),
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run = tmp_path / "run"
    metrics = pd.read_csv(run / store.METRICS_CSV, dtype={"case": str})
    mine = metrics[metrics["method"] == "Brightest"]
    assert len(mine) == len(metrics[metrics["method"] == "otsu"]) == 16  # every test case
    assert set(mine["family"]) == {"custom"} and mine["needs_roi"].all()
    assert mine["dice"].between(0, 1).all()
    assert "Brightest" in _ranked(run) and "otsu" in _ranked(run)
    assert "Brightest" in (run / "report.html").read_text(encoding="utf-8")
    record = json.loads((run / store.RUN_JSON).read_text())
    assert record["settings"]["plugins"]["Brightest"] == {
        "spec": f"{(outside / 'brightest.py').resolve()}:Brightest", "kind": "file",
        "version": hashlib.sha256((outside / "brightest.py").read_bytes()).hexdigest()}
    assert record["methods"]["Brightest"]["description"].startswith("Threshold at")
    assert (run / store.features_csv("Brightest")).is_file()  # the diagnosis classified it


def _site_with_entry_point(folder: Path) -> Path:
    """A site directory where a package 'labseg' registers 'lab_brightest'."""
    site = folder / "site"
    (site / "labseg").mkdir(parents=True)
    (site / "labseg" / "__init__.py").write_text(BRIGHTEST)
    info = site / "labseg-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: labseg\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[massbench.methods]\n"
                                           "lab_brightest = labseg:Brightest\n")
    return site


def test_an_installed_entry_point_runs_by_its_name_in_workers(outside, tmp_path):
    site = _site_with_entry_point(tmp_path)
    listed = cli("list", cwd=tmp_path, pythonpath=[site])
    assert listed.returncode == 0
    assert any(line.split() == ["lab_brightest", "labseg:Brightest"]
               for line in listed.stdout.splitlines())
    done = cli(*_run_args("lab_brightest", outside / "tiny", tmp_path / "run", "--jobs", "2"),
               cwd=tmp_path, pythonpath=[site])
    assert done.returncode == 0, done.stderr
    metrics = pd.read_csv(tmp_path / "run" / store.METRICS_CSV)
    assert (metrics["method"] == "lab_brightest").sum() == 16
    record = json.loads((tmp_path / "run" / store.RUN_JSON).read_text())
    assert record["settings"]["plugins"]["lab_brightest"] == {
        "spec": "labseg:Brightest", "kind": "entry point", "version": "labseg 0.1"}
    assert record["executor"] == "joblib, 2 worker(s)"


BROKEN = {
    "syntax error": ("def broken(:\n", "cannot be imported (SyntaxError"),
    "no such class": ("class Other:\n    pass\n", "no class 'Seg'"),
    "no predict": ("class Seg:\n    needs_roi = False\n"
                   "    def fit(self, images, masks, *, rois=None, val=None):\n"
                   "        return self\n", "has no predict method"),
    "no needs_roi": ("import numpy as np\nclass Seg:\n"
                     "    def fit(self, images, masks, *, rois=None, val=None):\n"
                     "        return self\n"
                     "    def predict(self, images, *, rois=None):\n"
                     "        return [np.zeros(np.shape(i), bool) for i in images]\n",
                     "has no attribute needs_roi"),
    "wrong shape": ("import numpy as np\nclass Seg:\n    needs_roi = False\n"
                    "    def fit(self, images, masks, *, rois=None, val=None):\n"
                    "        return self\n"
                    "    def predict(self, images, *, rois=None):\n"
                    "        return [np.zeros((4, 4), bool) for i in images]\n",
                    "predict returned a mask of shape (4, 4) for image 0 of shape (22, 26)"),
    "wrong dtype": ("import numpy as np\nclass Seg:\n    needs_roi = False\n"
                    "    def fit(self, images, masks, *, rois=None, val=None):\n"
                    "        return self\n"
                    "    def predict(self, images, *, rois=None):\n"
                    "        return [np.zeros(np.shape(i)) for i in images]\n",
                    "mask of dtype float64 for image 0"),
    "exception in fit": ("class Seg:\n    needs_roi = False\n"
                         "    def fit(self, images, masks, *, rois=None, val=None):\n"
                         "        return 1 / 0\n"
                         "    def predict(self, images, *, rois=None):\n"
                         "        return []\n",
                         "fit raised ZeroDivisionError: division by zero"),
}


@pytest.mark.parametrize("case", ["missing file", *BROKEN])
def test_a_broken_plugin_is_one_line_exit_2_and_nothing_written(case, tmp_path, capsys):
    folder = tmp_path / "plugin"
    folder.mkdir()
    spec = f"{folder / 'seg.py'}:Seg"
    if case == "missing file":
        fragment = "no such plug-in file"
    else:
        source, fragment = BROKEN[case]
        (folder / "seg.py").write_text(source)
    work = tmp_path / "work"
    work.mkdir()
    try:
        code = main(["run", "--methods", f"otsu,{spec}", "--profile", "quick", "--out",
                     str(work / "run")])
    except SystemExit as exc:  # argparse's own usage errors (a missing file)
        code = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert spec in err[0] and fragment in err[0], err[0]
    assert not list(work.iterdir())  # nothing written


def test_a_missing_plugin_file_is_answered_before_any_heavy_import(tmp_path):
    code = ("import json, sys\nfrom benchmark.harness.cli import main\n"
            "try:\n    rc = main(['run', '--methods', 'otsu,no/such.py:Seg'])\n"
            "except SystemExit as exc:\n    rc = exc.code\n"
            "print(json.dumps([rc, [m for m in ('sklearn', 'skimage', 'keras', 'torch', "
            "'scipy') if m in sys.modules]]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    rc, heavy = json.loads(out.stdout.strip().splitlines()[-1])
    assert rc == 2 and heavy == []
    assert "no such plug-in file 'no/such.py'" in out.stderr


def test_a_resumed_run_rebuilds_the_plugin_and_refuses_a_changed_file(outside, tmp_path,
                                                                      capsys):
    plugin = tmp_path / "mine.py"
    plugin.write_text(BRIGHTEST)
    args = _run_args(f"{plugin}:Brightest", outside / "tiny", tmp_path / "run", "--jobs", "1",
                     "--quiet")
    assert main(args) == 0
    cell = store.cell_dir(tmp_path / "run", "Brightest", 1)
    first = json.loads((cell / store.DONE_JSON).read_text())
    (cell / store.DONE_JSON).unlink()  # as a run killed in that cell leaves it
    assert main(args) == 0
    again = json.loads((cell / store.DONE_JSON).read_text())
    assert again["started"] > first["started"] and again["n_test"] == first["n_test"]
    record = json.loads((tmp_path / "run" / store.RUN_JSON).read_text())
    assert len(record["attempts"]) == 2 and record["status"] == "complete"
    capsys.readouterr()
    plugin.write_text(BRIGHTEST.replace("margin=0.1", "margin=0.2"))
    before = (tmp_path / "run" / store.RUN_JSON).read_bytes()
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "plug-in 'Brightest'" in err[0] and "has changed" in err[0]
    assert (tmp_path / "run" / store.RUN_JSON).read_bytes() == before


def test_list_shows_a_plugins_name_family_track_and_parameters(outside, capsys):
    assert main(["list", "--methods", f"{outside / 'brightest.py'}:Brightest,otsu"]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = next(i for i, line in enumerate(lines) if line.split()[:1] == ["Brightest"])
    assert lines[row].split()[1:4] == ["custom", "semi-automatic", "plug-in"]
    assert "Threshold at the training lesions' mean brightness" in lines[row + 1]
    assert lines[row + 2].strip().endswith("brightest.py:Brightest")
    assert lines[row + 3].strip() == "margin=0.1"
    assert any(line.split()[:1] == ["otsu"] for line in lines)
    assert not any(line.startswith("datasets") for line in lines)  # only what was asked


def test_a_study_runs_a_plugin_at_every_level(outside, tmp_path):
    spec = f"{outside / 'brightest.py'}:Brightest"
    assert main(["study", "roi-looseness", "--methods", f"otsu,{spec}", "--profile", "quick",
                 "--data", str(outside / "tiny"), "--out", str(tmp_path / "study"), "--jobs",
                 "1", "--quiet"]) == 0
    record = json.loads((tmp_path / "study" / store.STUDY_JSON).read_text())
    assert record["status"] == "complete" and "Brightest" in record["settings"]["plugins"]
    table = pd.read_csv(tmp_path / "study" / store.STUDY_CSV)
    assert set(table.loc[table["method"] == "Brightest", "level"]) == {
        level["name"] for level in record["levels"]}


# --- from Python ---------------------------------------------------------------------------

class Everything:
    """Predicts the whole image (a test plug-in importable by its module)."""

    needs_roi = False
    name = "everything"

    def fit(self, images, masks, *, rois=None, val=None):
        return self

    def predict(self, images, *, rois=None):
        return [np.ones(np.shape(im), dtype=bool) for im in images]


def test_a_class_given_from_python_runs_beside_the_registered_methods(outside, tmp_path):
    out = run_benchmark([Everything, "prior_disk"], data=str(outside / "tiny"),
                        profile="quick", folds=2, out=tmp_path / "run", quiet=True)
    metrics = pd.read_csv(out / store.METRICS_CSV)
    assert list(metrics["method"].unique()) == ["everything", "prior_disk"]  # as given
    record = json.loads((out / store.RUN_JSON).read_text())
    assert record["settings"]["plugins"]["everything"]["kind"] == "module"
    assert record["settings"]["plugins"]["everything"]["spec"].endswith(
        "test_plugins:Everything")
    # the whole crop's Dice is the mask's share of it
    everything = metrics[metrics["method"] == "everything"]
    assert (everything["dice"] < 0.5).all() and (everything["fp"] > 0).all()


def test_a_class_defined_in_main_travels_to_workers_by_value(outside, tmp_path):
    script = textwrap.dedent(f"""
        import numpy as np
        import pandas as pd
        from benchmark.harness.runner import run_benchmark

        class Box:
            needs_roi = True

            def fit(self, images, masks, *, rois=None, val=None):
                return self

            def predict(self, images, *, rois=None):
                out = []
                for image, (r0, r1, c0, c1) in zip(images, rois):
                    mask = np.zeros(image.shape, dtype=bool)
                    mask[r0:r1 + 1, c0:c1 + 1] = True
                    out.append(mask)
                return out

        if __name__ == "__main__":
            run = run_benchmark([Box, "otsu"], data={str(outside / 'tiny')!r}, profile="quick",
                                folds=2, out="run", jobs=2, quiet=True)
            print(sorted(pd.read_csv(run / "metrics.csv")["method"].unique()))
    """)
    (tmp_path / "notebook.py").write_text(script)
    done = subprocess.run([sys.executable, "notebook.py"], capture_output=True, text=True,
                          cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "['Box', 'otsu']"
    record = json.loads((tmp_path / "run" / store.RUN_JSON).read_text())
    assert record["settings"]["plugins"]["Box"]["kind"] == "python"
    assert record["executor"] == "joblib, 2 worker(s)"


def test_a_class_that_cannot_travel_to_workers_is_refused_in_one_line(outside, tmp_path):
    class Locked(Everything):
        name = "locked"
        guard = threading.Lock()  # cannot be pickled

    with pytest.raises(InputError, match="cannot be sent to worker processes.*jobs=1"):
        run_benchmark([Locked], data=str(outside / "tiny"), profile="quick", folds=2,
                      out=tmp_path / "run", jobs=2, quiet=True)
    assert not (tmp_path / "run").exists()


def test_two_plugins_with_one_name_and_a_plugin_named_as_a_method_are_refused():
    class Otsu(Everything):
        name = "otsu"

    class Again(Everything):  # named "everything" too
        pass

    with pytest.raises(InputError, match="named 'otsu', as a registered method"):
        resolve_methods([Otsu])
    with pytest.raises(InputError, match="both named 'everything'"):
        resolve_methods([Everything, Again])
    assert resolve_methods([Everything, "otsu"]) == ["otsu", "everything"]


# --- check_segmenter -----------------------------------------------------------------------

def _without(member):
    namespace = {k: v for k, v in vars(Everything).items()
                 if k != member and not k.startswith("__")}
    return type("Seg", (), namespace)


def _with(**members):
    return type("Seg", (Everything,), members)


BAD = {
    "no fit": (_without("fit"), "has no fit method"),
    "no predict": (_without("predict"), "has no predict method"),
    "no needs_roi": (_without("needs_roi"), "has no attribute needs_roi"),
    "needs_roi not bool": (_with(needs_roi="yes"), "needs_roi must be True or False"),
    "fit without val": (_with(fit=lambda self, images, masks, *, rois=None: self),
                        "fit does not take the keyword 'val'"),
    "fit returns None": (_with(fit=lambda self, images, masks, *, rois=None, val=None: None),
                         "fit must return self"),
    "too few masks": (_with(predict=lambda self, images, *, rois=None: []),
                      "predict returned 0 mask(s) for 2 image(s)"),
    "not a list": (_with(predict=lambda self, images, *, rois=None: None),
                   "predict must return a list of masks"),
    "wrong shape": (_with(predict=lambda self, images, *, rois=None: [
        np.ones((3, 3), bool) for _ in images]), "mask of shape (3, 3) for image 0"),
    "float masks": (_with(predict=lambda self, images, *, rois=None: [
        np.ones(np.shape(im)) for im in images]), "dtype float64"),
    "bad family": (_with(family="clasical"), "family must be one of classical"),
    "bad name": (_with(name="my method"), "name must be a letter"),
    "needs arguments": (_with(__init__=lambda self, size: None),
                        "cannot be built without arguments"),
    "predict raises": (_with(predict=lambda self, images, *, rois=None: {}["x"]),
                       "predict raised KeyError: 'x'"),
}


def test_check_segmenter_passes_a_good_class_and_its_instance():
    assert check_segmenter(Everything) is None
    assert check_segmenter(Everything()) is None
    assert isinstance(Everything(), SegmenterProtocol)
    from benchmark import check_segmenter as exported

    assert exported is check_segmenter


@pytest.mark.parametrize("case", list(BAD))
def test_check_segmenter_names_the_first_breach_of_the_contract(case):
    cls, fragment = BAD[case]
    with pytest.raises(ContractError) as info:
        check_segmenter(cls)
    assert fragment in info.value.problem
    assert str(info.value) == f"Seg: {info.value.problem}"
    assert isinstance(info.value, InputError)  # the command line's one line, exit 2


def test_check_segmenter_and_the_command_line_say_the_same(tmp_path, capsys):
    source, _ = BROKEN["wrong shape"]
    (tmp_path / "seg.py").write_text(source)
    with pytest.raises(ContractError) as info:
        check_segmenter(plugins.load_plugin(f"{tmp_path / 'seg.py'}:Seg").load_class())
    assert main(["list", "--methods", f"{tmp_path / 'seg.py'}:Seg"]) == 2
    assert capsys.readouterr().err.strip().endswith(info.value.problem)


def test_the_cells_check_what_a_plugin_predicts_on_real_cases():
    class Shifty(Everything):
        """Right on the check's tiny case, wrong on larger images."""

        name = "shifty"

        def predict(self, images, *, rois=None):
            return [np.ones((min(im.shape[0], 28), im.shape[1]), dtype=bool) for im in images]

    plugin = plugins.load_plugin(Shifty)
    model = plugin.make(seed=0).fit([np.zeros((40, 40))], [np.zeros((40, 40), bool)])
    with pytest.raises(ContractError, match="shape \\(28, 40\\) for image 0 of shape"):
        model.predict([np.zeros((40, 40))])
