"""The diagnosis stage: thresholds chosen on training parts, sources that cannot be classified,
feature groups, the fixed disk beside every method."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_curve

from baselines.classifiers import fit_classifier
from baselines.features import FEATURE_GROUPS, FEATURE_NAMES
from benchmark.harness.diagnosis import (
    ANCHOR_SOURCE,
    CLASSIFICATION_COLUMNS,
    CLASSIFIER_GROUPS,
    DIAGNOSIS_CLASSIFIERS,
    SCORE_COLUMNS,
    classify_sources,
    fixed_disk_features,
    run_diagnosis,
)

N_CASES, N_FOLDS, SEED = 60, 3, 7


@pytest.fixture(scope="module")
def stage():
    """Cases, a grouped 3-fold split, and two sources: overlapping features and empty masks."""
    rng = np.random.default_rng(11)
    y = np.tile([0, 1], N_CASES // 2)
    x = rng.normal(0, 1, (N_CASES, 4))
    x[:, 0] += 1.5 * y
    ids = [f"c{i:02d}" for i in range(N_CASES)]
    cases = [SimpleNamespace(id=i, label=int(label), patient=f"p{k // 2}")
             for k, (i, label) in enumerate(zip(ids, y, strict=True))]
    patients = np.arange(N_CASES) // 2
    folds = []
    for k in range(N_FOLDS):
        test = [i for i, p in zip(ids, patients, strict=True) if p % N_FOLDS == k]
        rest = [i for i in ids if i not in test]
        folds.append({"fold": k, "train": rest[:-6], "val": rest[-6:], "test": test})
    reference = pd.DataFrame(x, columns=[f"f{j}" for j in range(4)])
    reference.insert(0, "case", ids)
    empty = reference.copy()
    empty.iloc[:, 1:] = np.nan
    results, scores = classify_sources({"reference": reference, "cae": empty}, cases,
                                       {"folds": folds}, seed=SEED)
    return SimpleNamespace(x=x, y=y, ids=ids, cases=cases, folds=folds, results=results,
                           scores=scores)


def test_results_have_the_documented_columns(stage):
    assert list(stage.results.columns) == CLASSIFICATION_COLUMNS
    assert list(stage.scores.columns) == SCORE_COLUMNS
    # columns named for no feature group: only "all" is classified
    assert len(stage.results) == 2 * len(DIAGNOSIS_CLASSIFIERS) * N_FOLDS
    assert set(stage.results["features"]) == set(stage.scores["features"]) == {"all"}


@pytest.mark.parametrize("name", DIAGNOSIS_CLASSIFIERS)
def test_threshold_is_youdens_on_the_training_part(stage, name):
    index = {case: k for k, case in enumerate(stage.ids)}
    for fold in stage.folds:
        train = [index[i] for i in fold["train"] + fold["val"]]
        groups = np.array([stage.cases[k].patient for k in train])
        # the inner out-of-fold scores, recomputed; Youden's cut found by roc_curve
        model = fit_classifier(name, stage.x[train], stage.y[train], groups,
                               seed=SEED + fold["fold"], tune=name != "random_forest")
        fpr, tpr, cuts = roc_curve(stage.y[train], model.oof_scores_, drop_intermediate=False)
        best = _first_max(tpr - fpr)
        row = stage.results[(stage.results["mask_source"] == "reference")
                            & (stage.results["classifier"] == name)
                            & (stage.results["fold"] == fold["fold"])].iloc[0]
        assert cuts[best + 1] < row["threshold"] <= cuts[best]
        # the test part's sensitivity and specificity are taken at that threshold
        part = stage.scores[(stage.scores["mask_source"] == "reference")
                            & (stage.scores["classifier"] == name)
                            & (stage.scores["fold"] == fold["fold"])]
        called = part["score"] >= row["threshold"]
        assert (part["predicted"] == called).all()
        assert row["sensitivity"] == pytest.approx(called[part["label"] == 1].mean())
        assert row["specificity"] == pytest.approx((~called[part["label"] == 0]).mean())


def test_svm_sensitivity_is_not_stuck_at_zero(stage):
    svm = stage.results[(stage.results["mask_source"] == "reference")
                        & (stage.results["classifier"] == "svm_rbf")]
    assert svm["roc_auc"].mean() > 0.7
    assert svm["sensitivity"].mean() > 0.3 and svm["specificity"].mean() > 0.3


def test_a_source_of_empty_masks_gets_no_auc_and_a_reason(stage):
    cae = stage.results[stage.results["mask_source"] == "cae"]
    assert len(cae) == len(DIAGNOSIS_CLASSIFIERS) * N_FOLDS
    assert cae[["roc_auc", "sensitivity", "specificity", "threshold"]].isna().all().all()
    assert (cae["note"] == f"features missing for {N_CASES} of {N_CASES} cases "
                           "(empty masks)").all()
    assert "cae" not in set(stage.scores["mask_source"])
    reference = stage.results[stage.results["mask_source"] == "reference"]
    assert reference["note"].isna().all() and reference["roc_auc"].notna().all()


def test_report_says_why_a_source_was_not_classified(stage, monkeypatch, tmp_path):
    from reports import diagnosis, plots

    drawn = []

    def roc_panels(scores, classifier, sources):
        drawn.append(sources)
        return {"src": "data:image/png;base64,", "alt": f"ROC of {classifier}"}

    monkeypatch.setattr(plots, "roc_panels", roc_panels)
    run = SimpleNamespace(record={"diagnosis": {"skipped": None}}, path=tmp_path,
                          classification=stage.results, scores=stage.scores)
    section = diagnosis.diagnosis_section(run)
    rows = {row["source"]: row for row in section["rows"]}
    assert rows["cae"]["note"].startswith("features missing for 60 of 60")
    assert rows["cae"]["values"] == [] and len(rows["reference"]["values"]) == 2
    assert section["youden"] and section["n_folds"] == N_FOLDS
    assert drawn == [["reference"]] * len(DIAGNOSIS_CLASSIFIERS)  # figures leave cae out
    html = _render(section)
    assert "not classified: features missing for 60 of 60 cases (empty masks)" in html
    assert "Youden" in html


@pytest.fixture(scope="module")
def grouped(stage):
    """Sources with the real feature names: shape tells the class in one, intensity in the
    other; a third has a fixed mask (every shape feature the same for every case)."""
    rng = np.random.default_rng(5)
    shape, intensity = list(FEATURE_GROUPS["shape"]), list(FEATURE_GROUPS["intensity"])

    def table(informative, constant_shape=False):
        x = pd.DataFrame(rng.normal(0, 1, (N_CASES, len(FEATURE_NAMES))),
                         columns=list(FEATURE_NAMES))
        x[informative[:3]] += 2.0 * stage.y[:, None]
        if constant_shape:
            x[shape] = 1.0
        x.insert(0, "case", stage.ids)
        return x

    sources = {"outline": table(shape), "grey": table(intensity),
               "fixed": table(intensity, constant_shape=True)}
    results, scores = classify_sources(sources, stage.cases, {"folds": stage.folds}, seed=SEED)
    return SimpleNamespace(results=results, scores=scores)


def test_each_classifier_gets_its_feature_groups(grouped):
    for name, groups in CLASSIFIER_GROUPS.items():
        rows = grouped.results[grouped.results["classifier"] == name]
        assert list(dict.fromkeys(rows["features"])) == list(groups)
        for group in groups:
            assert len(rows[rows["features"] == group]) == 3 * N_FOLDS  # every source, fold
    assert CLASSIFIER_GROUPS["svm_rbf"] == tuple(FEATURE_GROUPS)
    classified = grouped.results.dropna(subset=["roc_auc"])
    counts = grouped.scores.groupby(["mask_source", "features", "classifier"]).size()
    assert len(counts) == len(classified.groupby(["mask_source", "features", "classifier"]))
    assert (counts == N_CASES).all()  # every case scored once per classified group


def test_a_group_that_carries_the_label_scores_above_the_one_that_does_not(grouped):
    auc = (grouped.results[grouped.results["classifier"] == "svm_rbf"]
           .groupby(["mask_source", "features"])["roc_auc"].mean())
    assert auc["outline", "shape"] > 0.85 and auc["outline", "intensity"] < 0.7
    assert auc["grey", "intensity"] > 0.85 and auc["grey", "shape"] < 0.7
    assert auc["outline", "all"] > 0.75 and auc["grey", "all"] > 0.75


def test_a_constant_group_is_noted_not_classified(grouped):
    fixed = grouped.results[grouped.results["mask_source"] == "fixed"]
    shape = fixed[fixed["features"] == "shape"]
    assert shape["roc_auc"].isna().all()
    assert (shape["note"] == f"shape features constant over the {N_CASES} cases").all()
    others = fixed[fixed["features"] != "shape"]
    assert others["roc_auc"].notna().all() and others["note"].isna().all()
    assert not ((grouped.scores["mask_source"] == "fixed")
                & (grouped.scores["features"] == "shape")).any()


def test_fixed_disk_features_are_out_of_fold_and_one_disk_per_fold(small_phantom):
    from benchmark.ground.splits import make_splits

    splits = make_splits(small_phantom, n_folds=3, seed=1)
    table = fixed_disk_features(small_phantom, splits)
    assert sorted(table["case"]) == sorted(small_phantom.ids)
    assert list(table.columns) == ["case", *FEATURE_NAMES]
    by_case = table.set_index("case")
    for fold in splits["folds"]:  # one disk per fold on these equal-sized crops
        shapes = by_case.loc[fold["test"], list(FEATURE_GROUPS["shape"])]
        assert (shapes.nunique() == 1).all()
        assert by_case.loc[fold["test"], "intensity_mean"].nunique() > 1  # the pixels differ
    areas = by_case["area"].groupby([f["fold"] for f in splits["folds"]
                                     for _ in f["test"]]).first()
    assert areas.nunique() > 1  # each fold's disk is learned on its own training part


def test_the_stage_adds_the_fixed_disk_when_the_run_has_not_got_it(tmp_path, small_phantom):
    from benchmark.ground import store
    from benchmark.ground.splits import make_splits

    splits = make_splits(small_phantom, n_folds=3, seed=1)
    info = run_diagnosis(tmp_path, small_phantom, splits, [], seed=SEED)
    assert info["skipped"] is None
    results = pd.read_csv(tmp_path / store.CLASSIFICATION_CSV)
    assert list(dict.fromkeys(results["mask_source"])) == ["reference", ANCHOR_SOURCE]
    assert (tmp_path / store.features_csv(ANCHOR_SOURCE)).is_file()
    disk = results[results["mask_source"] == ANCHOR_SOURCE]
    assert disk.loc[disk["features"] != "shape", "roc_auc"].notna().all()
    shape = disk[disk["features"] == "shape"]  # one disk per fold: ties, noted
    assert shape["roc_auc"].isna().all() and len(shape) == 3
    assert (shape["note"] == "shape features the same for every test case of a fold").all()


def _render(section) -> str:
    from reports.render import environment

    return environment().get_template("_diagnosis.html.j2").render(diagnosis=section)


def _first_max(j):
    """The first (highest-threshold) cut whose J is the maximum, up to rounding."""
    return int(np.flatnonzero(j >= j.max() - 1e-12)[0])
