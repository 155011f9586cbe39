"""Resizing to the model's grid and back, and the augmenting batch feeder."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.ground.metrics import dice_score
from deep.data import (
    AugmentedBatches,
    crop,
    crop_box,
    mask_round_trip,
    masks_to_model_grid,
    paste,
    through_model_grid,
    to_image_grid,
    to_model_grid,
)

N, SIZE, BATCH = 11, 8, 4


@pytest.fixture
def items():
    """(N, SIZE, SIZE, 1) random images and masks with no symmetry to hide a flip."""
    rng = np.random.default_rng(2)
    x = rng.random((N, SIZE, SIZE, 1)).astype(np.float32)
    y = (rng.random((N, SIZE, SIZE, 1)) < 0.4).astype(np.float32)
    return x, y


def all_batches(feeder):
    batches = [feeder[i] for i in range(len(feeder))]
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def expected_item(feeder, x, y, k):
    """Item ``k`` augmented by hand from the feeder's recorded parameters."""
    p = {name: values[k] for name, values in feeder.params.items()}
    image, mask = x[k, ..., 0], y[k, ..., 0]
    if p["flip_v"]:
        image, mask = np.flipud(image), np.flipud(mask)
    if p["flip_h"]:
        image, mask = np.fliplr(image), np.fliplr(mask)
    image, mask = np.rot90(image, p["rot"]), np.rot90(mask, p["rot"])
    return np.clip(image * p["scale"] + p["shift"], 0, 1), mask


def test_batches_cover_the_items_in_ceil_n_over_batch_size_batches(items):
    feeder = AugmentedBatches(*items, batch_size=BATCH, seed=0)
    assert len(feeder) == 3
    assert [len(feeder[i][0]) for i in range(3)] == [4, 4, 3]


def test_augmentation_transforms_image_and_mask_alike(items):
    x, y = items
    feeder = AugmentedBatches(x, y, batch_size=BATCH, seed=4)
    for epoch in range(2):
        assert feeder.epoch == epoch
        xa, ya = all_batches(feeder)
        for j, k in enumerate(feeder.order):
            image, mask = expected_item(feeder, x, y, k)
            np.testing.assert_allclose(xa[j, ..., 0], image, atol=1e-6)
            np.testing.assert_array_equal(ya[j, ..., 0], mask)
        assert not np.array_equal(ya, y[feeder.order])  # some item was really moved
        assert xa.dtype == x.dtype and ya.dtype == y.dtype
        feeder.on_epoch_end()


def test_augmented_mask_is_the_augmented_image_thresholded(items):
    _, y = items
    x = (0.25 + 0.5 * y).astype(np.float32)  # bright exactly where the mask is
    feeder = AugmentedBatches(x, y, batch_size=BATCH, seed=9)
    for _ in range(3):
        # scale in [0.9, 1.1] and shift in [-0.05, 0.05] keep 0.25 below 0.33 and 0.75
        # above 0.62, so 0.5 still separates them, however the item was flipped or turned
        xa, ya = all_batches(feeder)
        np.testing.assert_array_equal(ya, (xa > 0.5).astype(np.float32))
        assert not np.array_equal(ya, y[feeder.order])
        feeder.on_epoch_end()


def test_the_same_seed_gives_the_same_batches(items):
    a = AugmentedBatches(*items, batch_size=BATCH, seed=1)
    b = AugmentedBatches(*items, batch_size=BATCH, seed=1)
    for _ in range(2):
        for i in range(len(a)):
            np.testing.assert_array_equal(a[i][0], b[i][0])
            np.testing.assert_array_equal(a[i][1], b[i][1])
        a.on_epoch_end()
        b.on_epoch_end()


def test_a_new_epoch_or_another_seed_gives_another_order(items):
    feeder = AugmentedBatches(*items, batch_size=BATCH, seed=1)
    first, x_first = feeder.order.copy(), feeder[0][0]
    feeder.on_epoch_end()
    assert not np.array_equal(feeder.order, first)
    assert not np.array_equal(feeder[0][0], x_first)
    other = AugmentedBatches(*items, batch_size=BATCH, seed=2)
    assert not np.array_equal(other.order, first)


def test_without_augmentation_items_come_unchanged_in_the_shuffled_order(items):
    x, y = items
    feeder = AugmentedBatches(x, y, batch_size=BATCH, seed=3, augment=False)
    xa, ya = all_batches(feeder)
    assert not np.array_equal(feeder.order, np.arange(N))  # shuffled
    np.testing.assert_array_equal(xa, x[feeder.order])
    np.testing.assert_array_equal(ya, y[feeder.order])


