"""The floors: what a method must beat to show that it reads the image at all.

Neither floor looks at a pixel of the image. :class:`RoiEllipse` (semi-automatic) answers
with the ellipse inscribed in the ROI box, so it measures how much of the answer the box
itself gives away; :class:`PriorDisk` (automatic) answers every image with the same disk,
whose centre and radius are the training lesions' mean centre and mean equivalent radius
(as fractions of the image), so it measures how much a prior on where masses sit gives away.
A method at or below its track's floor has learned nothing the box or the prior did not
already say.
"""

from __future__ import annotations

import numpy as np
from skimage.draw import disk, ellipse

from baselines.base import Segmenter


class RoiEllipse(Segmenter):
    """The ellipse inscribed in the ROI box: the floor of the ROI-given track.

    Examples
    --------
    >>> mask = RoiEllipse().predict([np.zeros((9, 9))], rois=[(2, 6, 0, 8)])[0]
    >>> int(mask.sum()), bool(mask[4].all()), bool(mask[2, 4]), bool(mask[2, 0])
    (37, True, True, False)
    >>> bool(mask[1].any())  # nothing outside the box
    False
    """

    family = "floor"
    needs_roi = True

    def _segment(self, image, roi, params, model):
        r0, r1, c0, c1 = roi
        mask = np.zeros(np.shape(image), dtype=bool)
        centre = ((r0 + r1) / 2, (c0 + c1) / 2)
        # semi-axes reaching the outer edges of the box's border pixels
        rows, cols = ellipse(centre[0], centre[1], (r1 - r0 + 1) / 2, (c1 - c0 + 1) / 2,
                             shape=mask.shape)
        mask[rows, cols] = True
        return mask


class PriorDisk(Segmenter):
    """The same disk on every image, from the training lesions: the automatic track's floor.

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
            raise ValueError("PriorDisk.fit needs at least one non-empty training mask; "
                             "every mask given is empty")
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
