"""The phantom: determinism, labels, patients, exact masks, class overlap, appearance."""

import hashlib
import os

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage.filters import threshold_otsu

from benchmark.ground.data import make_phantom, write_course_folder
from benchmark.ground.data.phantom import PHANTOM_VERSION, PhantomConfig, _lesion


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


def test_a_written_phantom_loads_with_its_generator_version(tmp_path):
    from benchmark.ground.data import load_dataset

    ds = make_phantom(4, seed=2, size=48)
    write_course_folder(ds, tmp_path, PhantomConfig(4, 2, 48))
    loaded = load_dataset(tmp_path)
    assert loaded.generator == ds.generator == f"massbench phantom {PHANTOM_VERSION}"
    assert PHANTOM_VERSION == "2.0" and loaded.fingerprint == ds.fingerprint
    assert loaded.reference == "exact"


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


@pytest.fixture(scope="module")
def default_phantom():
    return make_phantom()


def _property_table(n=1500):
    """Class-dependent properties of many lesions drawn as the phantom draws them."""
    rows = {0: [], 1: []}
    for label in (0, 1):
        for k in range(n):
            lesion = _lesion(np.random.default_rng([99, label, k]), bool(label))
            rows[label].append({
                "irregularity": float(np.std(np.r_[lesion.a, lesion.b])),
                "spicules": lesion.spicule_angles.size, "blur": lesion.margin_blur,
                "elongation": 1 - lesion.aspect, "size": lesion.radius,
                "contrast": lesion.contrast})
    return rows


def test_every_class_dependent_property_overlaps_between_the_classes():
    from sklearn.metrics import roc_auc_score

    rows = _property_table()
    y = np.r_[np.zeros(len(rows[0])), np.ones(len(rows[1]))]
    for name in rows[0][0]:
        values = np.r_[[r[name] for r in rows[0]], [r[name] for r in rows[1]]]
        auc = roc_auc_score(y, values)
        assert 0.55 < auc < 0.85, (name, auc)  # depends on the class, never decides it
    spiculated = {label: np.mean([r["spicules"] > 0 for r in rows[label]]) for label in rows}
    assert 0.1 < spiculated[0] < spiculated[1] < 0.8  # some benign spiculated, many malignant not


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
                    reason="backend-independent; runs in the tensorflow environment")
def test_reference_features_separate_the_classes_as_clinical_ones_do(default_phantom):
    """About as well as the course's real feature table (0.75-0.8), never one feature alone."""
    from sklearn.metrics import roc_auc_score

    from baselines.classifiers import cross_validate
    from baselines.features import MassFeatures

    ds = default_phantom
    x = MassFeatures().fit_transform([(c.image, c.mask) for c in ds])
    y = np.array([c.label for c in ds])
    single = [roc_auc_score(y, column) for column in x.T]
    assert max(max(a, 1 - a) for a in single) < 0.85
    results, _ = cross_validate(x, y, np.array([c.patient for c in ds]), repeats=1,
                                classifiers=["svm_rbf"])
    assert 0.72 <= results["roc_auc"].mean() <= 0.85


def test_appearance_is_within_the_real_crops_range(default_phantom):
    from benchmark.ground.data.appearance import area_fraction, lesion_contrast, spectrum_beta

    beta = [spectrum_beta(c.image) for c in default_phantom]
    contrast = [lesion_contrast(c.image, c.mask) for c in default_phantom]
    area = [area_fraction(c.mask) for c in default_phantom]
    assert 3.3 <= np.median(beta) <= 3.5  # the course's preprocessed crops: 3.29-3.52
    assert np.median(contrast) >= 0.99  # real: 0.992-1.000, the mass the brightest structure
    assert np.percentile(area, 5) < 0.059 and np.percentile(area, 95) > 0.105  # real range


def test_malignant_masses_are_less_regular_on_average_yet_the_classes_overlap(default_phantom):
    from skimage.measure import regionprops

    solidity = {0: [], 1: []}
    for case in default_phantom:
        solidity[case.label].append(regionprops(case.mask.astype(np.uint8))[0].solidity)
    assert np.median(solidity[1]) < np.median(solidity[0])
    assert np.mean(np.array(solidity[0]) < np.median(solidity[1])) > 0.1  # irregular benign
    assert np.mean(np.array(solidity[1]) > np.median(solidity[0])) > 0.1  # round malignant


def test_global_otsu_is_far_from_solving_it(default_phantom):
    dice = []
    for case in default_phantom:
        pred = case.image > threshold_otsu(case.image)
        dice.append(2 * (pred & case.mask).sum() / (pred.sum() + case.mask.sum()))
    assert np.mean(dice) < 0.5


@pytest.mark.parametrize("kwargs, name", [({"size": 8}, "size"), ({"seed": -1}, "seed"),
                                          ({"difficulty": 2.0}, "difficulty")])
def test_invalid_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        make_phantom(4, **kwargs)
