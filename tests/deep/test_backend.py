"""The tox environment's Keras backend is the one it names, and it computes."""

import os

import numpy as np
import pytest


def test_keras_runs_on_the_backend_tox_selected():
    keras = pytest.importorskip("keras")
    expected = os.environ.get("KERAS_BACKEND")
    if expected is None:
        pytest.skip("KERAS_BACKEND is not set (tox sets it per environment)")
    assert keras.backend.backend() == expected
    x = keras.ops.convert_to_tensor(np.arange(6, dtype="float32").reshape(2, 3))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.ops.sum(x, axis=1)), [3, 12])
