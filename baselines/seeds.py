"""Seeds for the segmenters: from an ROI (the course's rule) or from the image alone."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from baselines.radial import course_seed

__all__ = ["auto_seed", "course_seed", "roi_slices"]


def auto_seed(image: np.ndarray) -> tuple[int, int]:
    """A seed found in the image alone, for the fully automatic variants.

    The crops of the course (and the phantom) each hold one mass, roughly centred: the seed
    is the maximum of the image smoothed with a Gaussian of 4 % of the crop's side, weighted
    by a broad Gaussian prior centred on the crop (sigma a quarter of the side).

    Parameters
    ----------
    image : (M, N) ndarray of float

    Returns
    -------
    (row, col) : tuple of int
    """
    image = np.asarray(image, dtype=np.float64)
    side = max(image.shape)
    smooth = ndi.gaussian_filter(image, 0.04 * side)
    rows, cols = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    prior = np.exp(-(((rows - (image.shape[0] - 1) / 2) ** 2
                      + (cols - (image.shape[1] - 1) / 2) ** 2) / (2 * (0.25 * side) ** 2)))
    span = smooth.max() - smooth.min()
    score = (smooth - smooth.min()) / (span if span > 0 else 1) * prior
    row, col = np.unravel_index(int(np.argmax(score)), image.shape)
    return int(row), int(col)


def roi_slices(roi) -> tuple[slice, slice]:
    """Slices selecting an inclusive ``(row_min, row_max, col_min, col_max)`` rectangle."""
    r0, r1, c0, c1 = roi
    return slice(r0, r1 + 1), slice(c0, c1 + 1)
