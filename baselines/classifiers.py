"""Benign / malignant classifiers on feature tables: SVM (RBF, linear) and random forest.

Each classifier is a pipeline (median imputation for features of empty masks, scaling for the
SVMs) whose hyper-parameters are chosen by an inner, patient-grouped, stratified 3-fold
cross-validation on the training part only (mean ROC AUC over the inner folds). The inner
folds' out-of-fold scores of the chosen candidate also give the decision threshold: the one
that maximises Youden's J (sensitivity + specificity - 1) on the training part. The model
refit on the whole training part then scores the test part, which is called malignant at and
above that threshold. The outer evaluation is a stratified, patient-grouped K-fold
cross-validation, repeated over seeds.

The search is cheap by design: the preprocessing steps are fitted once per inner fold for all
candidates, the grids are small, and the inner forests have fewer trees
(:data:`SEARCH_PARAMS`); ``speed/bench_classify.py`` measures it.

References
----------
.. [1] W. J. Youden, "Index for rating diagnostic tests", Cancer 3 (1950) 32,
   doi:10.1002/1097-0142(1950)3:1<32::AID-CNCR2820030106>3.0.CO;2-3.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.stats import rankdata
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import ParameterGrid, StratifiedGroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from benchmark.ground.splits import grouped_folds

#: Trees of the random forest refit on a training part. On phantom tables of 220 and 400
#: masses (5 x 5-fold, speed/bench_classify.py) the forest's mean AUC was 0.790 and 0.800
#: with 100 trees, 20 per inner fit and 2 candidates, against 0.792 and 0.804 with 200 trees
#: everywhere and 6 candidates (fold-to-fold SD 0.08 and 0.05), at a tenth of the CPU time
#: (a forest's time is mostly scikit-learn's per-tree overhead, about 1.7 ms a tree here).
FOREST_TREES = 100

#: Parameters of the inner folds' fits only (a cheaper stand-in of each candidate): forests
#: of fewer trees rank the candidates and give the out-of-fold scores of the threshold (a
#: forest's probability estimate does not depend on its number of trees, only its noise).
SEARCH_PARAMS = {"random_forest": {"randomforestclassifier__n_estimators": 20}}

#: name -> (pipeline, hyper-parameter grid). The grids are small on purpose: on the same
#: tables the former grids (9 RBF, 4 linear and 6 forest candidates) gave mean AUCs within
#: 0.004 of these (RBF 0.790 / 0.814, linear 0.795 / 0.819 then, 0.790 / 0.814 and
#: 0.798 / 0.819 now), at several times the cost; a linear SVM with C = 10 alone fitted 4x
#: slower than with C = 1.
CLASSIFIERS = {
    "svm_rbf": (
        make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(),
                      SVC(kernel="rbf")),
        {"svc__C": [0.1, 1.0, 10.0], "svc__gamma": ["scale", 0.01]},
    ),
    "svm_linear": (
        make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(),
                      SVC(kernel="linear")),
        {"svc__C": [0.01, 0.1, 1.0]},
    ),
    "random_forest": (
        make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                      RandomForestClassifier(n_estimators=FOREST_TREES, n_jobs=1,
                                             random_state=0)),
        {"randomforestclassifier__min_samples_leaf": [1, 5]},
    ),
}

#: A feature table is not classified when more than this share of its rows miss a feature.
MAX_MISSING_SHARE = 0.5

#: Columns of :func:`cross_validate`'s results (``classify``'s ``classification.csv``).
RESULT_COLUMNS = ["classifier", "repeat", "fold", "roc_auc", "sensitivity", "specificity",
                  "threshold"]


@dataclass
class TunedClassifier:
    """A classifier tuned and refit on a training part, with its decision threshold.

    Attributes
    ----------
    estimator_ : Pipeline
        The chosen candidate refit on the whole training part.
    best_params_ : dict
        The chosen hyper-parameters (empty when not tuned).
    best_score_ : float
        Their mean ROC AUC over the inner folds.
    threshold_ : float
        Youden's threshold on the inner out-of-fold scores: a score at or above it is
        called malignant.
    oof_scores_ : (n_samples,) ndarray of float
        The inner out-of-fold scores of the chosen candidate, training-part order (NaN for
        an inner fold whose training part held one class).
    """

    estimator_: Pipeline
    best_params_: dict = field(default_factory=dict)
    best_score_: float = np.nan
    threshold_: float = np.nan
    oof_scores_: np.ndarray = field(default_factory=lambda: np.empty(0))

    def decision_scores(self, x: np.ndarray) -> np.ndarray:
        """Continuous scores of ``x`` (higher: more likely malignant)."""
        return decision_scores(self.estimator_, x)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Malignant (True) or benign decisions at :attr:`threshold_`."""
        return self.decision_scores(x) >= self.threshold_


