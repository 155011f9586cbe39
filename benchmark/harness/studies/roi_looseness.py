"""``roi-looseness``: the semi-automatic methods with ROI boxes drawn from tight to loose.

Each level draws the simulated user's boxes at its own margins (``{"roi_margin": [lo,
hi]}``: each side of the reference bounding box moved out by a fraction of the lesion's
extent drawn from that range; :func:`benchmark.ground.roi.draw_roi`, seeded by the run seed
and the case). Two conditions (:class:`benchmark.harness.studies.crossed.CrossedStudy`):
*matched*, each level trained (tuned) and tested with its own boxes, and *trained at
default*, the models trained with the benchmark's boxes (10-30 %) tested on the same test
cases with every level's boxes: how a method fitted to one kind of box fares when the user
draws another.
"""

from __future__ import annotations

from dataclasses import replace

from benchmark.ground.errors import InputError
from benchmark.ground.roi import DEFAULT_ROI_MARGIN
from benchmark.harness.cells import CellTask
from benchmark.harness.studies.base import Level, Planned
from benchmark.harness.studies.crossed import CrossedStudy


def margin_level(low: float, high: float) -> Level:
    """The level whose boxes are drawn with margins in ``[low, high]`` (fractions).

    Examples
    --------
    >>> level = margin_level(0.1, 0.3)
    >>> level.params, level.value, level.tick
    ({'roi_margin': [0.1, 0.3]}, 20.0, '10-30 %')
    """
    lo, hi = round(low * 100), round(high * 100)
    return Level(f"margin_{low:.2f}-{high:.2f}", {"roi_margin": [low, high]},
                 round((low + high) / 2 * 100, 6),
                 f"margins {low:.0%}-{high:.0%}" if high else "tight box (0 %)",
                 f"{lo} %" if lo == hi else f"{lo}-{hi} %")


class RoiLooseness(CrossedStudy):
    """Levels ``{"roi_margin": [lo, hi]}``; the study sets the margins, not ``--roi-margin``."""

    semi_automatic_only = True

    def reference(self) -> Level:
        """The benchmark's own margins, :data:`benchmark.ground.roi.DEFAULT_ROI_MARGIN`."""
        return next(v for v in self.levels
                    if v.params["roi_margin"] == list(DEFAULT_ROI_MARGIN))

    def check_options(self, *, roi_margin=None) -> None:
        """Refuse ``--roi-margin``: the levels are the margins."""
        if roi_margin is not None:
            raise InputError(f"{self.name} draws the ROI boxes at its own margins; leave "
                             "--roi-margin out")

    def roi_margin_setting(self, roi_margin):
        """None: the levels are the margins, so the option is not a setting."""
        return None

    def roi_margin_of(self, level: Level, roi_margin):
        """The level's own margins."""
        return list(level.params["roi_margin"])

    def test_elsewhere(self, task: CellTask, others: list[Planned],
                       datasets: dict) -> CellTask:
        """The same test cases with each other level's boxes (its ``rois.csv``)."""
        return replace(task, shifted_rois={
            p.level.name: {c.id: tuple(p.plan.tasks[0].rois[c.id]) for c in task.test}
            for p in others})


ROI_LOOSENESS = RoiLooseness(
    name="roi-looseness",
    question="How much does a semi-automatic method depend on how loosely the user draws "
             "the box?",
    axis="ROI margin per side (% of the lesion's extent; the middle of the range drawn from)",
    levels=tuple(margin_level(lo, hi)
                 for lo, hi in ((0.0, 0.0), (0.1, 0.3), (0.3, 0.6), (0.6, 1.0))),
    methods=("region_growing", "geodesic_active_contour", "chan_vese", "radial_maxvar",
             "roi_ellipse", "box_shape", "unet_roi"),
    description=(
        "The semi-automatic methods with the user's box drawn at each range of margins (each "
        "side of the reference bounding box moved out by its own margin, drawn uniformly from "
        "the range, as a fraction of the lesion's extent on that axis; the same draw for "
        "every method). The dashed line, box_shape, is the learned floor: the training "
        "lesions' mean shape in box coordinates, what the box alone gives away; roi_ellipse "
        "is the ellipse inscribed in the box, a plain reference.",
        "Matched: at each level the methods are tuned and, for the deep ROI models, trained "
        "with boxes drawn the same way as the test boxes. Trained at default: the models "
        "tuned and trained with the benchmark's boxes (margins 10-30 %) predict the same "
        "test cases with every level's boxes, as a method meets a user who draws tighter or "
        "looser than the boxes it was fitted to. A method that learns nothing from the boxes "
        "(the inscribed ellipse) scores the same in both conditions; the learned floor, fitted "
        "to 10-30 % boxes, shows what a box-size prior loses when the user draws otherwise."))
