"""Cross-validation splits: stratified by label, grouped by patient, written once per run.

Each of the K folds holds a test part; the rest is split again into train and validation,
also stratified and grouped. Every case is in exactly one test part, and no patient is in
two parts of one fold or in two test parts. :func:`subsample_training` keeps a share of the
patients of every training part (the learning-curve study); the cases it leaves out are
listed as the fold's ``unused`` part, so the parts still partition the dataset.
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from benchmark.ground.data.records import Dataset
from benchmark.ground.errors import InputError, ParameterError
from benchmark.ground.store import read_json, write_json

DEFAULT_FOLDS = 5
#: What a number of folds must be (the command line says it in the same words).
FOLDS_EXPECTED = "an integer >= 2"
DEFAULT_SEED = 12345
#: Share of each fold's training part set aside for validation (early stopping, tuning).
VALIDATION_FRACTION = 0.2


def _strata(labels) -> np.ndarray:
    """Labels as strata; unlabelled cases form a stratum of their own."""
    return np.array([-1 if y is None else int(y) for y in labels])


def make_splits(dataset: Dataset, *, n_folds: int = DEFAULT_FOLDS,
                seed: int = DEFAULT_SEED) -> dict:
    """Build the split of a dataset.

    Parameters
    ----------
    dataset : Dataset
        The cases to split.
    n_folds : int, default 5
        Number of folds K (at least 2, at most the number of patients).
    seed : int, default 12345
        Seed of the shuffling; the same seed and dataset give the same split.

    Returns
    -------
    dict
        ``{"fingerprint", "seed", "n_folds", "folds": [{"fold", "train", "val", "test"}]}``
        with sorted case ids; the layout of ``splits.json``.

    Raises
    ------
    ParameterError
        If ``n_folds`` is not an int >= 2 or exceeds the number of patients.

    Examples
    --------
    >>> from benchmark.ground.data import make_phantom
    >>> splits = make_splits(make_phantom(20, size=32), n_folds=2)
    >>> [len(fold["test"]) for fold in splits["folds"]]
    [10, 10]
    """
    check_n_folds(n_folds)
    ids = np.array(dataset.ids)
    groups = np.array([c.patient for c in dataset])
    strata = _strata(c.label for c in dataset)
    n_patients = len(set(groups.tolist()))
    if n_patients < n_folds:
        raise ParameterError("n_folds", "make_splits", "at most the number of patients (and "
                             f"at least 2) of dataset {dataset.name!r} ({n_patients})",
                             n_folds)
    folds = []
    with warnings.catch_warnings():
        # small classes cannot be spread evenly over the folds; the split is still valid
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        parts = list(grouped_folds(n_folds, strata, groups, seed))
        parts = [(*_train_val(train, strata, groups, seed + k + 1), test)
                 for k, (train, test) in enumerate(parts)]
    for k, (train_idx, val_idx, test_idx) in enumerate(parts):
        folds.append({
            "fold": k,
            "train": sorted(ids[train_idx].tolist()),
            "val": sorted(ids[val_idx].tolist()),
            "test": sorted(ids[test_idx].tolist()),
        })
    return {"fingerprint": dataset.fingerprint, "seed": int(seed), "n_folds": int(n_folds),
            "folds": folds}


def check_n_folds(n_folds) -> None:
    """Raise :class:`ParameterError` unless ``n_folds`` is an int >= 2."""
    if not isinstance(n_folds, int | np.integer) or isinstance(n_folds, bool) or n_folds < 2:
        raise ParameterError("n_folds", "make_splits", FOLDS_EXPECTED, n_folds)


def _train_val(index: np.ndarray, strata: np.ndarray, groups: np.ndarray, seed: int):
    """Split a training part into train and validation by patient, stratified."""
    n_inner = max(2, round(1 / VALIDATION_FRACTION))
    if len(set(groups[index].tolist())) < n_inner:
        n_inner = len(set(groups[index].tolist()))
    if n_inner < 2:
        return index, index[:0]
    fit_idx, val_idx = next(grouped_folds(n_inner, strata[index], groups[index], seed))
    return index[fit_idx], index[val_idx]


def grouped_folds(n_splits: int, strata: np.ndarray, groups: np.ndarray, seed: int):
    """Stratified, grouped (train, test) index arrays of ``n_splits`` folds.

    When every class has fewer members than folds, scikit-learn refuses to stratify; the
    folds are then made on the groups alone (still grouped, no longer stratified).
    """
    if np.bincount(strata - strata.min()).max() < n_splits:
        strata = np.zeros_like(strata)
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return splitter.split(np.zeros(len(strata)), strata, groups)


def subsample_training(splits: dict, dataset: Dataset, fraction: float, *,
                       seed: int = DEFAULT_SEED) -> dict:
    """The split with each fold's train and validation parts cut to a share of their patients.

    The patients of each part are put in a seeded random order within each label (a patient's
    label: its first labelled case's; unlabelled patients form a stratum of their own) and
    the first ``ceil(fraction * n)`` of each stratum are kept, at least one. The order does
    not depend on ``fraction``, so the part kept at a smaller fraction is a subset of the
    part kept at a larger one (nested training sets); test parts are unchanged.

    Parameters
    ----------
    splits : dict
        A split of ``dataset`` (:func:`make_splits`).
    dataset : Dataset
    fraction : float in (0, 1]
    seed : int, default 12345

    Returns
    -------
    dict
        The split, with ``train_fraction`` and, per fold, the ``unused`` cases.

    Examples
    --------
    >>> from benchmark.ground.data import make_phantom
    >>> data = make_phantom(40, size=32)
    >>> splits = make_splits(data, n_folds=2)
    >>> half = subsample_training(splits, data, 0.5)
    >>> quarter = subsample_training(splits, data, 0.25)
    >>> set(quarter["folds"][0]["train"]) <= set(half["folds"][0]["train"])
    True
    >>> half["folds"][0]["test"] == splits["folds"][0]["test"]
    True
    """
    if not isinstance(fraction, int | float) or not 0 < fraction <= 1:
        raise ParameterError("fraction", "subsample_training", "a number in (0, 1]", fraction)
    patient = {c.id: c.patient for c in dataset}
    label = {}
    for case in dataset:
        if label.get(case.patient) is None:
            label[case.patient] = case.label
    folds = []
    for fold in splits["folds"]:
        kept, unused = {}, list(fold.get("unused", []))
        for part in ("train", "val"):
            patients = sorted({patient[i] for i in fold[part]})
            rng = np.random.default_rng([seed, fold["fold"], 0 if part == "train" else 1])
            order = [patients[k] for k in rng.permutation(len(patients))]
            keep = set()
            for stratum in dict.fromkeys(_strata(label[p] for p in order)):
                members = [p for p in order if _strata([label[p]])[0] == stratum]
                keep.update(members[:max(1, math.ceil(fraction * len(members)))])
            kept[part] = sorted(i for i in fold[part] if patient[i] in keep)
            unused += [i for i in fold[part] if patient[i] not in keep]
        folds.append({"fold": fold["fold"], **kept, "test": list(fold["test"]),
                      "unused": sorted(unused)})
    return {**splits, "train_fraction": float(fraction), "folds": folds}


def check_splits(splits: dict, dataset: Dataset) -> None:
    """Raise ``ValueError`` unless ``splits`` is a valid split of ``dataset``.

    Checks the fingerprint, that every case is in exactly one test part, that each fold's
    parts (train, val, test and, in a subsampled split, unused) partition the dataset, and
    that no patient crosses parts of a fold.
    """
    if splits.get("fingerprint") != dataset.fingerprint:
        raise ValueError(f"splits were made for dataset {splits.get('fingerprint')}, "
                         f"not {dataset.fingerprint}")
    all_ids = set(dataset.ids)
    tested = [i for fold in splits["folds"] for i in fold["test"]]
    if sorted(tested) != sorted(all_ids):
        raise ValueError("every case must be in exactly one test part")
    patient = {c.id: c.patient for c in dataset}
    for fold in splits["folds"]:
        parts = [set(fold.get(p, ())) for p in ("train", "val", "test", "unused")]
        if sum(map(len, parts)) != len(all_ids) or set().union(*parts) != all_ids:
            raise ValueError(f"fold {fold['fold']}: train, val and test must partition the cases")
        owners = [{patient[i] for i in part} for part in parts[:3]]
        if owners[0] & owners[1] or owners[0] & owners[2] or owners[1] & owners[2]:
            raise ValueError(f"fold {fold['fold']}: a patient is in two parts")


def write_splits(splits: dict, path: str | os.PathLike) -> None:
    """Write ``splits.json`` atomically."""
    write_json(path, splits)


def read_splits(path: str | os.PathLike) -> dict:
    """Read ``splits.json``; a malformed file is an :class:`InputError` naming it."""
    try:
        splits = read_json(path)
        _ = [(f["fold"], f["train"], f["val"], f["test"]) for f in splits["folds"]]
        _ = splits["fingerprint"], splits["seed"], splits["n_folds"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"not a valid splits file ({type(exc).__name__}: {exc})", path) from None
    return splits
