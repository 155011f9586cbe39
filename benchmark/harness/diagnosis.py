"""The diagnosis stage: from masks to a benign / malignant decision, on the run's own folds.

For every mask source (the reference masks, then every method's predicted masks) the mass
features of :class:`baselines.features.MassFeatures` are classified by an RBF SVM (tuned by an
inner grouped 3-fold search) and a random forest (default settings unless the profile tunes
it; its inner folds still give the threshold), fold by fold: trained on the fold's training
part (train + validation), scored on its test part. A method's features come from its own
out-of-fold masks: every case's mask was predicted by the model of the fold that held the
case out, as a deployed pipeline would segment every case before classifying it. The
segmentation models never see a label, so no label leaks; what the classifier sees is how
each method's masks carry the shape and intensity signs of malignancy.

What the segmentation adds: the SVM also classifies each feature group apart
(:data:`baselines.features.FEATURE_GROUPS`: ``shape`` reads the mask alone, ``intensity`` the
grey levels inside and around it), column ``features`` of ``classification.csv`` (``shape``,
``intensity``, ``all``); the forest classifies all features only (:data:`CLASSIFIER_GROUPS`:
its trees are most of the stage's time). ``prior_disk``'s fixed disk is always a source (the
stage makes its masks, fold by fold, when the run has not got it): its shape features are
nearly constant, so what it scores comes from the intensity inside the disk, the yardstick
of a method's masks.

Sensitivity and specificity are taken at a threshold chosen on each fold's training part only
(Youden's J on the inner cross-validation's out-of-fold scores, recorded per fold in
``classification.csv``), never at the SVM's own 0, which can call every case benign.

A mask source whose features (of a group) are missing for more than half of its cases
(:data:`baselines.classifiers.MAX_MISSING_SHARE`; a method that predicts empty masks) or are
the same for every case (or for every test case of a fold: ``prior_disk``'s shape) is not
classified: its rows carry NaN results and the reason in ``note``, e.g. "features missing
for 40 of 40 cases (empty masks)", and it has no test-case scores.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from baselines.classifiers import (
    constant_features_reason,
    evaluate_fold,
    inner_folds,
    missing_features_reason,
)
from baselines.features import FEATURE_GROUPS, MassFeatures, group_features
from baselines.registry import make_segmenter
from benchmark.ground import store

#: The classifiers of the diagnosis stage.
DIAGNOSIS_CLASSIFIERS = ("svm_rbf", "random_forest")
#: Classifier -> the feature groups it classifies. The tuned SVM takes each group apart (what
#: a mask's outline tells, what the grey levels it covers tell, both); the forest all
#: features only: its trees are most of the stage's time, and three groups would triple it.
CLASSIFIER_GROUPS = {"svm_rbf": tuple(FEATURE_GROUPS), "random_forest": ("all",)}
#: The mask source every diagnosis has beside the reference masks: a fixed disk.
ANCHOR_SOURCE = "prior_disk"
CLASSIFICATION_COLUMNS = ["mask_source", "features", "classifier", "fold", "n_train", "n_test",
                          "roc_auc", "sensitivity", "specificity", "threshold", "note"]
SCORE_COLUMNS = ["mask_source", "features", "classifier", "fold", "case", "label", "score",
                 "predicted"]


def reference_features(dataset) -> pd.DataFrame:
    """Mass features of every case's reference mask (a ``case`` column first)."""
    features = MassFeatures().fit_transform([(c.image, c.mask) for c in dataset])
    table = pd.DataFrame(features, columns=MassFeatures().get_feature_names_out())
    table.insert(0, "case", dataset.ids)
    return table


def skip_reason(dataset) -> str | None:
    """Why the stage cannot run on this dataset, or None when it can."""
    labels = [c.label for c in dataset if c.label is not None]
    if len(labels) < len(dataset):
        return "some cases have no benign / malignant label"
    if min(labels.count(0), labels.count(1)) < 4:
        return "fewer than four cases of a class"
    return None


