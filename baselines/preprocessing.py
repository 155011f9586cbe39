"""The course's preprocessing of raw crops, as in ``mass_segment.m``.

Box smoothing (``conv2`` with an ``s x s`` averaging kernel, MATLAB's default 'full'
output), down-scaling with MATLAB's ``imresize`` (bicubic, antialiased when shrinking) and
normalisation by the maximum. The two MATLAB steps live in the ground
(:mod:`benchmark.ground.data.resample`), where the public-dataset importers use them too.
"""

from __future__ import annotations

import numpy as np

from benchmark.ground.data.resample import box_smooth, imresize


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


__all__ = ["box_smooth", "course_preprocess", "imresize"]
