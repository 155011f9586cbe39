"""Initial weights drawn with NumPy, so that one seed starts every backend from the same point.

Keras draws a layer's initial weights with the backend's own random generator (TensorFlow's
Philox, JAX's threefry, PyTorch's Mersenne twister): the same ``keras.utils.set_random_seed``
gives three different starting points, and a comparison of backends then compares seeds.
:func:`init_weights` redraws every weight of a built model from NumPy, with the distribution
the layer's own initializer describes (Keras' ``VarianceScaling`` family: Glorot, He,
LeCun; constants), each variable from a generator seeded by ``(seed, CRC-32 of its path)``,
so the draw does not depend on the order in which layers are listed either.

An initializer it does not know is an error, not a silent backend draw.
"""

from __future__ import annotations

import math
import zlib

import keras
import numpy as np

#: Keras' truncated normal keeps draws within two standard deviations; the factor restores
#: the variance the truncation removes (``keras.initializers.VarianceScaling``).
_TRUNCATED_STD = 0.87962566103423978


def _fans(shape: tuple[int, ...], input_axes=None, output_axes=None) -> tuple[float, float]:
    """Fan-in and fan-out of a weight shape, as Keras computes them."""
    if input_axes is not None and output_axes is not None:
        return (float(math.prod(shape[a] for a in input_axes)),
                float(math.prod(shape[a] for a in output_axes)))
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = math.prod(shape[:-2])
    return float(receptive * shape[-2]), float(receptive * shape[-1])


def _truncated_normal(rng: np.random.Generator, std: float, shape) -> np.ndarray:
    """Normal draws re-drawn until they fall within two standard deviations."""
    out = rng.normal(0.0, std, size=shape)
    bad = np.abs(out) > 2 * std
    while bad.any():
        out[bad] = rng.normal(0.0, std, size=int(bad.sum()))
        bad = np.abs(out) > 2 * std
    return out


def draw(initializer, shape, rng: np.random.Generator) -> np.ndarray:
    """Values for one variable, from the distribution ``initializer`` describes.

    Parameters
    ----------
    initializer : keras.initializers.Initializer
        ``VarianceScaling`` and its subclasses (GlorotUniform, HeNormal, ...), ``Zeros``,
        ``Ones`` or ``Constant``.
    shape : tuple of int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of float64

    Raises
    ------
    TypeError
        For an initializer without a NumPy counterpart here.
    """
    shape = tuple(int(s) for s in shape)
    if isinstance(initializer, keras.initializers.Zeros):
        return np.zeros(shape)
    if isinstance(initializer, keras.initializers.Ones):
        return np.ones(shape)
    if isinstance(initializer, keras.initializers.Constant):
        return np.full(shape, float(initializer.get_config()["value"]))
    if isinstance(initializer, keras.initializers.VarianceScaling):
        # the subclasses' get_config leaves these out; the attributes always hold them
        fan_in, fan_out = _fans(shape, getattr(initializer, "input_axes", None),
                                getattr(initializer, "output_axes", None))
        fan = {"fan_in": fan_in, "fan_out": fan_out,
               "fan_avg": (fan_in + fan_out) / 2}[initializer.mode]
        scale = initializer.scale / max(1.0, fan)
        distribution = initializer.distribution
        if distribution == "truncated_normal":
            return _truncated_normal(rng, math.sqrt(scale) / _TRUNCATED_STD, shape)
        if distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(scale), size=shape)
        limit = math.sqrt(3.0 * scale)
        return rng.uniform(-limit, limit, size=shape)
    raise TypeError(f"init_weights: no NumPy draw for the initializer "
                    f"{type(initializer).__name__}; use a VarianceScaling initializer "
                    f"(glorot_*, he_*, lecun_*) or a constant one")


def init_weights(model: keras.Model, seed: int) -> keras.Model:
    """Overwrite every weight of ``model`` with a NumPy draw seeded by ``seed``.

    Parameters
    ----------
    model : keras.Model
        A built model whose layers hold their weights directly (no nested models).
    seed : int

    Returns
    -------
    keras.Model
        The same model, for chaining.

    Raises
    ------
    TypeError
        When a weight's initializer cannot be found or has no NumPy draw.
    """
    for layer in model.layers:
        for variable in layer.weights:
            initializer = getattr(layer, f"{variable.name}_initializer", None)
            if initializer is None:
                raise TypeError(f"init_weights: the layer {layer.name!r} has no initializer "
                                f"for its weight {variable.name!r}")
            rng = np.random.default_rng([seed, zlib.crc32(variable.path.encode())])
            values = draw(initializer, variable.shape, rng)
            variable.assign(values.astype(variable.dtype))
    return model
