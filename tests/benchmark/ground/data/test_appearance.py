"""The appearance statistics, on images whose answer is known."""

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage as ndi

from benchmark.ground.data._tissue import power_law_field
from benchmark.ground.data.appearance import (
    STATISTICS,
    appearance_table,
    area_fraction,
    centroid_offset,
    cnr,
    compare_appearance,
    dark_fraction,
    equivalent_diameter,
    image_maximum,
    lesion_contrast,
    lesion_level,
    local_contrast,
    mask_components,
    noise_level,
    spectrum_beta,
)
from benchmark.ground.data.records import Case, Dataset
from tests.conftest import disk


@pytest.mark.parametrize("beta", [2.0, 3.0, 3.5])
def test_spectrum_beta_recovers_the_exponent_of_power_law_noise(beta):
    fits = [spectrum_beta(power_law_field(np.random.default_rng(seed), 128, beta))
            for seed in range(6)]
    assert np.median(fits) == pytest.approx(beta, abs=0.3)


def test_spectrum_beta_does_not_depend_on_brightness_or_gain():
    field = power_law_field(np.random.default_rng(1), 96, 3.0)
    assert spectrum_beta(0.3 * field + 0.5) == pytest.approx(spectrum_beta(field), abs=1e-9)


def test_lesion_contrast_counts_the_darker_background_beyond_the_margin():
    image = np.linspace(0, 1, 40 * 40).reshape(40, 40)
    mask = disk((40, 40), (20, 20), 4)
    image[mask] = 0.5
    near = disk((40, 40), (20, 20), 7) & ~mask  # within the 3 px gap: not background
    image[near] = 0.99
    background = image[~disk((40, 40), (20, 20), 7)]
    assert lesion_contrast(image, mask) == pytest.approx((background < 0.5).mean(), abs=0.01)
    image[~mask] = 0.1
    assert lesion_contrast(image, mask) == 1.0
    image[~mask] = 0.9
    assert lesion_contrast(image, mask) == 0.0


@pytest.mark.parametrize("radius", [3, 8, 20])
def test_area_fraction_and_equivalent_diameter_of_a_disk(radius):
    mask = disk((100, 100), (50, 50), radius)
    assert area_fraction(mask) == pytest.approx(np.pi * radius**2 / 100**2, rel=0.08)
    assert equivalent_diameter(mask) == pytest.approx(2 * radius, rel=0.04)


@pytest.mark.parametrize("shift", [(0, 0), (0, 20), (-15, 0), (12, -9)])
def test_centroid_offset_of_an_offset_disk_is_its_shift_over_the_side(shift):
    centre = (49.5 + shift[0], 49.5 + shift[1])  # the crop's centre is (49.5, 49.5)
    mask = disk((100, 100), centre, 6.3)
    assert centroid_offset(mask) == pytest.approx(np.hypot(*shift) / 100, abs=1e-9)


def test_centroid_offset_of_an_empty_mask_is_nan():
    assert np.isnan(centroid_offset(np.zeros((8, 8), dtype=bool)))


def test_local_contrast_and_cnr_of_a_disk_on_a_known_background():
    mask = disk((80, 80), (40, 40), 8)
    image = np.full((80, 80), 0.3)
    image[mask] = 0.5
    gap = ndi.binary_dilation(mask, iterations=2) & ~mask  # 2 steps beyond: left out
    image[gap] = 0.9
    assert local_contrast(image, mask) == pytest.approx((0.5 - 0.3) / 0.9)
    rng = np.random.default_rng(0)
    noisy = np.where(mask, 0.5, 0.3 + rng.normal(0, 0.05, mask.shape))
    assert cnr(noisy, mask) == pytest.approx(0.2 / 0.05, rel=0.1)
    assert local_contrast(noisy, mask) == pytest.approx(0.2 / noisy.max(), rel=0.02)


def test_local_contrast_is_negative_for_a_darker_lesion_and_gain_free():
    mask = disk((60, 60), (30, 30), 5)
    image = np.where(mask, 0.2, 0.6)
    assert local_contrast(image, mask) == pytest.approx(-0.4 / 0.6)
    assert local_contrast(0.5 * image, mask) == pytest.approx(local_contrast(image, mask))


def test_lesion_level_image_maximum_and_dark_fraction():
    image = np.full((50, 50), 0.4)
    image[:, :10] = 0.01  # air: a fifth of the crop
    mask = disk((50, 50), (25, 30), 5)
    image[mask] = 0.6
    image[0, 49] = 0.8
    assert image_maximum(image) == 0.8
    assert lesion_level(image, mask) == pytest.approx(0.75)
    assert dark_fraction(image) == pytest.approx(0.2)


def test_noise_level_grows_with_the_noise_and_ignores_a_smooth_ramp():
    rng = np.random.default_rng(3)
    ramp = np.add.outer(np.linspace(0.3, 0.6, 64), np.linspace(0, 0.1, 64))
    levels = [noise_level(ramp + rng.normal(0, sd, ramp.shape)) for sd in (0.0, 0.005, 0.02)]
    assert levels[0] < 1e-3 < levels[1] < levels[2]
    assert levels[2] / levels[1] == pytest.approx(4, rel=0.15)


def test_mask_components_join_only_pixels_that_share_an_edge():
    two = disk((40, 40), (10, 10), 4) | disk((40, 40), (28, 28), 5)
    assert mask_components(two) == 2
    assert mask_components(np.eye(5, dtype=bool)) == 5
    assert mask_components(disk((40, 40), (20, 20), 6)) == 1


def _dataset(radii, name="d"):
    cases = []
    for k, radius in enumerate(radii):
        mask = disk((64, 64), (31.5, 31.5), radius)
        image = np.where(mask, 0.6, 0.3) + np.random.default_rng(k).normal(0, 0.02, (64, 64))
        cases.append(Case(f"{k:04d}x_1_2", np.clip(image, 0, 1), mask, 0, f"{k:04d}"))
    return Dataset(name, tuple(cases))


def test_appearance_table_has_one_row_per_case_and_every_statistic():
    table = appearance_table(_dataset([3, 5, 7]))
    assert list(table.columns) == ["case", "label", "patient", *STATISTICS]
    assert len(table) == 3 and table["components"].eq(1).all()
    np.testing.assert_allclose(table["equivalent_diameter"], [6, 10, 14], rtol=0.08)
    np.testing.assert_allclose(table["centroid_offset"], 0, atol=1e-9)


def test_compare_appearance_puts_medians_and_tails_side_by_side():
    small, large = appearance_table(_dataset([3, 4, 5, 6, 7])), _dataset([6, 8, 10, 12, 14])
    out = compare_appearance(small, large, names=("small", "large"))
    assert {"small", "large", "median_ratio"} <= set(out.columns.get_level_values(0))
    assert out.loc["equivalent_diameter", ("small", "median")] == pytest.approx(
        np.median(small["equivalent_diameter"]))
    assert out.loc["equivalent_diameter", "median_ratio"].item() == pytest.approx(2, rel=0.1)
    assert out.loc["multiple_components", ("large", "mean")] == 0.0
    p95 = out.loc["area_fraction", ("small", "p95")]
    assert p95 == pytest.approx(pd.Series(small["area_fraction"]).quantile(0.95))
