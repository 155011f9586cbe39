"""Benign / malignant classifiers on feature tables: SVM (RBF, linear) and random forest.

Each classifier is a pipeline (median imputation for features of empty masks, scaling for the
SVMs) whose hyper-parameters are chosen by an inner, patient-grouped, stratified 3-fold
cross-validation on the training part only (``GridSearchCV`` scored by ROC AUC). The outer
evaluation is a stratified, patient-grouped K-fold cross-validation, repeated over seeds.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from benchmark.ground.splits import grouped_folds

#: name -> (pipeline, hyper-parameter grid)
CLASSIFIERS = {
    "svm_rbf": (
        make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(),
                      SVC(kernel="rbf")),
        {"svc__C": [0.1, 1.0, 10.0], "svc__gamma": ["scale", 0.01, 0.1]},
    ),
    "svm_linear": (
        make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(),
                      SVC(kernel="linear")),
        {"svc__C": [0.01, 0.1, 1.0, 10.0]},
    ),
    "random_forest": (
        make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                      RandomForestClassifier(n_estimators=200, n_jobs=1, random_state=0)),
        {"randomforestclassifier__max_depth": [None, 4, 8],
         "randomforestclassifier__min_samples_leaf": [1, 3]},
    ),
}


def decision_scores(model, x):
    """Continuous scores for ROC analysis and the threshold that makes them a decision.

    Returns
    -------
    scores : ndarray
        The decision function (SVMs, threshold 0) or the malignant probability (forest,
        threshold 0.5).
    threshold : float
    """
    if hasattr(model, "decision_function"):
        return model.decision_function(x), 0.0
    return model.predict_proba(x)[:, 1], 0.5


def fit_classifier(name: str, x: np.ndarray, y: np.ndarray, groups=None, *, seed: int = 0,
                   tune: bool = True):
    """Tune a classifier by inner grouped, stratified 3-fold CV on (x, y) and refit it.

    Parameters
    ----------
    name : str
        A key of :data:`CLASSIFIERS`.
    x : (n_samples, n_features) ndarray
    y : (n_samples,) ndarray of {0, 1}
    groups : (n_samples,) array_like, optional
        Patients; the inner folds never split a patient.
    seed : int, default 0
    tune : bool, default True
        When False, fit the pipeline with its default hyper-parameters (no inner search;
        the diagnosis stage does this for the random forest, whose search costs 18 fits).

    Returns
    -------
    GridSearchCV or Pipeline
        Fitted; a search holds the chosen hyper-parameters in ``best_params_``.
    """
    if name not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {name!r}; valid: {', '.join(CLASSIFIERS)}")
    pipeline, grid = CLASSIFIERS[name]
    if not tune:
        return clone(pipeline).fit(x, y)
    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    n_inner = int(min(3, np.bincount(y).min(), len(set(groups.tolist()))))
    if n_inner < 2:
        raise ValueError("each class needs at least two cases in the training part")
    inner = StratifiedGroupKFold(n_splits=n_inner, shuffle=True, random_state=seed)
    search = GridSearchCV(clone(pipeline), grid, scoring="roc_auc", cv=inner, n_jobs=1,
                          error_score=np.nan)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        search.fit(x, y, groups=groups)
    return search


def evaluate_fold(name: str, x_train, y_train, groups, x_test, y_test, *, seed: int,
                  tune: bool = True):
    """Fit one classifier on a training part and score its test part.

    Returns
    -------
    row : dict
        ``roc_auc`` (NaN when the test part holds one class), ``sensitivity``,
        ``specificity`` at the classifier's own threshold.
    scores : ndarray
        The test cases' continuous scores.
    predicted : ndarray of bool
        The test cases' malignant decisions.
    """
    model = fit_classifier(name, x_train, y_train, groups, seed=seed, tune=tune)
    scores, threshold = decision_scores(model, x_test)
    predicted = scores > threshold if threshold == 0.0 else scores >= threshold
    positives, negatives = y_test == 1, y_test == 0
    row = {"roc_auc": roc_auc_score(y_test, scores) if len(set(y_test)) == 2 else np.nan,
           "sensitivity": predicted[positives].mean() if positives.any() else np.nan,
           "specificity": (~predicted[negatives]).mean() if negatives.any() else np.nan}
    return row, scores, predicted


def _outer_fold(names, x, y, groups, train, test, *, seed: int, repeat: int, fold: int):
    """Every classifier on one outer fold: result rows and ROC curves."""
    rows, curves = [], []
    for name in names:
        row, scores, _ = evaluate_fold(name, x[train], y[train], groups[train], x[test],
                                       y[test], seed=seed + repeat)
        rows.append({"classifier": name, "repeat": repeat, "fold": fold, **row})
        if len(set(y[test])) == 2:
            fpr, tpr, _ = roc_curve(y[test], scores)
            curves.append({"classifier": name, "repeat": repeat, "fold": fold,
                           "fpr": fpr, "tpr": tpr})
    return rows, curves


def cross_validate(x: np.ndarray, y: np.ndarray, groups=None, *, n_folds: int = 5,
                   repeats: int = 5, seed: int = 12345, classifiers=None, n_jobs: int = 1):
    """Repeated, stratified, patient-grouped cross-validation of every classifier.

    Parameters
    ----------
    x : (n_samples, n_features) ndarray
    y : (n_samples,) ndarray of {0, 1}
    groups : array_like, optional
        Patients (default: every sample its own patient).
    n_folds : int, default 5
    repeats : int, default 5
        Repetitions with seeds ``seed, seed + 1, ...``.
    seed : int, default 12345
    classifiers : list of str, optional
        Default: every key of :data:`CLASSIFIERS`.
    n_jobs : int, default 1
        Outer folds run in this many joblib processes (-1: one per core); the results do
        not depend on it.

    Returns
    -------
    results : pandas.DataFrame
        Columns ``classifier, repeat, fold, roc_auc, sensitivity, specificity``.
    curves : list of dict
        Per (classifier, repeat, fold): ``fpr`` and ``tpr`` arrays of the ROC curve.
    """
    y = np.asarray(y).astype(int)
    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    names = list(CLASSIFIERS) if classifiers is None else list(classifiers)
    tasks = [(repeat, fold, train, test) for repeat in range(repeats)
             for fold, (train, test) in enumerate(grouped_folds(n_folds, y, groups,
                                                                seed + repeat))]
    outcomes = Parallel(n_jobs=n_jobs)(
        delayed(_outer_fold)(names, x, y, groups, train, test, seed=seed, repeat=repeat,
                             fold=fold) for repeat, fold, train, test in tasks)
    rows = [row for fold_rows, _ in outcomes for row in fold_rows]
    curves = [curve for _, fold_curves in outcomes for curve in fold_curves]
    return pd.DataFrame(rows), curves
