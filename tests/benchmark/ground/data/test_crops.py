"""The crop around a lesion: the course's context, inside the image, aligned on the grid."""

from pathlib import Path

import numpy as np
import pytest

from benchmark.ground.data.crops import (
    GRID,
    SIDE_PER_EXTENT,
    course_crop,
    cut,
    lesion_window,
    shrink_window,
)
from benchmark.ground.data.dicom import to_byte_scale
from benchmark.ground.data.resample import course_shrink
from tests.benchmark.ground.data.synthetic import ellipse

LARGE_SAMPLE = Path(__file__).resolve().parents[5] / "shared" / "data" / "course_large_sample"


@pytest.fixture(scope="module")
def course_large_sample():
    if not LARGE_SAMPLE.is_dir():
        pytest.skip("../shared/data/course_large_sample is not beside this checkout")
    from benchmark.ground.data import load_dataset

    return load_dataset(LARGE_SAMPLE)


def test_the_margin_is_the_course_crops_median_context(course_large_sample):
    ratios = []
    for case in course_large_sample:
        rows, cols = np.nonzero(case.mask)
        ratios.append(case.shape[0] / max(np.ptp(rows) + 1, np.ptp(cols) + 1))
    assert np.median(ratios) == pytest.approx(SIDE_PER_EXTENT, abs=0.05)


@pytest.mark.parametrize("extent, factor", [(10, 1), (17, 1), (34, 2), (135, 8), (400, 24)])
def test_the_window_is_about_7_35_extents_on_a_124f_plus_1_side(extent, factor):
    mask = np.zeros((8000, 8000), bool)
    mask[4000:4000 + extent, 3000:3000 + extent // 2] = True
    window = lesion_window(mask)
    assert window.factor == factor and window.side == (GRID - 1) * factor + 1
    if extent * SIDE_PER_EXTENT > GRID:  # a smaller lesion keeps the 125 px minimum
        assert window.side / extent == pytest.approx(SIDE_PER_EXTENT, rel=0.5 / factor)
    centre = window.top + (window.side - 1) / 2
    assert abs(centre - (4000 + (extent - 1) / 2)) <= 0.5  # centred where it fits


def test_a_lesion_at_the_border_sits_off_centre_inside_the_image():
    mask = np.zeros((3000, 2000), bool)
    mask[10:145, 1900:1990] = True  # extent 135: a 993 px window
    window = lesion_window(mask)
    assert (window.top, window.left) == (0, 2000 - 993)


def test_a_window_larger_than_the_image_is_padded_black():
    values = np.full((200, 100), 50.0)
    mask = ellipse(values.shape, (100, 50), (40, 30))
    window = lesion_window(mask)
    assert window.side > 200
    crop = cut(values, window, fill=-1.0)
    assert (crop == -1).sum() == window.side**2 - values.size


def test_the_grid_mask_lies_on_the_bright_lesion():
    values = np.full((1500, 1200), 100.0)
    lesion = ellipse(values.shape, (500, 800), (60, 35))
    values[lesion] = 900.0
    image, mask, window = course_crop(values, lesion, (0.0, 1000.0))
    assert image.dtype == np.uint8 and image.shape == mask.shape == (GRID, GRID)
    assert image[mask].mean() > 200 and image[~mask].mean() < 40
    assert mask.sum() == pytest.approx(lesion.sum() / window.factor**2, rel=0.1)


@pytest.mark.parametrize("centre", [(300, 200), (20, 20), (590, 395)])
def test_the_fast_window_shrink_equals_cutting_then_shrinking(rng, centre):
    values = rng.random((600, 400)) * 1000
    lesion = ellipse(values.shape, centre, (30, 22))
    window = lesion_window(lesion)
    expected = course_shrink(to_byte_scale(cut(values, window), (0, 1000)), window.factor)
    got = shrink_window(values, window, scale=lambda v: to_byte_scale(v, (0, 1000)))
    np.testing.assert_allclose(got, expected, atol=1e-9)
    support = (slice(centre[0] - 30, centre[0] + 31), slice(centre[1] - 22, centre[1] + 23))
    np.testing.assert_allclose(shrink_window(lesion, window, support=support),
                               course_shrink(cut(lesion.astype(float), window), window.factor),
                               atol=1e-12)
