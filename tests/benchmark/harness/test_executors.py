"""Where cells run: the default number of local workers."""

import pytest

from benchmark.harness import executors


@pytest.mark.parametrize("cores, jobs", [(1, 1), (2, 2), (3, 3), (4, 4), (16, 4)])
def test_one_worker_per_core_at_most_four(monkeypatch, cores, jobs):
    monkeypatch.setattr(executors, "usable_cores", lambda: cores)
    assert executors.default_jobs() == jobs


def test_describe_names_the_executor():
    assert executors.describe(1, None) == "sequential"
    assert executors.describe(2, None) == "joblib, 2 worker(s)"
    assert executors.describe(2, "tcp://h:8786") == "dask tcp://h:8786"