def classify_sources(sources: dict[str, pd.DataFrame], dataset, splits: dict, *, seed: int,
                     tune_forest: bool = False,
                     n_jobs: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Classify every mask source on every fold.

    Parameters
    ----------
    sources : dict of str to DataFrame
        Mask source name -> feature table with a ``case`` column covering every case; the
        other columns are its features (``all``); those named in
        :data:`baselines.features.FEATURE_GROUPS` form the ``shape`` and ``intensity``
        groups.
    dataset : Dataset
    splits : dict
        The run's split (``splits.json``).
    seed : int
    tune_forest : bool, default False
    n_jobs : int, default 1
        Worker processes (joblib), one mask source per task; the tables are the same for
        any number.

    Returns
    -------
    results : DataFrame
        ``classification.csv``: one row per (mask source, fold, feature group, classifier)
        (:data:`CLASSIFIER_GROUPS`), with the fold's Youden threshold; a source (or group)
        that is not classified has NaN results and the reason in ``note``.
    scores : DataFrame
        ``classification_scores.csv``: the score of every test case, for ROC curves.
    """
    label = {c.id: c.label for c in dataset}
    patient = {c.id: c.patient for c in dataset}
    options = {"seed": seed, "tune_forest": tune_forest}
    if n_jobs != 1 and len(sources) > 1:  # one source per task, results in source order
        parts = Parallel(n_jobs=n_jobs)(
            delayed(_classify_source)(source, table, label, patient, splits, **options)
            for source, table in sources.items())
    else:
        parts = [_classify_source(source, table, label, patient, splits, **options)
                 for source, table in sources.items()]
    rows = [row for part_rows, _ in parts for row in part_rows]
    score_rows = [row for _, part_scores in parts for row in part_scores]
    return (pd.DataFrame(rows, columns=CLASSIFICATION_COLUMNS),
            pd.DataFrame(score_rows, columns=SCORE_COLUMNS))


def _classify_source(source: str, table: pd.DataFrame, label: dict, patient: dict,
                     splits: dict, *, seed: int, tune_forest: bool) -> tuple[list, list]:
    """The classification rows and test-case scores of one mask source, every fold."""
    rows, score_rows = [], []
    table = table.set_index("case")
    plan = feature_plan(table.loc[list(label)])
    for fold in splits["folds"]:
        train_ids = fold["train"] + fold["val"]
        test_ids = fold["test"]
        y_train = np.array([label[i] for i in train_ids], dtype=int)
        y_test = np.array([label[i] for i in test_ids], dtype=int)
        groups = np.array([patient[i] for i in train_ids])
        inner = None  # the inner folds, made once for every group and classifier
        for group, columns, reason in plan:
            x_train = table.loc[train_ids, columns].to_numpy(float)
            x_test = table.loc[test_ids, columns].to_numpy(float)
            if reason is None and constant_features_reason(x_test) is not None:
                # one mask for every test case (a disk learned on the training part): the
                # scores would all tie, and the AUC be 0.5 whatever the classifier learned
                reason = f"{group} features the same for every test case of a fold"
            for name in (n for n in DIAGNOSIS_CLASSIFIERS if group in CLASSIFIER_GROUPS[n]):
                common = {"mask_source": source, "features": group, "classifier": name,
                          "fold": fold["fold"], "n_train": len(train_ids),
                          "n_test": len(test_ids)}
                if reason is not None:
                    rows.append(common | {"note": reason})
                    continue
                if inner is None:
                    inner = inner_folds(y_train, groups, seed=seed + fold["fold"])
                row, scores, predicted = evaluate_fold(
                    name, x_train, y_train, groups, x_test, y_test, seed=seed + fold["fold"],
                    tune=tune_forest or name != "random_forest", splits=inner)
                rows.append(common | row)
                score_rows.extend(
                    {"mask_source": source, "features": group, "classifier": name,
                     "fold": fold["fold"], "case": case, "label": int(y), "score": float(s),
                     "predicted": bool(p)}
                    for case, y, s, p in zip(test_ids, y_test, scores, predicted, strict=True))
    return rows, score_rows


def feature_plan(table: pd.DataFrame) -> list[tuple[str, list[str], str | None]]:
    """(group, its columns, why it is not classified or None) of a source's feature table.

    ``all`` is every column; ``shape`` and ``intensity`` the columns of
    :data:`baselines.features.FEATURE_GROUPS` the table has (a group without any is left
    out). A group is not classified when its features are missing for most cases or are the
    same for every case.
    """
    plan = []
    for group in FEATURE_GROUPS:
        columns = list(table.columns) if group == "all" else group_features(group, table.columns)
        if not columns:
            continue
        x = table[columns].to_numpy(float)
        reason = missing_features_reason(x) or constant_features_reason(x)
        if reason is not None and group != "all":
            reason = f"{group} {reason}"
        plan.append((group, columns, reason))
    return plan


def empty_results() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two tables of a skipped stage: the right columns, no rows."""
    return (pd.DataFrame(columns=CLASSIFICATION_COLUMNS),
            pd.DataFrame(columns=SCORE_COLUMNS))


def method_features(run_dir: str | os.PathLike, method: str, splits: dict) -> pd.DataFrame:
    """A method's out-of-fold feature table: every fold's ``features.csv``, fold order.

    A model trained with several seeds (``run --seeds K``) is classified from its first
    seed's masks.
    """
    return pd.concat([pd.read_csv(store.cell_dir(run_dir, method, f["fold"]) /
                                  store.FEATURES_CSV, dtype={"case": str})
                      for f in splits["folds"]], ignore_index=True)


def fixed_disk_features(dataset, splits: dict) -> pd.DataFrame:
    """Out-of-fold features of ``prior_disk``'s masks, made as its run cells would make them.

    Each fold's disk is fitted on the fold's ``train`` part (it reads no pixel: the mean
    centre and size of the training lesions) and drawn on its test cases; the features are
    those of :class:`baselines.features.MassFeatures`, in fold order.
    """
    by_id = {c.id: c for c in dataset}
    tables = []
    for fold in splits["folds"]:
        train = [by_id[i] for i in fold["train"]]
        test = [by_id[i] for i in fold["test"]]
        disk = make_segmenter(ANCHOR_SOURCE).fit([c.image for c in train],
                                                 [c.mask for c in train])
        masks = disk.predict([c.image for c in test])
        features = MassFeatures().fit_transform([(c.image, m) for c, m in
                                                 zip(test, masks, strict=True)])
        table = pd.DataFrame(features, columns=MassFeatures().get_feature_names_out())
        table.insert(0, "case", [c.id for c in test])
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def write_feature_tables(run_dir: str | os.PathLike, sources: dict[str, pd.DataFrame],
                         dataset) -> None:
    """Write ``features_<source>.csv`` (case, label, patient, features) for every source."""
    label = {c.id: c.label for c in dataset}
    patient = {c.id: c.patient for c in dataset}
    for source, table in sources.items():
        table = table.copy()
        table.insert(1, "label", table["case"].map(label).astype("Int64"))
        table.insert(2, "patient", table["case"].map(patient))
        store.write_csv(os.path.join(run_dir, store.features_csv(source)), table)


def run_diagnosis(run_dir: str | os.PathLike, dataset, splits: dict, methods: list[str], *,
                  seed: int, tune_forest: bool = False, progress=None, n_jobs: int = 1) -> dict:
    """The diagnosis stage of a run: classify every mask source, write both tables.

    Writes ``classification.csv`` and ``classification_scores.csv`` into ``run_dir`` (with
    no rows when the dataset cannot be classified), and ``features_<source>.csv`` of every
    source: the reference masks, every method, and :data:`ANCHOR_SOURCE` (made here by
    :func:`fixed_disk_features` when the run has not got it).

    Returns
    -------
    dict
        ``{"skipped": reason or None, "classifiers": [...]}``, recorded in ``run.json``.
    """
    reason = skip_reason(dataset)
    if reason is None:
        if progress is not None:
            progress.message("diagnosis: classifying the mass features of every mask source")
        sources = {"reference": reference_features(dataset)}
        sources |= {m: method_features(run_dir, m, splits) for m in methods}
        if ANCHOR_SOURCE not in sources:
            sources[ANCHOR_SOURCE] = fixed_disk_features(dataset, splits)
        write_feature_tables(run_dir, sources, dataset)
        results, scores = classify_sources(sources, dataset, splits, seed=seed,
                                           tune_forest=tune_forest, n_jobs=n_jobs)
    else:
        if progress is not None:
            progress.message(f"diagnosis skipped: {reason} (no features_<source>.csv "
                             "tables either, so classify has nothing of this run to read)")
        results, scores = empty_results()
    store.write_csv(os.path.join(run_dir, store.CLASSIFICATION_CSV), results)
    store.write_csv(os.path.join(run_dir, store.SCORES_CSV), scores)
    return {"skipped": reason,
            "classifiers": sorted(set(results["classifier"])) if len(results) else []}
