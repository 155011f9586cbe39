"""A square crop around one lesion of a full mammogram, brought to the course's grid.

The course's crops (``../shared/data/course_large_sample``: 95 crops of 125 x 125 pixels)
hold a lesion whose larger bounding-box side is a median 17 pixels (10th-90th percentile
9-35): the crop's side is a median **7.35 times the lesion's extent** (interquartile range
5.8-8.9). An imported crop is cut the same way: a square window of about 7.35 times the
lesion's larger bounding-box side, centred on the lesion and moved inside the image where
it fits (so a lesion near the skin or the chest wall sits off-centre, as some of the
course's do), padded with black where the image is smaller than the window. The side is
rounded to ``124 * f + 1`` pixels for an integer factor ``f``, and the window is smoothed by
an ``f x f`` box and shrunk by ``f`` exactly as the course's ``mass_segment.m`` does with
``f = 8`` (:func:`benchmark.ground.data.resample.course_shrink`), which gives 125 x 125
pixels: every method sees a lesion of the size, context and smoothing it sees on the
course's data. The reference mask goes through the same smoothing and shrinking and is cut
at one half, so it stays aligned with the image on the coarse grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.ground.data.dicom import to_byte_scale
from benchmark.ground.data.resample import shrink_matrix

#: The course's grid: its crops are 125 x 125 pixels.
GRID = 125
#: Crop side / lesion extent: the median over the course's 95 crops (7.35; IQR 5.8-8.9).
SIDE_PER_EXTENT = 7.35
#: How an importer cuts and shrinks a crop, in words (``data`` and the cache's record).
CROPPING = (f"a square window of {SIDE_PER_EXTENT} x the lesion's larger bounding-box side "
            f"(the course's median), centred on it and kept inside the image, smoothed by an "
            f"f x f box and shrunk by f to {GRID} x {GRID} as the course's mass_segment.m "
            f"does (f = 8 for a 993 px window); 8-bit")


@dataclass(frozen=True)
class Window:
    """A square window in full-image pixels: rows ``top .. top + side - 1``, same for columns.

    ``factor`` is the box side and the shrink factor; ``side == (GRID - 1) * factor + 1``.
    The window may reach outside the image (negative ``top``), where the crop is black.
    """

    top: int
    left: int
    side: int
    factor: int

    def as_list(self) -> list[int]:
        """``[top, left, side, factor]`` (for the cache's record)."""
        return [self.top, self.left, self.side, self.factor]


def lesion_window(mask: np.ndarray, *, side_per_extent: float = SIDE_PER_EXTENT,
                  grid: int = GRID) -> Window:
    """The window around the lesion of ``mask`` (see the module's description).

    Parameters
    ----------
    mask : (M, N) ndarray of bool
        The lesion on the full image; must not be empty.
    side_per_extent : float
        Window side / the lesion's larger bounding-box side.
    grid : int
        Side of the shrunk crop.

    Returns
    -------
    Window

    Examples
    --------
    >>> import numpy as np
    >>> mask = np.zeros((3000, 2000), bool)
    >>> mask[1000:1135, 500:600] = True  # extent 135 px: a 993 px window, factor 8
    >>> lesion_window(mask)
    Window(top=571, left=54, side=993, factor=8)
    """
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise ValueError("lesion_window needs a mask with at least one pixel")
    extent = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    factor = max(1, int(round((side_per_extent * extent - 1) / (grid - 1))))
    side = (grid - 1) * factor + 1
    start = []
    for (first, last), length in zip(((rows[0], rows[-1]), (cols[0], cols[-1])), mask.shape,
                                     strict=True):
        centred = int(round((first + last) / 2 - (side - 1) / 2))
        low, high = min(0, length - side), max(0, length - side)
        start.append(min(max(centred, low), high))  # inside the image where it fits
    return Window(top=start[0], left=start[1], side=side, factor=factor)


def cut(values: np.ndarray, window: Window, fill: float = 0.0) -> np.ndarray:
    """The window's pixels of ``values`` (``fill`` outside the image), as float64."""
    out = np.full((window.side, window.side), fill, dtype=np.float64)
    (r0, r1), (c0, c1) = _inside(window, values.shape)
    if r1 > r0 and c1 > c0:
        out[r0 - window.top:r1 - window.top, c0 - window.left:c1 - window.left] = \
            values[r0:r1, c0:c1]
    return out


def shrink_window(values: np.ndarray, window: Window, *, scale=None,
                  support: tuple[slice, slice] | None = None) -> np.ndarray:
    """``course_shrink(cut(scale(values), window), window.factor)``, without the cut.

    The window's pixels outside the image are 0 (and so are those outside ``support``, a
    region of ``values`` beyond which it is known to be 0), so only the window's part inside
    the image enters the two matrix products.

    Parameters
    ----------
    values : (M, N) ndarray
    window : Window
    scale : callable, optional
        Applied to the values inside the window before they are shrunk.
    support : (slice, slice), optional
        Rows and columns of ``values`` outside of which it is 0.

    Returns
    -------
    (GRID, GRID) ndarray of float64
    """
    (r0, r1), (c0, c1) = _inside(window, values.shape, support)
    rows = cols = shrink_matrix(window.side, window.factor)  # a square window
    if r1 <= r0 or c1 <= c0:
        return np.zeros((rows.shape[0], cols.shape[0]))
    part = np.asarray(values[r0:r1, c0:c1], dtype=np.float64)
    if scale is not None:
        part = scale(part)
    return ((rows[:, r0 - window.top:r1 - window.top] @ part)
            @ cols[:, c0 - window.left:c1 - window.left].T)


def _inside(window: Window, shape, support=None) -> tuple[tuple[int, int], tuple[int, int]]:
    """The rows and columns of the image (within ``support``) that the window covers."""
    spans = []
    for axis, start in enumerate((window.top, window.left)):
        low, high = max(start, 0), min(start + window.side, shape[axis])
        if support is not None:
            low = max(low, support[axis].start)
            high = min(high, support[axis].stop)
        spans.append((low, high))
    return spans[0], spans[1]


def course_crop(values: np.ndarray, mask: np.ndarray, grey_window: tuple[float, float], *,
                grid: int = GRID) -> tuple[np.ndarray, np.ndarray, Window]:
    """The lesion's crop on the course's grid: an 8-bit image and its mask.

    Parameters
    ----------
    values : (M, N) ndarray
        The full mammogram (bright = dense), on its own scale.
    mask : (M, N) ndarray of bool
        The lesion.
    grey_window : (float, float)
        The values that map to 0 and 255 (the full image's window,
        :func:`benchmark.ground.data.dicom.full_image_window`).
    grid : int

    Returns
    -------
    image : (grid, grid) ndarray of uint8
    mask : (grid, grid) ndarray of bool
        Empty when the lesion is too small to survive the shrink (the caller drops it).
    window : Window

    Examples
    --------
    >>> import numpy as np
    >>> values = np.zeros((600, 500)); values[200:260, 150:200] = 1000.0
    >>> image, small, window = course_crop(values, values > 0, (0.0, 1000.0))
    >>> image.shape, small.shape, image.dtype.name, window.factor
    ((125, 125), (125, 125), 'uint8', 4)
    >>> bool(image[small].mean() > 200 > 20 > image[~small].mean())  # lesion bright, rest dark
    True
    """
    window = lesion_window(mask, grid=grid)
    image = shrink_window(values, window, scale=lambda v: to_byte_scale(v, grey_window))
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    support = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    small = shrink_window(mask, window, support=support) >= 0.5
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return image, small, window
