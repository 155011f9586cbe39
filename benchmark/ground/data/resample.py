"""MATLAB's box smoothing and ``imresize``, and the course's shrink of a crop to its grid.

The course prepares every crop with ``conv2`` and an ``s x s`` averaging kernel (MATLAB's
default 'full' output), then ``imresize`` by ``1 / s`` (bicubic, antialiased when shrinking):
:func:`box_smooth` and :func:`imresize` are those two steps, exactly (the course's own
``course_preprocess`` in :mod:`baselines.preprocessing` chains them). :func:`course_shrink`
is the same chain computed fast enough for a mammogram-sized window (a box of side 20 on a
2,500 px crop): running sums instead of a 2-D convolution and one weight matrix per axis
instead of gathered taps; its tests compare it with the plain pair.
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



def course_shrink(image: np.ndarray, factor: int) -> np.ndarray:
    """``imresize(box_smooth(image, size=factor), 1 / factor)``, computed fast.

    Both steps are linear along each axis, so each axis becomes one matrix (the resize
    weights times the box band) and the whole chain two matrix products.

    Parameters
    ----------
    image : (M, N) ndarray
        Grey levels (any float scale).
    factor : int
        Side of the averaging box and the down-scaling factor (the course uses 8).

    Returns
    -------
    (ceil((M + factor - 1) / factor), ceil((N + factor - 1) / factor)) ndarray of float64
        For a window of ``124 * factor + 1`` pixels a side: 125 x 125, the course's grid.

    Examples
    --------
    >>> import numpy as np
    >>> # constant inside; the borders darken, as the course's zero-padded box makes them
    >>> course_shrink(np.full((993, 993), 7.0), 8).shape
    (125, 125)
    >>> bool(np.allclose(course_shrink(np.full((993, 993), 7.0), 8)[4:-4, 4:-4], 7.0))
    True
    """
    if not isinstance(factor, int | np.integer) or factor < 1:
        raise ValueError(f"The 'factor' parameter of course_shrink must be a positive int. "
                         f"Got {factor!r} instead.")
    image = np.asarray(image, dtype=np.float64)
    rows = shrink_matrix(image.shape[0], int(factor))
    cols = shrink_matrix(image.shape[1], int(factor))
    return (rows @ image) @ cols.T


def shrink_matrix(in_len: int, factor: int) -> np.ndarray:
    """The linear map of :func:`course_shrink` along one axis.

    Parameters
    ----------
    in_len : int
        Input length.
    factor : int

    Returns
    -------
    (ceil((in_len + factor - 1) / factor), in_len) ndarray of float64
        The box 'full' convolution followed by MATLAB's resize: ``course_shrink(x, f)`` is
        ``shrink_matrix(M, f) @ x @ shrink_matrix(N, f).T``.
    """
    full_len = in_len + factor - 1
    out_len = -(-full_len // factor)  # integer ceil: no 1 / factor rounding
    weights, indices = _resize_weights(full_len, 1.0 / factor, out_len)
    resize = np.zeros((out_len, full_len))
    np.add.at(resize, (np.repeat(np.arange(out_len), indices.shape[1]), indices.ravel()),
              weights.ravel())
    # full convolution with a box: input j reaches outputs j .. j + factor - 1, each 1/factor
    sums = np.concatenate([np.zeros((out_len, 1)), np.cumsum(resize, axis=1)], axis=1)
    return (sums[:, factor:factor + in_len] - sums[:, :in_len]) / factor
