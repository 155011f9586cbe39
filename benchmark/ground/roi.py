"""The ROI rectangle that semi-automatic methods receive, as a user would draw it.

A rectangle is ``(row_min, row_max, col_min, col_max)``, 0-based and inclusive, on the image's
own grid. A user draws a box around the mass, not its exact bounding box: :func:`draw_roi`
moves each side of the reference bounding box outwards by its own margin, drawn uniformly
from a range of fractions of the lesion's extent on that axis (default 10-30 %,
:data:`DEFAULT_ROI_MARGIN`), and clips the box to the image. The draw is seeded by the run
seed and the case id, so every method, every fold and every rerun sees the same box, and a
box never cuts into the lesion. ``margin=(0, 0)`` gives the tight bounding box
(:func:`bounding_box`).
"""

from __future__ import annotations

import zlib

import numpy as np

#: The default range of the margin of each side, as a fraction of the lesion's extent.
DEFAULT_ROI_MARGIN = (0.10, 0.30)
#: Columns of a file of ROIs (``rois.csv`` of a run, the ``ROIS.csv`` of ``segment``).
ROI_COLUMNS = ("case", "row_min", "row_max", "col_min", "col_max")


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """The tight bounding box of a mask, inclusive; None for an empty mask.

    Examples
    --------
    >>> m = np.zeros((8, 8), bool); m[2:4, 3:7] = True
    >>> bounding_box(m)
    (2, 3, 3, 6)
    """
    rows, cols = np.nonzero(np.asarray(mask, dtype=bool))
    if rows.size == 0:
        return None
    return int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())


def check_margin(margin) -> tuple[float, float]:
    """Validate a margin range of fractions of the lesion's extent.

    Parameters
    ----------
    margin : sequence of two numbers
        ``(LO, HI)``, with ``0 <= LO <= HI <= 5``.

    Returns
    -------
    (float, float)

    Raises
    ------
    ValueError
        When it is not two numbers with ``0 <= LO <= HI <= 5``.
    """
    try:
        low, high = (float(v) for v in margin)
    except (TypeError, ValueError):
        raise ValueError("the ROI margin range must be two fractions LO,HI of the lesion's "
                         f"extent (e.g. 0.1,0.3); got {margin!r}") from None
    if not (np.isfinite(low) and np.isfinite(high) and 0 <= low <= high <= 5):
        raise ValueError("the ROI margin range must have 0 <= LO <= HI <= 5 (fractions of the "
                         f"lesion's extent, e.g. 0.1,0.3); got {low:g},{high:g}")
    return low, high


def case_rng(seed: int, case_id: str) -> np.random.Generator:
    """The random generator of one case's ROI: the same in every process and on every run.

    The case id enters through CRC-32 (Python's ``hash`` of a string changes between
    processes).
    """
    return np.random.default_rng([int(seed), zlib.crc32(str(case_id).encode("utf-8"))])


def draw_roi(mask: np.ndarray, *, seed: int, case_id: str,
             margin=DEFAULT_ROI_MARGIN) -> tuple[int, int, int, int]:
    """The box a user would draw around a reference mask.

    Parameters
    ----------
    mask : (M, N) ndarray of bool
        Reference mask.
    seed : int
        The run's seed.
    case_id : str
        The case's id (with ``seed``, it fixes the draw).
    margin : (float, float), default (0.10, 0.30)
        Range of each side's margin, as a fraction of the lesion's bounding-box height (top
        and bottom) or width (left and right); each of the four is drawn on its own and
        rounded to whole pixels (so a lesion under 5 px across may get no margin on a side).

    Returns
    -------
    tuple of int
        ``(row_min, row_max, col_min, col_max)``, inclusive, inside the image and containing
        the whole mask; the whole image when the mask is empty.

    Examples
    --------
    >>> m = np.zeros((128, 128), bool); m[50:60, 40:70] = True
    >>> draw_roi(m, seed=0, case_id="a", margin=(0, 0))
    (50, 59, 40, 69)
    >>> r0, r1, c0, c1 = draw_roi(m, seed=0, case_id="a")
    >>> 47 <= r0 <= 49 and 60 <= r1 <= 62 and 31 <= c0 <= 37 and 72 <= c1 <= 78
    True
    """
    low, high = check_margin(margin)
    mask = np.asarray(mask, dtype=bool)
    h, w = mask.shape
    box = bounding_box(mask)
    if box is None:
        return 0, h - 1, 0, w - 1
    r0, r1, c0, c1 = box
    height, width = r1 - r0 + 1, c1 - c0 + 1
    top, bottom, left, right = case_rng(seed, case_id).uniform(low, high, 4)
    return (max(0, r0 - int(np.rint(top * height))), min(h - 1, r1 + int(np.rint(bottom * height))),
            max(0, c0 - int(np.rint(left * width))), min(w - 1, c1 + int(np.rint(right * width))))


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
