"""Seeds from scale-space blobs, scored by a prior learned from the training lesions.

The automatic segmenters need one point inside the lesion. On real crops the lesion is small,
often off-centre and often not the brightest structure, so the brightest point near the
centre (:func:`baselines.seeds.auto_seed`) misses it about half of the time. Here:

- :func:`lesion_prior` learns where the training lesions lie and how large they are
  (:class:`LesionPrior`: a Gaussian over the centroid, as fractions of the image's height and
  width, and a log-normal over the equivalent radius, as a fraction of ``sqrt(M * N)``);
- :func:`blob_candidates` finds bright blobs at the scales those sizes call for, as the local
  maxima over space and scale of the scale-normalised Laplacian of Gaussian
  ``-sigma**2 * laplace(G_sigma * image)`` [1]_, and describes each (response, distance from
  the expected place, size against the expected size, distance to the image border);
- :class:`BlobSeeder` scores the candidates with a logistic regression learned on the
  training images' candidates (a candidate is positive when its seed lies in the training
  mask) and answers the best one's seed. Unfitted, it uses :data:`DEFAULT_PRIOR` and the fixed
  weights :data:`DEFAULT_WEIGHTS`.

A candidate's seed is the brightest pixel of the image smoothed at ``sigma / 2`` within
``sigma / 2`` of the blob's centre (at least 1 px): the course's own seed is the brightest
pixel of the user's box, and a seed on the bright core of the blob, not on one bright pixel,
is where region growing and the snakes start best.

References
----------
.. [1] T. Lindeberg, "Feature detection with automatic scale selection", International Journal
   of Computer Vision 30 (1998) 79-116, doi:10.1023/A:1008045108935.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy import ndimage as ndi
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import Interval

__all__ = ["DEFAULT_PRIOR", "DEFAULT_WEIGHTS", "FEATURES", "BlobCandidates", "BlobSeeder",
           "LesionPrior", "blob_candidates", "lesion_prior"]

#: The candidate features, in the order of :attr:`BlobCandidates.features`' columns.
FEATURES = ("response", "position_distance", "size_distance", "log_border")


@dataclass(frozen=True)
class LesionPrior:
    """Where lesions lie and how large they are, as fractions of the image.

    Attributes
    ----------
    centre : (2,) ndarray of float
        Mean centroid (row / M, col / N).
    covariance : (2, 2) ndarray of float
        Covariance of the centroids, in the same fractions.
    log_radius_mean, log_radius_std : float
        Mean and standard deviation of the log equivalent radius (the radius of the disk of
        the lesion's area, over ``sqrt(M * N)``).
    n_lesions : int
        Lesions it was learned from (0: the default).
    """

    centre: np.ndarray
    covariance: np.ndarray
    log_radius_mean: float
    log_radius_std: float
    n_lesions: int = 0

    def radius_range(self, span: float) -> tuple[float, float]:
        """Radii (fractions) ``span`` standard deviations either side of the mean log radius."""
        return (float(np.exp(self.log_radius_mean - span * self.log_radius_std)),
                float(np.exp(self.log_radius_mean + span * self.log_radius_std)))


#: The prior of an unfitted seeder: centred, a quarter of the side either way (the old rule's
#: prior), radius 6 % of the side (the automatic active contours' initial disk), a factor 1.65.
DEFAULT_PRIOR = LesionPrior(centre=np.array([0.5, 0.5]), covariance=np.diag([0.25**2] * 2),
                            log_radius_mean=float(np.log(0.06)), log_radius_std=0.5)
#: Weights of :data:`FEATURES` (and the intercept) of an unfitted seeder: the response,
#: less half the squared distances to the expected place and size (a Gaussian log-prior).
DEFAULT_WEIGHTS = np.array([1.0, -0.5, -0.5, 0.0, 0.0])

#: Fewest lesions a prior is learned from; with fewer the default prior is kept.
_MIN_LESIONS = 3
#: Smallest spread of the log radius and of each centroid coordinate a prior takes.
_MIN_LOG_RADIUS_STD, _MIN_POSITION_STD = 0.15, 0.02


def lesion_prior(masks) -> LesionPrior:
    """Learn a :class:`LesionPrior` from reference masks (empty masks are left out).

    Parameters
    ----------
    masks : sequence of (M, N) ndarray of bool
        Sizes may differ; positions and sizes are taken as fractions of each mask's own grid.

    Returns
    -------
    LesionPrior
        :data:`DEFAULT_PRIOR` when fewer than three masks are non-empty.

    Examples
    --------
    >>> rows, cols = np.mgrid[:40, :40]
    >>> masks = [np.hypot(rows - 10, cols - c) <= 4 for c in (12, 16, 20, 24, 28)]
    >>> prior = lesion_prior(masks)  # centroids at row 10 of 40, cols 12-28
    >>> [round(float(v), 3) for v in prior.centre], round(float(np.exp(prior.log_radius_mean)), 3)
    ([0.25, 0.5], 0.099)
    """
    rows, cols, radii = [], [], []
    for mask in masks:
        mask = np.asarray(mask, dtype=bool)
        r, c = np.nonzero(mask)
        if r.size == 0:
            continue
        h, w = mask.shape
        rows.append(r.mean() / h)
        cols.append(c.mean() / w)
        radii.append(np.sqrt(r.size / np.pi) / np.sqrt(h * w))
    if len(radii) < _MIN_LESIONS:
        return DEFAULT_PRIOR
    points = np.column_stack([rows, cols])
    covariance = np.cov(points.T) + _MIN_POSITION_STD**2 * np.eye(2)
    log_radius = np.log(radii)
    return LesionPrior(centre=points.mean(axis=0), covariance=covariance,
                       log_radius_mean=float(log_radius.mean()),
                       log_radius_std=float(max(log_radius.std(), _MIN_LOG_RADIUS_STD)),
                       n_lesions=len(radii))


@dataclass(frozen=True)
class BlobCandidates:
    """The bright blobs of one image, strongest response first.

    Attributes
    ----------
    seeds : (K, 2) ndarray of int
        Each candidate's seed (row, col): the brightest pixel of the image smoothed at
        ``sigma / 2`` within ``sigma / 2`` of the blob's centre (at least 1 px).
    centres : (K, 2) ndarray of int
        The blobs' centres (the maxima of the response).
    sigmas : (K,) ndarray of float
        The scale of each maximum; the blob's radius is about ``sqrt(2) * sigma``.
    features : (K, 4) ndarray of float
        :data:`FEATURES`: the scale-normalised response over the image's standard deviation;
        the squared Mahalanobis distance of the centre from the prior's centroid; the squared
        z-score of the log radius under the prior; the log distance to the nearest border
        (fraction of ``sqrt(M * N)``, plus 0.02).
    """

    seeds: np.ndarray
    centres: np.ndarray
    sigmas: np.ndarray
    features: np.ndarray

    def __len__(self) -> int:
        return len(self.sigmas)


def blob_candidates(image: np.ndarray, prior: LesionPrior = DEFAULT_PRIOR, *,
                    n_scales: int = 4, scale_span: float = 1.6,
                    max_candidates: int = 40) -> BlobCandidates:
    """Bright blobs at the scales of the prior's lesion sizes, and their features.

    The scales are ``n_scales`` values of ``sigma = radius / sqrt(2)`` spaced evenly in log
    between the radii ``scale_span`` standard deviations either side of the prior's mean (at
    least 1 px). A candidate is a maximum of the scale-normalised Laplacian-of-Gaussian
    response over its 3 x 5 x 5 neighbourhood in (scale, row, col), with a positive response
    (above 0.001 of the image's standard deviation); the ``max_candidates`` strongest are
    kept.

    Parameters
    ----------
    image : (M, N) ndarray of float
    prior : LesionPrior, default DEFAULT_PRIOR
    n_scales : int, default 4
    scale_span : float, default 1.6
    max_candidates : int, default 40

    Returns
    -------
    BlobCandidates
        Possibly empty (a flat image has no blob).

    Raises
    ------
    ValueError
        For an image that is not 2-D or an option out of its range, naming it.

    Examples
    --------
    >>> rows, cols = np.mgrid[:60, :60]
    >>> image = 0.2 + 0.5 * (np.hypot(rows - 40, cols - 15) <= 5)
    >>> found = blob_candidates(image)
    >>> found.centres[0].tolist(), bool(np.hypot(*(found.seeds[0] - (40, 15))) <= 5)
    ([40, 15], True)
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"blob_candidates needs a 2-D image. Got shape {image.shape} instead.")
    for name, value, least in (("n_scales", n_scales, 1), ("max_candidates", max_candidates, 1)):
        if not isinstance(value, Integral) or isinstance(value, bool) or value < least:
            raise ValueError(f"The '{name}' parameter of blob_candidates must be an int >= "
                             f"{least}. Got {value!r} instead.")
    if not isinstance(scale_span, Real) or not scale_span >= 0:
        raise ValueError("The 'scale_span' parameter of blob_candidates must be a float >= 0. "
                         f"Got {scale_span!r} instead.")
    h, w = image.shape
    side = np.sqrt(h * w)
    low, high = prior.radius_range(scale_span)
    sigmas = np.unique(np.maximum(np.geomspace(low, high, n_scales) * side / np.sqrt(2), 1.0))
    spread = image.std()
    if not spread > 1e-9:  # a flat image has no blob
        return BlobCandidates(np.zeros((0, 2), int), np.zeros((0, 2), int), np.zeros(0),
                              np.zeros((0, len(FEATURES))))
    centred = image - image.mean()  # the truncated kernels leak a little of a constant
    stack = np.stack([-s**2 * ndi.gaussian_laplace(centred, s, mode="nearest")
                      for s in sigmas])
    # a maximum of a flat patch (a numerical plateau) is no blob
    peaks = ((stack == ndi.maximum_filter(stack, size=(3, 5, 5), mode="nearest"))
             & (stack > 1e-3 * spread))
    scale, rows, cols = np.nonzero(peaks)
    response = stack[scale, rows, cols]
    keep = np.argsort(-response, kind="stable")[:max_candidates]
    scale, rows, cols, response = scale[keep], rows[keep], cols[keep], response[keep]
    sigma = sigmas[scale]
    # each seed: the brightest pixel of the image smoothed at sigma / 2, within sigma / 2
    reach = {s: max(1.0, s / 2) for s in np.unique(sigma)}
    smooth = {s: ndi.gaussian_filter(image, r, mode="nearest") for s, r in reach.items()}
    discs = {s: _disc(r) for s, r in reach.items()}
    seeds = np.array([_brightest_near(smooth[s], r, c, discs[s])
                      for r, c, s in zip(rows, cols, sigma, strict=True)],
                     dtype=int).reshape(-1, 2)
    offset = np.column_stack([rows / h, cols / w]) - prior.centre
    position = np.einsum("ij,jk,ik->i", offset, np.linalg.inv(prior.covariance), offset)
    size = ((np.log(np.sqrt(2) * sigma / side) - prior.log_radius_mean)
            / prior.log_radius_std) ** 2
    border = np.minimum.reduce([rows, cols, h - 1 - rows, w - 1 - cols]) / side
    features = np.column_stack([response / spread, position, size,
                                np.log(border + 0.02)])
    return BlobCandidates(seeds=seeds, centres=np.column_stack([rows, cols]).astype(int),
                          sigmas=sigma, features=features.reshape(-1, len(FEATURES)))


