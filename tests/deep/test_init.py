"""NumPy-drawn initial weights: the distributions Keras describes, the same on every backend."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

from deep.init import draw, init_weights
from deep.models import MODELS, build_model

BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
OTHER_BACKENDS = [b for b in ("tensorflow", "jax", "torch") if b != BACKEND]


def _wide_model():
    inputs = keras.Input((16, 16, 64))
    x = layers.Conv2D(128, 3, kernel_initializer="he_normal", name="he")(inputs)
    x = layers.Conv2D(128, 3, name="glorot")(x)  # glorot_uniform, zero bias
    x = layers.Conv2DTranspose(64, 3, kernel_initializer="lecun_uniform", name="lecun")(x)
    x = layers.BatchNormalization(name="bn")(x)
    return keras.Model(inputs, x)


def test_the_draws_follow_the_initializers_of_the_layers():
    model = init_weights(_wide_model(), seed=3)
    he = np.asarray(model.get_layer("he").kernel)
    fan_in = 3 * 3 * 64
    assert he.std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.03)
    assert np.abs(he).max() <= 2 * np.sqrt(2 / fan_in) / 0.87962566103423978 + 1e-6
    glorot = np.asarray(model.get_layer("glorot").kernel)
    limit = np.sqrt(6 / (9 * 128 + 9 * 128))
    assert np.abs(glorot).max() <= limit and np.abs(glorot).max() > 0.99 * limit
    assert glorot.std() == pytest.approx(limit / np.sqrt(3), rel=0.03)
    np.testing.assert_array_equal(np.asarray(model.get_layer("glorot").bias), 0)
    lecun = np.asarray(model.get_layer("lecun").kernel)  # (3, 3, out 64, in 128)
    assert np.abs(lecun).max() <= np.sqrt(3 / (9 * 64))
    bn = model.get_layer("bn")
    np.testing.assert_array_equal(np.asarray(bn.gamma), 1)
    np.testing.assert_array_equal(np.asarray(bn.moving_variance), 1)
    np.testing.assert_array_equal(np.asarray(bn.beta), 0)


def test_the_draws_match_keras_own_initializers_in_distribution():
    shape = (3, 3, 32, 64)
    for name in ("he_normal", "glorot_uniform", "lecun_normal", "he_uniform"):
        ours = draw(keras.initializers.get(name), shape, np.random.default_rng(0))
        theirs = np.asarray(keras.initializers.get(name)(shape))
        assert ours.std() == pytest.approx(theirs.std(), rel=0.05), name
        assert np.abs(ours).max() == pytest.approx(np.abs(theirs).max(), rel=0.15), name


def test_the_same_seed_gives_the_same_weights_and_another_seed_others():
    a = init_weights(build_model("unet_course", 32), seed=5).get_weights()
    b = init_weights(build_model("unet_course", 32), seed=5).get_weights()
    c = init_weights(build_model("unet_course", 32), seed=6).get_weights()
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(x, y) for x, y in zip(a, c, strict=True) if x.std() > 0)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_registered_model_is_drawn_in_full(name):
    """No weight of a registered model is left to the backend's own generator."""
    keras.utils.set_random_seed(1)
    first = build_model(name, 32)
    keras.utils.set_random_seed(2)
    second = build_model(name, 32)
    # precondition: the backend's own draws differ between its two seeds
    assert any(not np.array_equal(x, y) for x, y in zip(first.get_weights(),
                                                        second.get_weights(), strict=True))
    # redrawn from one NumPy seed, every weight agrees, whatever the backend drew before
    for x, y in zip(init_weights(first, 9).get_weights(), init_weights(second, 9).get_weights(),
                    strict=True):
        np.testing.assert_array_equal(x, y)


def test_an_initializer_without_a_numpy_draw_is_named():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Dense(2, kernel_initializer="orthogonal",
                                             name="d")(inputs))
    with pytest.raises(TypeError, match="Orthogonal"):
        init_weights(model, 0)


_PROBE = """
import json, sys
import numpy as np
from benchmark.ground.data import make_phantom
from deep.init import init_weights
from deep.models import build_model
from deep.training import DeepSegmenter

weights = init_weights(build_model("unet_course", 32), 4).get_weights()
np.savez(sys.argv[1], *weights)
ds = make_phantom(10, seed=5, size=40)
images, masks = [c.image for c in ds], [c.mask for c in ds]
model = DeepSegmenter(model="unet_course", input_size=32, epochs=2, batch_size=4, seed=4,
                      min_epochs=0, max_restarts=0).fit(
    images[:6], masks[:6], val=(images[6:8], masks[6:8]))
print(json.dumps({k: model.history_[k] for k in ("loss", "val_loss")}))
"""


def _probe(backend: str, out: Path) -> dict:
    env = dict(os.environ, KERAS_BACKEND=backend, OMP_WAIT_POLICY="PASSIVE",
               TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    done = subprocess.run([sys.executable, "-c", _PROBE, str(out)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend", OTHER_BACKENDS)
def test_another_backend_starts_from_the_same_weights_and_losses(backend, tmp_path):
    pytest.importorskip(backend, reason=f"{backend} is not installed in this environment")
    here, there = _probe(BACKEND, tmp_path / "here.npz"), _probe(backend, tmp_path / "there.npz")
    with np.load(tmp_path / "here.npz") as a, np.load(tmp_path / "there.npz") as b:
        assert a.files == b.files
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key])
    # same start, same batches in the same order: the losses agree to float32 rounding
    # (measured 2e-6; with Keras' own batch shuffling they differed by 4e-3 at epoch 2, and
    # two seeds differ by about 5e-2)
    np.testing.assert_allclose(there["loss"], here["loss"], rtol=1e-4)
    np.testing.assert_allclose(there["val_loss"], here["val_loss"], rtol=1e-4)
