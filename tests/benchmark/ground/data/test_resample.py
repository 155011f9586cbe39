"""The course's shrink, computed fast, against the plain MATLAB pair it stands for."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.ground.data.resample import box_smooth, course_shrink, imresize


@settings(max_examples=40, deadline=None)
@given(factor=st.sampled_from([1, 2, 4, 5, 8]), rows=st.integers(8, 90),
       cols=st.integers(8, 90), seed=st.integers(0, 2**16))
def test_course_shrink_equals_box_smooth_then_imresize(factor, rows, cols, seed):
    image = np.random.default_rng(seed).random((rows, cols)) * 255
    expected = imresize(box_smooth(image, size=factor), 1.0 / factor)
    np.testing.assert_allclose(course_shrink(image, factor), expected, atol=1e-9)


@pytest.mark.parametrize("factor", [1, 3, 7, 8, 20])
def test_a_window_of_124f_plus_1_pixels_lands_on_the_course_grid(factor):
    assert course_shrink(np.ones((124 * factor + 1, 124 * factor + 1)), factor).shape == (
        125, 125)


def test_a_bad_factor_is_named():
    with pytest.raises(ValueError, match="'factor' parameter of course_shrink"):
        course_shrink(np.ones((9, 9)), 0)
