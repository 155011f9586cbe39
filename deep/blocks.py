"""Named building blocks of the models (``keras.layers`` and ``keras.ops`` only).

Every layer gets a deterministic name from its block's name, so weights and summaries read
the same on every backend.
"""

from __future__ import annotations

import keras
from keras import layers


def conv_block(x, filters: int, name: str, *, batch_norm: bool = True, dropout: float = 0.0):
    """Two 3 x 3 convolutions, each followed by batch normalisation and ReLU.

    Parameters
    ----------
    x : tensor
        Input feature map.
    filters : int
        Output channels of both convolutions.
    name : str
        Prefix of the layer names.
    batch_norm : bool, default True
    dropout : float, default 0
        Dropout rate after the block (0 disables it).
    """
    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=not batch_norm,
                          kernel_initializer="he_normal", name=f"{name}_conv{i}")(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
    if dropout:
        x = layers.Dropout(dropout, name=f"{name}_drop")(x)
    return x


def up_block(x, skip, filters: int, name: str, *, batch_norm: bool = True,
             dropout: float = 0.0):
    """Transposed-convolution up-sampling, concatenation with the skip, then a conv block."""
    x = layers.Conv2DTranspose(filters, 2, strides=2, padding="same", name=f"{name}_up")(x)
    x = layers.Concatenate(name=f"{name}_concat")([x, skip])
    return conv_block(x, filters, name, batch_norm=batch_norm, dropout=dropout)


def attention_gate(skip, gating, inter_channels: int, name: str):
    """Additive attention gate (Oktay et al. 2018) weighting the skip connection.

    ``alpha = sigmoid(psi(relu(W_x skip + W_g up(gating))))``; returns ``skip * alpha``.

    References
    ----------
    .. [1] O. Oktay et al., "Attention U-Net: learning where to look for the pancreas",
       MIDL 2018, arXiv:1804.03999.
    """
    theta = layers.Conv2D(inter_channels, 1, name=f"{name}_theta")(skip)
    phi = layers.Conv2D(inter_channels, 1, name=f"{name}_phi")(gating)
    phi = layers.UpSampling2D(2, interpolation="bilinear", name=f"{name}_phi_up")(phi)
    act = layers.Activation("relu", name=f"{name}_relu")(layers.Add(name=f"{name}_add")(
        [theta, phi]))
    alpha = layers.Conv2D(1, 1, activation="sigmoid", name=f"{name}_psi")(act)
    return layers.Multiply(name=f"{name}_weight")([skip, alpha])


def segmentation_head(x, name: str = "head"):
    """1 x 1 convolution to one channel with a float32 sigmoid (safe under mixed precision)."""
    x = layers.Conv2D(1, 1, name=f"{name}_conv")(x)
    return layers.Activation("sigmoid", dtype="float32", name=f"{name}_sigmoid")(x)


def input_layer(size: int | None, name: str = "image"):
    """A (size, size, 1) image input.

    ``size`` None takes any side: a fully convolutional model trained on windows of the grid
    and applied to the whole grid.
    """
    return keras.Input((size, size, 1), name=name)
