"""The course's preprocessing of raw crops, as in ``mass_segment.m``.

Box smoothing (``conv2`` with an ``s x s`` averaging kernel, MATLAB's default 'full'
output), down-scaling with MATLAB's ``imresize`` (bicubic, antialiased when shrinking) and
normalisation by the maximum.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import convolve2d


def box_smooth(image: np.ndarray, *, size: int = 8) -> np.ndarray:
    """Convolve with a normalised ``size x size`` box, MATLAB ``conv2`` 'full' semantics.

    Parameters
    ----------
    image : (M, N) ndarray
        Raw grey levels.
    size : int, default 8
        Side of the square averaging kernel, in pixels.

    Returns
    -------
    (M + size - 1, N + size - 1) ndarray of float64
        The zero-padded full convolution, as ``conv2(double(I), ones(s)/s^2)`` returns.
    """
    if not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"The 'size' parameter of box_smooth must be a positive int. "
                         f"Got {size!r} instead.")
    kernel = np.full((size, size), 1.0 / size**2)
    return convolve2d(np.asarray(image, dtype=np.float64), kernel, mode="full")


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5, as MATLAB's imresize uses."""
    ax = np.abs(x)
    ax2, ax3 = ax**2, ax**3
    return ((1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1)
            + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))


def _resize_weights(in_len: int, scale: float, out_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights and source indices of MATLAB's ``imresize`` along one axis."""
    kernel_width = 4.0
    antialias = scale < 1
    if antialias:
        kernel_width /= scale
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kernel_width / 2)
    taps = int(math.ceil(kernel_width)) + 2
    indices = left[:, None] + np.arange(taps)[None, :]
    dist = u[:, None] - indices
    weights = scale * _cubic(scale * dist) if antialias else _cubic(dist)
    weights /= weights.sum(axis=1, keepdims=True)
    # MATLAB mirrors out-of-range indices (symmetric padding), 1-based.
    aux = np.concatenate([np.arange(1, in_len + 1), np.arange(in_len, 0, -1)])
    indices = aux[np.mod(indices.astype(np.int64) - 1, aux.size)] - 1
    return weights, indices


def imresize(image: np.ndarray, scale: float) -> np.ndarray:
    """Resize like MATLAB's ``imresize(I, scale)`` with its default bicubic method.

    Parameters
    ----------
    image : (M, N) ndarray
        Image to resize.
    scale : float
        Positive scale factor; the output has ``ceil(M * scale) x ceil(N * scale)`` pixels.

    Returns
    -------
    ndarray of float64
        The resized image (antialiased when ``scale < 1``, as MATLAB does).
    """
    if not scale > 0:
        raise ValueError(f"The 'scale' parameter of imresize must be positive. Got {scale!r}.")
    out = np.asarray(image, dtype=np.float64)
    for axis in (0, 1):
        in_len = out.shape[axis]
        out_len = int(math.ceil(in_len * scale))
        weights, indices = _resize_weights(in_len, scale, out_len)
        moved = np.moveaxis(out, axis, 0)
        resized = np.einsum("ot,ot...->o...", weights, moved[indices])
        out = np.moveaxis(resized, 0, axis)
    return out


def course_preprocess(raw: np.ndarray, *, smooth: int = 8, scale: int = 8,
                      normalise: bool = True) -> np.ndarray:
    """Smooth, down-scale and normalise a raw crop the way ``mass_segment.m`` does.

    Parameters
    ----------
    raw : (M, N) ndarray
        Raw grey levels (e.g. a 1000 x 1000 8-bit crop).
    smooth : int, default 8
        Side of the box kernel.
    scale : int, default 8
        Down-scaling factor: the image is resized by ``1 / scale``.
    normalise : bool, default True
        Divide by the maximum so that values lie in [0, 1] (``im_norm`` in the course); with
        False the grey levels stay on the raw scale (what the course writes to
        ``<case>_resized.pgm``).

    Returns
    -------
    (ceil((M + smooth - 1) / scale), ceil((N + smooth - 1) / scale)) ndarray of float64

    Examples
    --------
    >>> import numpy as np
    >>> course_preprocess(np.ones((1000, 1000)) * 100).shape
    (126, 126)
    """
    if not isinstance(scale, int | np.integer) or scale < 1:
        raise ValueError(f"The 'scale' parameter of course_preprocess must be a positive int. "
                         f"Got {scale!r} instead.")
    out = imresize(box_smooth(raw, size=smooth), 1.0 / scale)
    if normalise:
        peak = out.max()
        out = out / peak if peak > 0 else out
    return out
