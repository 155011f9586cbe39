"""Both families in one namespace: one estimator contract, registries as the only source."""

import dataclasses
import inspect

import pytest

from baselines.registry import SEGMENTERS, make_segmenter, rule_based_semi_automatic
from benchmark.ground.errors import ParameterError
from benchmark.ground.segmenter import FAMILIES
from benchmark.harness.methods import (
    check_profile,
    make_method,
    resolve_methods,
)
from benchmark.harness.profiles import PROFILES, get_profile

FLOORS = ("box_ellipse", "box_shape", "prior_disk", "prior_mask")


def _estimators():
    yield from ((name, make_segmenter(name)) for name in SEGMENTERS)
    try:
        from deep.training import DeepSegmenter
    except ImportError:  # keras without a backend: the classical family alone
        return
    yield "deep", DeepSegmenter()


@pytest.mark.parametrize("name, estimator", list(_estimators()))
def test_every_family_has_one_fit_and_predict_signature(name, estimator):
    fit = inspect.signature(estimator.fit).parameters
    predict = inspect.signature(estimator.predict).parameters
    assert list(fit)[:2] == ["images", "masks"] and list(predict)[:1] == ["images"]
    for keyword in ("rois", "val"):
        assert fit[keyword].kind is inspect.Parameter.KEYWORD_ONLY, (name, keyword)
    assert predict["rois"].kind is inspect.Parameter.KEYWORD_ONLY
    assert estimator.family in FAMILIES
    assert isinstance(estimator.stochastic, bool)
    assert isinstance(estimator.batch_predict, bool)
    assert list(inspect.signature(estimator.save).parameters) == ["folder"]
    assert list(inspect.signature(estimator.fit_record).parameters) == []


@pytest.mark.parametrize("name", list(SEGMENTERS))
def test_parameters_are_validated_at_fit_and_named(name, small_phantom):
    cases = small_phantom.cases[:2]
    images, masks = [c.image for c in cases], [c.mask for c in cases]
    model = make_segmenter(name)
    rois = [(0, 10, 0, 10)] * 2 if model.needs_roi else None
    for parameter in model._parameter_constraints:
        bad = make_segmenter(name).set_params(**{parameter: "not a value"})
        with pytest.raises(ValueError, match=f"'{parameter}' parameter of"):
            bad.fit(images, masks, rois=rois)


def test_list_prints_every_registered_method_with_its_family_and_roi(capsys):
    from benchmark.harness.commands.listing import cmd_list

    assert cmd_list(None) == 0
    lines = capsys.readouterr().out.splitlines()
    for name, entry in SEGMENTERS.items():
        row = next(line.split() for line in lines if line.split()[:1] == [name])
        roi = "semi-automatic" if entry.make().needs_roi else "automatic"
        assert row[1:3] == [entry.make().family, roi], row
        assert entry.make().family == ("floor" if name in FLOORS else "reference"
                                    if name == "roi_ellipse" else "classical")


def test_segment_accepts_the_rule_based_semi_automatic_methods_only():
    accepted = rule_based_semi_automatic()
    assert "radial_maxvar" in accepted and "otsu" in accepted
    for name in SEGMENTERS:
        estimator = make_segmenter(name)
        assert (name in accepted) == (estimator.needs_roi and not estimator.learns
                                      and estimator.family == "classical")
    assert not set(accepted) & {"roi_ellipse", "box_ellipse", "box_shape"}


def test_the_deep_roi_track_is_registered_and_made_semi_automatic():
    pytest.importorskip("keras")
    from benchmark.harness.methods import all_methods, make_method, method_names
    from benchmark.harness.profiles import get_profile

    names = method_names()
    assert names[-2:] == ["unet_roi", "attention_unet_roi"]
    info = all_methods()
    assert info["unet_roi"].needs_roi and not info["unet"].needs_roi
    assert info["unet_roi"].family == "deep"
    assert info["unet_roi"].stochastic and info["cae"].stochastic
    # a fit drawn from a seed: the deep models and the fine-tuned foundation model
    assert {n for n, i in info.items() if i.stochastic and i.family != "deep"} <= {
        "medsam_lite_ft"}
    standard = get_profile("standard")
    roi_model = make_method("unet_roi", standard, seed=3)
    # the model's own settings (half width), then the ROI track's (32 px)
    assert roi_model.use_roi and roi_model.model == "unet" and roi_model.input_size == 32
    assert roi_model.model_kwargs == {"widths": (8, 16, 32, 64), "bridge": 128}
    plain = make_method("unet", standard, seed=3)
    assert not plain.use_roi and (plain.input_size, plain.patch_size) == (80, 48)
    with pytest.raises(ParameterError, match="registered method"):
        make_method("cae_roi", standard, seed=3)


def test_an_unknown_method_lists_the_registered_ones():
    with pytest.raises(ParameterError, match="radial_maxvar") as info:
        resolve_methods(["otsu", "snake"])
    assert info.value.parameter == "methods" and info.value.got == "snake"
    assert info.value.hint == ""  # nothing close


def test_a_misspelled_method_gets_a_suggestion():
    from benchmark.harness.cli import option_message

    with pytest.raises(ParameterError, match="Did you mean 'region_growing'") as info:
        resolve_methods(["region_grwoing"])
    assert option_message(info.value).endswith("; did you mean 'region_growing'?")


def test_a_misspelled_profile_key_is_an_error_not_dropped():
    profile = dataclasses.replace(PROFILES["quick"],
                                  classical={"max_tuning_case": 8})  # one letter short
    with pytest.raises(ParameterError, match="'max_tuning_case'"):
        make_method("otsu", profile, seed=0)


def test_a_misspelled_deep_profile_key_is_an_error():
    pytest.importorskip("keras")
    profile = dataclasses.replace(PROFILES["quick"], deep={"epoch": 3})
    with pytest.raises(ParameterError, match="'epoch'"):
        make_method("cae", profile, seed=0)
    for wrong in ({"deep": {"seed": 1}}, {"deep_per_model": {"unett": {}}},
                  {"deep_per_model": {"unet": {"widths": (8, 16, 32, 64)}}}):
        with pytest.raises(ParameterError):
            check_profile(dataclasses.replace(PROFILES["quick"], **wrong))


def test_a_misspelled_profile_key_stops_a_run_before_it_writes_anything(tmp_path, monkeypatch):
    from benchmark.harness import runner

    broken = dataclasses.replace(PROFILES["quick"], classical={"max_tuning_case": 8})
    monkeypatch.setattr(runner, "get_profile", lambda name: broken)
    with pytest.raises(ParameterError, match="'max_tuning_case'"):
        runner.run_benchmark(["otsu"], profile="quick", out=tmp_path / "run", quiet=True)
    assert not (tmp_path / "run").exists()


def test_every_profile_setting_reaches_a_method():
    for profile in PROFILES.values():
        for name in SEGMENTERS:
            make_method(name, profile, seed=0)  # raises on a key no method accepts


def test_an_unknown_profile_lists_the_profiles():
    with pytest.raises(ParameterError, match="quick, standard"):
        get_profile("fast")


@pytest.mark.parametrize("name", list(SEGMENTERS))
def test_every_classical_method_keeps_the_contract_a_plugin_is_checked_against(name):
    from benchmark.ground.segmenter import check_segmenter

    check_segmenter(make_segmenter(name), owner=name)  # raises ContractError on a breach
