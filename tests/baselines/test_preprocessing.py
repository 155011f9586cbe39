"""The course preprocessing: MATLAB conv2 / imresize semantics and the real crops."""

import numpy as np
import pytest
from scipy.signal import convolve2d

from baselines.preprocessing import box_smooth, course_preprocess, imresize
from benchmark.ground.data.imageio import read_image


def test_box_smooth_is_full_convolution_with_normalised_box(rng):
    image = rng.random((13, 9))
    out = box_smooth(image, size=4)
    assert out.shape == (16, 12)
    np.testing.assert_allclose(out, convolve2d(image, np.ones((4, 4)) / 16))
    assert out[6, 5] == pytest.approx(image[3:7, 2:6].mean())


@pytest.mark.parametrize("scale", [0.125, 0.5, 2.0])
def test_imresize_keeps_constants_and_linear_ramps(scale):
    constant = np.full((40, 24), 3.5)
    np.testing.assert_allclose(imresize(constant, scale), 3.5)
    ramp = np.add.outer(np.arange(64.0), 2 * np.arange(48.0))
    out = imresize(ramp, scale)
    assert out.shape == (int(np.ceil(64 * scale)), int(np.ceil(48 * scale)))

    def centres(n_out, n_in):
        # MATLAB's output-to-input map (0-based) and which outputs see no mirrored border
        u = (np.arange(n_out) + 1) / scale + 0.5 * (1 - 1 / scale) - 1
        half = 2 / scale if scale < 1 else 2
        return u, (u - half >= 0) & (u + half <= n_in - 1)

    rows, row_ok = centres(out.shape[0], 64)
    cols, col_ok = centres(out.shape[1], 48)
    inner = np.ix_(row_ok, col_ok)
    # cubic convolution reproduces linear functions wherever the kernel stays inside
    np.testing.assert_allclose(out[inner], np.add.outer(rows, 2 * cols)[inner], atol=1e-9)
    assert row_ok.sum() >= 2


def test_imresize_mirrors_borders_symmetrically(rng):
    image = rng.random((36, 20))  # sizes divisible by 1 / scale map symmetrically
    np.testing.assert_allclose(imresize(image[::-1, ::-1], 0.25), imresize(image, 0.25)[::-1, ::-1])


def test_course_preprocess_of_real_crops(course_samples):
    for path in course_samples:
        raw, _ = read_image(path)
        out = course_preprocess(raw)
        assert out.shape == (126, 126)
        assert out.max() == pytest.approx(1.0) and out.min() >= -0.05


@pytest.mark.parametrize("kwargs", [{"smooth": 0}, {"scale": 0}, {"scale": 1.5}])
def test_invalid_parameters_are_named(kwargs):
    with pytest.raises(ValueError, match="parameter"):
        course_preprocess(np.ones((16, 16)), **kwargs)
