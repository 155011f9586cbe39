"""The report's sections built from a run's record: what they say of the run's settings."""

import numpy as np

from reports.structure import tuning_scope

from .synthetic import synthetic_run


def test_the_report_says_on_how_many_validation_cases_the_classical_methods_tuned():
    run = synthetic_run({"gac": ("classical", True, np.full(80, 0.6))})
    assert tuning_scope(run) == ""  # no profile record, no validation cases
    for k, fold in enumerate(run.splits["folds"]):
        fold["val"] = [f"V{k}_{i}" for i in range(14 + k)]
    run.record["profile_settings"]["classical"] = {"max_tuning_cases": 10}
    assert tuning_scope(run) == (" on 10 of the 18 validation cases, drawn at random (the "
                                 "profile's cap, to keep its time budget; the deep models "
                                 "stop on all of them)")
    run.record["profile_settings"]["classical"] = {"max_tuning_cases": None}
    assert tuning_scope(run) == " on all 18 validation cases (as the deep models stop on them)"
    run.record["profile_settings"]["classical"] = {"max_tuning_cases": 40}
    assert tuning_scope(run).startswith(" on all 18")
