"""Reading a run folder back: older runs' metrics.csv get the columns they lack."""

import numpy as np
import pandas as pd

from benchmark.harness.cells import METRIC_COLUMNS
from benchmark.harness.runner import run_benchmark
from reports.rundata import ADDED_METRIC_COLUMNS, load_run


def test_a_run_without_the_ceiling_and_seed_columns_loads_with_nan(tmp_path):
    out = run_benchmark(["roi_ellipse"], profile="quick", out=tmp_path / "old", quiet=True)
    assert list(load_run(out).metrics.columns) == METRIC_COLUMNS
    path = out / "metrics.csv"
    old = pd.read_csv(path).drop(columns=list(ADDED_METRIC_COLUMNS))
    old.to_csv(path, index=False)
    metrics = load_run(out).metrics
    assert list(metrics.columns) == METRIC_COLUMNS  # in their place, before the timings
    for column in ADDED_METRIC_COLUMNS:
        assert metrics[column].isna().all()
    np.testing.assert_allclose(metrics["dice"], old["dice"])
