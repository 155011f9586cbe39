"""Active contours: scikit-image's morphological Chan-Vese and geodesic active contour.

Semi-automatic variants work inside the ROI rectangle (grown by a few pixels) and start
from a disk around the course's ROI seed; automatic variants work on the whole crop and start
from a disk around the automatic seed of ``seed_rule`` (by default the best scale-space blob
under a prior learned on the training part, :class:`~baselines.blobs.BlobSeeder`).
Holes of the result are filled and the component holding the seed is kept.
``predict_seeds`` gives the seed of each image.

References
----------
.. [1] P. Marquez-Neila, L. Baumela, L. Alvarez, "A morphological approach to curvature-based
   evolution of curves and surfaces", IEEE TPAMI 36 (2014) 2, doi:10.1109/TPAMI.2013.106.
"""

from __future__ import annotations

import itertools
from numbers import Integral, Real

import numpy as np
from skimage.segmentation import (
    disk_level_set,
    inverse_gaussian_gradient,
    morphological_chan_vese,
    morphological_geodesic_active_contour,
)
from sklearn.utils._param_validation import Interval, StrOptions

from baselines.base import TUNING_CONSTRAINTS, TunedSegmenter
from baselines.seeds import SEED_RULES, AutoSeeded, course_seed, seed_component


def _window(image, roi, pad):
    """(row0, row1, col0, col1) of the ROI grown by ``pad``, or the whole image."""
    if roi is None:
        return 0, image.shape[0], 0, image.shape[1]
    r0, r1, c0, c1 = roi
    return (max(0, r0 - pad), min(image.shape[0], r1 + 1 + pad),
            max(0, c0 - pad), min(image.shape[1], c1 + 1 + pad))


def _initial_radius(image, roi):
    """Radius of the initial disk: 6 % of the crop's side, or a quarter of the ROI's."""
    if roi is None:
        return max(2.0, 0.06 * max(image.shape))
    r0, r1, c0, c1 = roi
    return max(2.0, 0.25 * min(r1 - r0 + 1, c1 - c0 + 1))


#: The seed rule parameter both snakes share.
_SEED_RULE_CONSTRAINT = {"seed_rule": [StrOptions(set(SEED_RULES))]}


