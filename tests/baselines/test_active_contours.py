"""The snakes' tuning: one evolution per group of iteration counts, the same masks as one each."""

import numpy as np
import pytest

from baselines.active_contours import ChanVese, GeodesicActiveContour
from benchmark.ground.roi import draw_roi


class OneAtATime:
    """A snake that evolves every tuning candidate on its own (the plain grid search)."""

    def _candidate_groups(self, grid):
        return [[k] for k in range(len(grid))]


@pytest.fixture(scope="module")
def crops(small_phantom):
    cases = list(small_phantom)[:10]
    return ([c.image for c in cases], [c.mask for c in cases],
            [draw_roi(c.mask, seed=0, case_id=c.id) for c in cases])


@pytest.mark.parametrize("cls", [ChanVese, GeodesicActiveContour])
@pytest.mark.parametrize("automatic", [False, True])
def test_grouped_tuning_scores_every_candidate_as_the_plain_grid_search(cls, automatic, crops):
    images, masks, rois = crops
    plain = type("Plain" + cls.__name__, (OneAtATime, cls), {})
    rois = None if automatic else rois
    grouped = cls(automatic=automatic).fit(images[:6], masks[:6], rois=None if rois is None
                                           else rois[:6], val=(images[6:], masks[6:], *(
                                               [] if rois is None else [rois[6:]])))
    alone = plain(automatic=automatic).fit(images[:6], masks[:6], rois=None if rois is None
                                           else rois[:6], val=(images[6:], masks[6:], *(
                                               [] if rois is None else [rois[6:]])))
    assert grouped.tuning_results_ == alone.tuning_results_
    assert grouped.best_params_ == alone.best_params_
    # the grid's iteration counts share one evolution per group of the other parameters
    grid = [grouped.get_params() | {"num_iter": n, key: v}
            for key, values in cls.tuning_grid.items() if key != "num_iter" for v in values
            for n in cls.tuning_grid["num_iter"]]
    assert [len(g) for g in grouped._candidate_groups(grid)] == [
        len(cls.tuning_grid["num_iter"])] * (len(grid) // len(cls.tuning_grid["num_iter"]))


@pytest.mark.parametrize("cls", [ChanVese, GeodesicActiveContour])
@pytest.mark.parametrize("automatic", [False, True])
def test_one_evolution_gives_each_iteration_counts_own_mask(cls, automatic, crops):
    images, _, rois = crops
    model = cls(automatic=automatic)
    params = model.get_params()
    counts = cls.tuning_grid["num_iter"]
    differ = False
    for image, roi in zip(images[:4], rois[:4], strict=True):
        together = model._segment_candidates(image, roi,
                                             [params | {"num_iter": n} for n in counts],
                                             [None] * len(counts))
        for n, mask in zip(counts, together, strict=True):
            np.testing.assert_array_equal(
                mask, model._segment(image, roi, params | {"num_iter": n}, None))
        differ |= not np.array_equal(together[0], together[-1])
    # on the whole crop the counts give other masks (in a box Chan-Vese can converge by 40)
    assert differ or not automatic
