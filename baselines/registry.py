"""The registry of classical segmenters: name -> :class:`Classical` entry, in run order.

``python -m benchmark list`` prints it, ``run --all`` iterates it, the tests parametrize over
it, and an unknown name fails with the list of valid names. Each entry names its class as a
lazy ``"module:Class"`` string (:class:`benchmark.ground.registry.Entry`), so importing this
module imports neither scikit-image nor scikit-learn: the command line reads the names, the
aliases and the methods ``segment`` offers without them.

Adding a classical method is its own module plus one line here (and its test):
``"name": Classical("baselines.mine:Mine", "one line for list and the report")``, with
``segment=True`` when it segments from the ROI box without learning from masks (the
``segment`` command then offers it).
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.ground.registry import Entry


@dataclass(frozen=True)
class Classical(Entry):
    """A classical segmenter's entry.

    Parameters
    ----------
    target, description, params, on_request
        As :class:`~benchmark.ground.registry.Entry`.
    segment : bool, default False
        Offered by the ``segment`` command, which makes a reference set from raw crops and
        ROI boxes alone: only a rule-based (``learns`` False), semi-automatic (``needs_roi``)
        method of family ``classical`` can be (a test checks the class agrees).
    """

    segment: bool = False


_RG, _AC = "baselines.region_growing", "baselines.active_contours"
_FLOORS = "baselines.floors"

#: Every classical segmenter, in run order (the floors and the reference ``roi_ellipse``
#: included).
SEGMENTERS: dict[str, Classical] = {
    "otsu": Classical(f"{_RG}:OtsuThreshold",
                      "global Otsu threshold, component under the ROI seed", segment=True),
    "region_growing": Classical(f"{_RG}:RegionGrowing",
                                "seeded region growing from the ROI seed", segment=True),
    "region_growing_auto": Classical(f"{_RG}:RegionGrowing",
                                     "seeded region growing, seed found automatically",
                                     params={"automatic": True}),
    "chan_vese": Classical(f"{_AC}:ChanVese", "morphological Chan-Vese inside the ROI",
                           segment=True),
    "chan_vese_auto": Classical(f"{_AC}:ChanVese",
                                "morphological Chan-Vese, seed found automatically",
                                params={"automatic": True}),
    "geodesic_active_contour": Classical(
        f"{_AC}:GeodesicActiveContour", "morphological geodesic active contour inside the ROI",
        segment=True),
    "geodesic_active_contour_auto": Classical(
        f"{_AC}:GeodesicActiveContour", "geodesic active contour, seed found automatically",
        params={"automatic": True}),
    "radial_maxvar": Classical("baselines.radial:RadialMaxVariance",
                               "the course's radial max-variance algorithm (Delogu et al. "
                               "2007)", segment=True),
    "pixel_rf": Classical("baselines.pixel_classifiers:PixelRandomForest",
                          "random forest on multiscale pixel features"),
    "pixel_svm": Classical("baselines.pixel_classifiers:PixelLinearSVM",
                           "linear SVM on multiscale pixel features"),
    "roi_ellipse": Classical(f"{_FLOORS}:RoiEllipse",
                             "reference: the ellipse inscribed in the ROI box (reads no "
                             "pixel)"),
    "box_ellipse": Classical(f"{_FLOORS}:BoxEllipse",
                             "floor: the training lesions' mean extent and centre in their "
                             "ROI boxes, as an ellipse (reads no pixel)"),
    "box_shape": Classical(f"{_FLOORS}:BoxShape",
                           "floor: the training masks' mean shape in box coordinates, "
                           "thresholded (reads no pixel)"),
    "prior_disk": Classical(f"{_FLOORS}:PriorDisk",
                            "floor: the training lesions' mean disk (reads no pixel)"),
    "prior_mask": Classical(f"{_FLOORS}:PriorMask",
                            "floor: the training masks' mean in image coordinates, "
                            "thresholded (reads no pixel)"),
}

#: Other names of registered methods (``run --methods`` and ``segment --method`` take them).
ALIASES = {"radial": "radial_maxvar"}


def make_segmenter(name: str, **params):
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
    return SEGMENTERS[name].make(**params)


def rule_based_semi_automatic() -> list[str]:
    """Names of the methods the ``segment`` command offers (``segment=True``), in run order.

    These segment from an ROI without learning from masks, so they can make a reference set
    from raw crops and ROIs alone, as the course made its own: classical ones only (the
    floors and the references read no pixel). Read from the registry alone (no import).

    Examples
    --------
    >>> rule_based_semi_automatic()[:2]
    ['otsu', 'region_growing']
    """
    return [name for name, entry in SEGMENTERS.items() if entry.segment]


def segment_choices() -> list[str]:
    """What ``segment --method`` accepts: the aliases of those methods, then the methods."""
    accepted = rule_based_semi_automatic()
    return [a for a, target in ALIASES.items() if target in accepted] + accepted
