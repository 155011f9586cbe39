"""The classify command: feature tables in, cross-validated ROC AUC and a ROC figure out."""

import pandas as pd
import pytest

from benchmark.ground.errors import InputError
from benchmark.harness.commands.classify import read_feature_table, run_classify
from tests.conftest import separable_features


def _table(tmp_path, rng, **overrides):
    x, y, groups = separable_features(rng, 40)
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
