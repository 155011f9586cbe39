"""Registries are the only lists: every choice of the command line is read from one.

The method names (run order, aliases, the ROI-track deep models, what ``--all`` leaves out),
the methods ``segment`` offers, the study names and the dataset formats each come from their
registry; no module keeps a tuple of them beside it; and importing a registry imports
nothing heavy, so the command line answers a misspelling at once.
"""

import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from baselines.registry import ALIASES, SEGMENTERS, rule_based_semi_automatic, segment_choices
from benchmark.ground.formats import FORMAT_NAMES
from benchmark.harness import cli, methods, study_registry
from deep.registry import MODELS, ROI_SUFFIX, roi_track_models
from foundation.registry import FOUNDATION

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("benchmark", "baselines", "deep", "foundation", "reports")
#: The shadow lists that once stood beside the registries.
SHADOWS = ("METHOD_NAMES", "METHOD_ALIASES", "ROI_TRACK_MODELS", "SEGMENT_METHODS",
           "STUDY_NAMES", "ON_REQUEST")


def _subparser(name):
    return cli.build_parser()._subparsers._group_actions[0].choices[name]


def _type_of(parser, dest):
    return next(a for a in parser._actions if a.dest == dest).type


def test_the_run_order_is_the_registries_order():
    names = methods.method_names()
    deep = list(MODELS) + [m + ROI_SUFFIX for m in roi_track_models()]
    assert names == [*SEGMENTERS, *FOUNDATION, *deep]
    assert roi_track_models() == [n for n, e in MODELS.items() if e.roi_track]
    assert methods.skipped_by_all().keys() >= {n for n, e in FOUNDATION.items()
                                              if e.on_request}


@pytest.mark.parametrize("command", ["run", "study", "list"])
def test_methods_takes_exactly_the_registered_names_aliases_and_entry_points(command):
    parse = _type_of(_subparser(command), "methods")
    for name in [*methods.method_names(), *ALIASES]:
        assert parse(name) == name
    for wrong in ("otsuu", "unet_course_roi", "cae" + ROI_SUFFIX):
        with pytest.raises(Exception, match=f"unknown method '{wrong}'"):
            parse(wrong)


def test_segment_offers_the_methods_the_registry_marks():
    parse = _type_of(_subparser("segment"), "method")
    for name in segment_choices():
        assert parse(name) == name
    offered = set(segment_choices())
    assert offered == set(rule_based_semi_automatic()) | {
        a for a, t in ALIASES.items() if t in rule_based_semi_automatic()}
    for name in set(SEGMENTERS) - offered:
        with pytest.raises(Exception, match="unknown segment method"):
            parse(name)


def test_study_and_format_choices_are_their_registries():
    parse = _type_of(_subparser("study"), "name")
    for name in study_registry.STUDIES:
        assert parse(name) == name
    with pytest.raises(Exception, match="unknown study"):
        parse("learning")
    parse = _type_of(_subparser("data"), "format")
    assert all(parse(name) == name for name in FORMAT_NAMES)


def test_no_shadow_list_remains():
    pattern = re.compile(rf"^\s*({'|'.join(SHADOWS)})\s*[:=]", re.MULTILINE)
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found += [f"{path.relative_to(ROOT)}: {m.group(1)}"
                      for m in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


def test_every_deep_builder_is_registered():
    from deep import models

    builders = {f"deep.models:{name}" for name, f in vars(models).items()
                if name.startswith("build_") and inspect.isfunction(f) and name != "build_model"}
    assert builders == {entry.target for entry in MODELS.values()}


def test_every_registry_entry_loads_its_target():
    for name, entry in SEGMENTERS.items():
        assert inspect.isclass(entry.load()), name
    for name, entry in study_registry.STUDIES.items():
        assert entry.load().name == name


def test_importing_the_registries_imports_nothing_heavy():
    code = ("import json, sys\n"
            "import baselines.registry, deep.registry, foundation.registry\n"
            "import benchmark.harness.study_registry, benchmark.harness.methods\n"
            "import benchmark.harness.cli\n"
            "heavy = ('sklearn', 'skimage', 'keras', 'tensorflow', 'torch', 'jax', 'scipy',"
            " 'numba', 'matplotlib', 'pandas')\n"
            "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
