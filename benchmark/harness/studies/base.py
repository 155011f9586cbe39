"""What every study shares: typed levels, one run folder per level, and the long table.

A :class:`Study` is a registry entry (its words, its levels, its standard set of methods) and
the behaviour of its kind: which dataset each level reads, how each level's run folder is
prepared, which rows ``study_metrics.csv`` gathers, and how its report reads it
(:meth:`Study.presentation`). The code never reads a value back from a level's name or its
folder: a level's setting is its typed ``params`` (``{"fraction": 0.25}``,
``{"difficulty": 0.5}``, ``{"roi_margin": [0.1, 0.3]}``), stored in ``study.json`` beside the
name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar, NamedTuple

import pandas as pd

from benchmark.ground import store
from benchmark.ground.errors import InputError
from benchmark.harness.methods import method_info
from benchmark.harness.profiles import Profile
from benchmark.harness.runner import RunPlan, load_stage, prepare_run

#: The condition of the rows of a study without one.
SAME = "as run"
#: The models trained at the study's default level, tested at every level.
TRANSFER = "trained at default"
#: Each level trained and tested at that level.
MATCHED = "matched"
#: The standard form's methods, both tracks with their floors: ROI given, then automatic.
STANDARD_ROI = ("region_growing", "chan_vese", "radial_maxvar", "roi_ellipse", "box_shape",
                "unet_roi")
STANDARD_AUTOMATIC = ("region_growing_auto", "pixel_rf", "prior_disk", "prior_mask",
                      "unet_course")


@dataclass(frozen=True)
class Level:
    """One level of a study.

    Parameters
    ----------
    name : str
        The level's folder under ``levels/`` and its key in ``study_metrics.csv``; a name
        only, never parsed for a value.
    params : dict
        The typed setting the level changes (``{"fraction": 0.25}``).
    value : float
        The level's place on the x axis, in the axis's unit.
    label : str
        The level in words (table headers).
    tick : str, optional
        The x axis's tick label (None: the value).
    """

    name: str
    params: dict
    value: float
    label: str
    tick: str | None = None


class Planned(NamedTuple):
    """A level, the condition its run folder stands for, and that folder's run plan."""

    level: Level
    condition: str
    plan: RunPlan


@dataclass(frozen=True)
class Study:
    """What a study varies and which methods it runs when none are named.

    Subclasses give the behaviour of their kind (:meth:`reference`, and where they differ,
    :meth:`datasets`, :meth:`plans`, :meth:`gather`); the class attributes tell the report
    how to draw it.

    Parameters
    ----------
    name : str
    question : str
        What it answers, in the report's words.
    axis : str
        The level axis's label.
    levels : tuple of Level
    methods : tuple of str
        The methods of the standard form (``--methods`` / ``--all`` replace them).
    description : tuple of str
        The report's paragraphs on how the levels were made.
    """

    name: str
    question: str
    axis: str
    levels: tuple[Level, ...]
    methods: tuple[str, ...]
    description: tuple[str, ...] = ()

    #: Only methods that are given the ROI take part.
    semi_automatic_only: ClassVar[bool] = False
    #: The report's x axis: a level's ``value`` (``level_value``) or the mean number of
    #: annotated training cases per fold (``n_train_cases``).
    x: ClassVar[str] = "level_value"
    log_x: ClassVar[bool] = False
    #: The report adds where each deep model's curve crosses each classical one's.
    crossings: ClassVar[bool] = False

    def reference(self) -> Level:
        """The level the report measures changes from (the benchmark's own setting)."""
        raise NotImplementedError

    def check_options(self, *, roi_margin=None) -> None:
        """Refuse options the study sets itself (nothing by default)."""

    def roi_margin_setting(self, roi_margin):
        """The ``roi_margin`` recorded in ``study.json``'s settings (the option's value)."""
        return roi_margin

    def roi_margin_of(self, level: Level, roi_margin):
        """The ROI margins the run folder of ``level`` draws its boxes with."""
        return roi_margin

    def entry(self, level: Level) -> dict:
        """``level`` as ``study.json`` records it (the report reads these, not the names)."""
        return {"name": level.name, "params": dict(level.params), "value": level.value,
                "label": level.label, "tick": level.tick,
                "reference": level == self.reference()}

    def presentation(self) -> dict:
        """How the report draws the study (``study.json``'s ``presentation``)."""
        return {"x": self.x, "log_x": self.log_x, "crossings": self.crossings,
                "description": list(self.description)}

    def condition_of(self, planned: Planned) -> str:
        """The words for what a level's run folder holds, in ``study.json``."""
        return planned.condition

    def datasets(self, data: str, prof: Profile) -> dict:
        """Level name -> the dataset of that level (here the same one at every level).

        Nothing is written: a dataset that cannot be loaded stops the study before its
        folder is made.
        """
        dataset = load_stage(data, prof)
        return {level.name: dataset for level in self.levels}

    def level_setting(self, level: Level) -> dict:
        """The study's description of a level's run folder (``run.json``, checked on resume)."""
        return {"study": self.name, "level": level.name, "params": dict(level.params)}

    def prepare(self, level: Level, methods, *, out: Path, roi_margin, extra=None,
                **options) -> RunPlan:
        """Prepare the run folder of ``level`` under ``out/levels/`` (the runner's own)."""
        return prepare_run(methods, out=out / store.LEVELS_DIR / level.name, level=level.name,
                           roi_margin=self.roi_margin_of(level, roi_margin),
                           study_level=self.level_setting(level) | (extra or {}), **options)

    def plans(self, methods, datasets: dict, splits: dict, *, prof: Profile,
              **options) -> list[Planned]:
        """Every run folder of the study (written as planned), one per level.

        ``splits`` is the full benchmark's split of the data; ``options`` are those of
        :func:`benchmark.harness.runner.prepare_run` (``data``, ``folds``, ``seed``,
        ``seeds``, ``roi_margin``, ``command``, ``executor``) and the study folder ``out``.
        """
        return [Planned(level, SAME, self.prepare(level, methods, dataset=datasets[level.name],
                                                  profile=prof, splits=splits, **options))
                for level in self.levels]

    def gather(self, plans: list[Planned]) -> pd.DataFrame:
        """The long table: every level's ``metrics.csv`` rows, with the level and condition."""
        return long_table(self, [(p.level, p.condition, p.plan,
                                  read_metrics(p.plan.out / store.METRICS_CSV))
                                 for p in plans])


