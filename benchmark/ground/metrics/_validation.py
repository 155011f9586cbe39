"""Input checks shared by the metric functions: masks to C-contiguous (N, H, W) bool."""

from __future__ import annotations

import numpy as np


def as_mask_batch(mask, name: str) -> tuple[np.ndarray, bool]:
    """Return ``mask`` as a C-contiguous (N, H, W) bool array and whether it was one image.

    Accepts bool arrays and integer arrays whose values are {0, 1} or {0, 255}.
    """
    array = np.asarray(mask)
    if array.ndim not in (2, 3):
        raise ValueError(f"The '{name}' mask must have shape (H, W) or (N, H, W). "
                         f"Got shape {array.shape} instead.")
    if array.dtype != bool:
        if not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"The '{name}' mask must be bool or integer {{0, 1}} / {{0, 255}}. "
                             f"Got dtype {array.dtype} instead.")
        if array.size:
            low, high = array.min(), array.max()
            if low < 0 or (high > 1 and (high != 255 or np.any((array > 1) & (array != 255)))):
                raise ValueError(f"The '{name}' mask must hold only {{0, 1}} or {{0, 255}}. "
                                 f"Got values in [{low}, {high}] instead.")
        array = array != 0
    single = array.ndim == 2
    if single:
        array = array[None]
    return np.ascontiguousarray(array), single


def as_pair(reference, prediction) -> tuple[np.ndarray, np.ndarray, bool]:
    """Validate a reference / prediction pair of masks of one shape."""
    ref, single_ref = as_mask_batch(reference, "reference")
    pred, single_pred = as_mask_batch(prediction, "prediction")
    if ref.shape != pred.shape:
        shape_r = ref.shape[1:] if single_ref else ref.shape
        shape_p = pred.shape[1:] if single_pred else pred.shape
        raise ValueError(f"The 'reference' and 'prediction' masks must have the same shape. "
                         f"Got {shape_r} and {shape_p} instead.")
    return ref, pred, single_ref and single_pred


def as_spacing(spacing) -> tuple[float, float]:
    """Pixel spacing as (row, column) floats; None means 1 pixel."""
    if spacing is None:
        return 1.0, 1.0
    values = np.atleast_1d(np.asarray(spacing, dtype=np.float64))
    if values.size == 1:
        values = np.repeat(values, 2)
    if values.shape != (2,) or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"The 'spacing' parameter must be a positive number or a pair of "
                         f"positive numbers (row, column). Got {spacing!r} instead.")
    return float(values[0]), float(values[1])
