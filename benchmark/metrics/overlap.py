"""Overlap metrics from one Numba pass over a batch of masks: counts, Dice, Jaccard, ...

Conventions (after nnU-Net's evaluation): counts are per image; Dice and Jaccard are NaN when
both masks are empty; sensitivity is NaN when the reference is empty, precision when the
prediction is empty, specificity when the reference covers the whole image.
"""

from __future__ import annotations

import numpy as np

from benchmark.metrics import _kernels
from benchmark.metrics._validation import as_pair


def _overlap(reference, prediction) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, bool]:
    """(|R and P|, |R|, |P|) per image, the pixels per image, and whether one image came."""
    ref, pred, single = as_pair(reference, prediction)
    n, h, w = ref.shape
    out = np.empty((n, 3), dtype=np.int64)
    a, b = ref.reshape(n, h * w).view(np.uint8), pred.reshape(n, h * w).view(np.uint8)
    if (h * w) % 8 == 0:
        _kernels.overlap_counts_words(a.view(np.uint64), b.view(np.uint64), out)
    else:
        _kernels.overlap_counts_bytes(a, b, out)
    return out[:, 0], out[:, 1], out[:, 2], h * w, single


def _package(values: np.ndarray, single: bool):
    return values[0] if single else values


def ratio_or_nan(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, NaN elsewhere."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)


def confusion_counts(reference, prediction) -> np.ndarray:
    """True / false positives and negatives per image.

    Parameters
    ----------
    reference, prediction : (H, W) or (N, H, W) array_like of bool or int
        Masks; integers must hold {0, 1} or {0, 255}.

    Returns
    -------
    (4,) or (N, 4) ndarray of int64
        Columns ``tp, fp, fn, tn`` (positives are the prediction's foreground).

    Examples
    --------
    >>> import numpy as np
    >>> confusion_counts(np.eye(3, dtype=bool), np.ones((3, 3), dtype=bool)).tolist()
    [3, 6, 0, 0]
    """
    both, n_ref, n_pred, n_pixels, single = _overlap(reference, prediction)
    counts = np.stack([both, n_pred - both, n_ref - both,
                       n_pixels - n_ref - n_pred + both], axis=1)
    return _package(counts, single)


def dice_score(reference, prediction) -> np.ndarray | float:
    """Dice coefficient ``2 |R and P| / (|R| + |P|)`` per image; NaN when both are empty.

    Parameters
    ----------
    reference, prediction : (H, W) or (N, H, W) array_like of bool or int
        Masks; integers must hold {0, 1} or {0, 255}.

    Returns
    -------
    float or (N,) ndarray of float64

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((4, 4), bool); a[:2] = True
    >>> float(dice_score(a, np.ones((4, 4), bool)))
    0.6666666666666666
    """
    both, n_ref, n_pred, _, single = _overlap(reference, prediction)
    return _package(ratio_or_nan(2 * both, n_ref + n_pred), single)


def jaccard_score(reference, prediction) -> np.ndarray | float:
    """Jaccard index ``|R and P| / |R or P|`` per image; NaN when both are empty.

    Parameters
    ----------
    reference, prediction : (H, W) or (N, H, W) array_like of bool or int

    Returns
    -------
    float or (N,) ndarray of float64
    """
    both, n_ref, n_pred, _, single = _overlap(reference, prediction)
    return _package(ratio_or_nan(both, n_ref + n_pred - both), single)


def sensitivity_score(reference, prediction) -> np.ndarray | float:
    """Sensitivity (recall) ``TP / (TP + FN)`` per image; NaN when the reference is empty.

    Parameters
    ----------
    reference, prediction : (H, W) or (N, H, W) array_like of bool or int

    Returns
    -------
    float or (N,) ndarray of float64
    """
    both, n_ref, _, _, single = _overlap(reference, prediction)
    return _package(ratio_or_nan(both, n_ref), single)


def precision_score(reference, prediction) -> np.ndarray | float:
    """Precision ``TP / (TP + FP)`` per image; NaN when the prediction is empty.

    Parameters
    ----------
    reference, prediction : (H, W) or (N, H, W) array_like of bool or int

    Returns
    -------
    float or (N,) ndarray of float64
    """
    both, _, n_pred, _, single = _overlap(reference, prediction)
    return _package(ratio_or_nan(both, n_pred), single)


def specificity_score(reference, prediction) -> np.ndarray | float:
    """Specificity ``TN / (TN + FP)`` per image; NaN when the reference fills the image.

    Parameters
    ----------
    reference, prediction : (H, W) or (N, H, W) array_like of bool or int

    Returns
    -------
    float or (N,) ndarray of float64
    """
    both, n_ref, n_pred, n_pixels, single = _overlap(reference, prediction)
    tn = n_pixels - n_ref - n_pred + both
    return _package(ratio_or_nan(tn, n_pixels - n_ref), single)
