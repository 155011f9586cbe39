"""Per-image segmentation metrics, Numba-accelerated (kernels in ``_kernels.py``).

Every function takes a reference and a predicted mask of shape (H, W) or (N, H, W) (bool,
or integers {0, 1} / {0, 255}) and returns one value per image. ``*_score``: higher is
better; ``*_distance``: lower is better, in pixels (or the unit of ``spacing``).
"""

from __future__ import annotations

import numpy as np

from benchmark.metrics.distance import (
    average_surface_distance,
    empty_mask_flags,
    hausdorff95_distance,
    surface_distances,
)
from benchmark.metrics.overlap import (
    confusion_counts,
    dice_score,
    jaccard_score,
    precision_score,
    ratio_or_nan,
    sensitivity_score,
    specificity_score,
)

#: Per-image metrics by name: the columns of ``metrics.csv``.
METRICS = {
    "dice": dice_score,
    "jaccard": jaccard_score,
    "sensitivity": sensitivity_score,
    "precision": precision_score,
    "specificity": specificity_score,
    "hd95": hausdorff95_distance,
    "assd": average_surface_distance,
}


def score_masks(reference, prediction, *, spacing=None) -> dict[str, np.ndarray]:
    """Every metric of :data:`METRICS`, the confusion counts and the empty-mask flag at once.

    Parameters
    ----------
    reference, prediction : (N, H, W) array_like of bool or int
    spacing : float or (float, float), optional

    Returns
    -------
    dict of str to (N,) ndarray
        Keys: the names of :data:`METRICS`, ``tp, fp, fn, tn`` and ``empty_flag``.
    """
    ref, pred = np.asarray(reference), np.asarray(prediction)
    ref, pred = (ref[None] if ref.ndim == 2 else ref), (pred[None] if pred.ndim == 2 else pred)
    counts = confusion_counts(ref, pred)
    tp, fp, fn, tn = (counts[:, k] for k in range(4))
    result = {
        "dice": ratio_or_nan(2 * tp, 2 * tp + fp + fn),
        "jaccard": ratio_or_nan(tp, tp + fp + fn),
        "sensitivity": ratio_or_nan(tp, tp + fn),
        "precision": ratio_or_nan(tp, tp + fp),
        "specificity": ratio_or_nan(tn, tn + fp),
    }
    result["hd95"], result["assd"] = surface_distances(ref, pred, spacing=spacing)
    for k, name in enumerate(("tp", "fp", "fn", "tn")):
        result[name] = counts[:, k]
    result["empty_flag"] = empty_mask_flags(ref, pred)
    return result


__all__ = [
    "METRICS",
    "average_surface_distance",
    "confusion_counts",
    "dice_score",
    "empty_mask_flags",
    "hausdorff95_distance",
    "jaccard_score",
    "precision_score",
    "score_masks",
    "sensitivity_score",
    "specificity_score",
    "surface_distances",
]
