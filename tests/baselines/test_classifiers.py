"""Feature classifiers: separable data, grouped folds."""

import numpy as np
import pytest

from baselines.classifiers import CLASSIFIERS, cross_validate, fit_classifier
from tests.conftest import separable_features


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_separable_features_give_auc_near_one(name, rng):
    x, y, groups = separable_features(rng)
    results, curves = cross_validate(x, y, groups, n_folds=3, repeats=1, classifiers=[name])
    assert results["roc_auc"].mean() > 0.97
    assert len(results) == 3 and len(curves) == 3


def test_inner_search_chooses_from_the_grid(rng):
    x, y, groups = separable_features(rng)
    search = fit_classifier("svm_rbf", x, y, groups)
    assert search.best_params_["svc__C"] in CLASSIFIERS["svm_rbf"][1]["svc__C"]


def test_random_features_give_chance_auc(rng):
    x = rng.normal(size=(80, 5))
    y = np.tile([0, 1], 40)
    results, _ = cross_validate(x, y, n_folds=4, repeats=2, classifiers=["svm_linear"])
    assert 0.25 < results["roc_auc"].mean() < 0.75
