"""Region growing: piecewise-constant images, agreement with skimage's flood, the Otsu floor."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi
from skimage.segmentation import flood

from baselines import _kernels
from baselines.region_growing import OtsuThreshold, RegionGrowing, region_growing


def _pieces(rng, shape, n_levels):
    labels = rng.integers(0, n_levels, (shape[0] // 4 + 1, shape[1] // 4 + 1))
    return np.kron(labels, np.ones((4, 4)))[: shape[0], : shape[1]] / n_levels


@pytest.mark.parametrize("connectivity", [4, 8])
def test_piecewise_constant_region_is_recovered_exactly(connectivity, rng):
    image = _pieces(rng, (40, 44), 5)
    seed = (17, 21)
    got = region_growing(image, seed, tolerance=0.01, connectivity=connectivity)
    structure = ndi.generate_binary_structure(2, 1 if connectivity == 4 else 2)
    labels, _ = ndi.label(image == image[seed], structure=structure)
    np.testing.assert_array_equal(got, labels == labels[seed])
    adaptive = region_growing(image, seed, tolerance=0.01, adaptive=True, spread=0.0,
                              connectivity=connectivity)
    np.testing.assert_array_equal(adaptive, got)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.5), st.sampled_from([4, 8]),
       st.integers(8, 60), st.integers(8, 60))
def test_fixed_band_equals_skimage_flood(seed, tolerance, connectivity, h, w):
    rng = np.random.default_rng(seed)
    image = ndi.gaussian_filter(rng.random((h, w)), 2)
    point = (int(rng.integers(h)), int(rng.integers(w)))
    expected = flood(image, point, tolerance=tolerance, connectivity=1 if connectivity == 4
                     else 2)
    np.testing.assert_array_equal(
        region_growing(image, point, tolerance=tolerance, connectivity=connectivity), expected)


def test_span_kernel_restricted_to_allowed_pixels_equals_flood_component(rng):
    image = ndi.gaussian_filter(rng.random((70, 90)), 3)
    allowed = np.zeros(image.shape, bool)
    allowed[10:60, 5:80] = True
    for connectivity in (4, 8):
        got = np.zeros(image.shape, bool)
        _kernels.flood_spans(image, allowed, True, 30, 40, 0.05, connectivity, got)
        band = np.abs(image - image[30, 40]) <= 0.05
        structure = ndi.generate_binary_structure(2, connectivity // 4)
        labels, _ = ndi.label(band & allowed, structure)
        np.testing.assert_array_equal(got, labels == labels[30, 40])


def test_region_stays_inside_allowed_pixels():
    image = np.zeros((20, 20))
    allowed = np.zeros((20, 20), bool)
    allowed[5:10, 5:10] = True
    assert region_growing(image, (7, 7), tolerance=0.1, allowed=allowed).sum() == 25
    assert not region_growing(image, (0, 0), tolerance=0.1, allowed=allowed).any()


@pytest.mark.parametrize("kwargs, name", [({"tolerance": -1}, "tolerance"),
                                          ({"tolerance": 0.1, "connectivity": 6},
                                           "connectivity")])
def test_invalid_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        region_growing(np.zeros((5, 5)), (2, 2), **kwargs)


def test_tuning_records_the_chosen_values(small_phantom):
    from benchmark.ground.roi import draw_roi

    cases = small_phantom.cases[:10]
    images = [c.image for c in cases]
    masks = [c.mask for c in cases]
    rois = [draw_roi(m, seed=0, case_id="test") for m in masks]
    model = RegionGrowing().fit(images, masks, rois=rois)
    assert set(model.tuned_params_) == {"tolerance", "smoothing"}
    assert len(model.tuning_results_) == 15
    best = max(r["mean_dice"] for r in model.tuning_results_)
    assert best > 0.5


def test_otsu_floor_is_the_component_under_the_seed():
    image = np.zeros((30, 30))
    image[5:12, 5:12] = 1.0
    image[18:26, 18:26] = 1.0
    image[20:23, 20:23] = 0.0  # a hole, filled in the result
    mask = OtsuThreshold().predict([image], rois=[(16, 28, 16, 28)])[0]
    expected = np.zeros((30, 30), bool)
    expected[18:26, 18:26] = True
    np.testing.assert_array_equal(mask, expected)
