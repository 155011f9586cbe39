"""The four stand-ins for timm behave as timm defines them, and come and go with the import."""

import sys

import numpy as np
import pytest

from foundation import _timm


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def test_to_2tuple_repeats_scalars_and_keeps_iterables():
    assert _timm.to_2tuple(3) == (3, 3)
    assert _timm.to_2tuple(0.5) == (0.5, 0.5)
    assert _timm.to_2tuple([1, 2]) == (1, 2)
    assert _timm.to_2tuple(x for x in (4, 5)) == (4, 5)
    assert _timm.to_2tuple("ab") == ("ab", "ab")  # strings are scalars


def test_register_model_returns_the_function_itself():
    def builder():
        return 1

    assert _timm.register_model(builder) is builder


def test_drop_path_is_the_identity_outside_training_or_at_zero(torch):
    drop = _timm.stand_in_modules()["timm.models.layers"].DropPath(0.5)
    x = torch.randn(8, 3, 4)
    assert torch.equal(drop.eval()(x), x)
    assert torch.equal(_timm.drop_path(x, 0.0, training=True), x)
    assert "drop_prob=0.500" in repr(drop)


def test_drop_path_drops_whole_samples_and_keeps_the_expectation(torch):
    torch.manual_seed(0)
    x = torch.ones(20000, 2, 3)
    y = _timm.drop_path(x, 0.25, training=True)
    per_sample = y.reshape(len(y), -1)
    # each sample is either all zero or all 1 / keep_prob
    values = torch.unique(per_sample).tolist()
    assert len(values) == 2 and values[0] == 0.0 and np.isclose(values[1], 1 / 0.75)
    assert (per_sample == per_sample[:, :1]).all()
    assert abs(float(y.mean()) - 1.0) < 0.02
    assert abs(float((per_sample[:, 0] == 0).float().mean()) - 0.25) < 0.02
    unscaled = _timm.drop_path(x, 0.25, training=True, scale_by_keep=False)
    assert set(torch.unique(unscaled).tolist()) <= {0.0, 1.0}


def test_trunc_normal_stays_in_its_bounds_with_the_truncated_spread(torch):
    torch.manual_seed(0)
    w = torch.empty(200000)
    _timm.trunc_normal_(w, mean=0.0, std=0.02, a=-0.04, b=0.04)
    assert float(w.min()) >= -0.04 and float(w.max()) <= 0.04
    # a normal truncated at +-2 sigma has sd 0.8796 sigma
    assert np.isclose(float(w.std()), 0.02 * 0.8796, rtol=0.02)
    assert abs(float(w.mean())) < 1e-3


def test_the_stand_ins_are_importable_as_timm_only_inside_the_block(monkeypatch, torch):
    monkeypatch.setattr(_timm, "real_timm_works", lambda: False)
    before = {n: m for n, m in sys.modules.items() if n.startswith("timm")}
    with _timm.timm_stand_ins() as standing_in:
        from timm.models.layers import DropPath, to_2tuple, trunc_normal_
        from timm.models.registry import register_model

        assert standing_in
        assert to_2tuple is _timm.to_2tuple and trunc_normal_ is _timm.trunc_normal_
        assert register_model is _timm.register_model
        assert issubclass(DropPath, torch.nn.Module)
    assert {n: m for n, m in sys.modules.items() if n.startswith("timm")} == before


def test_a_broken_timm_is_cleared_and_stood_in_for(monkeypatch, tmp_path):
    # a timm whose import fails the way it does here (torchvision built for another torch)
    package = tmp_path / "timm"
    (package / "models").mkdir(parents=True)
    (package / "__init__.py").write_text("from . import version\nimport torchvision_missing\n")
    (package / "version.py").write_text("__version__ = '1.0'\n")
    (package / "models" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [n for n in sys.modules if n == "timm" or n.startswith("timm.")]:
        monkeypatch.delitem(sys.modules, name)
    assert not _timm.real_timm_works()
    assert not [n for n in sys.modules if n == "timm" or n.startswith("timm.")]
    with _timm.timm_stand_ins() as standing_in:
        from timm.models.layers import to_2tuple
    assert standing_in and to_2tuple(1) == (1, 1)


def test_the_stand_in_layers_module_names_what_it_lacks():
    layers = _timm.stand_in_modules()["timm.models.layers"]
    with pytest.raises(AttributeError, match="stand-in"):
        layers.Mlp  # noqa: B018
