"""The radial max-variance segmentation of the course (``mass_segment.m``).

A port of the course's semi-automatic algorithm after Delogu, Fantacci, Kasae and Retico
(Comput Biol Med 37 (2007) 1479):

1. seed: the brightest ROI pixel (first in MATLAB's column-major order), unless it lies more
   than 4/5 of the half-height or half-width from the ROI centre, then the centre;
2. ``n_lines`` radial lines (angles ``linspace(0, 2 pi, n + 1)`` without the last) of length
   ``R = ceil(half the ROI diagonal)``, pixel positions rounded the MATLAB way;
3. on each line, the point of maximum local standard deviation (``stdfilt``, ``nhood_size``
   square) inside the Otsu-binarised ROI (``imbinarize`` of the image zeroed outside the ROI);
4. a closed polygon through those points, densified to steps of at most one pixel per
   coordinate (``interpm``), rounded, kept inside the binarised ROI, and filled (``imfill``);
5. refinement: steps 2-4 again from every pixel of that border, with ``R / 5`` (rounded);
6. the union of the first mask and all refinement masks (``imbinarize`` of their sum: every
   count >= 1 lies above Otsu's level, so the sum binarises to the union);
7. the 8-connected component that holds the seed (empty when the seed is not in the union).

Departure from the course code, on purpose: a line whose pixels all have zero masked
deviation (it lies wholly outside the binarised ROI) has no border point; MATLAB's ``find``
then returns pixel (1, 1) and the polygon runs to the image corner, which the comment in
``max_var_points_interp.m`` calls harmless but which can draw a spurious edge across the ROI.
Such lines are skipped here.

A property of the course's algorithm kept here: the polygon is cut by the Otsu-binarised ROI
before it is filled, so where a segment between two border points leaves the bright part of
the ROI, the border has a gap, ``imfill`` finds no hole and that mask is empty. On sharp,
small masses (a disk of radius 16 px blurred by 1 px) the result can therefore be empty;
the refinement's union usually, but not always, recovers the mass.

References
----------
.. [1] P. Delogu, M. E. Fantacci, P. Kasae, A. Retico, "Characterization of mammographic
   masses using a gradient-based segmentation algorithm and a neural classifier", Comput.
   Biol. Med. 37 (2007) 1479-1491, doi:10.1016/j.compbiomed.2007.01.009.
"""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np
from scipy import ndimage as ndi
from sklearn.utils._param_validation import Interval

from baselines.base import TUNING_CONSTRAINTS, TunedSegmenter
from baselines.matlab import imbinarize, matlab_round, stdfilt
from baselines.seeds import course_seed, seed_component


def _ray_pixels(seed, radius: int, n_lines: int, shape):
    """Rounded pixel positions of the radial lines: (n_lines, radius) rows, cols, in-bounds."""
    angles = np.linspace(0, 2 * np.pi, n_lines + 1)[:-1]
    rho = np.arange(1, radius + 1, dtype=np.float64)
    rows = seed[0] + matlab_round(np.sin(angles)[:, None] * rho[None, :]).astype(np.int64)
    cols = seed[1] + matlab_round(np.cos(angles)[:, None] * rho[None, :]).astype(np.int64)
    inside = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
    return rows, cols, inside


def _max_variance_points(std_masked, seed, radius, n_lines):
    """One border point per radial line: the maximum of the masked deviation on it."""
    shape = std_masked.shape
    rows, cols, inside = _ray_pixels(seed, radius, n_lines, shape)
    values = np.where(inside, std_masked[np.clip(rows, 0, shape[0] - 1),
                                         np.clip(cols, 0, shape[1] - 1)], -1.0)
    best = values.max(axis=1)
    # ties: the first in column-major order, as MATLAB's find(... == max) returns
    order = np.where(values == best[:, None], cols * shape[0] + rows, np.iinfo(np.int64).max)
    pick = order.argmin(axis=1)
    keep = best > 0
    lines = np.arange(n_lines)[keep]
    return np.stack([rows[lines, pick[keep]], cols[lines, pick[keep]]], axis=1)


def _polygon_border(points, shape, roi_binary):
    """The closed, densified, rounded polygon through ``points``, kept inside the ROI."""
    border = np.zeros(shape, dtype=bool)
    if len(points) == 0:
        return border
    closed = np.vstack([points, points[:1]]).astype(np.float64)
    pieces = []
    for (ra, ca), (rb, cb) in zip(closed[:-1], closed[1:], strict=True):
        steps = int(math.ceil(max(abs(rb - ra), abs(cb - ca))))
        t = np.linspace(0, 1, steps + 1) if steps else np.zeros(1)
        pieces.append(np.stack([ra + (rb - ra) * t, ca + (cb - ca) * t], axis=1))
    dense = matlab_round(np.vstack(pieces)).astype(np.int64)
    ok = (dense[:, 0] >= 0) & (dense[:, 0] < shape[0]) & (dense[:, 1] >= 0) & (
        dense[:, 1] < shape[1])
    border[dense[ok, 0], dense[ok, 1]] = True
    return border & roi_binary


