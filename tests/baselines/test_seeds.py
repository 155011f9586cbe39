"""Seeds and the component a seed picks: the course's rule, the automatic seed, components."""

import numpy as np
import pytest
from scipy import ndimage as ndi

from baselines.seeds import auto_seed, course_seed, seed_component
from tests.conftest import disk


def test_seed_is_brightest_pixel_unless_far_from_centre():
    image = np.zeros((50, 50))
    image[22, 27] = 1.0
    assert course_seed(image, (10, 40, 10, 40)) == (22, 27)
    image[11, 11] = 2.0  # brighter, but beyond 4/5 of the half-size from the centre
    assert course_seed(image, (10, 40, 10, 40)) == (25, 25)


def test_auto_seed_finds_a_bright_blob_near_the_centre():
    image = 0.2 + 0.6 * disk((64, 64), (30, 36), 8)
    row, col = auto_seed(image)
    assert (row - 30) ** 2 + (col - 36) ** 2 <= 4


def _two_blobs():
    mask = np.zeros((20, 20), bool)
    mask[2:8, 2:8] = True
    mask[4:6, 4:6] = False  # a hole
    mask[12:18, 12:18] = True
    return mask


def test_seed_component_keeps_the_component_under_the_seed_and_fills_it():
    mask = _two_blobs()
    got = seed_component(mask, (2, 2))
    assert got[4, 4] and not got[14, 14] and got.sum() == 36


def test_seed_component_outside_every_component_is_empty_unless_nearest():
    mask = _two_blobs()
    assert not seed_component(mask, (10, 0)).any()
    nearest = seed_component(mask, (10, 0), nearest=True)
    assert nearest[3, 3] and not nearest[14, 14]
    assert not seed_component(np.zeros((5, 5), bool), (2, 2), nearest=True).any()


def test_fill_before_labelling_keeps_a_seed_that_lies_in_a_hole():
    mask = _two_blobs()
    assert not seed_component(mask, (4, 4), fill="after").any()
    assert seed_component(mask, (4, 4), fill="before").sum() == 36
    assert seed_component(mask, (2, 2), fill=None).sum() == 32


@pytest.mark.parametrize("connectivity, expected", [(4, 1), (8, 4)])
def test_connectivity_decides_whether_diagonal_pixels_join(connectivity, expected):
    mask = np.eye(4, dtype=bool)
    assert seed_component(mask, (0, 0), connectivity=connectivity, fill=None).sum() == expected


@pytest.mark.parametrize("kwargs, name", [({"connectivity": 6}, "connectivity"),
                                          ({"fill": "befor"}, "fill")])
def test_seed_component_names_a_bad_option(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter of seed_component"):
        seed_component(np.ones((3, 3), bool), (1, 1), **kwargs)


def test_seed_component_agrees_with_scipy_labels(rng):
    for _ in range(20):
        mask = ndi.binary_opening(rng.random((24, 24)) > 0.55)
        seed = tuple(rng.integers(0, 24, 2))
        labels, _ = ndi.label(mask)
        expected = labels == labels[seed] if labels[seed] else np.zeros_like(mask)
        np.testing.assert_array_equal(seed_component(mask, seed, fill=None), expected)