@pytest.mark.parametrize("augment", [True, False])
def test_every_item_appears_exactly_once_per_epoch(items, augment):
    x, _ = items
    # item k's mask has k + 1 foreground pixels, a count no flip or rotation changes
    y = np.zeros_like(x)
    for k in range(N):
        y[k].reshape(-1)[: k + 1] = 1
    feeder = AugmentedBatches(x, y, batch_size=BATCH, seed=6, augment=augment)
    for _ in range(2):
        _, ya = all_batches(feeder)
        counts = ya.sum(axis=(1, 2, 3)).astype(int)
        assert sorted(counts) == list(range(1, N + 1))
        np.testing.assert_array_equal(counts, feeder.order + 1)
        feeder.on_epoch_end()


def test_the_input_arrays_are_left_untouched(items):
    x, y = items
    x0, y0 = x.copy(), y.copy()
    feeder = AugmentedBatches(x, y, batch_size=BATCH, seed=5)
    all_batches(feeder)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


def lesion_cases(n=40, side=24, seed=0):
    """Images numbering their cells (a window's values say where it was cut) and a one-cell
    lesion per case at a random place, some cases without one."""
    rng = np.random.default_rng(seed)
    x = np.tile(np.arange(side * side, dtype=np.float32).reshape(1, side, side, 1), (n, 1, 1, 1))
    y = np.zeros_like(x)
    for k in range(n):
        if k % 5:  # every fifth case has no lesion
            y[k, rng.integers(side), rng.integers(side)] = 1
    return x, y


def test_windows_are_cut_from_the_grid_where_the_corners_say():
    x, y = lesion_cases()
    feeder = AugmentedBatches(x, y, batch_size=8, seed=3, augment=False, patch=10)
    xa, ya = all_batches(feeder)
    assert xa.shape == (40, 10, 10, 1) and ya.shape == (40, 10, 10, 1)
    for j, k in enumerate(feeder.order):
        r, c = feeder.corners[k]
        assert 0 <= r <= 14 and 0 <= c <= 14
        np.testing.assert_array_equal(xa[j], x[k, r:r + 10, c:c + 10])
        np.testing.assert_array_equal(ya[j], y[k, r:r + 10, c:c + 10])


def _chance_a_random_window_holds(cell: int, side: int, patch: int) -> float:
    """Share of the uniformly drawn corners along one axis whose window holds ``cell``."""
    span = side - patch + 1
    return (min(cell, span - 1) - max(0, cell - patch + 1) + 1) / span


@pytest.mark.parametrize("foreground", [0.0, 1 / 3, 1.0])
def test_the_share_of_windows_on_a_lesion_is_the_forced_share_plus_chance(foreground):
    x, y = lesion_cases(n=400, side=40, seed=1)
    feeder = AugmentedBatches(x, y, batch_size=50, seed=5, augment=False, patch=8,
                              foreground=foreground)
    _, ya = all_batches(feeder)
    order = feeder.order
    with_lesion = y.reshape(400, -1).max(axis=1)[order] == 1
    held = ya.reshape(400, -1).max(axis=1) == 1
    # a window placed at random holds the case's lesion cell by chance (exact, per cell); a
    # window placed on the lesion always holds it
    cells = [np.argwhere(y[k, ..., 0] == 1)[0] for k in order[with_lesion]]
    chance = np.mean([_chance_a_random_window_holds(r, 40, 8) *
                      _chance_a_random_window_holds(c, 40, 8) for r, c in cells])
    expected = foreground + (1 - foreground) * chance
    share = held[with_lesion].mean()
    # 320 cases with a lesion: the binomial SD of the share is at most 0.028
    assert abs(share - expected) < 0.06, (share, expected)
    if foreground == 1.0:
        assert held[with_lesion].all()
    assert not held[~with_lesion].any()


def test_the_windows_are_the_same_for_a_seed_and_change_with_the_epoch():
    x, y = lesion_cases()
    a = AugmentedBatches(x, y, batch_size=8, seed=2, patch=12)
    b = AugmentedBatches(x, y, batch_size=8, seed=2, patch=12)
    np.testing.assert_array_equal(a.corners, b.corners)
    first = a.corners.copy()
    a.on_epoch_end()
    assert not np.array_equal(a.corners, first)


def test_a_window_the_size_of_the_grid_is_the_whole_grid():
    x, y = lesion_cases(side=12)
    whole = AugmentedBatches(x, y, batch_size=8, seed=4, patch=12)
    plain = AugmentedBatches(x, y, batch_size=8, seed=4)
    assert whole.patch is None
    np.testing.assert_array_equal(all_batches(whole)[0], all_batches(plain)[0])


