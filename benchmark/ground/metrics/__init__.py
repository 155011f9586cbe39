"""Per-image segmentation metrics, Numba-accelerated (kernels in ``_kernels.py``).

Every function takes a reference and a predicted mask of shape (H, W) or (N, H, W) (bool,
or integers {0, 1} / {0, 255}) and returns one value per image. ``*_score``: higher is
better; ``*_distance``: lower is better, in pixels (or the unit of ``spacing``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmark.ground.metrics.distance import (
    average_surface_distance,
    empty_mask_flags,
    hausdorff95_distance,
    surface_distances,
)
from benchmark.ground.metrics.overlap import (
    confusion_counts,
    dice_from_counts,
    dice_score,
    jaccard_from_counts,
    jaccard_score,
    precision_from_counts,
    precision_score,
    ratio_or_nan,
    sensitivity_from_counts,
    sensitivity_score,
    specificity_from_counts,
    specificity_score,
)


@dataclass(frozen=True)
class Metric:
    """A per-image metric: how to compute it and which way is better.

    Calling a ``Metric`` calls its function: ``METRICS["dice"](reference, prediction)``.

    Parameters
    ----------
    function : callable
        ``function(reference, prediction)`` -> one value per image.
    higher_is_better : bool
        True for ``*_score`` metrics, False for ``*_distance`` ones.
    label : str
        Its name in tables and figures, with the unit.
    from_counts : callable or None
        ``from_counts(tp, fp, fn, tn)`` for overlap metrics (:func:`score_masks` computes
        them from one pass of counts); None for surface distances.
    """

    function: Callable
    higher_is_better: bool
    label: str
    from_counts: Callable | None = None

    def __call__(self, reference, prediction):
        """The metric of each image pair."""
        return self.function(reference, prediction)


#: Per-image metrics by name: the metric columns of ``metrics.csv``, in order.
METRICS = {
    "dice": Metric(dice_score, True, "Dice", dice_from_counts),
    "jaccard": Metric(jaccard_score, True, "Jaccard", jaccard_from_counts),
    "sensitivity": Metric(sensitivity_score, True, "sensitivity", sensitivity_from_counts),
    "precision": Metric(precision_score, True, "precision", precision_from_counts),
    "specificity": Metric(specificity_score, True, "specificity", specificity_from_counts),
    "hd95": Metric(hausdorff95_distance, False, "HD95 (px)"),
    "assd": Metric(average_surface_distance, False, "ASSD (px)"),
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

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((1, 8, 8), bool); a[0, 2:6, 2:6] = True
    >>> scores = score_masks(a, a)
    >>> float(scores["dice"][0]), float(scores["hd95"][0]), int(scores["tp"][0])
    (1.0, 0.0, 16)
    """
    ref, pred = np.asarray(reference), np.asarray(prediction)
    ref, pred = (ref[None] if ref.ndim == 2 else ref), (pred[None] if pred.ndim == 2 else pred)
    counts = confusion_counts(ref, pred)
    hd95, assd = surface_distances(ref, pred, spacing=spacing)
    distances = {"hd95": hd95, "assd": assd}
    result = {name: metric.from_counts(*counts.T) if metric.from_counts else distances[name]
              for name, metric in METRICS.items()}
    for k, name in enumerate(("tp", "fp", "fn", "tn")):
        result[name] = counts[:, k]
    result["empty_flag"] = empty_mask_flags(ref, pred)
    return result


__all__ = [
    "METRICS",
    "Metric",
    "average_surface_distance",
    "confusion_counts",
    "dice_score",
    "empty_mask_flags",
    "hausdorff95_distance",
    "jaccard_score",
    "precision_score",
    "ratio_or_nan",
    "score_masks",
    "sensitivity_score",
    "specificity_score",
    "surface_distances",
]
