"""The floors: the ellipse inscribed in the ROI and the training lesions' mean disk."""

import numpy as np
import pytest

from baselines.floors import PriorDisk, RoiEllipse
from baselines.registry import SEGMENTERS, make_segmenter, rule_based_semi_automatic
from benchmark.ground.metrics import dice_score


def disk(shape, centre, radius):
    rows, cols = np.ogrid[:shape[0], :shape[1]]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius ** 2


def test_both_floors_are_registered_as_floors_and_read_no_pixel():
    assert make_segmenter("roi_ellipse").family == make_segmenter("prior_disk").family == "floor"
    assert make_segmenter("roi_ellipse").needs_roi and not make_segmenter("prior_disk").needs_roi
    assert "roi_ellipse" not in rule_based_semi_automatic()  # not a way to make references
    rng = np.random.default_rng(0)
    noise, flat = rng.random((50, 60)), np.zeros((50, 60))
    roi = (10, 30, 5, 50)
    np.testing.assert_array_equal(RoiEllipse().predict([noise], rois=[roi])[0],
                                  RoiEllipse().predict([flat], rois=[roi])[0])
    prior = PriorDisk().fit([noise], [disk((50, 60), (20, 30), 8)])
    np.testing.assert_array_equal(prior.predict([noise])[0], prior.predict([flat])[0])
    assert set(SEGMENTERS) >= {"roi_ellipse", "prior_disk"}


@pytest.mark.parametrize("roi", [(10, 49, 20, 99), (0, 120, 0, 80), (30, 32, 40, 90)])
def test_the_ellipse_is_inscribed_in_the_box(roi):
    image = np.zeros((128, 128))
    mask = RoiEllipse().predict([image], rois=[roi])[0]
    r0, r1, c0, c1 = roi
    inside = np.zeros_like(mask)
    inside[r0:r1 + 1, c0:c1 + 1] = True
    assert not (mask & ~inside).any()
    # it touches the middle of every side of the box
    mid_r, mid_c = (r0 + r1) // 2, (c0 + c1) // 2
    assert mask[r0, mid_c] and mask[r1, mid_c] and mask[mid_r, c0] and mask[mid_r, c1]
    # its area is pi/4 of the box's, to within a pixel along the outline
    height, width = r1 - r0 + 1, c1 - c0 + 1
    assert mask.sum() == pytest.approx(np.pi / 4 * height * width, abs=(height + width) / 2)


def test_the_prior_disk_is_the_mean_centre_and_radius_of_the_training_lesions():
    shape = (100, 100)
    masks = [disk(shape, (40, 50), 10), disk(shape, (60, 30), 20), np.zeros(shape, bool)]
    model = PriorDisk().fit([np.zeros(shape)] * 3, masks)
    np.testing.assert_allclose(model.centre_, [0.5, 0.4], atol=0.005)  # the empty one is out
    assert model.radius_ == pytest.approx(0.15, rel=0.01)
    expected = disk(shape, (50, 40), 15)
    assert dice_score(expected, model.predict([np.zeros(shape)])[0]) > 0.97
    # on an image twice the size, the same disk in fractions of the image
    big = model.predict([np.zeros((200, 200))])[0]
    assert dice_score(disk((200, 200), (100, 80), 30), big) > 0.97
    assert model.fit_record()["radius"] == pytest.approx(model.radius_)


def test_the_prior_disk_needs_a_lesion_to_learn_from():
    with pytest.raises(ValueError, match="at least one non-empty training mask"):
        PriorDisk().fit([np.zeros((10, 10))], [np.zeros((10, 10), bool)])
    with pytest.raises(ValueError, match="not fitted"):
        PriorDisk().predict([np.zeros((10, 10))])
