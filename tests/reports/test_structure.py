"""The report's sections built from a run's record: what they say of the run's settings."""

import numpy as np

from reports.structure import method_section, training_note, training_section, tuning_scope

from .synthetic import synthetic_run


def test_the_report_says_on_how_many_validation_cases_the_classical_methods_tuned():
    run = synthetic_run({"gac": ("classical", True, np.full(80, 0.6))})
    assert tuning_scope(run) == ""  # no profile record, no validation cases
    for k, fold in enumerate(run.splits["folds"]):
        fold["val"] = [f"V{k}_{i}" for i in range(14 + k)]
    run.record["profile_settings"]["classical"] = {"max_tuning_cases": 10}
    assert tuning_scope(run) == (" on at most 10 of the 14-18 validation cases of each fold, "
                                 "drawn at random (the profile's cap, to keep its time "
                                 "budget; the deep models stop on all of them)")
    run.record["profile_settings"]["classical"] = {"max_tuning_cases": None}
    assert tuning_scope(run) == (" on all 14-18 validation cases of each fold (as the deep "
                                 "models stop on them)")
    run.record["profile_settings"]["classical"] = {"max_tuning_cases": 40}
    assert tuning_scope(run).startswith(" on all 14-18")
    for fold in run.splits["folds"]:
        fold["val"] = fold["val"][:12]
    assert tuning_scope(run).startswith(" on all 12 validation cases of each fold")


def test_the_glance_says_when_deep_trainings_ended_before_a_plateau():
    run = synthetic_run({"u": ("deep", False, np.full(80, 0.6)),
                         "p": ("floor", False, np.full(80, 0.4))})
    assert training_note([], smoke=False) == ""  # no deep method
    run.seed_cells.update({("u", 0, 0): {"stopped": "cap"}, ("u", 1, 0): {"stopped": "cap"},
                           ("u", 2, 0): {"stopped": "collapsed"},
                           ("u", 3, 0): {"stopped": "plateau"}, ("p", 0, 0): {}})
    convergence = training_section(run)["convergence"]  # the floor is no training
    assert training_note(convergence, smoke=False).startswith(
        "Training: of 4 deep trainings, 2 stopped at the epoch cap, still improving and 1 "
        "collapsed")
    assert training_note(convergence, smoke=True) == ""  # the smoke-test banner says it
    for key in list(run.seed_cells):
        run.seed_cells[key] = {"stopped": "plateau"}
    assert training_note(training_section(run)["convergence"], smoke=False) == ""


def test_the_methods_table_says_the_grid_and_the_windows_a_deep_model_trained_on():
    run = synthetic_run({"u": ("deep", False, np.full(80, 0.6)),
                         "r": ("deep", True, np.full(80, 0.6))})
    for k in range(5):
        run.seed_cells[("u", k, 0)] = {"params": {"input_size": 80, "patch_size": 48},
                                       "epochs_run": 30, "best_epoch": 30}
        run.seed_cells[("r", k, 0)] = {"params": {"input_size": 32, "patch_size": None},
                                       "epochs_run": 20, "best_epoch": 19}
    detail = {row["method"]: row["detail"] for row in method_section(run)}
    assert "; grid 80 px, trained on 48 px windows; epochs run" in detail["u"]
    assert "; input 32 px; epochs run (best) per fold: fold 0: 20 (19)" in detail["r"]
