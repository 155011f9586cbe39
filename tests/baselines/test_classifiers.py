"""Feature classifiers: separable data, grouped folds, Youden thresholds, missing features."""

import numpy as np
import pytest
from sklearn.metrics import roc_curve

from baselines.classifiers import (
    CLASSIFIERS,
    RESULT_COLUMNS,
    cross_validate,
    evaluate_fold,
    fit_classifier,
    missing_features_reason,
    youden_threshold,
)
from tests.conftest import separable_features


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_separable_features_give_auc_near_one(name, rng):
    x, y, groups = separable_features(rng)
    results, curves = cross_validate(x, y, groups, n_folds=3, repeats=1, classifiers=[name])
    assert results["roc_auc"].mean() > 0.97
    assert len(results) == 3 and len(curves) == 3
    assert list(results.columns) == RESULT_COLUMNS
    # at a threshold chosen on the training part, separable classes are told apart
    assert results["sensitivity"].min() > 0.8 and results["specificity"].min() > 0.8


def test_inner_search_chooses_from_the_grid(rng):
    x, y, groups = separable_features(rng)
    model = fit_classifier("svm_rbf", x, y, groups)
    assert model.best_params_["svc__C"] in CLASSIFIERS["svm_rbf"][1]["svc__C"]
    assert 0.9 < model.best_score_ <= 1


def test_random_features_give_chance_auc(rng):
    x = rng.normal(size=(80, 5))
    y = np.tile([0, 1], 40)
    results, _ = cross_validate(x, y, n_folds=4, repeats=2, classifiers=["svm_linear"])
    assert 0.25 < results["roc_auc"].mean() < 0.75


@pytest.mark.parametrize("seed", range(5))
def test_youden_threshold_maximises_j_as_roc_curve_finds_it(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 50)
    scores = rng.normal(size=50) + y
    threshold = youden_threshold(y, scores)
    fpr, tpr, cuts = roc_curve(y, scores, drop_intermediate=False)
    best = _first_max(tpr - fpr)
    # the same cut: the threshold separates roc_curve's best cut from the next lower score
    assert cuts[best + 1] < threshold <= cuts[best]
    called = scores >= threshold
    j = called[y == 1].mean() + (~called[y == 0]).mean() - 1
    assert j == pytest.approx((tpr - fpr)[best])


def test_rank_auc_agrees_with_scikit_learn_with_ties(rng):
    from sklearn.metrics import roc_auc_score

    from baselines.classifiers import _auc

    for _ in range(50):
        y = rng.integers(0, 2, 30)
        scores = np.round(rng.normal(size=30), 1)  # many ties
        if len(set(y.tolist())) == 2:
            assert _auc(y, scores) == pytest.approx(roc_auc_score(y, scores), abs=1e-12)
    assert np.isnan(_auc(np.ones(5, int), np.arange(5.0)))


def test_youden_threshold_of_one_class_is_nan():
    assert np.isnan(youden_threshold([1, 1, 1], [0.2, 0.5, 0.9]))


def test_threshold_comes_from_the_inner_out_of_fold_scores(rng):
    x, y, groups = separable_features(rng, 80)
    x[:, 0] += rng.normal(0, 6, len(y))  # overlapping classes: the cut matters
    model = fit_classifier("svm_linear", x, y, groups, seed=3)
    assert model.threshold_ == youden_threshold(y, model.oof_scores_)
    # out-of-fold: not the refit model's own scores of its training cases
    assert not np.allclose(model.oof_scores_, model.decision_scores(x))


def test_evaluate_fold_decides_at_the_training_threshold(rng):
    x, y, groups = separable_features(rng, 80)
    x[:, 0] += rng.normal(0, 6, len(y))
    train, test = np.arange(60), np.arange(60, 80)
    row, scores, predicted = evaluate_fold("svm_rbf", x[train], y[train], groups[train],
                                           x[test], y[test], seed=0)
    np.testing.assert_array_equal(predicted, scores >= row["threshold"])
    assert row["sensitivity"] == predicted[y[test] == 1].mean()
    assert row["specificity"] == (~predicted[y[test] == 0]).mean()
    # the threshold does not depend on the test part
    other, _, _ = evaluate_fold("svm_rbf", x[train], y[train], groups[train], x[test][::-1],
                                y[test][::-1], seed=0)
    assert other["threshold"] == row["threshold"]


def test_missing_features_of_most_rows_give_a_reason():
    x = np.ones((40, 3))
    assert missing_features_reason(x) is None
    x[:20] = np.nan  # half the rows: imputed, still classified
    assert missing_features_reason(x) is None
    x[:] = np.nan
    assert missing_features_reason(x) == "features missing for 40 of 40 cases (empty masks)"
    x = np.ones((40, 3))
    x[:30, 0] = np.nan  # one feature missing: not an empty mask
    assert missing_features_reason(x) == "features missing for 30 of 40 cases"


def test_unknown_classifier_lists_the_valid_names(rng):
    x, y, groups = separable_features(rng)
    with pytest.raises(ValueError, match="valid: svm_rbf, svm_linear, random_forest"):
        fit_classifier("knn", x, y, groups)


def _first_max(j):
    """The first (highest-threshold) cut whose J is the maximum, up to rounding."""
    return int(np.flatnonzero(j >= j.max() - 1e-12)[0])
