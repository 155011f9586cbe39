"""Seeds for the segmenters and the component a seed selects.

- :func:`course_seed`: the course's rule (``mass_segment.m``), a seed from the ROI;
- :func:`auto_seed`: the old automatic rule, the brightest smoothed point near the centre
  (``seed_rule="central"``);
- :class:`AutoSeeded`: what the segmenters with an automatic variant share: the seed rule
  (by default ``"blobs"``, :class:`baselines.blobs.BlobSeeder` learned on the training part),
  and ``predict_seeds``, the seed ``predict`` uses for each image;
- :func:`seed_component`: the connected region of a mask that a seed picks, as every
  segmenter keeps it (one helper, with the few choices the methods differ in).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

from baselines.blobs import BlobSeeder
from baselines.matlab import first_max_column_major
from benchmark.ground.segmenter import check_part

__all__ = ["SEED_RULES", "AutoSeeded", "auto_seed", "course_seed", "roi_slices",
           "seed_component"]

#: The automatic seed rules: scale-space blobs scored by a prior learned on the training part
#: (:class:`baselines.blobs.BlobSeeder`), or the old brightest-near-the-centre rule
#: (:func:`auto_seed`).
SEED_RULES = ("blobs", "central")

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
    """The old automatic rule: the brightest smoothed point near the centre of the crop.

    The seed is the maximum of the image smoothed with a Gaussian of 4 % of the crop's side,
    weighted by a broad Gaussian prior centred on the crop (sigma a quarter of the side). It
    assumes a central lesion that is the brightest structure: on the phantom 2.0 it lands in
    the lesion every time, on the course's real crops (small, often off-centre lesions, dense
    tissue and breast edges brighter than them) about half of the time. The automatic
    segmenters use it with ``seed_rule="central"``.

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


class AutoSeeded:
    """Mixin of the segmenters with an automatic variant: their seed and ``predict_seeds``.

    A subclass has the parameters ``automatic`` and ``seed_rule`` (one of
    :data:`SEED_RULES`) and implements ``_seed(image, roi, params, model)``, the one place its
    ``_segment`` and :meth:`predict_seeds` take the seed from; for the automatic variant that
    is :meth:`_auto_seed`. With ``seed_rule="blobs"`` the fitted model is a
    :class:`~baselines.blobs.BlobSeeder` learned once per ``fit`` on the training images and
    masks (never the validation or test masks); unfitted, the seeder's default prior is used.
    During ``fit`` each image's seed is computed once and reused across the tuning grid.
    """

    def fit(self, images, masks, *, rois=None, val=None):
        """Learn the seeder (automatic ``blobs`` rule) and tune, as the base class does."""
        self._seed_cache = {}
        try:
            return super().fit(images, masks, rois=rois, val=val)
        finally:
            del self._seed_cache

    def _learn(self, images, masks, rois, params):
        """The :class:`~baselines.blobs.BlobSeeder` of the training part, or None."""
        if not (params["automatic"] and params["seed_rule"] == "blobs"):
            return None
        cache = self.__dict__.get("_seed_cache")
        if cache is not None and "seeder" in cache:  # one seeder per fit, whatever the grid
            return cache["seeder"]
        seeder = BlobSeeder().fit(images, masks)
        if cache is not None:
            cache["seeder"] = seeder
        return seeder

    def _auto_seed(self, image, params, model):
        """The automatic seed of ``image`` under ``params["seed_rule"]``."""
        cache = self.__dict__.get("_seed_cache")
        key = (id(image), params["seed_rule"])
        if cache is not None and key in cache:
            return cache[key][1]
        if params["seed_rule"] == "central":
            seed = auto_seed(image)
        else:
            seed = (model if isinstance(model, BlobSeeder) else BlobSeeder()).seed(image)
        if cache is not None:
            cache[key] = (image, seed)  # the image is kept alive with its id
        return seed

    def predict_seeds(self, images, *, rois=None):
        """The seed ``predict`` starts from on each image.

        Parameters
        ----------
        images : sequence of (M, N) ndarray of float
        rois : sequence of tuple or None, optional
            ROI rectangles (required when ``needs_roi``).

        Returns
        -------
        list of (int, int)
            One (row, col) per image.
        """
        part = check_part(images, rois=rois, needs_roi=self.needs_roi,
                          owner=type(self).__name__)
        if hasattr(self, "best_params_"):
            params, model = self.best_params_, self.model_
        else:  # as ``predict`` runs an unfitted rule-based method
            self._validate()
            params, model = self.get_params(), None
        return [tuple(int(v) for v in self._seed(im, roi, params, model))
                for im, roi in zip(part.images, part.rois, strict=True)]

    def fit_record(self) -> dict:
        """The base record, with the learned seeder's prior and weights when there is one."""
        record = super().fit_record()
        if isinstance(getattr(self, "model_", None), BlobSeeder):
            record["seeder"] = self.model_.record()
        return record