@pytest.mark.parametrize(("kwargs", "message"), [({"patch": 30}, "between 1 and"),
                                                 ({"patch": 0}, "between 1 and"),
                                                 ({"patch": 8, "foreground": 1.5}, "share")])
def test_a_bad_window_is_refused(kwargs, message):
    x, y = lesion_cases()
    with pytest.raises(ValueError, match=message):
        AugmentedBatches(x, y, batch_size=8, seed=0, **kwargs)


def test_to_model_grid_gives_float32_on_the_square_grid():
    rng = np.random.default_rng(0)
    images = [rng.random((20, 30)), rng.random((16, 16)), rng.random((13, 41)).astype("f4")]
    out = to_model_grid(images, 16)
    assert out.shape == (3, 16, 16, 1) and out.dtype == np.float32
    np.testing.assert_array_equal(out[1, ..., 0], images[1].astype(np.float32))
    assert out.min() >= 0 and out.max() <= 1
    flat = to_model_grid([np.full((25, 19), 0.3)], 16)
    np.testing.assert_allclose(flat, 0.3, atol=1e-6)


def test_masks_to_model_grid_gives_soft_float32_targets_in_zero_one():
    rng = np.random.default_rng(1)
    masks = [rng.random((20, 30)) < 0.5, rng.random((16, 16)) < 0.5,
             (rng.random((13, 41)) < 0.5).astype(np.uint8), np.ones((9, 23), bool)]
    out = masks_to_model_grid(masks, 16)
    assert out.shape == (4, 16, 16, 1) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    np.testing.assert_array_equal(out[1, ..., 0], masks[1])  # on the grid: unchanged
    np.testing.assert_allclose(out[3], 1, atol=1e-6)  # a full mask stays full
    # soft: the same resize as the images, so the targets are the mask's area fractions
    np.testing.assert_allclose(out[0], to_model_grid([masks[0].astype(float)], 16)[0])
    assert 0 < out[0].mean() < 1 and len(np.unique(out[0])) > 2


def test_a_soft_target_holds_the_share_of_a_cell_the_lesion_covers():
    # a 64 px mask onto an 8 px grid: each cell is 8 x 8 pixels
    mask = np.zeros((64, 64), bool)
    mask[16:40, 8:32] = True  # 3 x 3 cells, whole
    out = masks_to_model_grid([mask], 8)[0, ..., 0]
    # away from the edges the cells are fully in or fully out
    assert out[3, 2] == pytest.approx(1, abs=0.02) and out[6, 6] == pytest.approx(0, abs=0.02)
    # the area is kept: the grid's mean is the mask's share of the image
    assert out.mean() == pytest.approx(mask.mean(), rel=0.02)


def test_the_round_trip_of_a_mask_on_the_grid_is_the_mask():
    mask = np.zeros((32, 32), bool)
    mask[5:20, 9:30] = True
    back = mask_round_trip([mask], 32)[0]
    np.testing.assert_array_equal(back, mask.astype(np.float32))


def test_the_automatic_round_trip_is_to_model_grid_then_to_image_grid(rng):
    masks = [np.zeros((50, 70), bool), np.zeros((90, 40), bool)]
    masks[0][10:30, 20:55] = True
    masks[1][30:70, 5:25] = True
    for mask, back in zip(masks, mask_round_trip(masks, 24), strict=True):
        direct = to_image_grid(to_model_grid([mask.astype(np.float32)], 24)[0, ..., 0],
                               mask.shape)
        np.testing.assert_allclose(back, direct, atol=1e-7)
        assert back.shape == mask.shape and back.min() >= 0 and back.max() <= 1


def test_the_roi_round_trip_crops_resizes_and_pastes_inside_the_box():
    shape = (90, 150)
    rows, cols = np.ogrid[:shape[0], :shape[1]]
    lesion = (rows - 40) ** 2 / 15 ** 2 + (cols - 100) ** 2 / 25 ** 2 <= 1
    roi = (20, 60, 70, 130)
    back = mask_round_trip([lesion], 16, rois=[roi])[0]
    box = crop_box(roi, shape)
    part = crop(lesion.astype(np.float32), box)
    direct = paste(to_image_grid(to_model_grid([part], 16)[0, ..., 0], part.shape), box, roi,
                   shape)
    np.testing.assert_allclose(back, direct, atol=1e-7)
    outside = np.ones(shape, bool)
    outside[roi[0]:roi[1] + 1, roi[2]:roi[3] + 1] = False
    assert not back[outside].any()  # nothing outside the box
    assert ((back >= 0.5) & lesion).sum() / lesion.sum() > 0.9