def decision_scores(model, x: np.ndarray) -> np.ndarray:
    """The decision function (SVMs) or the malignant probability (forest) of ``x``."""
    if hasattr(model, "decision_function"):
        return model.decision_function(x)
    return model.predict_proba(x)[:, 1]


def youden_threshold(y: np.ndarray, scores: np.ndarray) -> float:
    """The threshold that maximises Youden's J = sensitivity + specificity - 1.

    Cases scoring at or above the threshold are called positive. Among the cuts between
    distinct scores that maximise J, the highest is taken (the fewest positive calls), and the
    threshold is placed midway between the lowest score called positive and the highest one
    called negative, so that it does not sit on a training score.

    Parameters
    ----------
    y : (n_samples,) array_like of {0, 1}
    scores : (n_samples,) array_like of float

    Returns
    -------
    float
        NaN when ``y`` holds one class.

    Examples
    --------
    >>> youden_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.9])
    0.65
    """
    y = np.asarray(y).astype(bool)
    scores = np.asarray(scores, dtype=float)
    if y.all() or not y.any():
        return np.nan
    cuts = np.unique(scores)[::-1]  # call positive every score >= cut, highest cut first
    true_pos = (scores[y][None, :] >= cuts[:, None]).sum(axis=1)
    false_pos = (scores[~y][None, :] >= cuts[:, None]).sum(axis=1)
    # J = TP / P - FP / N, compared in integers (P * N * J) so that ties are exact
    best = int(np.argmax(true_pos * int((~y).sum()) - false_pos * int(y.sum())))
    return float(cuts[best] if best + 1 == len(cuts) else (cuts[best] + cuts[best + 1]) / 2)


def missing_features_reason(x: np.ndarray) -> str | None:
    """Why a feature matrix is not classified, or None when it can be.

    A row misses a feature when one of its values is NaN (:mod:`baselines.features` gives NaN
    features for an empty mask); the imputation of the pipelines fills a few such rows, but
    when more than :data:`MAX_MISSING_SHARE` of the rows miss features an AUC would measure
    the imputation, not the masses.

    Parameters
    ----------
    x : (n_samples, n_features) ndarray of float

    Returns
    -------
    str or None
        E.g. ``"features missing for 40 of 40 cases (empty masks)"``.
    """
    x = np.asarray(x, dtype=float)
    missing = np.isnan(x).any(axis=1)
    if missing.sum() <= MAX_MISSING_SHARE * len(x):
        return None
    why = " (empty masks)" if np.isnan(x[missing]).all() else ""
    return f"features missing for {int(missing.sum())} of {len(x)} cases{why}"


def constant_features_reason(x: np.ndarray) -> str | None:
    """Why a feature matrix is not classified because it holds one row value, or None.

    Every column constant over the rows (missing values aside): a fixed mask's shape, say.
    Scores would all tie, and an AUC of 0.5 would say nothing about the masses.

    Parameters
    ----------
    x : (n_samples, n_features) ndarray of float

    Returns
    -------
    str or None
        E.g. ``"features constant over the 40 cases"``.

    Examples
    --------
    >>> constant_features_reason(np.array([[1.0, 2.0], [1.0, 2.0], [1.0, np.nan]]))
    'features constant over the 3 cases'
    >>> constant_features_reason(np.array([[1.0, 2.0], [1.5, 2.0]])) is None
    True
    """
    x = np.asarray(x, dtype=float)
    with warnings.catch_warnings():  # an all-NaN column has no spread either
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nanmax(x, axis=0) - np.nanmin(x, axis=0) if len(x) else np.zeros(0)
    if len(x) and not (spread > 0).any():
        return f"features constant over the {len(x)} cases"
    return None


