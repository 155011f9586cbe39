"""The ROI rectangle that semi-automatic methods receive, as a user would draw it.

A rectangle is ``(row_min, row_max, col_min, col_max)``, 0-based and inclusive, on the image's
own grid. The benchmark draws it from the reference mask: its bounding box grown by a fixed
margin of :data:`ROI_MARGIN_FRACTION` of the image's larger side (5 pixels on a 128-pixel
crop), clipped to the image.
"""

from __future__ import annotations

import numpy as np

ROI_MARGIN_FRACTION = 0.04


def roi_from_mask(mask: np.ndarray, *, margin_fraction: float = ROI_MARGIN_FRACTION):
    """The ROI a user would draw around a reference mask.

    Parameters
    ----------
    mask : (M, N) ndarray of bool
        Reference mask.
    margin_fraction : float, default 0.04
        Margin added on every side, as a fraction of ``max(M, N)`` (rounded, at least 1 px).

    Returns
    -------
    tuple of int
        ``(row_min, row_max, col_min, col_max)``, inclusive; the whole image when the mask is
        empty.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((128, 128), bool); m[50:60, 40:70] = True
    >>> roi_from_mask(m)
    (45, 64, 35, 74)
    """
    mask = np.asarray(mask, dtype=bool)
    h, w = mask.shape
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return 0, h - 1, 0, w - 1
    margin = max(1, int(round(margin_fraction * max(h, w))))
    return (max(0, int(rows.min()) - margin), min(h - 1, int(rows.max()) + margin),
            max(0, int(cols.min()) - margin), min(w - 1, int(cols.max()) + margin))


def check_roi(roi, shape: tuple[int, int], *, where: str = "roi") -> tuple[int, int, int, int]:
    """Validate a rectangle against an image shape; return it as a tuple of ints.

    Raises
    ------
    ValueError
        Naming ``where`` when the rectangle is malformed, empty or outside the image.
    """
    try:
        r0, r1, c0, c1 = (int(v) for v in roi)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected (row_min, row_max, col_min, col_max) integers, "
                         f"got {roi!r}") from None
    if r0 > r1 or c0 > c1:
        raise ValueError(f"{where}: rectangle rows {r0}-{r1}, cols {c0}-{c1} is inverted (a "
                         "minimum above its maximum); give row_min <= row_max and col_min <= "
                         "col_max")
    if not (0 <= r0 <= r1 < shape[0] and 0 <= c0 <= c1 < shape[1]):
        raise ValueError(f"{where}: rectangle rows {r0}-{r1}, cols {c0}-{c1} is not inside "
                         f"the {shape[0]}x{shape[1]} image")
    return r0, r1, c0, c1
