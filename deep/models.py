"""Model builders (registered in :mod:`deep.registry`). Architecture arguments are checked first.

- ``cae``: the course's convolutional auto-encoder (Conv2D 32/64/128 stride 2, ReLU; then
  Conv2DTranspose 64/32/32 stride 2; 1 x 1 sigmoid);
- ``unet_course``: the course's reduced U-Net (conv block = 2 x (3 x 3 conv + BN + ReLU),
  encoder 8/16/32, bridge 64, transposed-convolution decoder with skip concatenation);
- ``unet``: a 4-level U-Net (Ronneberger et al. 2015) with batch norm and dropout;
- ``attention_unet``: the U-Net with additive attention gates on the skips (Oktay et al. 2018).

References
----------
.. [1] O. Ronneberger, P. Fischer, T. Brox, "U-Net: convolutional networks for biomedical
   image segmentation", MICCAI 2015, doi:10.1007/978-3-319-24574-4_28.
.. [2] O. Oktay et al., "Attention U-Net", MIDL 2018, arXiv:1804.03999.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from deep.blocks import attention_gate, conv_block, input_layer, segmentation_head, up_block
from deep.registry import MODELS


def _check_size(name: str, input_size, levels: int) -> None:
    if input_size is None:  # fully convolutional: any multiple of 2**levels at run time
        return
    factor = 2**levels
    if (not isinstance(input_size, int) or isinstance(input_size, bool) or input_size < factor
            or input_size % factor):
        raise ValueError(f"The 'input_size' parameter of {name} must be a positive multiple "
                         f"of {factor}. Got {input_size!r} instead.")


def _check_widths(name: str, widths, expected: int, arg: str = "widths") -> tuple[int, ...]:
    if (not isinstance(widths, Sequence) or len(widths) != expected
            or not all(isinstance(w, int) and not isinstance(w, bool) and w > 0
                       for w in widths)):
        raise ValueError(f"The '{arg}' parameter of {name} must be {expected} positive ints. "
                         f"Got {widths!r} instead.")
    return tuple(widths)


def _check_rate(name: str, dropout) -> None:
    if not isinstance(dropout, int | float) or not 0 <= dropout < 1:
        raise ValueError(f"The 'dropout' parameter of {name} must be a float in [0, 1). "
                         f"Got {dropout!r} instead.")


def build_cae(input_size: int | None = 128, *, widths=(32, 64, 128)) -> keras.Model:
    """The course's convolutional auto-encoder.

    Parameters
    ----------
    input_size : int or None, default 128
        Side of the square input; a multiple of 8 (None: any multiple of 8, the model being
        fully convolutional).
    widths : three ints, default (32, 64, 128)
        Encoder channels; the decoder mirrors them as (64, 32, 32) for the default.

    Returns
    -------
    keras.Model
        (input_size, input_size, 1) -> (input_size, input_size, 1) probabilities.
    """
    widths = _check_widths("cae", widths, 3)
    _check_size("cae", input_size, 3)
    inputs = input_layer(input_size)
    x = inputs
    for i, w in enumerate(widths, start=1):
        x = layers.Conv2D(w, 3, strides=2, padding="same", activation="relu",
                          name=f"enc{i}_conv")(x)
    for i, w in enumerate((widths[1], widths[0], widths[0]), start=1):
        x = layers.Conv2DTranspose(w, 3, strides=2, padding="same", activation="relu",
                                   name=f"dec{i}_deconv")(x)
    return keras.Model(inputs, segmentation_head(x), name="cae")


def _unet(name: str, input_size: int | None, widths, bridge: int, *, n_levels: int,
          dropout: float, attention: bool) -> keras.Model:
    """Check every architecture argument, then build the U-Net variant ``name``."""
    widths = _check_widths(name, widths, n_levels)
    _check_widths(name, (bridge,), 1, "bridge")
    _check_rate(name, dropout)
    _check_size(name, input_size, n_levels)
    inputs = input_layer(input_size)
    x, skips = inputs, []
    for i, w in enumerate(widths, start=1):
        x = conv_block(x, w, f"enc{i}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"enc{i}_pool")(x)
    x = conv_block(x, bridge, "bridge", dropout=dropout)
    for i, (w, skip) in enumerate(zip(reversed(widths), reversed(skips), strict=True),
                                  start=1):
        if attention:
            skip = attention_gate(skip, x, max(1, w // 2), f"att{i}")
        x = up_block(x, skip, w, f"dec{i}", dropout=dropout if i == 1 else 0.0)
    return keras.Model(inputs, segmentation_head(x), name=name)


def build_unet_course(input_size: int | None = 128, *, widths=(8, 16, 32), bridge: int = 64):
    """The course's reduced U-Net: encoder 8/16/32, bridge 64, no dropout.

    Parameters
    ----------
    input_size : int or None, default 128
        A multiple of 8 (None: any multiple of 8, fully convolutional).
    widths : three ints, default (8, 16, 32)
    bridge : int, default 64

    Returns
    -------
    keras.Model
    """
    return _unet("unet_course", input_size, widths, bridge, n_levels=3, dropout=0.0,
                 attention=False)


def build_unet(input_size: int | None = 128, *, widths=(16, 32, 64, 128), bridge: int = 256,
               dropout: float = 0.2):
    """A standard 4-level U-Net with batch normalisation and dropout.

    Parameters
    ----------
    input_size : int or None, default 128
        A multiple of 16 (None: any multiple of 16, fully convolutional).
    widths : four ints, default (16, 32, 64, 128)
    bridge : int, default 256
    dropout : float, default 0.2
        After the bridge and the first decoder block.

    Returns
    -------
    keras.Model
    """
    return _unet("unet", input_size, widths, bridge, n_levels=4, dropout=dropout,
                 attention=False)


def build_attention_unet(input_size: int | None = 128, *, widths=(16, 32, 64, 128),
                         bridge: int = 256, dropout: float = 0.2):
    """The 4-level U-Net with additive attention gates on the skip connections.

    Parameters
    ----------
    input_size : int or None, default 128
        A multiple of 16 (None: any multiple of 16, fully convolutional).
    widths : four ints, default (16, 32, 64, 128)
    bridge : int, default 256
    dropout : float, default 0.2

    Returns
    -------
    keras.Model
    """
    return _unet("attention_unet", input_size, widths, bridge, n_levels=4, dropout=dropout,
                 attention=True)


def build_model(name: str, input_size: int | None = 128, **kwargs) -> keras.Model:
    """Build a registered model (:data:`deep.registry.MODELS`); an unknown name lists them."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; valid models: {', '.join(MODELS)}")
    return MODELS[name].load()(input_size, **kwargs)
