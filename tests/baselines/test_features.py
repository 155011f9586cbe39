"""Mass features on analytic shapes, and the transformer's conventions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baselines.features import (
    FEATURE_GROUPS,
    FEATURE_NAMES,
    MassFeatures,
    group_features,
    shape_features,
)
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


def test_shape_and_intensity_groups_partition_the_features():
    shape, intensity = set(FEATURE_GROUPS["shape"]), set(FEATURE_GROUPS["intensity"])
    assert not shape & intensity
    assert shape | intensity == set(FEATURE_NAMES) == set(FEATURE_GROUPS["all"])
    for members in FEATURE_GROUPS.values():  # each group in the table's column order
        assert list(members) == [n for n in FEATURE_NAMES if n in members]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), radius=st.integers(4, 12))
def test_shape_group_reads_the_mask_alone_and_intensity_the_grey_levels(seed, radius):
    """Another image under the same mask changes no shape feature; a brighter mass changes
    every intensity-group feature that reads grey levels (not the texture's scale-free ones)."""
    rng = np.random.default_rng(seed)
    mask = disk((40, 40), (20, 21), radius) | disk((40, 40), (20 + radius, 21), radius // 2)
    first, second = rng.random((2, 40, 40))
    a, b = (dict(zip(FEATURE_NAMES, MassFeatures().fit_transform([(image, mask)])[0],
                     strict=True)) for image in (first, second + 0.5 * mask))
    for name in FEATURE_GROUPS["shape"]:
        assert a[name] == b[name], name
    for name in ("intensity_mean", "margin_mean", "glcm_contrast"):
        assert name in FEATURE_GROUPS["intensity"] and a[name] != b[name], name


def test_group_features_keeps_a_tables_own_columns_and_order():
    columns = ["case", "glcm_ASM", "area", "intensity_mean", "label"]
    assert group_features("shape", columns) == ["area"]
    assert group_features("intensity", columns) == ["glcm_ASM", "intensity_mean"]
    assert group_features("all", columns) == ["glcm_ASM", "area", "intensity_mean"]
    assert group_features("shape") == list(FEATURE_GROUPS["shape"])
    with pytest.raises(ValueError, match="'group' parameter .* Got 'texture'"):
        group_features("texture")