def _fill(border):
    """``imfill`` of a border image, computed on the border's bounding box only."""
    filled = np.zeros_like(border)
    rows, cols = np.nonzero(border)
    if rows.size == 0:
        return filled
    r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    filled[r0:r1, c0:c1] = ndi.binary_fill_holes(border[r0:r1, c0:c1])
    return filled


def radial_maxvar_segment(image: np.ndarray, roi, *, n_lines: int = 32, nhood_size: int = 5,
                          refine: bool = True) -> np.ndarray:
    """Segment the mass inside ``roi`` with the course's radial max-variance algorithm.

    Parameters
    ----------
    image : (M, N) ndarray of float
        The preprocessed image, normalised to [0, 1] (``im_norm`` in the course).
    roi : tuple of int
        ``(row_min, row_max, col_min, col_max)``, inclusive, 0-based.
    n_lines : int, default 32
        Number of radial lines.
    nhood_size : int, default 5
        Odd side of the ``stdfilt`` neighbourhood.
    refine : bool, default True
        Run the refinement from every border point (step 5).

    Returns
    -------
    (M, N) ndarray of bool

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import ndimage as ndi
    >>> rows, cols = np.mgrid[:64, :64]
    >>> disk = (rows - 32) ** 2 + (cols - 30) ** 2 < 12 ** 2
    >>> image = ndi.gaussian_filter(0.2 + 0.6 * disk, 1.5)
    >>> mask = radial_maxvar_segment(image, (14, 50, 12, 48))
    >>> bool(mask[32, 30]), bool(mask[5, 5])
    (True, False)
    """
    image = np.asarray(image, dtype=np.float64)
    r0, r1, c0, c1 = roi
    seed = course_seed(image, roi)
    roi_image = np.zeros_like(image)
    roi_image[r0 : r1 + 1, c0 : c1 + 1] = image[r0 : r1 + 1, c0 : c1 + 1]
    roi_binary = imbinarize(roi_image)
    std_masked = stdfilt(image, nhood_size) * roi_binary
    radius = math.ceil(math.hypot(r1 - r0, c1 - c0) / 2)
    points = _max_variance_points(std_masked, seed, radius, n_lines)
    border = _polygon_border(points, image.shape, roi_binary)
    union = _fill(border)
    small = int(matlab_round(radius / 5))
    if refine and small >= 1:  # a box under 3 px across leaves no room to refine
        for bp in np.argwhere(border):
            pts = _max_variance_points(std_masked, bp, small, n_lines)
            union |= _fill(_polygon_border(pts, image.shape, roi_binary))
    return seed_component(union, seed, connectivity=8, fill=None)


class RadialMaxVariance(TunedSegmenter):
    """The course's semi-automatic radial max-variance segmenter (see module docstring).

    Parameters
    ----------
    n_lines : int, default 32
        Number of radial lines.
    nhood_size : int, default 5
        Odd side of the local standard-deviation neighbourhood; tuned over (3, 5, 7).
    refine : bool, default True
        Refinement from every border point.
    tune : bool, default True
        Tune ``nhood_size`` on the training part by mean Dice.
    max_tuning_cases : int, default 40
        Training cases used for tuning (a seeded random subset).
    random_state : int, default 0
        Seed of that subset.
    """

    needs_roi = True
    tuning_grid = {"nhood_size": [3, 5, 7]}
    _parameter_constraints = {
        "n_lines": [Interval(Integral, 3, None, closed="left")],
        "nhood_size": [Interval(Integral, 3, None, closed="left")],
        "refine": ["boolean"],
        **TUNING_CONSTRAINTS,
    }

    def __init__(self, *, n_lines=32, nhood_size=5, refine=True, tune=True,
                 max_tuning_cases=40, random_state=0):
        self.n_lines = n_lines
        self.nhood_size = nhood_size
        self.refine = refine
        super().__init__(tune=tune, max_tuning_cases=max_tuning_cases,
                         random_state=random_state)

    def _check_params(self):
        if self.nhood_size % 2 == 0:
            raise ValueError("The 'nhood_size' parameter of RadialMaxVariance must be an odd "
                             f"int >= 3. Got {self.nhood_size!r} instead.")

    def _segment(self, image, roi, params, model):
        return radial_maxvar_segment(image, roi, n_lines=params["n_lines"],
                                     nhood_size=params["nhood_size"], refine=params["refine"])
