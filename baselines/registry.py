"""The registry of classical segmenters: name -> (factory, description).

``python -m benchmark list`` prints it, ``run --all`` iterates it, the tests parametrize over
it, and an unknown name fails with the list of valid names.
"""

from __future__ import annotations

from functools import partial

from baselines.active_contours import ChanVese, GeodesicActiveContour
from baselines.base import Segmenter
from baselines.floors import BoxEllipse, BoxShape, PriorDisk, PriorMask, RoiEllipse
from baselines.pixel_classifiers import PixelLinearSVM, PixelRandomForest
from baselines.radial import RadialMaxVariance
from baselines.region_growing import OtsuThreshold, RegionGrowing

SEGMENTERS = {
    "otsu": (OtsuThreshold, "global Otsu threshold, component under the ROI seed"),
    "region_growing": (RegionGrowing, "seeded region growing from the ROI seed"),
    "region_growing_auto": (partial(RegionGrowing, automatic=True),
                            "seeded region growing, seed found automatically"),
    "chan_vese": (ChanVese, "morphological Chan-Vese inside the ROI"),
    "chan_vese_auto": (partial(ChanVese, automatic=True),
                       "morphological Chan-Vese, seed found automatically"),
    "geodesic_active_contour": (GeodesicActiveContour,
                                "morphological geodesic active contour inside the ROI"),
    "geodesic_active_contour_auto": (partial(GeodesicActiveContour, automatic=True),
                                     "geodesic active contour, seed found automatically"),
    "radial_maxvar": (RadialMaxVariance,
                      "the course's radial max-variance algorithm (Delogu et al. 2007)"),
    "pixel_rf": (PixelRandomForest, "random forest on multiscale pixel features"),
    "pixel_svm": (PixelLinearSVM, "linear SVM on multiscale pixel features"),
    "roi_ellipse": (RoiEllipse,
                    "reference: the ellipse inscribed in the ROI box (reads no pixel)"),
    "box_ellipse": (BoxEllipse, "floor: the training lesions' mean extent and centre in their "
                                "ROI boxes, as an ellipse (reads no pixel)"),
    "box_shape": (BoxShape, "floor: the training masks' mean shape in box coordinates, "
                            "thresholded (reads no pixel)"),
    "prior_disk": (PriorDisk, "floor: the training lesions' mean disk (reads no pixel)"),
    "prior_mask": (PriorMask, "floor: the training masks' mean in image coordinates, "
                              "thresholded (reads no pixel)"),
}

#: Short names accepted by ``segment --method``.
ALIASES = {"radial": "radial_maxvar"}


def make_segmenter(name: str, **params) -> Segmenter:
    """A new, unfitted segmenter by registry name (or alias).

    Raises
    ------
    ValueError
        For an unknown name, listing the valid ones.

    Examples
    --------
    >>> make_segmenter("radial").needs_roi
    True
    """
    name = ALIASES.get(name, name)
    if name not in SEGMENTERS:
        raise ValueError(f"unknown method {name!r}; valid methods: {', '.join(SEGMENTERS)}")
    return SEGMENTERS[name][0](**params)


def rule_based_semi_automatic() -> list[str]:
    """Names of the methods that segment from an ROI without learning from masks.

    These are the methods that can make a reference set from raw crops and ROIs alone (the
    ``segment`` command), as the course made its own: classical ones only (the floors and the
    references read no pixel).
    """
    return [name for name, (factory, _) in SEGMENTERS.items()
            if factory().needs_roi and not factory().learns and factory().family == "classical"]
