"""Split invariants: every case tested once, patients never cross parts, stratification."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.ground.data import Case, Dataset
from benchmark.ground.errors import InputError, ParameterError
from benchmark.ground.splits import (
    check_splits,
    make_splits,
    read_splits,
    subsample_training,
    write_splits,
)


def _dataset(n_patients, views, labels, seed=0):
    rng = np.random.default_rng(seed)
    cases = []
    for p in range(n_patients):
        for v in range(views[p]):
            cases.append(Case(f"{p:04d}_{v}", rng.random((4, 4)), np.eye(4, dtype=bool),
                              labels[p], f"{p:04d}"))
    return Dataset("toy", tuple(cases))


@settings(max_examples=30, deadline=None)
@given(st.integers(10, 40), st.integers(2, 5), st.integers(0, 10**6), st.data())
def test_split_invariants(n_patients, n_folds, seed, data):
    views = data.draw(st.lists(st.integers(1, 3), min_size=n_patients, max_size=n_patients))
    labels = data.draw(st.lists(st.sampled_from([0, 1, None]), min_size=n_patients,
                                max_size=n_patients))
    ds = _dataset(n_patients, views, labels)
    splits = make_splits(ds, n_folds=n_folds, seed=seed)
    check_splits(splits, ds)  # raises on any violated invariant
    assert splits["n_folds"] == n_folds and len(splits["folds"]) == n_folds
    tested = {}
    for fold in splits["folds"]:
        for part in ("train", "val", "test"):
            assert fold[part] == sorted(fold[part])
        for i in fold["test"]:
            tested.setdefault(ds[i].patient, set()).add(fold["fold"])
    assert all(len(f) == 1 for f in tested.values())  # no patient in two test folds


def test_split_is_stratified_and_reproducible(small_phantom):
    from benchmark.ground.data import make_phantom

    ds = make_phantom(180, seed=0, size=32)
    splits = make_splits(ds)
    assert splits == make_splits(ds)
    assert splits != make_splits(ds, seed=1)
    overall = np.mean([c.label for c in ds])
    for fold in splits["folds"]:
        share = np.mean([ds[i].label for i in fold["test"]])
        assert abs(share - overall) < 0.1
        assert 0.1 < len(fold["val"]) / (len(fold["train"]) + len(fold["val"])) < 0.3


def test_check_splits_catches_a_patient_crossing_parts(small_phantom):
    splits = make_splits(small_phantom, n_folds=3)
    fold = splits["folds"][0]
    moved = fold["test"].pop()
    fold["train"].append(moved)
    with pytest.raises(ValueError):
        check_splits(splits, small_phantom)


def test_more_folds_than_patients_names_the_parameter():
    ds = _dataset(3, [1, 1, 1], [0, 1, 0])
    with pytest.raises(ParameterError, match=r"'n_folds' parameter of make_splits must be at "
                       r"most the number of patients .* \(3\)\. Got 5") as info:
        make_splits(ds)
    assert info.value.parameter == "n_folds"


@pytest.mark.parametrize("n_folds", [1, 0, 2.0, True])
def test_fold_counts_below_two_or_not_ints_are_refused(n_folds, small_phantom):
    with pytest.raises(ParameterError, match="'n_folds'"):
        make_splits(small_phantom, n_folds=n_folds)


def test_splits_file_round_trip_and_bad_file(small_phantom, tmp_path):
    splits = make_splits(small_phantom, n_folds=3)
    write_splits(splits, tmp_path / "splits.json")
    assert read_splits(tmp_path / "splits.json") == splits
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(InputError, match="bad.json"):
        read_splits(tmp_path / "bad.json")


def test_tiny_classes_fall_back_to_grouped_split():
    # every class of a training part smaller than the inner folds: scikit-learn would refuse
    ds = _dataset(10, [1] * 10, [0] * 9 + [1])
    check_splits(make_splits(ds, n_folds=5), ds)


@settings(max_examples=25, deadline=None)
@given(st.integers(12, 40), st.integers(0, 10**6), st.data())
def test_subsampled_training_sets_are_nested_grouped_and_keep_the_test_parts(n_patients, seed,
                                                                            data):
    views = data.draw(st.lists(st.integers(1, 2), min_size=n_patients, max_size=n_patients))
    labels = data.draw(st.lists(st.sampled_from([0, 1, None]), min_size=n_patients,
                                max_size=n_patients))
    ds = _dataset(n_patients, views, labels)
    full = make_splits(ds, n_folds=2, seed=seed)
    fractions = (0.1, 0.25, 0.5, 1.0)
    parts = [subsample_training(full, ds, f, seed=seed) for f in fractions]
    for smaller, larger in zip(parts, parts[1:], strict=False):
        for a, b in zip(smaller["folds"], larger["folds"], strict=True):
            assert set(a["train"]) <= set(b["train"]) and set(a["val"]) <= set(b["val"])
    for sub, fraction in zip(parts, fractions, strict=True):
        check_splits(sub, ds)  # train, val, test and unused still partition the cases
        assert sub["train_fraction"] == fraction
        for fold, whole in zip(sub["folds"], full["folds"], strict=True):
            assert fold["test"] == whole["test"]
            patients = {ds[i].patient for i in fold["train"]}
            # whole patients only: every view of a kept patient is kept
            assert {i for i in whole["train"] if ds[i].patient in patients} == \
                set(fold["train"])
            # every label of the full training part keeps at least one patient
            assert {ds[i].label for i in fold["train"]} == {ds[i].label for i in whole["train"]}
    assert [f["train"] for f in parts[-1]["folds"]] == [f["train"] for f in full["folds"]]


def test_subsampled_share_is_the_ceiling_per_label():
    ds = _dataset(40, [1] * 40, [0] * 20 + [1] * 20)
    full = make_splits(ds, n_folds=2)
    sub = subsample_training(full, ds, 0.25)
    for fold, whole in zip(sub["folds"], full["folds"], strict=True):
        for label in (0, 1):
            n = sum(ds[i].label == label for i in whole["train"])
            kept = sum(ds[i].label == label for i in fold["train"])
            assert kept == int(np.ceil(0.25 * n))


@pytest.mark.parametrize("fraction", [0, 1.5, -0.1, "half"])
def test_subsample_training_refuses_a_share_outside_0_1(fraction, small_phantom):
    with pytest.raises(ParameterError, match="fraction"):
        subsample_training(make_splits(small_phantom, n_folds=2), small_phantom, fraction)
