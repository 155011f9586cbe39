"""The phantom: determinism, labels, patients, exact masks, non-triviality."""

import hashlib

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage.filters import threshold_otsu

from benchmark.ground.data import make_phantom, write_course_folder
from benchmark.ground.data.phantom import PHANTOM_VERSION, PhantomConfig


def _digest(folder):
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def test_same_seed_gives_byte_identical_files(tmp_path):
    for name in ("a", "b"):
        ds = make_phantom(6, seed=11, size=48)
        write_course_folder(ds, tmp_path / name, PhantomConfig(6, 11, 48))
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert len(list((tmp_path / "a").iterdir())) == 13


def test_different_seeds_differ(small_phantom):
    assert make_phantom(24, seed=4, size=64).fingerprint != small_phantom.fingerprint


def test_prefix_of_a_larger_phantom_is_the_smaller_phantom(small_phantom):
    larger = make_phantom(30, seed=3, size=64)
    for case in small_phantom.cases[:-1]:  # the last patient may lose its second view
        np.testing.assert_array_equal(larger[case.id].image, case.image)


def test_labels_patients_and_views():
    ds = make_phantom(180, seed=0, size=32)
    labels = np.array([c.label for c in ds])
    assert 0.3 <= labels.mean() <= 0.5
    patients = {}
    for case in ds:
        patients.setdefault(case.patient, []).append(case)
        assert case.id[:4] == case.patient
        assert case.id.endswith("_1" if case.label else "_2")
        assert case.source == f"phantom:{PHANTOM_VERSION}"
    views = [len(v) for v in patients.values()]
    assert set(views) == {1, 2} and views.count(2) > 30
    for cases in patients.values():
        assert len({c.label for c in cases}) == 1  # the views show the same lesion


def test_images_are_8_bit_levels_in_unit_range_and_masks_are_one_blob(small_phantom):
    for case in small_phantom:
        assert case.image.dtype == np.float32 and case.image.max() == 1.0
        levels = case.image.astype(np.float64) * 255
        np.testing.assert_allclose(levels, np.round(levels), atol=1e-4)
        _, n_components = ndi.label(case.mask)
        assert n_components == 1
        assert 0.01 < case.mask.mean() < 0.3


def test_masses_are_brighter_than_their_surroundings(small_phantom):
    for case in small_phantom:
        ring = ndi.binary_dilation(case.mask, iterations=6) & ~case.mask
        assert case.image[case.mask].mean() > case.image[ring].mean()


def test_malignant_masses_are_less_regular_than_benign():
    ds = make_phantom(60, seed=5, size=128)

    def solidity(mask):
        from skimage.measure import regionprops

        return regionprops(mask.astype(np.uint8))[0].solidity

    benign = [solidity(c.mask) for c in ds if c.label == 0]
    malignant = [solidity(c.mask) for c in ds if c.label == 1]
    assert np.mean(malignant) < np.mean(benign) - 0.03


def test_global_otsu_is_far_from_solving_it():
    ds = make_phantom(40, seed=0, size=128)
    dice = []
    for case in ds:
        pred = case.image > threshold_otsu(case.image)
        dice.append(2 * (pred & case.mask).sum() / (pred.sum() + case.mask.sum()))
    assert np.mean(dice) < 0.6


@pytest.mark.parametrize("kwargs, name", [({"size": 8}, "size"), ({"seed": -1}, "seed"),
                                          ({"difficulty": 2.0}, "difficulty")])
def test_invalid_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        make_phantom(4, **kwargs)
