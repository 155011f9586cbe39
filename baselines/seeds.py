"""Seeds for the segmenters and the component a seed selects.

- :func:`course_seed`: the course's rule (``mass_segment.m``), a seed from the ROI;
- :func:`auto_seed`: a seed from the image alone, for the fully automatic variants;
- :func:`seed_component`: the connected region of a mask that a seed picks, as every
  segmenter keeps it (one helper, with the few choices the methods differ in).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

from baselines.matlab import first_max_column_major

__all__ = ["auto_seed", "course_seed", "roi_slices", "seed_component"]

#: ``scipy.ndimage.label`` structures of the two pixel neighbourhoods.
_STRUCTURES = {4: None, 8: np.ones((3, 3), dtype=bool)}


def course_seed(image: np.ndarray, roi) -> tuple[int, int]:
    """The seed of ``mass_segment.m``: the ROI's brightest pixel, or its centre if far out.

    The brightest pixel is the first in MATLAB's column-major order; when it lies more than
    4/5 of the half-height or half-width from the ROI centre, the centre is the seed.

    Parameters
    ----------
    image : (M, N) ndarray of float
    roi : tuple of int
        ``(row_min, row_max, col_min, col_max)``, inclusive.

    Returns
    -------
    (row, col) : tuple of int

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((9, 9)); image[4, 5] = 1.0
    >>> course_seed(image, (2, 6, 2, 8))
    (4, 5)
    """
    r0, r1, c0, c1 = roi
    row, col = first_max_column_major(image[r0 : r1 + 1, c0 : c1 + 1])
    row, col = row + r0, col + c0
    centre_row = r0 + math.ceil((r1 - r0) / 2)
    centre_col = c0 + math.ceil((c1 - c0) / 2)
    if (abs(row - centre_row) > 0.8 * (r1 - r0) / 2
            or abs(col - centre_col) > 0.8 * (c1 - c0) / 2):
        return centre_row, centre_col
    return row, col


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

    Examples
    --------
    >>> import numpy as np
    >>> rows, cols = np.mgrid[:40, :40]
    >>> auto_seed(np.exp(-((rows - 18) ** 2 + (cols - 22) ** 2) / 20.0))
    (18, 22)
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


def seed_component(mask: np.ndarray, seed: tuple[int, int], *, connectivity: int = 4,
                   fill: str | None = "after", nearest: bool = False) -> np.ndarray:
    """The connected component of ``mask`` that holds ``seed``.

    Parameters
    ----------
    mask : (M, N) ndarray of bool
    seed : (int, int)
    connectivity : {4, 8}, default 4
        Pixel neighbourhood of the components.
    fill : {"after", "before", None}, default "after"
        Fill the holes of the component found (``after``), of the whole mask before the
        components are found (``before``: a seed in a hole then lies in the filled mask), or
        not at all.
    nearest : bool, default False
        When the seed lies outside every component, take the component nearest to it
        instead of returning an empty mask (and the mask unchanged when it is empty).

    Returns
    -------
    (M, N) ndarray of bool

    Examples
    --------
    >>> import numpy as np
    >>> mask = np.zeros((6, 6), bool); mask[:2, :2] = True; mask[3:, 3:] = True
    >>> int(seed_component(mask, (4, 4)).sum()), int(seed_component(mask, (0, 3)).sum())
    (9, 0)
    >>> int(seed_component(mask, (0, 3), nearest=True).sum())
    4
    """
    if connectivity not in _STRUCTURES:
        raise ValueError("The 'connectivity' parameter of seed_component must be 4 or 8. "
                         f"Got {connectivity!r} instead.")
    if fill not in ("after", "before", None):
        raise ValueError("The 'fill' parameter of seed_component must be 'after', 'before' or "
                         f"None. Got {fill!r} instead.")
    mask = np.asarray(mask, dtype=bool)
    if fill == "before":
        mask = ndi.binary_fill_holes(mask)
    labels, n = ndi.label(mask, structure=_STRUCTURES[connectivity])
    label = labels[seed]
    if label == 0:
        if not nearest:
            return np.zeros(mask.shape, dtype=bool)
        if n == 0:
            return mask
        # the component whose nearest pixel is closest to the seed
        index = ndi.distance_transform_edt(labels == 0, return_distances=False,
                                           return_indices=True)
        label = labels[index[0][seed], index[1][seed]]
    component = labels == label
    return ndi.binary_fill_holes(component) if fill == "after" else component
