"""Seeded region growing (Numba kernel in ``baselines/_kernels.py``) and the Otsu floor."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy import ndimage as ndi
from skimage.filters import threshold_otsu
from sklearn.utils._param_validation import Interval, Options, StrOptions

from baselines import _kernels
from baselines.base import TUNING_CONSTRAINTS, Segmenter, TunedSegmenter
from baselines.seeds import (
    SEED_RULES,
    AutoSeeded,
    auto_seed,
    course_seed,
    roi_slices,
    seed_component,
)

_CONNECTIVITY = (4, 8)


def region_growing(image: np.ndarray, seed: tuple[int, int], *, tolerance: float,
                   adaptive: bool = False, spread: float = 2.0, connectivity: int = 4,
                   allowed: np.ndarray | None = None) -> np.ndarray:
    """Grow a region from ``seed`` over pixels of similar value.

    Parameters
    ----------
    image : (M, N) ndarray of float
        Image to segment.
    seed : (int, int)
        Row and column of the seed pixel.
    tolerance : float
        Half-width of the acceptance band. Fixed mode: values within ``tolerance`` of the
        seed value join (``skimage.segmentation.flood`` gives the same mask). Adaptive mode:
        values within ``tolerance + spread * std`` of the running mean of the region join.
    adaptive : bool, default False
        Use the region's running mean and spread instead of the seed value.
    spread : float, default 2.0
        Multiple of the region's standard deviation added to the band (adaptive mode).
    connectivity : {4, 8}, default 4
        Pixel neighbourhood.
    allowed : (M, N) ndarray of bool, optional
        Pixels the region may enter (e.g. the ROI); default everywhere.

    Returns
    -------
    (M, N) ndarray of bool

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((5, 5)); image[1:4, 1:4] = 1.0
    >>> int(region_growing(image, (2, 2), tolerance=0.1).sum())
    9
    """
    image = np.ascontiguousarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"region_growing needs a 2-D image. Got shape {image.shape} instead.")
    if connectivity not in _CONNECTIVITY:
        raise ValueError("The 'connectivity' parameter of region_growing must be 4 or 8. "
                         f"Got {connectivity!r} instead.")
    if not np.isfinite(tolerance) or tolerance < 0:
        raise ValueError("The 'tolerance' parameter of region_growing must be a float >= 0. "
                         f"Got {tolerance!r} instead.")
    row, col = (int(v) for v in seed)
    if not (0 <= row < image.shape[0] and 0 <= col < image.shape[1]):
        raise ValueError(f"The seed {seed!r} lies outside the {image.shape} image.")
    restrict = allowed is not None
    allowed = (np.ascontiguousarray(allowed, dtype=bool) if restrict
               else np.ones((1, image.shape[1]), dtype=bool))
    if restrict and allowed.shape != image.shape:
        raise ValueError(f"The 'allowed' mask has shape {allowed.shape}, the image "
                         f"{image.shape}.")
    out = np.zeros(image.shape, dtype=bool)
    if adaptive:
        if not restrict:
            allowed = np.ones(image.shape, dtype=bool)
        _kernels.grow_region(image, allowed, row, col, float(tolerance), True, float(spread),
                             int(connectivity), out)
    else:  # the band does not depend on the order of growth: scanline spans are faster
        _kernels.flood_spans(image, allowed, restrict, row, col, float(tolerance),
                             int(connectivity), out)
    return out


class RegionGrowing(AutoSeeded, TunedSegmenter):
    """Seeded region growing, semi-automatic (ROI given) or fully automatic.

    The image is smoothed (Gaussian, ``smoothing`` pixels), the region grows from the seed
    (the course's ROI seed, or the automatic seed of ``seed_rule``) inside the ROI when one is
    given, and its holes are filled. ``predict_seeds`` gives the seed of each image.

    Parameters
    ----------
    automatic : bool, default False
        Find the seed in the image alone and ignore ROIs.
    seed_rule : {"blobs", "central"}, default "blobs"
        The automatic seed: the best scale-space blob under a prior learned on the training
        part (:class:`~baselines.blobs.BlobSeeder`), or the old rule, the brightest smoothed
        point near the centre (:func:`~baselines.seeds.auto_seed`). Unused with an ROI.
    tolerance : float, default 0.1
        Acceptance half-width in grey levels of the [0, 1] image; tuned.
    adaptive : bool, default True
        Band around the region's running mean and spread instead of the seed value.
    spread : float, default 1.5
        Multiple of the region's standard deviation (adaptive mode).
    connectivity : {4, 8}, default 4
    smoothing : float, default 1.0
        Gaussian sigma applied before growing; tuned.
    tune : bool, default True
        Tune ``tolerance`` and ``smoothing`` on the training part.
    max_tuning_cases : int, default 60
    random_state : int, default 0
    """

    tuning_grid = {"tolerance": [0.02, 0.04, 0.07, 0.1, 0.14], "smoothing": [0.0, 1.0, 2.0]}
    _parameter_constraints = {
        "automatic": ["boolean"],
        "seed_rule": [StrOptions(set(SEED_RULES))],
        "tolerance": [Interval(Real, 0, None, closed="left")],
        "adaptive": ["boolean"],
        "spread": [Interval(Real, 0, None, closed="left")],
        "connectivity": [Options(Integral, set(_CONNECTIVITY))],
        "smoothing": [Interval(Real, 0, None, closed="left")],
        **TUNING_CONSTRAINTS,
    }

    def __init__(self, *, automatic=False, seed_rule="blobs", tolerance=0.1, adaptive=True,
                 spread=1.5, connectivity=4, smoothing=1.0, tune=True, max_tuning_cases=60,
                 random_state=0):
        self.automatic = automatic
        self.seed_rule = seed_rule
        self.tolerance = tolerance
        self.adaptive = adaptive
        self.spread = spread
        self.connectivity = connectivity
        self.smoothing = smoothing
        super().__init__(tune=tune, max_tuning_cases=max_tuning_cases,
                         random_state=random_state)

    @property
    def needs_roi(self):
        """Semi-automatic unless ``automatic``."""
        return not self.automatic

    @staticmethod
    def _smooth(image, params):
        return ndi.gaussian_filter(image, params["smoothing"]) if params["smoothing"] else image

    def _seed(self, image, roi, params, model):
        """The automatic seed, or the course's seed in the ROI of the smoothed image."""
        if params["automatic"] or roi is None:
            return self._auto_seed(image, params, model)
        return course_seed(self._smooth(image, params), roi)

    def _segment(self, image, roi, params, model):
        smooth = self._smooth(image, params)
        seed = self._seed(image, roi, params, model)
        allowed = None
        if not (params["automatic"] or roi is None):
            allowed = np.zeros(image.shape, dtype=bool)
            allowed[roi_slices(roi)] = True
        region = region_growing(smooth, seed, tolerance=params["tolerance"],
                                adaptive=params["adaptive"], spread=params["spread"],
                                connectivity=params["connectivity"], allowed=allowed)
        return ndi.binary_fill_holes(region)


class OtsuThreshold(Segmenter):
    """The floor: a global Otsu threshold, the component under the seed, holes filled.

    Semi-automatic: the seed is the course's ROI seed; the threshold is computed on the whole
    image. No free parameters.
    """

    needs_roi = True

    def __init__(self):
        pass

    def _segment(self, image, roi, params, model):
        binary = image > threshold_otsu(image)
        seed = course_seed(image, roi) if roi is not None else auto_seed(image)
        return seed_component(binary, seed, fill="after")
