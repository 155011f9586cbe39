"""The floors: what a method must beat to show that it reads the image at all.

No estimator here looks at a pixel of an image (only at its shape and, in the ROI track, at its
box); each learns, on the training part, what the box or the image's frame gives away about the
lesion:

- ROI track: :class:`BoxEllipse` (the training lesions' mean extent and mean centre relative to
  their ROI boxes, drawn as an ellipse in each box) and :class:`BoxShape` (the training masks'
  mean shape in box coordinates, thresholded at the level that scores best on the validation
  part);
- automatic track: :class:`PriorDisk` (one disk at the training lesions' mean centre and size)
  and :class:`PriorMask` (the training masks' mean in image coordinates, thresholded likewise).

These have family ``"floor"``. **A track's floor is the strongest floor-family method that
ran**, the one with the highest mean Dice: the report reads every method of the track against
it. A method at or below it has learned nothing that the box (or where masses sit in the
crops) did not already say.

:class:`RoiEllipse`, the ellipse inscribed in the ROI box, learns nothing and has family
``"reference"``: a plain reference shown beside the floors, no longer a floor (the lesion
fills about 70 % of a user's box on each axis, so the inscribed ellipse is a weak bound).

Empty training masks are left out of what the floors learn; a training part whose masks are
all empty is an error.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from skimage.draw import disk, ellipse
from skimage.transform import resize
from sklearn.utils._param_validation import Interval

from baselines.base import Segmenter
from benchmark.ground.metrics import dice_score
from benchmark.ground.roi import bounding_box
from benchmark.ground.segmenter import Part

#: The thresholds a mean-shape floor chooses from (on the validation part's mean Dice).
SHAPE_THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.05), 2)


def _no_lesion(owner: str) -> ValueError:
    return ValueError(f"{owner}.fit needs at least one non-empty training mask; every mask "
                      "given is empty")


def _whole(shape) -> tuple[int, int, int, int]:
    """The inclusive box of a whole image of ``shape``."""
    return 0, int(shape[0]) - 1, 0, int(shape[1]) - 1


def _in_box(mask: np.ndarray, box) -> np.ndarray:
    """``mask`` with everything outside the inclusive ``box`` set to False."""
    r0, r1, c0, c1 = box
    out = np.zeros(mask.shape, dtype=bool)
    out[r0:r1 + 1, c0:c1 + 1] = mask[r0:r1 + 1, c0:c1 + 1]
    return out


class RoiEllipse(Segmenter):
    """The ellipse inscribed in the ROI box: a plain reference of the ROI track (not a floor).

    It learns nothing; :class:`BoxEllipse` with an extent ratio of 1 and a centre of 0.5
    draws the same ellipse.

    Examples
    --------
    >>> mask = RoiEllipse().predict([np.zeros((9, 9))], rois=[(2, 6, 0, 8)])[0]
    >>> int(mask.sum()), bool(mask[4].all()), bool(mask[2, 4]), bool(mask[2, 0])
    (37, True, True, False)
    >>> bool(mask[1].any())  # nothing outside the box
    False
    """

    family = "reference"
    needs_roi = True

    def _segment(self, image, roi, params, model):
        return _box_ellipse(np.shape(image), roi, ratio=(1.0, 1.0), centre=(0.5, 0.5))


def _box_ellipse(shape, roi, *, ratio, centre) -> np.ndarray:
    """The ellipse of relative extent ``ratio`` and relative centre ``centre`` in ``roi``.

    Box coordinates run from 0 (the outer edge of the box's first pixel) to 1 (the outer edge
    of its last); the ellipse is clipped to the box and holds at least its centre pixel.
    """
    r0, r1, c0, c1 = roi
    height, width = r1 - r0 + 1, c1 - c0 + 1
    # pixel i covers [i - 0.5, i + 0.5]: box coordinate u is at row r0 - 0.5 + u * height
    row, col = r0 - 0.5 + centre[0] * height, c0 - 0.5 + centre[1] * width
    mask = np.zeros(tuple(shape), dtype=bool)
    rows, cols = ellipse(row, col, ratio[0] * height / 2, ratio[1] * width / 2,
                         shape=mask.shape)
    mask[rows, cols] = True
    mask = _in_box(mask, roi)
    if not mask.any():  # an ellipse thinner than a pixel: its centre pixel
        mask[int(np.clip(np.rint(row), r0, r1)), int(np.clip(np.rint(col), c0, c1))] = True
    return mask


class BoxEllipse(Segmenter):
    """The training lesions' mean extent and centre in their ROI boxes, drawn as an ellipse.

    ``fit`` measures, for each training case, the lesion's bounding box relative to its ROI
    box, per axis (rows, columns): the extent ratio (lesion extent / box extent) and the
    relative centre (0 at the box's first edge, 1 at its last), and keeps their means
    (``extent_ratio_``, ``centre_``). ``predict`` draws the ellipse of that extent at that
    centre in each ROI box, on the image's own grid, nothing outside the box. It reads no
    pixel. A floor of the ROI track.

    Examples
    --------
    A box with a margin of 25 % of the lesion's extent on every side: the lesion spans
    1 / (1 + 2 x 0.25) = 2/3 of the box, centred.

    >>> m = np.zeros((40, 40), bool); m[10:22, 10:22] = True
    >>> model = BoxEllipse().fit([np.zeros((40, 40))], [m], rois=[(7, 24, 7, 24)])
    >>> [round(float(v), 3) for v in model.extent_ratio_], [float(v) for v in model.centre_]
    ([0.667, 0.667], [0.5, 0.5])
    >>> bool(model.predict([np.zeros((40, 40))], rois=[(7, 24, 7, 24)])[0][16, 16])
    True
    """

    family = "floor"
    needs_roi = True
    learns = True

    def _learn(self, images, masks, rois, params):
        ratios, centres = [], []
        for mask, roi in zip(masks, rois, strict=True):
            lesion = bounding_box(mask)
            if lesion is None:
                continue
            r0, r1, c0, c1 = roi
            height, width = r1 - r0 + 1, c1 - c0 + 1
            ratios.append(((lesion[1] - lesion[0] + 1) / height,
                           (lesion[3] - lesion[2] + 1) / width))
            centres.append((((lesion[0] + lesion[1] + 1) / 2 - r0) / height,
                            ((lesion[2] + lesion[3] + 1) / 2 - c0) / width))
        if not ratios:
            raise _no_lesion(type(self).__name__)
        return {"extent_ratio": np.mean(ratios, axis=0), "centre": np.mean(centres, axis=0)}

    def fit(self, images, masks, *, rois=None, val=None):
        """Learn the mean extent ratio and centre in the box (``val`` is not used)."""
        super().fit(images, masks, rois=rois, val=val)
        self.extent_ratio_ = self.model_["extent_ratio"]
        self.centre_ = self.model_["centre"]
        return self

    def _segment(self, image, roi, params, model):
        return _box_ellipse(np.shape(image), roi, ratio=model["extent_ratio"],
                            centre=model["centre"])

    def fit_record(self) -> dict:
        """What was learned: the mean extent ratio and centre in the box, (rows, columns)."""
        return {**super().fit_record(),
                "box_extent_ratio": [float(v) for v in self.extent_ratio_],
                "box_centre": [float(v) for v in self.centre_]}


def _resample(values: np.ndarray, shape) -> np.ndarray:
    """``values`` on a grid of ``shape`` (bilinear, antialiased when it shrinks)."""
    values = np.asarray(values, dtype=np.float64)
    if values.shape == tuple(shape):
        return values.copy()
    return resize(values, tuple(shape), order=1, anti_aliasing=True, preserve_range=True)


class _MeanShape(Segmenter):
    """A mean mask in a frame (the ROI box or the whole image), thresholded.

    ``fit`` resamples each non-empty training mask's frame to a ``grid_size`` x ``grid_size``
    grid (its cells hold the lesion's area fraction), averages them (``mean_shape_``), and
    chooses the threshold (``threshold_``, from :data:`SHAPE_THRESHOLDS`) that maximises the
    mean Dice on the validation part (on the training part when there is none or it is
    empty; on ties, the threshold nearest 0.5). ``predict`` resamples the mean shape into each
    image's frame and thresholds it; nothing outside the frame. Subclasses say what the frame
    is (:meth:`_frame`).
    """

    family = "floor"
    learns = True
    #: The threshold is tuned (on the validation part) but is no constructor parameter: it
    #: is chosen for the mean shape learned, recorded in ``tuned_params_`` like the tuned
    #: parameters of the other methods.
    tuning_grid = {"threshold": [float(t) for t in SHAPE_THRESHOLDS]}
    _parameter_constraints = {"grid_size": [Interval(Integral, 2, None, closed="left")]}

    def __init__(self, *, grid_size=64):
        self.grid_size = grid_size

    @staticmethod
    def _frame(shape, roi) -> tuple[int, int, int, int]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _grid(self) -> dict:
        return dict(self.tuning_grid)

    def _mean_shape(self, part: Part) -> np.ndarray:
        grid = (self.grid_size, self.grid_size)
        shapes = []
        for mask, roi in zip(part.masks, part.rois, strict=True):
            if not mask.any():
                continue
            r0, r1, c0, c1 = self._frame(mask.shape, roi)
            shapes.append(_resample(mask[r0:r1 + 1, c0:c1 + 1], grid))
        if not shapes:
            raise _no_lesion(type(self).__name__)
        return np.clip(np.mean(shapes, axis=0), 0.0, 1.0)

    def _place(self, shape_values: np.ndarray, image_shape, roi) -> np.ndarray:
        """The mean shape's values on an image's grid: inside its frame, 0 elsewhere."""
        r0, r1, c0, c1 = self._frame(image_shape, roi)
        out = np.zeros(tuple(image_shape))
        out[r0:r1 + 1, c0:c1 + 1] = _resample(shape_values, (r1 - r0 + 1, c1 - c0 + 1))
        return out

    def _tune(self, train: Part, held: Part | None) -> tuple[dict, list, object]:
        mean = self._mean_shape(train)
        scored = held if held is not None and len(held) else train
        placed = [self._place(mean, m.shape, roi) for m, roi in
                  zip(scored.masks, scored.rois, strict=True)]
        results = []
        for t in SHAPE_THRESHOLDS:
            scores = np.array([dice_score(m, p >= t) for m, p in
                               zip(scored.masks, placed, strict=True)], dtype=float)
            mean_dice = float(np.nanmean(scores)) if np.isfinite(scores).any() else np.nan
            results.append({"params": {"threshold": float(t)}, "mean_dice": mean_dice})
        dice = np.array([r["mean_dice"] for r in results])
        dice = np.where(np.isfinite(dice), dice, -np.inf)
        # the best, and of tied ones the nearest to 0.5
        order = np.argsort(np.abs(SHAPE_THRESHOLDS - 0.5), kind="stable")
        best = int(order[np.argmax(dice[order])])
        threshold = float(SHAPE_THRESHOLDS[best])
        return (self.get_params() | {"threshold": threshold}, results,
                {"shape": mean, "threshold": threshold})

    def fit(self, images, masks, *, rois=None, val=None):
        """Learn the mean shape on the training part; choose its threshold on ``val``.

        Parameters
        ----------
        images : sequence of (M, N) ndarray of float
            Training images (only their shapes are used).
        masks : sequence of (M, N) ndarray of bool
        rois : sequence of tuple or None, optional
        val : tuple, optional
            ``(images, masks)`` or ``(images, masks, rois)``: the threshold is chosen on it
            (on the training part when it is absent or empty).

        Returns
        -------
        self
            With ``mean_shape_`` ((grid_size, grid_size) ndarray of float in [0, 1]),
            ``threshold_`` (also in ``tuned_params_``) and ``tuning_results_`` (the mean
            Dice of every candidate threshold).
        """
        super().fit(images, masks, rois=rois, val=val)
        self.mean_shape_ = self.model_["shape"]
        self.threshold_ = self.model_["threshold"]
        return self

    def _segment(self, image, roi, params, model):
        return self._place(model["shape"], np.shape(image), roi) >= model["threshold"]


class BoxShape(_MeanShape):
    """The training masks' mean shape in box coordinates, thresholded: a floor of the ROI track.

    Each training ROI box's content is resampled to a ``grid_size`` x ``grid_size`` grid
    (bilinear, antialiased), the grids are averaged into a mean shape, and the threshold on it
    is the one that maximises the mean Dice on the validation part. ``predict`` resizes the mean
    shape into each test box and thresholds it; nothing outside the box. It reads no pixel.

    Parameters
    ----------
    grid_size : int, default 64
        Side of the box-coordinate grid the masks are averaged on.

    Examples
    --------
    >>> m = np.zeros((40, 40), bool); m[10:22, 10:22] = True
    >>> model = BoxShape(grid_size=18).fit([np.zeros((40, 40))], [m], rois=[(7, 24, 7, 24)])
    >>> pred = model.predict([np.zeros((40, 40))], rois=[(7, 24, 7, 24)])[0]
    >>> bool((pred == m).all()), model.threshold_
    (True, 0.5)
    """

    needs_roi = True

    @staticmethod
    def _frame(shape, roi):
        return roi


class PriorMask(_MeanShape):
    """The training masks' mean in image coordinates, thresholded: a floor of the automatic track.

    Each training mask is resampled to a ``grid_size`` x ``grid_size`` grid over the whole image
    (bilinear, antialiased: the cells hold the lesion's area fraction), the grids are averaged,
    and the threshold on the mean is the one that maximises the mean Dice on the validation
    part. ``predict`` resizes the mean to each image's size and thresholds it. It reads no
    pixel.

    Parameters
    ----------
    grid_size : int, default 64
        Side of the image-relative grid the masks are averaged on.

    Examples
    --------
    >>> m = np.zeros((20, 20), bool); m[5:12, 8:15] = True
    >>> model = PriorMask(grid_size=20).fit([np.zeros((20, 20))] * 2, [m, m])
    >>> bool((model.predict([np.zeros((20, 20))])[0] == m).all())
    True
    """

    @staticmethod
    def _frame(shape, roi):
        return _whole(shape)


class PriorDisk(Segmenter):
    """The same disk on every image, from the training lesions: a floor of the automatic track.

    ``fit`` records the training masks' mean centroid (``centre_``, as fractions of the
    image's height and width) and mean equivalent radius (``radius_``, the radius of the
    disk of the lesion's area, as a fraction of ``sqrt(height * width)``); ``predict`` draws
    that disk on each image's own grid. Empty training masks are left out.

    Examples
    --------
    >>> m = np.zeros((20, 20), bool); m[8:12, 4:8] = True
    >>> model = PriorDisk().fit([np.zeros((20, 20))], [m])
    >>> [round(float(v), 3) for v in model.centre_], round(float(model.radius_), 3)
    ([0.475, 0.275], 0.113)
    """

    family = "floor"
    learns = True

    def _learn(self, images, masks, rois, params):
        centres, radii = [], []
        for mask in masks:
            rows, cols = np.nonzero(mask)
            if rows.size == 0:
                continue
            h, w = mask.shape
            centres.append((rows.mean() / h, cols.mean() / w))
            radii.append(np.sqrt(rows.size / np.pi) / np.sqrt(h * w))
        if not centres:
            raise _no_lesion(type(self).__name__)
        return {"centre": np.mean(centres, axis=0), "radius": float(np.mean(radii))}

    def fit(self, images, masks, *, rois=None, val=None):
        """Learn the mean disk of the training masks (``val`` is not needed and not used)."""
        super().fit(images, masks, rois=rois, val=val)
        self.centre_, self.radius_ = self.model_["centre"], self.model_["radius"]
        return self

    def _segment(self, image, roi, params, model):
        h, w = np.shape(image)
        mask = np.zeros((h, w), dtype=bool)
        rows, cols = disk((model["centre"][0] * h, model["centre"][1] * w),
                          model["radius"] * np.sqrt(h * w), shape=(h, w))
        mask[rows, cols] = True
        return mask

    def fit_record(self) -> dict:
        """The disk learned: centre and radius, as fractions of the image."""
        return {**super().fit_record(), "centre": [float(v) for v in self.centre_],
                "radius": self.radius_}
