"""The classify command: feature tables in, cross-validated ROC AUC and a ROC figure out."""

import numpy as np
import pandas as pd
import pytest

from benchmark.ground.errors import InputError
from benchmark.harness.commands.classify import (
    feature_table_path,
    read_feature_table,
    run_classify,
)
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
                                     "specificity", "threshold"]
    assert len(written) == len(results) == 15
    assert written["threshold"].notna().all()  # one Youden threshold per fold
    assert written["sensitivity"].mean() > 0.8  # separable: not stuck at 0 or 1
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


def test_a_column_without_values_is_left_out_with_a_note(tmp_path, rng):
    path = _table(tmp_path, rng, f3=np.nan)
    assert read_feature_table(path).features == ["f0", "f1", "f2"]
    notes = []
    run_classify(path, tmp_path / "out", repeats=1, n_jobs=1, note=notes.append)
    assert notes == ["note: left out feature column(s) without any value: f3"]


def test_a_table_whose_rows_mostly_miss_features_is_refused(tmp_path, rng):
    f1 = np.where(np.arange(40) < 30, np.nan, 1.0)  # 30 of 40 rows miss f1
    with pytest.raises(InputError, match="features missing for 30 of 40 cases; at most half"):
        read_feature_table(_table(tmp_path, rng, f1=f1))
    f1[:] = np.nan  # every row: the column is left out, the rest is classified
    assert read_feature_table(_table(tmp_path, rng, f1=f1)).dropped == ["f1"]


def test_classify_takes_the_diagnosis_stages_table_as_it_is(tmp_path, small_phantom):
    from benchmark.harness.diagnosis import reference_features, write_feature_tables

    write_feature_tables(tmp_path, {"reference": reference_features(small_phantom)},
                         small_phantom)
    path = feature_table_path(tmp_path, "reference")
    table = read_feature_table(path)
    assert len(table.cases) == len(small_phantom) and set(table.y) == {0, 1}
    assert len(set(table.groups)) < len(table.cases)  # grouped by the phantom's patients
    results = run_classify(path, tmp_path / "out", repeats=1, n_jobs=1)
    assert len(results) == 15 and results["roc_auc"].dropna().between(0, 1).all()
    with pytest.raises(InputError, match="this one has: reference"):
        feature_table_path(tmp_path, "cae")


def test_a_runs_own_table_is_classified_beside_the_runs_results(tmp_path, small_phantom):
    """Given ``RUN_DIR/features_<source>.csv``, the output goes to ``classify_<source>/``."""
    from benchmark.ground import store
    from benchmark.harness.cli import main
    from benchmark.harness.diagnosis import reference_features, write_feature_tables

    write_feature_tables(tmp_path, {"reference": reference_features(small_phantom)},
                         small_phantom)
    (tmp_path / store.RUN_JSON).write_text("{}")
    own = tmp_path / store.CLASSIFICATION_CSV
    own.write_text("mask_source,classifier,fold,roc_auc\n")  # the run's own results
    before = own.read_bytes()
    assert main(["classify", str(tmp_path / store.features_csv("reference")),
                 "--repeats", "1"]) == 0
    assert own.read_bytes() == before
    written = pd.read_csv(tmp_path / store.classify_dir("reference") / store.CLASSIFICATION_CSV)
    assert {"roc_auc", "sensitivity", "specificity", "threshold"} <= set(written.columns)
    record = store.read_json(tmp_path / store.classify_dir("reference") / store.CLASSIFY_JSON)
    assert record["source"] == "reference"  # the report names it


def test_a_flipped_label_table_is_called_worse_than_chance(tmp_path, rng, capsys):
    """Every case twice, once per label (a copy whose label was flipped): each test case's
    twin in the training part has the other label, and the AUC falls far below 0.5."""
    from benchmark.harness.cli import main
    from tests.reports.test_diagnosis import flipped_twins

    flipped = tmp_path / "flipped.csv"
    flipped_twins().to_csv(flipped, index=False)
    assert main(["classify", str(flipped), "--repeats", "1", "--out",
                 str(tmp_path / "a")]) == 0
    printed = capsys.readouterr().out
    warnings = [line for line in printed.splitlines() if "worse than chance" in line]
    assert len(warnings) == 3  # every classifier
    assert all(line.startswith("  warning: ") and "flipped label" in line for line in warnings)
    assert main(["classify", str(_table(tmp_path, rng)), "--repeats", "1", "--out",
                 str(tmp_path / "b")]) == 0
    assert "worse than chance" not in capsys.readouterr().out


def test_classify_records_what_it_classified_and_when(tmp_path, rng):
    import datetime as dt
    import json

    from benchmark.ground import store

    path = _table(tmp_path, rng)
    run_classify(path, tmp_path / "out", repeats=1, n_jobs=1, source="otsu")
    record = json.loads((tmp_path / "out" / store.CLASSIFY_JSON).read_text())
    assert record["table"] == str(path.resolve()) and record["source"] == "otsu"
    assert record["repeats"] == 1 and record["n_folds"] == 5 and record["n_cases"] == 40
    assert record["features"] == ["f0", "f1", "f2", "f3"]
    made = dt.datetime.fromisoformat(record["made"])
    assert abs((dt.datetime.now(made.tzinfo) - made).total_seconds()) < 600