def inner_folds(y: np.ndarray, groups=None, *, seed: int = 0) -> list:
    """The inner folds of :func:`fit_classifier`: grouped, stratified, at most 3.

    Computed once, they can be given to several fits on the same training part (other
    classifiers, other feature groups): the search of each is then on the same folds, as it
    would be with the same ``seed``.

    Parameters
    ----------
    y : (n_samples,) array_like of {0, 1}
    groups : (n_samples,) array_like, optional
        Patients; a fold never splits a patient.
    seed : int, default 0

    Returns
    -------
    list of (train, test) index arrays

    Raises
    ------
    ValueError
        When a class has fewer than two cases (or there are fewer than two patients).
    """
    y = np.asarray(y).astype(int)
    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    n_inner = int(min(3, np.bincount(y, minlength=2).min(), len(set(groups.tolist()))))
    if n_inner < 2:
        raise ValueError("each class needs at least two cases in the training part")
    inner = StratifiedGroupKFold(n_splits=n_inner, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        return list(inner.split(np.zeros((len(y), 1)), y, groups))


def fit_classifier(name: str, x: np.ndarray, y: np.ndarray, groups=None, *, seed: int = 0,
                   tune: bool = True, splits=None) -> TunedClassifier:
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
        When False, only the pipeline's default hyper-parameters are cross-validated (the
        inner folds still give the threshold).
    splits : list of (train, test) index arrays, optional
        The inner folds, when already made by :func:`inner_folds` for these ``y`` and
        ``groups`` (default: made here from ``seed``).

    Returns
    -------
    TunedClassifier

    Raises
    ------
    ValueError
        For an unknown ``name``, or a class with fewer than two cases.
    """
    if name not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {name!r}; valid: {', '.join(CLASSIFIERS)}")
    y = np.asarray(y).astype(int)
    if splits is None:
        splits = inner_folds(y, groups, seed=seed)
    pipeline, grid = CLASSIFIERS[name]
    candidates = list(ParameterGrid(grid)) if tune else [{}]
    search_params = SEARCH_PARAMS.get(name, {})
    # the preprocessing steps do not depend on the candidates: fitted once per inner fold
    step, final = pipeline.steps[-1]
    oof = np.empty((len(candidates), len(y)))
    fold_auc = np.full((len(candidates), len(splits)), np.nan)
    for k, (train, test) in enumerate(splits):
        if len(set(y[train].tolist())) < 2:  # grouping can leave one class: no scores
            oof[:, test] = np.nan
            continue
        prepare = clone(pipeline[:-1]).fit(x[train], y[train])
        x_fit, x_out = prepare.transform(x[train]), prepare.transform(x[test])
        for c, params in enumerate(candidates):
            model = clone(final).set_params(**_own(step, params | search_params))
            oof[c, test] = decision_scores(model.fit(x_fit, y[train]), x_out)
            fold_auc[c, k] = _auc(y[test], oof[c, test])
    mean_auc = (np.nanmean(fold_auc, axis=1) if np.isfinite(fold_auc).any()
                else np.zeros(len(candidates)))
    best = int(np.nanargmax(np.nan_to_num(mean_auc, nan=-np.inf)))
    scored = np.isfinite(oof[best])
    return TunedClassifier(
        estimator_=clone(pipeline).set_params(**candidates[best]).fit(x, y),
        best_params_=candidates[best], best_score_=float(mean_auc[best]),
        threshold_=youden_threshold(y[scored], oof[best, scored]), oof_scores_=oof[best])


def _own(step: str, params: dict) -> dict:
    """Pipeline parameters of the step ``step`` as that step's own parameters."""
    return {key.removeprefix(f"{step}__"): value for key, value in params.items()}


def _auc(y: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC by the Mann-Whitney U statistic (ties count half); NaN for one class."""
    positives = y == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if n_pos == 0 or n_neg == 0:
        return np.nan
    ranks = rankdata(scores)
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def evaluate_fold(name: str, x_train, y_train, groups, x_test, y_test, *, seed: int,
                  tune: bool = True, splits=None):
    """Fit one classifier on a training part and score its test part.

    ``splits``: the inner folds, as :func:`fit_classifier` takes them (default: made from
    ``seed``).

    Returns
    -------
    row : dict
        ``roc_auc`` (NaN when the test part holds one class), ``sensitivity`` and
        ``specificity`` at ``threshold``, Youden's threshold of the training part.
    scores : ndarray
        The test cases' continuous scores.
    predicted : ndarray of bool
        The test cases' malignant decisions.
    """
    model = fit_classifier(name, x_train, y_train, groups, seed=seed, tune=tune, splits=splits)
    scores = model.decision_scores(x_test)
    predicted = scores >= model.threshold_
    positives, negatives = y_test == 1, y_test == 0
    row = {"roc_auc": roc_auc_score(y_test, scores) if len(set(y_test)) == 2 else np.nan,
           "sensitivity": predicted[positives].mean() if positives.any() else np.nan,
           "specificity": (~predicted[negatives]).mean() if negatives.any() else np.nan,
           "threshold": model.threshold_}
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
        Columns :data:`RESULT_COLUMNS`: per (classifier, repeat, fold) the ROC AUC, the
        sensitivity and specificity at ``threshold``, Youden's threshold of the fold's
        training part (inner out-of-fold scores).
    curves : list of dict
        Per (classifier, repeat, fold): ``fpr`` and ``tpr`` arrays of the ROC curve.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.tile([0, 1], 30)
    >>> x = rng.normal(size=(60, 3)) + 3 * y[:, None]
    >>> results, _ = cross_validate(x, y, n_folds=3, repeats=1, classifiers=["svm_linear"])
    >>> bool(results["roc_auc"].mean() > 0.9)
    True
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
    return pd.DataFrame(rows, columns=RESULT_COLUMNS), curves
