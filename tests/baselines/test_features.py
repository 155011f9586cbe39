"""Mass features on analytic shapes, and the transformer's conventions."""

import numpy as np
import pytest

from baselines.features import FEATURE_NAMES, MassFeatures, shape_features
from tests.conftest import disk


def _ellipse(shape, centre, a, b):
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    return ((rows - centre[0]) / a) ** 2 + ((cols - centre[1]) / b) ** 2 <= 1


@pytest.mark.parametrize("radius", [15, 30, 60])
def test_disk_area_perimeter_compactness(radius):
    f = shape_features(disk((2 * radius + 20,) * 2, (radius + 10,) * 2, radius))
    assert f["area"] == pytest.approx(np.pi * radius**2, rel=0.02)
    assert f["perimeter"] == pytest.approx(2 * np.pi * radius, rel=0.08)  # stated tolerance
    assert 1.0 <= f["compactness"] <= 1.2
    assert f["nrl_mean"] > 0.95 and f["nrl_std"] < 0.03
    assert f["variation_mean"] < 0.03
    assert f["major_axis"] == pytest.approx(2 * radius, rel=0.03)
    assert f["convexity"] == pytest.approx(1.0, abs=0.03)


def test_ellipse_axes_and_area():
    f = shape_features(_ellipse((120, 160), (60, 80), 20, 50))
    assert f["area"] == pytest.approx(np.pi * 20 * 50, rel=0.02)
    assert f["major_axis"] == pytest.approx(100, rel=0.03)
    assert f["minor_axis"] == pytest.approx(40, rel=0.03)
    assert f["nrl_std"] > 0.1  # the radial length varies around an ellipse
    assert f["zero_crossings"] == 4  # twice above, twice below the mean radius


def test_star_is_less_compact_and_convex_than_disk():
    rows, cols = np.mgrid[:120, :120]
    theta = np.arctan2(rows - 60, cols - 60)
    star = np.hypot(rows - 60, cols - 60) <= 30 * (1 + 0.35 * np.cos(7 * theta))
    d, s = shape_features(disk((120, 120), (60, 60), 30)), shape_features(star)
    assert s["compactness"] > d["compactness"] + 0.3
    assert s["convexity"] < d["convexity"] - 0.1
    assert s["zero_crossings"] == 14
    assert s["radial_entropy"] > d["radial_entropy"]


def test_intensity_features_of_a_known_patch():
    mask = disk((50, 50), (25, 25), 10)
    image = np.where(mask, 0.8, 0.2)
    x = MassFeatures().fit_transform([(image, mask)])[0]
    values = dict(zip(FEATURE_NAMES, x, strict=True))
    assert values["intensity_mean"] == pytest.approx(0.8)
    assert values["intensity_std"] == pytest.approx(0.0)
    assert 0.2 < values["margin_mean"] < 0.8


def test_empty_mask_gives_nan_features_and_names_match_columns():
    transformer = MassFeatures().fit(None)
    x = transformer.transform([(np.zeros((20, 20)), np.zeros((20, 20), bool))])
    assert x.shape == (1, len(transformer.get_feature_names_out())) == (1, 24)
    assert np.isnan(x).all()
    assert MassFeatures(texture=False).fit_transform(
        [(np.zeros((20, 20)), disk((20, 20), (10, 10), 5))]).shape == (1, 18)


def test_mismatched_pair_is_rejected():
    with pytest.raises(ValueError, match="mask of its shape"):
        MassFeatures().fit_transform([(np.zeros((5, 5)), np.zeros((4, 5), bool))])
