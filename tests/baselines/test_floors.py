"""The floors (learned, pixel-free) and the reference ellipse inscribed in the ROI."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from baselines.floors import BoxEllipse, BoxShape, PriorDisk, PriorMask, RoiEllipse
from baselines.registry import SEGMENTERS, make_segmenter, rule_based_semi_automatic
from benchmark.ground.metrics import dice_score
from benchmark.ground.roi import bounding_box

FLOORS = {"box_ellipse": BoxEllipse, "box_shape": BoxShape, "prior_disk": PriorDisk,
          "prior_mask": PriorMask}


def disk(shape, centre, radius):
    rows, cols = np.ogrid[:shape[0], :shape[1]]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius ** 2


def ellipse_mask(shape, centre, radii):
    rows, cols = np.ogrid[:shape[0], :shape[1]]
    return ((rows - centre[0]) / radii[0]) ** 2 + ((cols - centre[1]) / radii[1]) ** 2 <= 1


def boxed_lesions(rng, n, margins, shape=(160, 160)):
    """Lesions of random size and place, each in a box with margins (top, bottom, left, right).

    A margin is a fraction of the lesion's extent on its axis; the lesion extents are
    multiples of 20 px so that every margin of 0.05 steps is a whole number of pixels.
    """
    masks, rois = [], []
    top, bottom, left, right = margins
    for _ in range(n):
        height, width = 20 * rng.integers(1, 4, 2)
        r0 = rng.integers(round(top * height), shape[0] - round((1 + bottom) * height))
        c0 = rng.integers(round(left * width), shape[1] - round((1 + right) * width))
        mask = ellipse_mask(shape, (r0 + (height - 1) / 2, c0 + (width - 1) / 2),
                            (height / 2, width / 2))
        b = bounding_box(mask)
        assert b == (r0, r0 + height - 1, c0, c0 + width - 1)
        masks.append(mask)
        rois.append((r0 - round(top * height), b[1] + round(bottom * height),
                     c0 - round(left * width), b[3] + round(right * width)))
    return [np.zeros(shape)] * n, masks, rois


def test_the_families_floors_and_the_reference_read_no_pixel():
    for name in FLOORS:
        assert make_segmenter(name).family == "floor"
        assert SEGMENTERS[name].description.startswith("floor: ") and "(reads no pixel)" in \
            SEGMENTERS[name].description
    assert make_segmenter("roi_ellipse").family == "reference"
    assert make_segmenter("box_ellipse").needs_roi and make_segmenter("box_shape").needs_roi
    assert not make_segmenter("prior_disk").needs_roi and not make_segmenter(
        "prior_mask").needs_roi
    # none of them is a way to make references (segment)
    assert not set(rule_based_semi_automatic()) & {*FLOORS, "roi_ellipse"}


@pytest.mark.parametrize("name", [*FLOORS, "roi_ellipse"])
def test_predictions_do_not_change_when_the_images_are_noise(name, rng):
    shape = (50, 60)
    masks = [disk(shape, (20, 30), 8), disk(shape, (25, 25), 10), disk(shape, (30, 35), 6)]
    rois = [(10, 30, 20, 40), (13, 37, 13, 37), (22, 38, 27, 43)]
    model = make_segmenter(name)
    roi_args = {"rois": rois} if model.needs_roi else {}
    flat = [np.zeros(shape)] * 3
    noise = [rng.random(shape) for _ in range(3)]
    if model.learns:
        model.fit(flat, masks, **roi_args,
                  val=(flat[:2], masks[:2], *([rois[:2]] if model.needs_roi else [])))
        on_noise = clone(model).fit(noise, masks, **roi_args,
                                    val=(noise[:2], masks[:2],
                                         *([rois[:2]] if model.needs_roi else [])))
    else:
        on_noise = model
    for a, b in zip(model.predict(flat, **roi_args), on_noise.predict(noise, **roi_args),
                    strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", list(FLOORS))
def test_floors_follow_the_scikit_learn_conventions(name):
    model = make_segmenter(name)
    assert clone(model).get_params() == model.get_params()
    if "grid_size" in model.get_params():
        assert clone(model.set_params(grid_size=16)).grid_size == 16
    shape = (30, 30)
    masks = [disk(shape, (15, 15), 6)]
    rois = [(7, 23, 7, 23)] if model.needs_roi else None
    fitted = model.fit([np.zeros(shape)], masks, rois=rois)
    assert fitted is model and hasattr(model, "model_")
    assert not hasattr(clone(model), "model_")  # a clone is unfitted
    record = model.fit_record()
    assert {"tuned_params", "tuning_results"} <= set(record)
    with pytest.raises(ValueError, match="not fitted"):
        clone(model).predict([np.zeros(shape)], rois=rois)


@pytest.mark.parametrize("name", list(FLOORS))
def test_all_empty_training_masks_are_a_clear_error(name):
    model = make_segmenter(name)
    rois = [(2, 7, 2, 7)] if model.needs_roi else None
    with pytest.raises(ValueError, match=f"{type(model).__name__}.fit needs at least one "
                                         "non-empty training mask"):
        model.fit([np.zeros((10, 10))], [np.zeros((10, 10), bool)], rois=rois)


@pytest.mark.parametrize("margin", [0.1, 0.2, 0.3, 0.5])
def test_the_box_ellipse_recovers_a_fixed_margin(margin, rng):
    images, masks, rois = boxed_lesions(rng, 12, (margin,) * 4)
    model = BoxEllipse().fit(images, masks, rois=rois)
    np.testing.assert_allclose(model.extent_ratio_, 1 / (1 + 2 * margin), rtol=1e-12)
    np.testing.assert_allclose(model.centre_, 0.5, atol=1e-12)
    assert model.fit_record()["box_extent_ratio"] == pytest.approx(list(model.extent_ratio_))
    # the ellipse it draws is the lesion (an ellipse filling its bounding box)
    preds = model.predict(images, rois=rois)
    assert min(dice_score(m, p) for m, p in zip(masks, preds, strict=True)) > 0.95


def test_asymmetric_margins_shift_the_centre(rng):
    # top 0.1, bottom 0.5, left 0.3, right 0.1 of the lesion's extent
    images, masks, rois = boxed_lesions(rng, 10, (0.1, 0.5, 0.3, 0.1))
    model = BoxEllipse().fit(images, masks, rois=rois)
    np.testing.assert_allclose(model.extent_ratio_, [1 / 1.6, 1 / 1.4], rtol=1e-12)
    # the lesion's centre sits (top + 1/2) / (1 + top + bottom) down the box
    np.testing.assert_allclose(model.centre_, [0.6 / 1.6, 0.8 / 1.4], rtol=1e-12)
    preds = model.predict(images, rois=rois)
    assert min(dice_score(m, p) for m, p in zip(masks, preds, strict=True)) > 0.95


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 40), st.integers(0, 40), st.integers(1, 30), st.integers(1, 30))
def test_the_box_ellipse_stays_in_its_box_and_is_never_empty(r0, c0, height, width):
    model = BoxEllipse().fit([np.zeros((80, 80))], [disk((80, 80), (40, 40), 5)],
                             rois=[(30, 50, 30, 50)])
    roi = (r0, r0 + height - 1, c0, c0 + width - 1)
    mask = model.predict([np.zeros((80, 80))], rois=[roi])[0]
    inside = np.zeros_like(mask)
    inside[roi[0]:roi[1] + 1, roi[2]:roi[3] + 1] = True
    assert mask.any() and not (mask & ~inside).any()


def test_the_box_ellipse_with_the_whole_box_is_the_inscribed_ellipse():
    model = BoxEllipse().fit([np.zeros((64, 64))], [np.ones((64, 64), bool)],
                             rois=[(0, 63, 0, 63)])
    np.testing.assert_allclose([*model.extent_ratio_, *model.centre_], [1, 1, 0.5, 0.5])
    for roi in [(10, 49, 20, 99), (0, 120, 0, 80), (30, 32, 40, 90)]:
        image = np.zeros((128, 128))
        np.testing.assert_array_equal(model.predict([image], rois=[roi])[0],
                                      RoiEllipse().predict([image], rois=[roi])[0])


@pytest.mark.parametrize("box_side", [64, 40, 100])
def test_a_box_shape_trained_on_identical_lesions_reproduces_them(box_side, rng):
    shape = (160, 160)
    base = np.zeros((box_side, box_side), bool)
    # an off-centre, non-convex lesion: two overlapping disks
    base |= disk(base.shape, (0.4 * box_side, 0.35 * box_side), 0.25 * box_side)
    base |= disk(base.shape, (0.6 * box_side, 0.6 * box_side), 0.2 * box_side)
    masks, rois = [], []
    for _ in range(6):
        r0, c0 = rng.integers(0, shape[0] - box_side, 2)
        mask = np.zeros(shape, bool)
        mask[r0:r0 + box_side, c0:c0 + box_side] = base
        masks.append(mask)
        rois.append((r0, r0 + box_side - 1, c0, c0 + box_side - 1))
    images = [np.zeros(shape)] * 6
    model = BoxShape().fit(images[:4], masks[:4], rois=rois[:4],
                           val=(images[4:], masks[4:], rois[4:]))
    assert model.mean_shape_.shape == (64, 64)
    assert model.mean_shape_.min() >= 0 and model.mean_shape_.max() <= 1
    preds = model.predict(images, rois=rois)
    for mask, pred, roi in zip(masks, preds, rois, strict=True):
        if box_side == 64:  # the box is the grid: exactly the lesion
            np.testing.assert_array_equal(pred, mask)
        else:
            assert dice_score(mask, pred) > 0.97
        outside = np.ones(shape, bool)
        outside[roi[0]:roi[1] + 1, roi[2]:roi[3] + 1] = False
        assert not pred[outside].any()
    assert model.fit_record()["tuned_params"] == {"threshold": model.threshold_}


def test_the_threshold_is_chosen_on_the_validation_part():
    shape = (64, 64)
    roi = (0, 63, 0, 63)
    small, large = disk(shape, (32, 32), 10), disk(shape, (32, 32), 26)
    images = [np.zeros(shape)] * 4
    # the mean of two small and two large lesions: 1 inside the small disk, 0.5 in the ring
    train = ([small, small, large, large], [roi] * 4)
    to_large = BoxShape().fit(images, train[0], rois=train[1],
                              val=(images[:2], [large, large], [roi, roi]))
    to_small = BoxShape().fit(images, train[0], rois=train[1],
                              val=(images[:2], [small, small], [roi, roi]))
    assert to_large.threshold_ <= 0.5 < to_small.threshold_
    np.testing.assert_array_equal(to_large.predict(images[:1], rois=[roi])[0], large)
    np.testing.assert_array_equal(to_small.predict(images[:1], rois=[roi])[0], small)
    # every candidate threshold was scored, on the validation part
    scores = {r["params"]["threshold"]: r["mean_dice"] for r in to_small.tuning_results_}
    assert scores[to_small.threshold_] == pytest.approx(1.0)
    assert scores[0.5] == pytest.approx(dice_score(small, large))


def test_without_validation_cases_the_threshold_is_chosen_on_the_training_part():
    shape = (64, 64)
    small, large = disk(shape, (32, 32), 10), disk(shape, (32, 32), 26)
    masks = [small, small, small, large]  # the mean: 1 inside the small disk, 0.25 in the ring
    images = [np.zeros(shape)] * 4
    none = PriorMask().fit(images, masks)
    empty = PriorMask().fit(images, masks, val=([], []))
    assert none.threshold_ == empty.threshold_ > 0.25
    np.testing.assert_array_equal(none.predict(images[:1])[0], small)


def test_prior_mask_on_identical_masks_returns_the_mask():
    shape = (64, 64)
    mask = disk(shape, (20, 40), 9) | disk(shape, (30, 30), 5)
    model = PriorMask().fit([np.zeros(shape)] * 3, [mask] * 3)
    np.testing.assert_array_equal(model.predict([np.zeros(shape)])[0], mask)
    # on an image of another size, the same mask in image coordinates
    big = model.predict([np.zeros((128, 96))])[0]
    rows, cols = np.ogrid[:128, :96]
    upscaled = mask[(rows * 64 / 128).astype(int), (cols * 64 / 96).astype(int)]
    assert dice_score(upscaled, big) > 0.95


def test_empty_training_masks_are_left_out_of_the_mean_shape():
    shape = (64, 64)
    mask = disk(shape, (32, 32), 12)
    model = PriorMask().fit([np.zeros(shape)] * 3, [mask, np.zeros(shape, bool), mask])
    np.testing.assert_array_equal(model.mean_shape_ > 0.5, mask)


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


def test_the_learned_floors_beat_the_inscribed_ellipse_on_a_phantom(small_phantom):
    from benchmark.ground.roi import draw_roi

    cases = small_phantom.cases
    rois = [draw_roi(c.mask, seed=0, case_id=c.id) for c in cases]
    train, test = slice(0, 16), slice(16, None)
    images, masks = [c.image for c in cases], [c.mask for c in cases]

    def mean_dice(model):
        model.fit(images[train], masks[train], rois=rois[train]) if model.learns else None
        preds = model.predict(images[test], rois=rois[test])
        return np.nanmean([dice_score(m, p) for m, p in zip(masks[test], preds, strict=True)])

    reference = mean_dice(RoiEllipse())
    assert mean_dice(BoxEllipse()) > reference + 0.1
    assert mean_dice(BoxShape()) > reference + 0.1
