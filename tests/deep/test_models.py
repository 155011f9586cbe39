"""Model builders: shapes, config and save/load round trips, argument checks."""

import keras
import numpy as np
import pytest

from deep import blocks, models
from deep.models import MODELS, build_model


@pytest.mark.parametrize("name", list(MODELS))
def test_output_shape_matches_input(name):
    model = build_model(name, 32)
    assert model.input_shape == (None, 32, 32, 1)
    assert model.output_shape == (None, 32, 32, 1)
    out = keras.ops.convert_to_numpy(model(np.zeros((2, 32, 32, 1), "float32")))
    assert out.shape == (2, 32, 32, 1) and np.all((out >= 0) & (out <= 1))


@pytest.mark.parametrize("name", list(MODELS))
def test_a_model_built_for_any_size_gives_the_fixed_models_answer_at_every_size(name):
    # trained on windows, applied to the whole grid: the same weights at two sides
    free, fixed = build_model(name, None), build_model(name, 32)
    assert free.input_shape == (None, None, None, 1)
    fixed.set_weights(free.get_weights())
    x = np.random.default_rng(1).random((2, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(free(x)),
                               keras.ops.convert_to_numpy(fixed(x)), atol=1e-6)
    assert keras.ops.convert_to_numpy(free(np.zeros((1, 48, 48, 1), "float32"))).shape == (
        1, 48, 48, 1)


@pytest.mark.parametrize("name", list(MODELS))
def test_layer_names_are_deterministic(name):
    assert [layer.name for layer in build_model(name, 32).layers] == [
        layer.name for layer in build_model(name, 32).layers]


@pytest.mark.parametrize("name", list(MODELS))
def test_from_config_of_get_config_rebuilds_the_same_model(name):
    model = build_model(name, 32)
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).random((1, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clone(x)),
                               keras.ops.convert_to_numpy(model(x)), atol=1e-6)


@pytest.mark.parametrize("name", list(MODELS))
def test_save_and_load_without_compile(name, tmp_path):
    model = build_model(name, 32)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.models.load_model(path, compile=False)
    x = np.random.default_rng(1).random((2, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)),
                               keras.ops.convert_to_numpy(model(x)), atol=1e-6)


@pytest.mark.parametrize("name, kwargs, argument", [
    ("unet", {"input_size": 30}, "input_size"),
    ("cae", {"input_size": 12}, "input_size"),
    ("unet", {"widths": (16, 32, 64)}, "widths"),
    ("attention_unet", {"widths": (16, 32, -1, 8)}, "widths"),
    ("unet", {"dropout": 1.5}, "dropout"),
    ("unet_course", {"bridge": 0}, "bridge"),
])
def test_invalid_arguments_fail_before_any_layer_is_built(name, kwargs, argument, monkeypatch):
    def no_layers(*args, **kw):
        raise AssertionError("a layer was built before the arguments were checked")

    for module in (blocks, models):
        monkeypatch.setattr(module.layers, "Conv2D", no_layers)
    monkeypatch.setattr(blocks, "input_layer", no_layers)
    monkeypatch.setattr(models, "input_layer", no_layers)
    size = kwargs.pop("input_size", 32)
    with pytest.raises(ValueError, match=f"'{argument}'"):
        build_model(name, size, **kwargs)


def test_unknown_model_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid models: cae, unet_course, unet, attention_unet"):
        build_model("segformer")
