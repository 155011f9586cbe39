"""The crossed design: models trained at the default level, tested at every level.

Beside each level run by itself (*matched*: trained and tested at that level), the cells of
the default level also predict and score their test cases as every other level presents
them (*trained at default*): fitted once per fold, so the other levels cost a prediction,
not a training. What "as another level presents them" means is the study's
(:meth:`CrossedStudy.test_elsewhere`): other pixels of the same lesions (robustness), other
ROI boxes around the same images (roi-looseness). The cell writes those scores as
``metrics_<level>.csv`` beside its own ``metrics.csv``.
"""

from __future__ import annotations

import pandas as pd

from benchmark.ground import store
from benchmark.harness.cells import METRIC_COLUMNS, CellTask
from benchmark.harness.profiles import Profile
from benchmark.harness.studies.base import (
    MATCHED,
    TRANSFER,
    Planned,
    Study,
    long_table,
    read_metrics,
    with_tasks,
)


class CrossedStudy(Study):
    """A study whose default level's models are also tested at every other level."""

    def test_elsewhere(self, task: CellTask, others: list[Planned],
                       datasets: dict) -> CellTask:
        """``task`` (a default-level cell) with its test cases as each of ``others`` has them."""
        raise NotImplementedError

    def condition_of(self, planned: Planned) -> str:
        """``matched``; the default level's folder also holds the models tested elsewhere."""
        if planned.level == self.reference():
            return f"{MATCHED}; also the models tested at every level"
        return planned.condition

    def plans(self, methods, datasets: dict, splits: dict, *, prof: Profile,
              **options) -> list[Planned]:
        """Every level's run folder; the default level's cells also test at the others."""
        default = self.reference()
        plans = []
        for level in self.levels:
            tested_at = sorted(v.name for v in self.levels if v != default) \
                if level == default else []
            plans.append(Planned(level, MATCHED, self.prepare(
                level, methods, dataset=datasets[level.name], profile=prof, splits=splits,
                extra={"tested_at": tested_at}, **options)))
        others = [p for p in plans if p.level != default]
        return [p if p.level != default else p._replace(plan=with_tasks(
                    p.plan, lambda t: self.test_elsewhere(t, others, datasets)))
                for p in plans]

    def gather(self, plans: list[Planned]) -> pd.DataFrame:
        """The default models' rows at every level (``trained at default``), then each level's."""
        default = next(p for p in plans if p.level == self.reference())
        parts = []
        for p in plans:
            if p.level == default.level:
                metrics = read_metrics(default.plan.out / store.METRICS_CSV)
            else:
                metrics = pd.concat(
                    [read_metrics(store.cell_dir(default.plan.out, t.method, t.fold,
                                                 t.seed_index)
                                  / store.shifted_metrics_csv(p.level.name))
                     for t in default.plan.tasks],
                    ignore_index=True).reindex(columns=METRIC_COLUMNS)
            parts.append((p.level, TRANSFER, default.plan, metrics))
        parts += [(p.level, p.condition, p.plan, read_metrics(p.plan.out / store.METRICS_CSV))
                  for p in plans]
        return long_table(self, parts)
