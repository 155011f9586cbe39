"""The appearance statistics, on images whose answer is known."""

import numpy as np
import pytest

from benchmark.ground.data.appearance import area_fraction, lesion_contrast, spectrum_beta
from benchmark.ground.data.phantom import _power_law_field
from tests.conftest import disk


@pytest.mark.parametrize("beta", [2.0, 3.0, 3.5])
def test_spectrum_beta_recovers_the_exponent_of_power_law_noise(beta):
    fits = [spectrum_beta(_power_law_field(np.random.default_rng(seed), 128, beta))
            for seed in range(6)]
    assert np.median(fits) == pytest.approx(beta, abs=0.3)


def test_spectrum_beta_does_not_depend_on_brightness_or_gain():
    field = _power_law_field(np.random.default_rng(1), 96, 3.0)
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


def test_area_fraction_of_a_disk():
    mask = disk((100, 100), (50, 50), 20)
    assert area_fraction(mask) == pytest.approx(np.pi * 20**2 / 100**2, rel=0.02)
