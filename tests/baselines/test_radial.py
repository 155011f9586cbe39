"""The radial max-variance port: analytic disks, one component, the real crops."""

import numpy as np
import pytest
from scipy import ndimage as ndi

from baselines.preprocessing import course_preprocess
from baselines.radial import RadialMaxVariance, radial_maxvar_segment
from baselines.seeds import course_seed
from benchmark.ground.data.imageio import read_image
from benchmark.ground.metrics import dice_score
from tests.conftest import disk


@pytest.mark.parametrize("radius, centre", [(14, (40, 40)), (18, (45, 38)), (22, (50, 52))])
def test_recovers_a_bright_blurred_disk(radius, centre, rng):
    truth = disk((96, 96), centre, radius)
    image = ndi.gaussian_filter(0.25 + 0.55 * truth, 1.5) + rng.normal(0, 0.01, truth.shape)
    image = np.clip(image, 0, None) / image.max()
    margin = 6
    roi = (centre[0] - radius - margin, centre[0] + radius + margin,
           centre[1] - radius - margin, centre[1] + radius + margin)
    assert dice_score(truth, radial_maxvar_segment(image, roi)) >= 0.9


def test_result_is_one_8_connected_component_holding_the_seed(small_phantom):
    from benchmark.ground.roi import draw_roi

    for case in small_phantom.cases[:6]:
        roi = draw_roi(case.mask, seed=0, case_id=case.id)
        mask = radial_maxvar_segment(case.image, roi)
        if mask.any():
            assert ndi.label(mask, structure=np.ones((3, 3)))[1] == 1
            assert mask[course_seed(case.image, roi)]


REAL_ROIS = {"0016p1_2_1": (45, 90, 45, 115), "0025p1_4_1": (25, 80, 45, 95),
             "0036p1_1_1": (40, 85, 38, 88)}


def test_runs_on_the_real_crops(course_samples):
    for path in course_samples:
        image = course_preprocess(read_image(path)[0])
        mask = radial_maxvar_segment(image, REAL_ROIS[path.stem])
        assert mask.shape == image.shape and mask.dtype == bool
        assert 200 < mask.sum() < 3000, path.stem


def test_invalid_parameters_name_the_parameter(small_phantom):
    case = small_phantom[0]
    with pytest.raises(ValueError, match="'nhood_size'"):
        RadialMaxVariance(nhood_size=4).predict([case.image], rois=[(5, 40, 5, 40)])


def test_a_box_too_small_to_refine_in_is_segmented_without_refinement():
    image = np.zeros((20, 20))
    image[9:11, 9:11] = 1.0
    # radius ceil(hypot(2, 2) / 2) = 2, refinement radius round(2 / 5) = 0: it used to fail
    # with a zero-size array
    mask = radial_maxvar_segment(image, (8, 10, 8, 10))
    assert mask.shape == image.shape and not mask[:7].any() and not mask[12:].any()