def _disc(radius):
    """(2r+1, 2r+1) bool footprint of the pixels within ``radius`` of its centre."""
    reach = int(np.floor(radius))
    rr, cc = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    return rr**2 + cc**2 <= radius**2


def _brightest_near(smooth, row, col, disc):
    """The first brightest pixel of ``smooth`` in the footprint ``disc`` centred on (row, col)."""
    reach = disc.shape[0] // 2
    r0, c0 = max(0, row - reach), max(0, col - reach)
    window = smooth[r0 : row + reach + 1, c0 : col + reach + 1]
    inside = disc[r0 - row + reach : r0 - row + reach + window.shape[0],
                  c0 - col + reach : c0 - col + reach + window.shape[1]]
    k = int(np.argmax(np.where(inside, window, -np.inf)))
    return r0 + k // window.shape[1], c0 + k % window.shape[1]


class BlobSeeder(BaseEstimator):
    """One seed per image: the best-scored scale-space blob.

    ``fit(images, masks)`` learns the :class:`LesionPrior` of the training masks
    (``prior_``), finds the candidates of every training image with it, and fits a logistic
    regression (standardised features, L2, ``C``) telling candidates whose seed lies in the
    mask from the others; its weights, mapped back to the raw features, are ``weights_``
    (:data:`FEATURES`, then the intercept). ``seed(image)`` answers the seed of the candidate
    with the highest score, or the prior's centre when the image has no blob. Unfitted, it
    uses :data:`DEFAULT_PRIOR` and :data:`DEFAULT_WEIGHTS`; when the training candidates hold
    no positive (or only positives), the learned prior is kept with the default weights.
    Deterministic: no random state.

    Parameters
    ----------
    n_scales : int, default 4
    scale_span : float, default 1.6
    max_candidates : int, default 40
        See :func:`blob_candidates`.
    C : float, default 1.0
        Inverse regularisation of the logistic regression.

    See Also
    --------
    baselines.seeds.auto_seed : the old rule, the brightest smoothed point near the centre.

    References
    ----------
    .. [1] T. Lindeberg, "Feature detection with automatic scale selection", IJCV 30 (1998)
       79-116, doi:10.1023/A:1008045108935.

    Examples
    --------
    >>> rows, cols = np.mgrid[:64, :64]
    >>> def crop(r, c):  # a small lesion at (r, c), a brighter, broad dense region at the centre
    ...     return (0.2 + 0.25 * (np.hypot(rows - r, cols - c) <= 4)
    ...             + 0.5 * np.exp(-np.hypot(rows - 32, cols - 32) ** 2 / 300))
    >>> places = [(14, 14), (14, 18), (18, 14), (18, 18), (16, 16)]
    >>> images = [crop(r, c) for r, c in places]
    >>> masks = [np.hypot(rows - r, cols - c) <= 4 for r, c in places]
    >>> seeder = BlobSeeder().fit(images, masks)
    >>> row, col = seeder.seed(crop(16, 15))
    >>> bool(np.hypot(row - 16, col - 15) <= 4)
    True
    """

    _parameter_constraints = {
        "n_scales": [Interval(Integral, 1, None, closed="left")],
        "scale_span": [Interval(Real, 0, None, closed="left")],
        "max_candidates": [Interval(Integral, 1, None, closed="left")],
        "C": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, *, n_scales=4, scale_span=1.6, max_candidates=40, C=1.0):
        self.n_scales = n_scales
        self.scale_span = scale_span
        self.max_candidates = max_candidates
        self.C = C

    def fit(self, images, masks):
        """Learn the prior and the candidate weights from training images and masks.

        Parameters
        ----------
        images : sequence of (M, N) ndarray of float
        masks : sequence of (M, N) ndarray of bool

        Returns
        -------
        self
        """
        self._validate_params()
        masks = [np.asarray(m, dtype=bool) for m in masks]
        self.prior_ = lesion_prior(masks)
        features, labels = [], []
        for image, mask in zip(images, masks, strict=True):
            if not mask.any():
                continue
            found = self.candidates(image)
            features.append(found.features)
            labels.append(mask[found.seeds[:, 0], found.seeds[:, 1]])
        x = np.concatenate(features) if features else np.zeros((0, len(FEATURES)))
        y = np.concatenate(labels) if labels else np.zeros(0, dtype=bool)
        self.n_candidates_, self.n_positive_ = len(y), int(y.sum())
        self.weights_ = DEFAULT_WEIGHTS.copy()
        if 0 < self.n_positive_ < len(y):
            mean, scale = x.mean(axis=0), x.std(axis=0)
            scale[scale == 0] = 1.0
            model = LogisticRegression(C=self.C, max_iter=5000).fit((x - mean) / scale, y)
            coef = model.coef_[0] / scale
            self.weights_ = np.append(coef, model.intercept_[0] - coef @ mean)
        return self

    def record(self) -> dict:
        """The learned prior and weights, JSON-ready (the default ones when unfitted)."""
        prior = getattr(self, "prior_", DEFAULT_PRIOR)
        weights = getattr(self, "weights_", DEFAULT_WEIGHTS)
        return {"centre": prior.centre.tolist(), "covariance": prior.covariance.tolist(),
                "radius": float(np.exp(prior.log_radius_mean)),
                "log_radius_std": prior.log_radius_std, "n_lesions": prior.n_lesions,
                "weights": dict(zip((*FEATURES, "intercept"), weights.tolist(), strict=True)),
                "n_candidates": getattr(self, "n_candidates_", 0),
                "n_positive": getattr(self, "n_positive_", 0)}

    def candidates(self, image) -> BlobCandidates:
        """The blob candidates of ``image`` under the learned (or default) prior."""
        return blob_candidates(image, getattr(self, "prior_", DEFAULT_PRIOR),
                               n_scales=self.n_scales, scale_span=self.scale_span,
                               max_candidates=self.max_candidates)

    def scores(self, found: BlobCandidates) -> np.ndarray:
        """(K,) scores of candidates (higher: more likely the lesion)."""
        weights = getattr(self, "weights_", DEFAULT_WEIGHTS)
        return found.features @ weights[:-1] + weights[-1]

    def seed(self, image) -> tuple[int, int]:
        """The seed of ``image``: the best candidate's, or the prior's centre.

        Parameters
        ----------
        image : (M, N) ndarray of float

        Returns
        -------
        (row, col) : tuple of int
        """
        image = np.asarray(image, dtype=np.float64)
        found = self.candidates(image)
        if len(found) == 0:
            centre = getattr(self, "prior_", DEFAULT_PRIOR).centre * image.shape
            return (int(min(image.shape[0] - 1, centre[0])),
                    int(min(image.shape[1] - 1, centre[1])))
        row, col = found.seeds[int(np.argmax(self.scores(found)))]
        return int(row), int(col)
