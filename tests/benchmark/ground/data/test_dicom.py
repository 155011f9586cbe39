"""DICOM values scaled honestly: modality LUT, MONOCHROME1 inverted, one window per image."""

import sys

import numpy as np
import pytest

from benchmark.ground.data import dicom
from benchmark.ground.errors import InputError
from tests.benchmark.ground.data.synthetic import write_dicom

pytest.importorskip("pydicom")


def test_monochrome1_is_inverted_so_that_bright_means_dense(tmp_path):
    pixels = np.array([[0, 1000], [3000, 4000]], dtype=np.uint16)
    two = dicom.read_mammogram(write_dicom(tmp_path / "a.dcm", pixels))
    one = dicom.read_mammogram(write_dicom(tmp_path / "b.dcm", pixels,
                                           photometric="MONOCHROME1"))
    np.testing.assert_array_equal(two, pixels)
    np.testing.assert_array_equal(one, 4000 - pixels)


def test_the_modality_lut_is_applied(tmp_path):
    import pydicom

    path = write_dicom(tmp_path / "a.dcm", np.array([[0, 10]], dtype=np.uint16))
    ds = pydicom.dcmread(path)
    ds.RescaleSlope, ds.RescaleIntercept = 2, -5
    ds.save_as(path)
    np.testing.assert_array_equal(dicom.read_mammogram(path), [[-5, 15]])


def test_one_window_per_full_image_ignores_a_hot_pixel():
    rng = np.random.default_rng(0)
    values = rng.normal(1000, 50, (400, 300))
    values[0, 0] = 65535
    lo, hi = dicom.full_image_window(values, stride=1)
    assert hi < 1400 and lo > 600
    scaled = dicom.to_byte_scale(values, (lo, hi))
    assert scaled.min() == 0 and scaled.max() == 255 and 100 < np.median(scaled) < 155


def test_a_missing_pydicom_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pydicom", None)
    with pytest.raises(InputError, match=r"massbench\[dicom\]"):
        dicom.read_stored(tmp_path / "x.dcm")


def test_a_file_that_is_not_dicom_is_named(tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"not a dicom file at all")
    with pytest.raises(InputError, match="bad.dcm"):
        dicom.read_stored(bad)
