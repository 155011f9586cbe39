"""Overlap metrics from one Numba pass over a batch of masks: counts, Dice, Jaccard, ...

Conventions (after nnU-Net's evaluation): counts are per image; Dice and Jaccard are NaN when
both masks are empty; sensitivity is NaN when the reference is empty, precision when the
prediction is empty, specificity when the reference covers the whole image.
"""

from __future__ import annotations

import numpy as np

from benchmark.ground.metrics import _kernels
from benchmark.ground.metrics._validation import as_pair


def _counts(reference, prediction) -> tuple[np.ndarray, bool]:
    """(N, 4) ``tp, fp, fn, tn`` per image and whether one image came (one Numba pass)."""
    ref, pred, single = as_pair(reference, prediction)
    n, h, w = ref.shape
    out = np.empty((n, 3), dtype=np.int64)
    a, b = ref.reshape(n, h * w).view(np.uint8), pred.reshape(n, h * w).view(np.uint8)
    if (h * w) % 8 == 0:
        _kernels.overlap_counts_words(a.view(np.uint64), b.view(np.uint64), out)
    else:
        _kernels.overlap_counts_bytes(a, b, out)
    both, n_ref, n_pred = out[:, 0], out[:, 1], out[:, 2]
    counts = np.stack([both, n_pred - both, n_ref - both, h * w - n_ref - n_pred + both], axis=1)
    return counts, single


def _package(values: np.ndarray, single: bool):
    return values[0] if single else values


def ratio_or_nan(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, NaN elsewhere."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)


# The formulas, from the confusion counts of each image: the ``*_score`` functions below and
# ``score_masks`` (through the ``METRICS`` registry) both use these, and nothing else does.
def dice_from_counts(tp, fp, fn, tn):
    """``2 TP / (2 TP + FP + FN)``; NaN when both masks are empty."""
    return ratio_or_nan(2 * tp, 2 * tp + fp + fn)


def jaccard_from_counts(tp, fp, fn, tn):
    """``TP / (TP + FP + FN)``; NaN when both masks are empty."""
    return ratio_or_nan(tp, tp + fp + fn)


def sensitivity_from_counts(tp, fp, fn, tn):
    """``TP / (TP + FN)``; NaN when the reference is empty."""
    return ratio_or_nan(tp, tp + fn)


def precision_from_counts(tp, fp, fn, tn):
    """``TP / (TP + FP)``; NaN when the prediction is empty."""
    return ratio_or_nan(tp, tp + fp)


def specificity_from_counts(tp, fp, fn, tn):
    """``TN / (TN + FP)``; NaN when the reference covers the whole image."""
    return ratio_or_nan(tn, tn + fp)


def _score(formula, reference, prediction):
    counts, single = _counts(reference, prediction)
    return _package(formula(*counts.T), single)


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
    counts, single = _counts(reference, prediction)
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
    return _score(dice_from_counts, reference, prediction)


def jaccard_score(reference, prediction) -> np.ndarray | float:
    """Jaccard index ``|R and P| / |R or P|`` per image; NaN when both are empty.

    Parameters
    ----------
    reference, prediction : (H, W) or (N, H, W) array_like of bool or int

    Returns
    -------
    float or (N,) ndarray of float64
    """
    return _score(jaccard_from_counts, reference, prediction)


def sensitivity_score(reference, prediction) -> np.ndarray | float:
    """Sensitivity (recall) ``TP / (TP + FN)`` per image; NaN when the reference is empty.

    Parameters
    ----------
    reference, prediction : (H, W) or (N, H, W) array_like of bool or int

    Returns
    -------
    float or (N,) ndarray of float64
    """
    return _score(sensitivity_from_counts, reference, prediction)


def precision_score(reference, prediction) -> np.ndarray | float:
    """Precision ``TP / (TP + FP)`` per image; NaN when the prediction is empty.

    Parameters
    ----------
    reference, prediction : (H, W) or (N, H, W) array_like of bool or int

    Returns
    -------
    float or (N,) ndarray of float64
    """
    return _score(precision_from_counts, reference, prediction)


def specificity_score(reference, prediction) -> np.ndarray | float:
    """Specificity ``TN / (TN + FP)`` per image; NaN when the reference fills the image.

    Parameters
    ----------
    reference, prediction : (H, W) or (N, H, W) array_like of bool or int

    Returns
    -------
    float or (N,) ndarray of float64
    """
    return _score(specificity_from_counts, reference, prediction)
