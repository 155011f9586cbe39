"""One cell's metric rows: the optional columns ``ceiling_dice`` and ``seed_hit``."""

import numpy as np
import pandas as pd
import pytest

from benchmark.ground import store
from benchmark.ground.metrics import dice_score
from benchmark.ground.roi import draw_roi
from benchmark.harness import cells
from benchmark.harness.cells import METRIC_COLUMNS, CellTask, run_cell, score_cell
from benchmark.harness.profiles import get_profile


class Stub:
    """The least a segmenter needs for a cell: it predicts empty masks."""

    family = "classical"
    batch_predict = True
    stochastic = False

    def __init__(self, needs_roi=False):
        self.needs_roi = needs_roi

    def get_params(self):
        return {}

    def fit(self, images, masks, *, rois=None, val=None):
        self.n_fit_ = len(images)
        return self

    def predict(self, images, *, rois=None):
        return [np.zeros(np.shape(im), bool) for im in images]

    def save(self, folder):
        return "none"

    def fit_record(self):
        return {}


class WithCeiling(Stub):
    """A ceiling that erodes every mask by its first row of lesion pixels."""

    def resolution_ceiling(self, masks, *, rois=None):
        self.ceiling_rois = rois
        out = []
        for m in masks:
            m = np.array(m, bool)
            rows = np.flatnonzero(m.any(axis=1))
            m[rows[0]] = False
            out.append(m)
        return out


class WithSeeds(Stub):
    """Seeds on a lesion pixel for even cases, at the corner (0, 0) for odd ones."""

    def __init__(self, needs_roi=False, masks=None):
        super().__init__(needs_roi)
        self.masks = masks  # the test cases' references, in order

    def predict_seeds(self, images, *, rois=None):
        self.seed_rois = rois
        return [tuple(np.argwhere(self.masks[i])[0] + 0.3) if i % 2 == 0 else (0, 0)
                for i in range(len(images))]


@pytest.fixture
def task(small_phantom, tmp_path):
    cases = list(small_phantom)
    rois = {c.id: draw_roi(c.mask, seed=0, case_id=c.id) for c in cases}
    return CellTask(run_dir=str(tmp_path), method="stub", fold=0,
                    profile=get_profile("quick"), seed=0, train=tuple(cases[:6]),
                    val=tuple(cases[6:8]), test=tuple(cases[8:14]), rois=rois)


def _score(task, model):
    test = list(task.test)
    return score_cell(task, model, test, model.predict([c.image for c in test]), 0.0,
                      [0.0] * len(test))


def test_a_method_without_the_optional_methods_gets_nan_columns(task):
    rows = _score(task, Stub())
    assert list(rows.columns) == METRIC_COLUMNS
    assert rows["ceiling_dice"].isna().all() and rows["seed_hit"].isna().all()


@pytest.mark.parametrize("needs_roi", [False, True])
def test_the_ceiling_column_is_the_dice_of_the_ceiling_mask(task, needs_roi):
    model = WithCeiling(needs_roi)
    rows = _score(task, model)
    expected = [dice_score(c.mask, m) for c, m in zip(
        task.test, model.resolution_ceiling([c.mask for c in task.test]), strict=True)]
    np.testing.assert_allclose(rows["ceiling_dice"], expected)
    assert (rows["ceiling_dice"] < 1).all() and (rows["ceiling_dice"] > 0.5).all()
    assert rows["seed_hit"].isna().all()


def test_the_ceiling_gets_the_rois_of_a_semi_automatic_method_only(task):
    automatic, semi = WithCeiling(False), WithCeiling(True)
    _score(task, automatic)
    _score(task, semi)
    assert automatic.ceiling_rois is None
    assert semi.ceiling_rois == [tuple(task.rois[c.id]) for c in task.test]


def test_the_seed_column_says_whether_the_seed_is_in_the_lesion(task):
    model = WithSeeds(masks=[c.mask for c in task.test])
    rows = _score(task, model)
    # even cases: a lesion pixel (a fractional seed rounds to it); odd: the corner, outside
    assert rows["seed_hit"].tolist() == [1.0, 0.0] * 3
    assert rows["ceiling_dice"].isna().all() and model.seed_rois is None


def test_a_seed_off_the_image_or_missing_is_a_miss(task):
    class Odd(Stub):
        def predict_seeds(self, images, *, rois=None):
            return [(-3, 5), None, (1e6, 2)] + [(0, 0)] * (len(images) - 3)

    assert _score(task, Odd())["seed_hit"].tolist() == [0.0] * len(task.test)


def test_run_cell_writes_the_columns_into_the_cell_metrics(task, monkeypatch):
    from benchmark.harness import methods

    class Both(WithCeiling, WithSeeds):
        pass

    model = Both(masks=[c.mask for c in task.test])
    monkeypatch.setattr(methods, "make_method", lambda *a, **k: model)
    run_cell(task)
    table = pd.read_csv(store.cell_dir(task.run_dir, "stub", 0) / store.METRICS_CSV)
    assert list(table.columns) == METRIC_COLUMNS
    assert table["seed_hit"].tolist() == [1.0, 0.0] * 3
    assert table["ceiling_dice"].between(0.5, 1, inclusive="neither").all()


def test_the_new_columns_are_the_ones_old_runs_get_as_nan():
    from reports.rundata import ADDED_METRIC_COLUMNS

    assert set(ADDED_METRIC_COLUMNS) <= set(METRIC_COLUMNS)
    assert cells.METRIC_COLUMNS.index("ceiling_dice") < cells.METRIC_COLUMNS.index("fit_s")
