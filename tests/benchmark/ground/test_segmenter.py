"""The one estimator contract's input checks, shared by the classical and the deep methods."""

import numpy as np
import pytest

from benchmark.ground.segmenter import check_fit_inputs, check_part


def _images(n=3, shape=(8, 10)):
    return [np.full(shape, i / 10, dtype=np.float32) for i in range(n)], [
        np.zeros(shape, bool) for _ in range(n)]


def test_inputs_become_float64_images_bool_masks_and_rois():
    images, masks = _images()
    part = check_part(images, masks, [(0, 3, 0, 3)] * 3, needs_roi=True, owner="X")
    assert all(im.dtype == np.float64 for im in part.images)
    assert all(m.dtype == bool for m in part.masks)
    assert part.rois == [(0, 3, 0, 3)] * 3 and len(part) == 3


def test_a_semi_automatic_method_demands_rois():
    images, masks = _images()
    with pytest.raises(ValueError, match="X is semi-automatic"):
        check_part(images, masks, needs_roi=True, owner="X")


@pytest.mark.parametrize("change, fragment", [
    (lambda im, m: (im, m[:2]), "3 images but 2 masks"),
    (lambda im, m: (im, [m[0][:4]] + m[1:]), "mask 0 has shape"),
    (lambda im, m: ([im[0][None]] + im[1:], m), "image 0 must be 2-D"),
])
def test_inconsistent_inputs_name_what_is_wrong(change, fragment):
    images, masks = change(*_images())
    with pytest.raises(ValueError, match=fragment):
        check_part(images, masks, needs_roi=False, owner="X")


def test_an_roi_outside_its_image_is_refused():
    images, masks = _images()
    with pytest.raises(ValueError, match="roi 1"):
        check_part(images, masks, [(0, 3, 0, 3), (0, 30, 0, 3), (0, 1, 0, 1)],
                   needs_roi=True, owner="X")


def test_the_validation_part_is_checked_like_the_training_part():
    images, masks = _images()
    train, val = check_fit_inputs(images, masks, None, (images[:1], masks[:1]),
                                  needs_roi=False, owner="X")
    assert len(train) == 3 and len(val) == 1 and val.rois == [None]
    assert val.images[0].dtype == np.float64  # converted like the training images
    assert np.array_equal(val.images[0], train.images[0])
    assert check_fit_inputs(images, masks, None, None, needs_roi=False, owner="X")[1] is None


@pytest.mark.parametrize("val", [([np.zeros((8, 10))],), "data", 3])
def test_a_malformed_validation_part_names_the_parameter(val):
    images, masks = _images()
    with pytest.raises(ValueError, match="'val' parameter of X.fit"):
        check_fit_inputs(images, masks, None, val, needs_roi=False, owner="X")


def test_fitting_on_nothing_is_an_error():
    with pytest.raises(ValueError, match="at least one training image"):
        check_fit_inputs([], [], None, None, needs_roi=False, owner="X")
