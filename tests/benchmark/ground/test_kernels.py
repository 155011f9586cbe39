"""The Numba kernels against their NumPy / SciPy twins on random inputs."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from benchmark.ground.metrics import _kernels
from tests import naive

masks = st.integers(1, 6).flatmap(
    lambda n: st.tuples(st.integers(1, 24), st.integers(1, 24)).flatmap(
        lambda hw: st.tuples(arrays(bool, (n, *hw)), arrays(bool, (n, *hw)))
    )
)


@settings(max_examples=150, deadline=None)
@given(masks)
def test_byte_overlap_counts_match_numpy(pair):
    a, b = pair
    n = a.shape[0]
    out = np.empty((n, 3), np.int64)
    _kernels.overlap_counts_bytes(a.reshape(n, -1).view(np.uint8),
                                  b.reshape(n, -1).view(np.uint8), out)
    np.testing.assert_array_equal(out, naive.overlap_counts(a, b))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.integers(1, 70), st.floats(0, 1), st.integers(0, 2**32 - 1))
def test_word_overlap_counts_match_numpy_across_block_edges(n, words, density, seed):
    # lengths up to 70 * 8 * 8 pixels cross the 255-word accumulator blocks
    rng = np.random.default_rng(seed)
    shape = (n, 8, 8 * words * 8)
    a, b = rng.random(shape) < density, rng.random(shape) < density
    out = np.empty((n, 3), np.int64)
    _kernels.overlap_counts_words(a.reshape(n, -1).view(np.uint64),
                                  b.reshape(n, -1).view(np.uint64), out)
    np.testing.assert_array_equal(out, naive.overlap_counts(a, b))


def test_word_counts_of_all_ones_do_not_overflow_lanes():
    a = np.ones((2, 512, 512), bool)
    out = np.empty((2, 3), np.int64)
    _kernels.overlap_counts_words(a.reshape(2, -1).view(np.uint64),
                                  a.reshape(2, -1).view(np.uint64), out)
    assert out.tolist() == [[512 * 512] * 3] * 2


@settings(max_examples=100, deadline=None)
@given(arrays(bool, st.tuples(st.integers(1, 20), st.integers(1, 20))))
def test_surface_points_match_scipy_erosion(mask):
    points = _kernels.surface_points(mask, 0, mask.shape[0], 0, mask.shape[1])
    expected = np.argwhere(naive.surface(mask))
    np.testing.assert_array_equal(points, expected)


@settings(max_examples=100, deadline=None)
@given(arrays(bool, st.tuples(st.integers(1, 25), st.integers(1, 25))),
       st.floats(0.2, 3.0), st.floats(0.2, 3.0))
def test_squared_edt_matches_scipy(features, sy, sx):
    points = np.argwhere(features)
    if points.size == 0:
        return
    h, w = features.shape
    got = _kernels.squared_edt_to_points(points, 0, 0, h, w, sy, sx)
    np.testing.assert_allclose(got, naive.squared_edt_to_points(points, (h, w), (sy, sx)),
                               rtol=1e-9, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(arrays(bool, (2, 14, 17)), st.floats(0.3, 2.5), st.floats(0.3, 2.5))
def test_surface_distance_stats_match_scipy_twin(pair, sy, sx):
    a, b = pair[:1], pair[1:]
    if not a.any() or not b.any():
        return
    out = np.full((1, 2), np.nan)
    _kernels.surface_distance_stats(a, b, sy, sx, out)
    hd95, assd = naive.hd95_assd(a[0], b[0], (sy, sx))
    np.testing.assert_allclose(out[0], [hd95, assd], rtol=1e-9, atol=1e-12)


def test_distance_transform_path_equals_brute_force_path(rng):
    # large noisy masks take the distance-transform branch; compare with the SciPy twin
    a = rng.random((1, 90, 80)) < 0.3
    b = rng.random((1, 90, 80)) < 0.3
    out = np.full((1, 2), np.nan)
    _kernels.surface_distance_stats(a, b, 1.0, 1.0, out)
    np.testing.assert_allclose(out[0], naive.hd95_assd(a[0], b[0]), rtol=1e-9)