def test_a_lesion_smaller_than_a_grid_cell_is_lost_on_the_way_back():
    # a 2 x 2 lesion in a 64 px image seen on an 8 px grid: it covers 4 / 64 of one cell, so
    # no cell of the soft target (a weighted mean of pixels) reaches 0.5 and neither does any
    # pixel of the way back (a weighted mean of cells): the ceiling is empty, Dice 0
    mask = np.zeros((64, 64), bool)
    mask[20:22, 36:38] = True
    grid = masks_to_model_grid([mask], 8)
    assert grid.max() < 4 / 64 + 0.05
    back = mask_round_trip([mask], 8)[0]
    assert back.max() < 0.5
    # a lesion of one whole cell's side survives, at 64 / 8 px per cell
    big = np.zeros((64, 64), bool)
    big[16:32, 32:48] = True
    assert dice_score(big, mask_round_trip([big], 8)[0] >= 0.5) > 0.8


def test_through_model_grid_applies_the_prediction_on_the_grid():
    images = [np.full((20, 30), 0.25), np.full((12, 12), 0.5)]
    out = through_model_grid(images, 8, lambda x: 1 - x)
    np.testing.assert_allclose(out[0], 0.75, atol=1e-6)
    np.testing.assert_allclose(out[1], 0.5, atol=1e-6)
    assert [o.shape for o in out] == [(20, 30), (12, 12)]


def test_to_image_grid_returns_the_input_when_the_shape_matches():
    p = np.random.default_rng(2).random((16, 16)).astype(np.float32)
    assert to_image_grid(p, (16, 16)) is p


@pytest.mark.parametrize("shape", [(20, 30), (7, 16), (16, 9)])
def test_to_image_grid_gives_the_image_shape(shape):
    p = np.random.default_rng(3).random((16, 16)).astype(np.float32)
    out = to_image_grid(p, shape)
    assert out.shape == shape
    assert p.min() - 1e-6 <= out.min() and out.max() <= p.max() + 1e-6  # bilinear
    np.testing.assert_allclose(to_image_grid(np.full((16, 16), 0.7), shape), 0.7)


@given(st.integers(8, 90), st.integers(8, 90), st.data())
@settings(max_examples=150, deadline=None)
def test_a_crop_pasted_back_lands_where_it_was_cut(h, w, data):
    """Crop an ROI with its context, resize to a model grid and back, paste: same place."""
    r0 = data.draw(st.integers(0, h - 1))
    r1 = data.draw(st.integers(r0, h - 1))
    c0 = data.draw(st.integers(0, w - 1))
    c1 = data.draw(st.integers(c0, w - 1))
    roi = (r0, r1, c0, c1)
    box = crop_box(roi, (h, w))
    assert 0 <= box[0] <= r0 and r1 <= box[1] < h and 0 <= box[2] <= c0 and c1 <= box[3] < w
    # a mask that marks every pixel with its own position survives the round trip exactly
    image = np.arange(h * w, dtype=np.float64).reshape(h, w) + 1
    part = crop(image, box)
    back = paste(part, box, roi, (h, w))
    inside = np.zeros((h, w), bool)
    inside[r0:r1 + 1, c0:c1 + 1] = True
    np.testing.assert_array_equal(back[inside], image[inside])
    assert not back[~inside].any()


def test_a_mask_pasted_onto_an_image_of_another_size_lands_in_the_right_place():
    # a lesion on a 90 x 150 image; its crop goes through a 32 px model grid and back
    shape = (90, 150)
    rows, cols = np.ogrid[:shape[0], :shape[1]]
    lesion = (rows - 40) ** 2 / 15 ** 2 + (cols - 100) ** 2 / 25 ** 2 <= 1
    roi = (20, 60, 70, 130)
    box = crop_box(roi, shape)
    assert box == (16, 64, 64, 136)
    grid = masks_to_model_grid([crop(lesion, box)], 32)[0, ..., 0]
    back = to_image_grid(grid, crop(lesion, box).shape) >= 0.5
    pasted = paste(back, box, roi, shape)
    assert pasted.shape == shape
    overlap = (pasted & lesion).sum() / lesion.sum()
    assert overlap > 0.93 and (pasted & ~lesion).sum() < 0.1 * lesion.sum()
    centre = np.argwhere(pasted).mean(axis=0)
    np.testing.assert_allclose(centre, [40, 100], atol=1.0)


def test_paste_refuses_a_crop_of_the_wrong_shape():
    with pytest.raises(ValueError, match="does not fit the box"):
        paste(np.ones((3, 3)), (0, 3, 0, 3), (0, 3, 0, 3), (10, 10))
