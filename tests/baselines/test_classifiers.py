"""Feature classifiers: separable data, grouped folds, and the classify command's inputs."""

import numpy as np
import pandas as pd
import pytest

from baselines.classifiers import CLASSIFIERS, cross_validate, fit_classifier
from baselines.classify_command import read_feature_table, run_classify
from benchmark.errors import InputError


def _separable(rng, n=60):
    y = np.tile([0, 1], n // 2)
    x = rng.normal(0, 1, (n, 4))
    x[:, 0] += 8 * y
    groups = np.repeat(np.arange(n // 2), 2)  # two cases per patient
    return x, y, groups


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_separable_features_give_auc_near_one(name, rng):
    x, y, groups = _separable(rng)
    results, curves = cross_validate(x, y, groups, n_folds=3, repeats=1, classifiers=[name])
    assert results["roc_auc"].mean() > 0.97
    assert len(results) == 3 and len(curves) == 3


def test_inner_search_chooses_from_the_grid(rng):
    x, y, groups = _separable(rng)
    search = fit_classifier("svm_rbf", x, y, groups)
    assert search.best_params_["svc__C"] in CLASSIFIERS["svm_rbf"][1]["svc__C"]


def test_random_features_give_chance_auc(rng):
    x = rng.normal(size=(80, 5))
    y = np.tile([0, 1], 40)
    results, _ = cross_validate(x, y, n_folds=4, repeats=2, classifiers=["svm_linear"])
    assert 0.25 < results["roc_auc"].mean() < 0.75


def _table(tmp_path, rng, **overrides):
    x, y, groups = _separable(rng, 40)
    table = pd.DataFrame(x, columns=[f"f{i}" for i in range(4)])
    table.insert(0, "case", [f"c{i}" for i in range(40)])
    table["label"] = y
    table["patient"] = groups
    for key, value in overrides.items():
        table[key] = value
    path = tmp_path / "features.csv"
    table.to_csv(path, index=False)
    return path


def test_classify_writes_csv_and_roc(tmp_path, rng):
    path = _table(tmp_path, rng)
    results = run_classify(path, tmp_path / "out", repeats=1)
    written = pd.read_csv(tmp_path / "out" / "classification.csv")
    assert list(written.columns) == ["classifier", "repeat", "fold", "roc_auc", "sensitivity",
                                     "specificity"]
    assert len(written) == len(results) == 15
    assert (tmp_path / "out" / "roc.png").stat().st_size > 1000


@pytest.mark.parametrize("override, message", [({"label": "maybe"}, "is not 0 or 1"),
                                               ({"f1": "text"}, "not numeric")])
def test_bad_feature_tables_name_the_problem(tmp_path, rng, override, message):
    with pytest.raises(InputError, match=message):
        read_feature_table(_table(tmp_path, rng, **override))


def test_missing_label_column(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("case,f0\na,1\n")
    with pytest.raises(InputError, match="missing column 'label'"):
        read_feature_table(path)
