"""Public metric functions: analytic cases, conventions, input handling, medpy agreement."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from benchmark.ground import metrics
from benchmark.ground.metrics import (
    METRICS,
    average_surface_distance,
    confusion_counts,
    dice_score,
    empty_mask_flags,
    hausdorff95_distance,
    jaccard_score,
    precision_score,
    score_masks,
    sensitivity_score,
    specificity_score,
    surface_distances,
)
from tests.conftest import disk

OVERLAP = [dice_score, jaccard_score, sensitivity_score, precision_score, specificity_score]
SYMMETRIC = ["dice", "jaccard", "hd95", "assd"]


def test_dice_of_identical_masks_is_one():
    a = disk((40, 40), (20, 20), 9)
    assert dice_score(a, a) == 1.0
    assert jaccard_score(a, a) == 1.0
    assert hausdorff95_distance(a, a) == 0.0
    assert average_surface_distance(a, a) == 0.0


def test_dice_of_disjoint_masks_is_zero():
    a = np.zeros((10, 10), bool)
    b = a.copy()
    a[:3, :3] = True
    b[6:, 6:] = True
    assert dice_score(a, b) == 0.0
    assert jaccard_score(a, b) == 0.0


def test_analytic_overlap_of_half_planes():
    a = np.zeros((8, 8), bool)
    a[:4] = True  # 32 pixels
    b = np.zeros((8, 8), bool)
    b[:, :4] = True  # 32 pixels, 16 shared
    assert confusion_counts(a, b).tolist() == [16, 16, 16, 16]
    assert dice_score(a, b) == pytest.approx(0.5)
    assert jaccard_score(a, b) == pytest.approx(1 / 3)
    assert sensitivity_score(a, b) == pytest.approx(0.5)
    assert precision_score(a, b) == pytest.approx(0.5)
    assert specificity_score(a, b) == pytest.approx(0.5)


def test_distances_of_shifted_square_are_the_shift():
    a = np.zeros((30, 30), bool)
    a[10:20, 10:20] = True
    b = np.roll(a, 4, axis=1)
    # every surface pixel of the vertical sides is 4 away; horizontal sides 0..4 away
    hd95, assd = surface_distances(a, b)
    assert hd95 == pytest.approx(4.0)
    assert 0 < assd < 4


def test_spacing_scales_distances():
    a = disk((50, 50), (25, 25), 10)
    b = disk((50, 50), (25, 28), 12)
    hd_px, assd_px = surface_distances(a, b)
    hd_mm, assd_mm = surface_distances(a, b, spacing=0.5)
    assert hd_mm == pytest.approx(hd_px * 0.5)
    assert assd_mm == pytest.approx(assd_px * 0.5)


def test_concentric_disks_distance_is_radius_difference():
    a = disk((101, 101), (50, 50), 30)
    b = disk((101, 101), (50, 50), 20)
    hd95, assd = surface_distances(a, b)
    assert 9 <= assd <= 11
    assert 9 <= hd95 <= 11.5


def test_both_empty_gives_nan_overlap_and_distance():
    empty = np.zeros((16, 16), bool)
    assert np.isnan(dice_score(empty, empty))
    assert np.isnan(jaccard_score(empty, empty))
    assert np.isnan(sensitivity_score(empty, empty))
    assert np.isnan(precision_score(empty, empty))
    assert specificity_score(empty, empty) == 1.0
    assert np.isnan(hausdorff95_distance(empty, empty))
    assert not empty_mask_flags(empty, empty)


def test_one_empty_gives_image_diagonal_and_flag():
    empty = np.zeros((30, 40), bool)
    full = disk((30, 40), (15, 20), 5)
    for a, b in ((empty, full), (full, empty)):
        assert hausdorff95_distance(a, b) == pytest.approx(50.0)
        assert average_surface_distance(a, b, spacing=(2, 1)) == pytest.approx(np.hypot(60, 40))
        assert empty_mask_flags(a, b)
        assert dice_score(a, b) == 0.0


@pytest.mark.parametrize("name", SYMMETRIC)
@settings(max_examples=25, deadline=None)
@given(pair=arrays(bool, (2, 3, 12, 12)))
def test_symmetric_metrics_are_symmetric(name, pair):
    a, b = pair
    np.testing.assert_allclose(METRICS[name](a, b), METRICS[name](b, a), equal_nan=True)


@pytest.mark.parametrize("name", list(METRICS))
def test_case_order_does_not_change_per_case_results(name, rng):
    a = rng.random((7, 20, 20)) < 0.4
    b = rng.random((7, 20, 20)) < 0.4
    order = rng.permutation(7)
    np.testing.assert_allclose(METRICS[name](a, b)[order], METRICS[name](a[order], b[order]),
                               equal_nan=True)


@pytest.mark.parametrize("name", list(METRICS))
def test_bool_uint8_and_255_inputs_agree(name, rng):
    a = rng.random((4, 16, 16)) < 0.5
    b = rng.random((4, 16, 16)) < 0.5
    expected = METRICS[name](a, b)
    np.testing.assert_allclose(METRICS[name](a.astype(np.uint8), b.astype(np.int64)), expected)
    np.testing.assert_allclose(METRICS[name](a.astype(np.uint8) * 255, b), expected)


@pytest.mark.parametrize("func", OVERLAP + [hausdorff95_distance, confusion_counts])
def test_single_image_and_batch_agree(func, rng):
    a = rng.random((3, 10, 13)) < 0.5
    b = rng.random((3, 10, 13)) < 0.5
    batch = func(a, b)
    for i in range(3):
        np.testing.assert_allclose(func(a[i], b[i]), batch[i])


def test_perfect_prediction_scores_one_for_every_score():
    a = disk((20, 20), (10, 10), 6)
    for name, func in METRICS.items():
        expected = 0.0 if name in ("hd95", "assd") else 1.0
        assert func(a, a) == pytest.approx(expected), name


def test_score_masks_matches_individual_functions(rng):
    a = rng.random((5, 24, 24)) < 0.3
    b = rng.random((5, 24, 24)) < 0.3
    b[0] = False
    scores = score_masks(a, b)
    for name, func in METRICS.items():
        np.testing.assert_allclose(scores[name], func(a, b), equal_nan=True)
    np.testing.assert_array_equal(np.stack([scores[k] for k in ("tp", "fp", "fn", "tn")], 1),
                                  confusion_counts(a, b))
    assert scores["empty_flag"].tolist() == [True, False, False, False, False]


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 3, 4, 5), bool), "shape"),
    (np.full((4, 4), 0.5), "dtype"),
    (np.full((4, 4), 7, np.uint8), "{0, 1} or {0, 255}"),
    (np.full((4, 4), -1, np.int32), "{0, 1} or {0, 255}"),
])
def test_invalid_masks_name_the_parameter(bad, message):
    with pytest.raises(ValueError, match="'prediction'") as info:
        dice_score(np.zeros(bad.shape[-2:], bool) if bad.ndim == 2 else np.zeros((4, 4), bool),
                   bad)
    assert message in str(info.value)


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="same shape"):
        dice_score(np.zeros((4, 4), bool), np.zeros((4, 5), bool))


@pytest.mark.parametrize("spacing", [0, -1, (1, 2, 3), float("nan")])
def test_invalid_spacing_is_rejected(spacing):
    a = disk((10, 10), (5, 5), 3)
    with pytest.raises(ValueError, match="'spacing'"):
        hausdorff95_distance(a, a, spacing=spacing)


def _blobs(rng, shape):
    from scipy import ndimage as ndi

    return ndi.gaussian_filter(rng.random(shape), 2) > 0.5


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.3, 2.0), st.floats(0.3, 2.0))
def test_distances_equal_medpy(seed, sy, sx):
    binary = pytest.importorskip("medpy.metric.binary")
    rng = np.random.default_rng(seed)
    a, b = _blobs(rng, (40, 37)), _blobs(rng, (40, 37))
    if not a.any() or not b.any():
        return
    hd95, assd = surface_distances(a, b, spacing=(sy, sx))
    assert hd95 == pytest.approx(binary.hd95(b, a, voxelspacing=(sy, sx)), rel=1e-9)
    assert assd == pytest.approx(binary.assd(b, a, voxelspacing=(sy, sx)), rel=1e-9)


def test_metric_direction_matches_its_name():
    for metric in METRICS.values():
        suffix = "_score" if metric.higher_is_better else "_distance"
        assert metric.function.__name__.endswith(suffix)
    assert [n for n, m in METRICS.items() if not m.higher_is_better] == ["hd95", "assd"]
    assert metrics.__all__  # the package exports its API
