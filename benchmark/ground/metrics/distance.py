"""Surface distances: 95th-percentile Hausdorff distance (HD95) and ASSD.

Conventions
-----------
- Surface pixels are ``mask XOR binary_erosion(mask, cross)`` with a 4-connected cross and
  a zero border (pixels on the image edge are surface pixels).
- The directed distances from each surface pixel of one mask to the nearest surface pixel of
  the other are computed both ways and pooled.
- HD95 is the 95th percentile (NumPy's linear interpolation) of the pooled distances; ASSD is
  their mean. On non-empty masks these equal ``medpy.metric.binary.hd95`` and ``assd``.
- Distances are in pixels, or in the unit of ``spacing`` when it is given.
- Both masks empty: NaN. Exactly one empty: the image diagonal
  ``hypot(H * row_spacing, W * col_spacing)``, a bound no real distance reaches; such cases
  are flagged by :func:`empty_mask_flags`.
"""

from __future__ import annotations

import numpy as np

from benchmark.ground.metrics import _kernels
from benchmark.ground.metrics._validation import as_pair, as_spacing


def surface_distances(reference, prediction, *, spacing=None) -> tuple:
    """HD95 and ASSD of each image pair in one pass.

    Parameters
    ----------
    reference, prediction : (H, W) or (N, H, W) array_like of bool or int
        Masks; integers must hold {0, 1} or {0, 255}.
    spacing : float or (float, float), optional
        Pixel size along rows and columns (e.g. mm); default 1 (distances in pixels).

    Returns
    -------
    hd95, assd : float or (N,) ndarray of float64
        See the module's conventions, including the empty-mask rules.
    """
    ref, pred, single = as_pair(reference, prediction)
    sy, sx = as_spacing(spacing)
    n, h, w = ref.shape
    out = np.full((n, 2), np.nan)
    _kernels.surface_distance_stats(ref, pred, sy, sx, out)
    ref_empty = ~ref.reshape(n, -1).any(axis=1)
    pred_empty = ~pred.reshape(n, -1).any(axis=1)
    out[ref_empty != pred_empty] = np.hypot(h * sy, w * sx)
    if single:
        return float(out[0, 0]), float(out[0, 1])
    return out[:, 0], out[:, 1]


def hausdorff95_distance(reference, prediction, *, spacing=None):
    """95th-percentile symmetric Hausdorff distance per image (lower is better).

    Parameters
    ----------
    reference, prediction : (H, W) or (N, H, W) array_like of bool or int
    spacing : float or (float, float), optional
        Pixel size along rows and columns; default 1 (pixels).

    Returns
    -------
    float or (N,) ndarray of float64

    References
    ----------
    .. [1] T. Heimann et al., "Comparison and evaluation of methods for liver segmentation
       from CT datasets", IEEE TMI 28 (2009) 1251, doi:10.1109/TMI.2009.2013851.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((9, 9), bool); a[2:5, 2:5] = True
    >>> hausdorff95_distance(a, np.roll(a, 3, axis=1))
    3.0
    """
    return surface_distances(reference, prediction, spacing=spacing)[0]


def average_surface_distance(reference, prediction, *, spacing=None):
    """Average symmetric surface distance (ASSD) per image (lower is better).

    Parameters
    ----------
    reference, prediction : (H, W) or (N, H, W) array_like of bool or int
    spacing : float or (float, float), optional
        Pixel size along rows and columns; default 1 (pixels).

    Returns
    -------
    float or (N,) ndarray of float64
    """
    return surface_distances(reference, prediction, spacing=spacing)[1]


def empty_mask_flags(reference, prediction) -> np.ndarray | bool:
    """True where exactly one of the two masks is empty (distances set to the diagonal)."""
    ref, pred, single = as_pair(reference, prediction)
    n = ref.shape[0]
    flags = ref.reshape(n, -1).any(axis=1) != pred.reshape(n, -1).any(axis=1)
    return bool(flags[0]) if single else flags
