"""MATLAB semantics used by the course port, against independent references."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from baselines.matlab import first_max_column_major, graythresh, matlab_round, stdfilt


def test_round_halves_away_from_zero():
    assert matlab_round([0.5, 1.5, 2.5, -0.5, -2.5, 2.4]).tolist() == [1, 2, 3, -1, -3, 2]


def test_first_max_is_column_major():
    values = np.array([[0, 5], [5, 0]])
    assert first_max_column_major(values) == (1, 0)  # row-major argmax would give (0, 1)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(5, 12), st.integers(5, 12)),
              elements=st.floats(0, 1)))
def test_stdfilt_is_sample_std_of_symmetric_padded_window(image):
    padded = np.pad(image, 2, mode="symmetric")
    expected = np.array([[padded[r : r + 5, c : c + 5].std(ddof=1)
                          for c in range(image.shape[1])] for r in range(image.shape[0])])
    np.testing.assert_allclose(stdfilt(image, 5), expected, atol=1e-7)


def _brute_force_otsu_level(image):
    """Otsu by exhaustive search over the 256 levels of round(255 * image)."""
    levels = np.floor(np.clip(image, 0, 1) * 255 + 0.5).astype(int).ravel()
    best, argbest = -1.0, []
    for t in range(255):
        low, high = levels[levels <= t], levels[levels > t]
        if low.size == 0 or high.size == 0:
            continue
        w0, w1 = low.size / levels.size, high.size / levels.size
        between = w0 * w1 * (low.mean() - high.mean()) ** 2
        if between > best + 1e-12:
            best, argbest = between, [t]
        elif abs(between - best) <= 1e-12:
            argbest.append(t)
    return np.mean(argbest) / 255


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_graythresh_equals_exhaustive_otsu(seed):
    rng = np.random.default_rng(seed)
    image = np.concatenate([rng.normal(rng.uniform(0.1, 0.4), 0.05, 300),
                            rng.normal(rng.uniform(0.5, 0.9), 0.08, 200)])
    assert graythresh(image) == pytest.approx(_brute_force_otsu_level(image), abs=1e-9)


def test_graythresh_of_a_sum_of_masks_binarises_to_the_union():
    # the course binarises the sum of refinement masks: every count >= 1 lies above the level
    counts = np.zeros((20, 20))
    counts[2:8, 2:8] = 1
    counts[5:15, 5:15] += 7
    assert np.array_equal(counts > graythresh(counts), counts >= 1)