def read_metrics(path: Path) -> pd.DataFrame:
    """A ``metrics.csv`` (a run's or a cell's), case and patient ids as strings."""
    return pd.read_csv(path, dtype={"case": str, "patient": str})


def long_table(study: Study, parts) -> pd.DataFrame:
    """``study_metrics.csv`` from (level, condition, plan, metrics) parts, in their order.

    Each row gets the study, the level's name and value, the condition and the number of
    annotated training cases (train + validation) of its fold.
    """
    frames = []
    for level, condition, plan, metrics in parts:
        annotated = {f["fold"]: len(f["train"]) + len(f["val"]) for f in plan.splits["folds"]}
        table = metrics.copy()
        table.insert(0, "study", study.name)
        table.insert(1, "level", level.name)
        table.insert(2, "level_value", level.value)
        table.insert(3, "condition", condition)
        table.insert(4, "n_train_cases", table["fold"].map(annotated))
        frames.append(table)
    table = pd.concat(frames, ignore_index=True)
    table["label"] = table["label"].astype("Int64")
    return table


def with_tasks(plan: RunPlan, change: Callable) -> RunPlan:
    """``plan`` with every cell task passed through ``change`` (its pending ones too)."""
    tasks = [change(t) for t in plan.tasks]
    pending = {(t.method, t.fold, t.seed_index) for t in plan.pending}
    return replace(plan, tasks=tasks, pending=[t for t in tasks if (t.method, t.fold,
                                                                    t.seed_index) in pending])


def study_methods(study: Study, names: list[str] | None = None, *,
                  every: bool = False) -> list[str]:
    """The methods a study runs: ``names`` (resolved), every method, or the study's own set.

    Parameters
    ----------
    study : Study
    names : list of str, optional
        ``--methods``; None: the study's set (its standard form).
    every : bool, default False
        ``--all``: every registered method (for roi-looseness, every semi-automatic one).

    Raises
    ------
    InputError
        When a study of semi-automatic methods is given an automatic one.
    """
    from benchmark.harness.methods import resolve_methods

    if every:
        methods = resolve_methods(None)
    else:
        methods = resolve_methods(list(study.methods) if names is None else names)
    if not study.semi_automatic_only:
        return methods
    info = method_info(methods)
    if every:
        return [m for m in methods if info[m].needs_roi]
    automatic = [m for m in methods if not info[m].needs_roi]
    if automatic:
        raise InputError(f"{study.name} studies methods that are given the ROI; "
                         f"{', '.join(automatic)} {'is' if len(automatic) == 1 else 'are'} "
                         "automatic (see `list`)", "--methods")
    return methods