class _ActiveContour(AutoSeeded, TunedSegmenter):
    """Shared parts of the two morphological snakes."""

    @property
    def needs_roi(self):
        """Semi-automatic unless ``automatic``."""
        return not self.automatic

    def _seed(self, image, roi, params, model):
        """The automatic seed, or the course's seed in the ROI."""
        if params["automatic"] or roi is None:
            return self._auto_seed(image, params, model)
        return course_seed(image, roi)

    def _segment(self, image, roi, params, model):
        return self._segment_candidates(image, roi, [params], [model])[0]

    def _candidate_groups(self, grid: list[dict]) -> list[list[int]]:
        """The candidates that differ only in ``num_iter`` form one group.

        An evolution of ``n`` iterations passes through every shorter one, so a group is
        evolved once, for its largest ``num_iter``, and each candidate's mask is the level
        set after its own count (:meth:`_segment_candidates`): the same masks as evolving
        each candidate on its own, at the cost of the longest.
        """
        groups: dict = {}
        for k, params in enumerate(grid):
            key = tuple(sorted((name, repr(v)) for name, v in params.items()
                               if name != "num_iter"))
            groups.setdefault(key, []).append(k)
        return list(groups.values())

    def _segment_candidates(self, image, roi, candidates: list[dict], models: list) -> list:
        """Each candidate's mask from one evolution to the group's largest ``num_iter``."""
        params = candidates[0]
        roi = None if params["automatic"] else roi
        seed, radius = self._seed(image, roi, params, models[0]), _initial_radius(image, roi)
        w0, w1, v0, v1 = _window(image, roi, pad=max(2, max(image.shape) // 40))
        sub = image[w0:w1, v0:v1]
        local_seed = (seed[0] - w0, seed[1] - v0)
        init = disk_level_set(sub.shape, center=local_seed, radius=radius)
        counts = {int(c["num_iter"]) for c in candidates}
        levels, steps = {}, itertools.count()

        def keep(level):  # called before the first iteration and after every one
            step = next(steps)
            if step in counts:
                levels[step] = level.astype(bool)

        self._evolve(sub, init, params | {"num_iter": max(counts)}, iter_callback=keep)
        masks = []
        for candidate in candidates:
            mask = np.zeros(image.shape, dtype=bool)
            mask[w0:w1, v0:v1] = levels[int(candidate["num_iter"])]
            masks.append(seed_component(mask, seed, fill="before"))
        return masks


class ChanVese(_ActiveContour):
    """Morphological Chan-Vese (region-based, no edges needed).

    Parameters
    ----------
    automatic : bool, default False
        Seed found in the image alone; ROIs ignored.
    seed_rule : {"blobs", "central"}, default "blobs"
        The automatic seed (:data:`~baselines.seeds.SEED_RULES`): the best scale-space blob
        under a prior learned on the training part, or the old brightest-near-the-centre
        rule. Unused with an ROI.
    num_iter : int, default 80
        Iterations; tuned over (40, 80, 150).
    smoothing : int, default 2
        Smoothing steps per iteration; tuned over (1, 3).
    lambda1, lambda2 : float, default 1
        Weights of the inside and outside fits.
    tune : bool, default True
    max_tuning_cases : int, default 40
    random_state : int, default 0
    """

    tuning_grid = {"num_iter": [40, 80, 150], "smoothing": [1, 3]}
    _parameter_constraints = {
        "automatic": ["boolean"],
        **_SEED_RULE_CONSTRAINT,
        "num_iter": [Interval(Integral, 1, None, closed="left")],
        "smoothing": [Interval(Integral, 0, None, closed="left")],
        "lambda1": [Interval(Real, 0, None, closed="neither")],
        "lambda2": [Interval(Real, 0, None, closed="neither")],
        **TUNING_CONSTRAINTS,
    }

    def __init__(self, *, automatic=False, seed_rule="blobs", num_iter=80, smoothing=2,
                 lambda1=1.0, lambda2=1.0, tune=True, max_tuning_cases=40, random_state=0):
        self.automatic = automatic
        self.seed_rule = seed_rule
        self.num_iter = num_iter
        self.smoothing = smoothing
        self.lambda1 = lambda1
        self.lambda2 = lambda2
        super().__init__(tune=tune, max_tuning_cases=max_tuning_cases,
                         random_state=random_state)

    def _evolve(self, sub, init, params, *, iter_callback=lambda level: None):
        return morphological_chan_vese(sub, num_iter=int(params["num_iter"]),
                                       init_level_set=init,
                                       smoothing=int(params["smoothing"]),
                                       lambda1=params["lambda1"], lambda2=params["lambda2"],
                                       iter_callback=iter_callback)


class GeodesicActiveContour(_ActiveContour):
    """Morphological geodesic active contour on the inverse Gaussian gradient.

    Parameters
    ----------
    automatic : bool, default False
        Seed found in the image alone; ROIs ignored.
    seed_rule : {"blobs", "central"}, default "blobs"
        The automatic seed (:data:`~baselines.seeds.SEED_RULES`): the best scale-space blob
        under a prior learned on the training part, or the old brightest-near-the-centre
        rule. Unused with an ROI.
    num_iter : int, default 100
        Iterations; tuned over (50, 100, 200).
    balloon : float, default 1
        Expansion force from the initial disk outwards; tuned over (0.5, 1).
    smoothing : int, default 1
    sigma : float, default 1.5
        Gaussian of the gradient magnitude.
    alpha : float, default 100
        Steepness of the inverse gradient.
    tune : bool, default True
    max_tuning_cases : int, default 40
    random_state : int, default 0
    """

    tuning_grid = {"num_iter": [50, 100, 200], "balloon": [0.5, 1.0]}
    _parameter_constraints = {
        "automatic": ["boolean"],
        **_SEED_RULE_CONSTRAINT,
        "num_iter": [Interval(Integral, 1, None, closed="left")],
        "balloon": [Interval(Real, None, None, closed="neither")],
        "smoothing": [Interval(Integral, 0, None, closed="left")],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        **TUNING_CONSTRAINTS,
    }

    def __init__(self, *, automatic=False, seed_rule="blobs", num_iter=100, balloon=1.0,
                 smoothing=1, sigma=1.5, alpha=100.0, tune=True, max_tuning_cases=40,
                 random_state=0):
        self.automatic = automatic
        self.seed_rule = seed_rule
        self.num_iter = num_iter
        self.balloon = balloon
        self.smoothing = smoothing
        self.sigma = sigma
        self.alpha = alpha
        super().__init__(tune=tune, max_tuning_cases=max_tuning_cases,
                         random_state=random_state)

    def _evolve(self, sub, init, params, *, iter_callback=lambda level: None):
        gimage = inverse_gaussian_gradient(sub, alpha=params["alpha"], sigma=params["sigma"])
        return morphological_geodesic_active_contour(
            gimage, num_iter=int(params["num_iter"]), init_level_set=init,
            smoothing=int(params["smoothing"]), threshold="auto", balloon=params["balloon"],
            iter_callback=iter_callback)
