"""``learning-curve``: every fold's training part cut to nested shares of its patients.

The test parts are unchanged (:func:`benchmark.ground.splits.subsample_training` cuts train
and validation, stratified by label, nested). The deep models get the same number of
optimizer steps per fold at every level, to within one epoch's: their epoch counts (cap,
minimum, patience of early stopping and of the schedule) are multiplied by the ratio of the
steps per epoch, ``ceil(n_train / batch)``, of the fold's full training part to those of its
subsampled one (:func:`epoch_factor`), so a curve measures the data, not the training budget.
"""

from __future__ import annotations

import math
from dataclasses import replace

from benchmark.ground.splits import subsample_training
from benchmark.harness.methods import _deep_model, is_deep
from benchmark.harness.profiles import Profile
from benchmark.harness.runner import RunPlan
from benchmark.harness.studies.base import (
    SAME,
    STANDARD_AUTOMATIC,
    STANDARD_ROI,
    Level,
    Planned,
    Study,
    with_tasks,
)

#: The deep settings counted in epochs: multiplied by :func:`epoch_factor` in a learning curve.
EPOCH_SETTINGS = ("epochs", "patience", "min_epochs", "lr_patience")


def steps_per_epoch(n_cases: int, batch_size: int) -> int:
    """Optimizer steps in one epoch over ``n_cases`` training cases.

    As :class:`deep.training.DeepSegmenter` trains: batches of ``min(batch_size, n_cases)``,
    the last one short.

    Examples
    --------
    >>> steps_per_epoch(115, 8), steps_per_epoch(12, 8), steps_per_epoch(5, 8)
    (15, 2, 1)
    """
    return math.ceil(n_cases / min(batch_size, n_cases))


def epoch_factor(n_full: int, n_part: int, batch_size: int) -> float:
    """How many times more epochs a training on ``n_part`` cases needs for the steps of ``n_full``.

    The ratio of :func:`steps_per_epoch` of the full training part to that of the
    subsampled one. The share of patients kept is not that ratio: steps per epoch round up,
    so at 10 % of 115 cases (12) an epoch has 2 steps of 8, not 1.5.

    Examples
    --------
    >>> epoch_factor(115, 12, 8)
    7.5
    """
    return steps_per_epoch(n_full, batch_size) / steps_per_epoch(n_part, batch_size)


def deep_settings(profile: Profile, method: str) -> dict:
    """The ``DeepSegmenter`` settings ``profile`` gives the deep method ``method``.

    The profile's ``deep``, then its model's ``deep_per_model`` entry, then the method's own
    (a ROI-track model has its model's settings, then its own), as
    :func:`benchmark.harness.methods.make_method` merges them.
    """
    model, _ = _deep_model(method)
    return (profile.deep | profile.deep_per_model.get(model, {})
            | profile.deep_per_model.get(method, {}))


def scaled_profile(profile: Profile, method: str, factor: float) -> Profile:
    """``profile`` with the epoch counts of ``method`` multiplied by ``factor`` (rounded up).

    With fewer training cases an epoch has fewer optimizer steps; multiplying the epoch cap,
    the minimum, and the patience of early stopping and of the schedule by
    :func:`epoch_factor` keeps the steps (and the steps without improvement before a stop)
    as with the full training part, to within one epoch's. The scaled counts go into
    ``method``'s ``deep_per_model`` entry, so the other methods keep theirs; an unset count
    (``lr_patience=None`` follows the patience) stays unset.

    Examples
    --------
    >>> from benchmark.harness.profiles import get_profile
    >>> quarter = scaled_profile(get_profile("standard"), "unet_roi", 3.75)
    >>> quarter.deep_per_model["unet_roi"]["epochs"], quarter.deep["epochs"]  # 20 x 3.75
    (75, 30)
    """
    if factor == 1:
        return profile
    settings = deep_settings(profile, method)
    scaled = {key: math.ceil(settings[key] * factor) for key in EPOCH_SETTINGS
              if settings.get(key)}
    per_model = {**profile.deep_per_model,
                 method: {**profile.deep_per_model.get(method, {}), **scaled}}
    return replace(profile, deep_per_model=per_model)


def _epoch_factors(full: dict, part: dict, prof: Profile, deep: list[str]) -> dict:
    """Deep method -> epoch factor of each fold (in fold order) for a subsampled split."""
    sizes = {f["fold"]: len(f["train"]) for f in full["folds"]}
    return {m: [epoch_factor(sizes[f["fold"]], len(f["train"]),
                             deep_settings(prof, m)["batch_size"]) for f in part["folds"]]
            for m in deep}


def _with_factors(plan: RunPlan, factors: dict) -> RunPlan:
    """``plan`` with each deep cell's profile scaled by its fold's epoch factor."""
    if not factors:
        return plan
    folds = [f["fold"] for f in plan.splits["folds"]]

    def scaled(task):
        if task.method not in factors:
            return task
        factor = factors[task.method][folds.index(task.fold)]
        return replace(task, profile=scaled_profile(task.profile, task.method, factor))

    return with_tasks(plan, scaled)


class LearningCurve(Study):
    """Levels ``{"fraction": f}``: the share of each fold's training patients kept."""

    x = "n_train_cases"
    log_x = True
    crossings = True

    def reference(self) -> Level:
        """The full training part (the largest fraction)."""
        return max(self.levels, key=lambda v: v.params["fraction"])

    def plans(self, methods, datasets: dict, splits: dict, *, prof: Profile,
              **options) -> list[Planned]:
        """One run folder per share, on the nested subsample of ``splits``' training parts."""
        deep = [m for m in methods if is_deep(m)]
        plans = []
        for level in self.levels:
            dataset, fraction = datasets[level.name], level.params["fraction"]
            part = (subsample_training(splits, dataset, fraction, seed=options["seed"])
                    if fraction < 1 else splits)
            # the deep cells' epoch counts per fold, for the steps of the full training part
            factors = _epoch_factors(splits, part, prof, deep) if fraction < 1 else {}
            plan = self.prepare(level, methods, dataset=dataset, profile=prof, splits=part,
                                extra={"epoch_factors": factors}, **options)
            plans.append(Planned(level, SAME, _with_factors(plan, factors)))
        return plans


LEARNING_CURVE = LearningCurve(
    name="learning-curve",
    question="With how many annotated training cases does each method reach its score, and "
             "where do the deep models overtake the classical ones?",
    axis="annotated training cases (train + validation) per fold",
    levels=tuple(Level(f"fraction_{f:.2f}", {"fraction": f}, f,
                       f"{f:.0%} of the training patients")
                 for f in (0.10, 0.25, 0.50, 1.00)),
    methods=(*STANDARD_ROI, *STANDARD_AUTOMATIC),
    description=(
        "Each fold's training part (train and validation) is cut to nested shares of its "
        "patients, stratified by label: a smaller set is a subset of every larger one, and the "
        "test parts are those of the full benchmark, so every point is scored on the same "
        "test cases.",
        "The deep models get the same number of optimizer steps per fold at every size, to "
        "within one epoch's: an epoch has ceil(training cases / batch size) steps, so each "
        "fold's epoch cap, minimum and patience are multiplied by the ratio of its steps per "
        "epoch with the full training part to those with the subsampled one (the factors are "
        "in the Levels table; they are not the inverse of the share, as steps per epoch round "
        "up). A curve therefore shows what the data buys, not a shorter training; a deep model "
        "whose trainings end at the epoch cap (see Levels) is limited by that budget at every "
        "size, and its curve shows how far a fixed number of steps goes with fewer cases. The "
        "x axis is the mean number of annotated cases a method learned from per fold "
        "(logarithmic)."))
