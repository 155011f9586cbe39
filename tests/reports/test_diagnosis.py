"""The report's diagnosis section: AUC by feature group, classify's results, worse than chance."""

import json

import numpy as np
import pandas as pd
import pytest

from reports.diagnosis import (
    FAR_BELOW_CHANCE,
    classify_runs,
    group_section,
    worse_than_chance,
)


def _render(section) -> str:
    from reports.render import environment

    return environment().get_template("_diagnosis.html.j2").render(diagnosis=section)


def flipped_twins(n=30, seed=1):
    """Every case twice under two patients, once per label (a copy whose label was flipped):
    a classifier learns each test case's twin, of the other label."""
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=(n, 4))
    table = pd.DataFrame(np.vstack([x0, x0 + rng.normal(0, 0.01, x0.shape)]),
                         columns=[f"f{i}" for i in range(4)])
    table.insert(0, "case", [f"c{i}" for i in range(2 * n)])
    table["label"] = np.r_[np.ones(n), np.zeros(n)].astype(int)
    return table


@pytest.mark.parametrize("aucs, worse", [
    ([0.20, 0.30, 0.25], True),        # the band below 0.5
    ([0.35, 0.65, 0.10, 0.38], True),  # a wide band, but the mean under 0.4
    ([0.30], True),                    # one fold, under 0.4
    ([0.45], False),                   # one fold: no band, not under 0.4
    ([0.40, 0.55, 0.45], False),       # below 0.5, its band reaching over it
    ([0.60, 0.70, np.nan], False),     # NaN folds are left out
    ([np.nan, np.nan], False),
])
def test_worse_than_chance_needs_the_band_or_the_mean_far_below_half(aucs, worse):
    line = worse_than_chance(aucs)
    assert (line is not None) == worse
    if worse:
        values = np.asarray(aucs, float)
        mean = np.nanmean(values)
        assert mean < 0.5 and line.startswith(f"AUC {mean:.2f}")
        assert "flipped label" in line and "leak" in line and "tiny sample" in line
    assert FAR_BELOW_CHANCE == 0.4


def _classification(rng):
    """A diagnosis table: the SVM on three groups, the forest on all, four sources, 5 folds."""
    means = {"reference": (0.70, 0.74, 0.76), "prior_disk": (0.50, 0.79, 0.78),
             "otsu": (0.60, 0.70, 0.72), "cae": (np.nan,) * 3}
    rows = []
    for source, (shape, intensity, every) in means.items():
        for fold in range(5):
            for group, mean in zip(("shape", "intensity", "all"), (shape, intensity, every),
                                   strict=True):
                for name in ("svm_rbf", "random_forest") if group == "all" else ("svm_rbf",):
                    auc = mean + rng.normal(0, 0.05) if np.isfinite(mean) else np.nan
                    note = "features missing for 60 of 60 cases (empty masks)" \
                        if np.isnan(auc) else None
                    if source == "prior_disk" and group == "shape":
                        auc, note = np.nan, "shape features constant over the 60 cases"
                    rows.append({"mask_source": source, "features": group, "classifier": name,
                                 "fold": fold, "roc_auc": auc, "note": note})
    return pd.DataFrame(rows)


def test_group_table_puts_the_anchors_first_with_the_paired_gain(rng):
    table = _classification(rng)
    section = group_section(table)
    assert section["classifier"] == "svm_rbf" and section["anchor"]
    assert section["groups"] == ["shape", "intensity", "all"]
    rows = {row["source"]: row for row in section["rows"]}
    assert [row["source"] for row in section["rows"]] == ["reference", "prior_disk", "otsu",
                                                          "cae"]
    assert rows["reference"]["role"] == "the dataset's masks" and rows["otsu"]["role"] is None
    assert rows["prior_disk"]["cells"][0]["note"] == "shape features constant over the 60 cases"
    assert rows["prior_disk"]["gain"] is None and rows["cae"]["gain"] is None
    # the gain, recomputed: otsu's all-feature AUC minus prior_disk's, fold by fold
    svm = table[(table["classifier"] == "svm_rbf") & (table["features"] == "all")]
    diff = (svm[svm["mask_source"] == "otsu"].set_index("fold")["roc_auc"]
            - svm[svm["mask_source"] == "prior_disk"].set_index("fold")["roc_auc"])
    assert rows["otsu"]["gain"] == f"{diff.mean():+.3f} ± {diff.std(ddof=1):.3f}"
    shape = svm.groupby("mask_source")["roc_auc"].mean()
    assert rows["otsu"]["cells"][2]["auc"].startswith(f"{shape['otsu']:.3f} ± ")
    reading = " ".join(section["reading"])
    assert "fixed disk gives" in reading and "(otsu) add" in reading
    # a method that reads no pixel (a floor, a reference) is not "the best method": with
    # otsu counted as one, no segmenting source with an AUC is left (cae's are all NaN)
    pixel_free = group_section(table, pixel_free={"otsu"})["reading"]
    assert pixel_free[-1].endswith("to the fixed disk's AUC (all features).")
    assert "best method" not in " ".join(pixel_free)
    html = _render({"skipped": None, "classifiers": [], "rows": [], "n_folds": 5,
                    "youden": True, "span": 0, "chance": [], "groups": section,
                    "figures": [], "classify": []})
    assert "What the segmentation adds" in html and "all − prior_disk" in html
    assert "not classified: shape features constant over the 60 cases" in html


def test_a_run_without_feature_groups_has_no_group_table(rng):
    table = _classification(rng)
    assert group_section(table[table["features"] == "all"]) is None
    assert group_section(table.drop(columns="features")) is None


def _classify_into(run_dir, table: pd.DataFrame, source: str):
    from benchmark.ground import store
    from benchmark.harness.commands.classify import run_classify

    path = run_dir / store.features_csv(source)
    table.to_csv(path, index=False)
    run_classify(path, run_dir / store.classify_dir(source), repeats=1, n_jobs=1,
                 source=source)


def test_classify_results_in_the_run_folder_are_shown_with_source_and_time(tmp_path, rng):
    from benchmark.ground import store
    from tests.conftest import separable_features

    x, y, groups = separable_features(rng, 40)
    good = pd.DataFrame(x, columns=[f"f{i}" for i in range(4)])
    good.insert(0, "case", [f"c{i}" for i in range(40)])
    good["label"], good["patient"] = y, groups
    _classify_into(tmp_path, good, "reference")
    _classify_into(tmp_path, flipped_twins(), "otsu")
    record = json.loads((tmp_path / "classify_otsu" / store.CLASSIFY_JSON).read_text())
    assert record["source"] == "otsu" and record["repeats"] == 1 and record["n_cases"] == 60

    runs = classify_runs(tmp_path)
    assert [c["source"] for c in runs] == ["otsu", "reference"]
    otsu, reference = runs
    assert otsu["made"] == record["made"].replace("T", " ")
    assert [r["classifier"] for r in reference["rows"]] == ["svm_rbf", "svm_linear",
                                                            "random_forest"]
    written = pd.read_csv(tmp_path / "classify_reference" / store.CLASSIFICATION_CSV)
    svm = written[written["classifier"] == "svm_rbf"]["roc_auc"]
    assert reference["rows"][0]["auc"] == f"{svm.mean():.3f} ± {svm.std(ddof=1):.3f}"
    assert reference["chance"] == [] and len(otsu["chance"]) == 3  # every classifier
    assert otsu["figure"].src.startswith("data:image/png;base64,")
    html = _render({"skipped": "fewer than four cases of a class", "classify": runs})
    assert "classify on this run's feature tables" in html
    assert "Source otsu" in html and "classify_reference/" in html
    assert html.count("worse than chance</span>") == 3


def test_a_folder_without_classify_results_shows_none(tmp_path):
    (tmp_path / "classify_reference").mkdir()  # an interrupted classify: no table yet
    assert classify_runs(tmp_path) == []
    assert "classify on this run" not in _render({"skipped": "x", "classify": []})


@pytest.fixture(scope="module")
def classical_run(tmp_path_factory):
    """A quick run of otsu beside the fixed disk, then ``classify`` on its reference table."""
    from benchmark.harness.cli import main
    from benchmark.harness.commands.run import run_with_report

    out = run_with_report(["otsu", "prior_disk"], profile="quick", quiet=True,
                          out=tmp_path_factory.mktemp("diagnosis") / "run")
    assert main(["classify", str(out), "--source", "prior_disk", "--repeats", "1"]) == 0
    assert main(["report", str(out)]) == 0
    return out


def test_the_runs_report_shows_its_classify_results_and_feature_groups(classical_run):
    html = (classical_run / "report.html").read_text()
    section = html[html.index('<section id="diagnosis">'):]
    section = section[:section.index("</section>")]
    assert "classify on this run's feature tables" in section
    assert "Source prior_disk" in section and "classify_prior_disk/" in section
    assert "What the segmentation adds: AUC by feature group (svm_rbf)" in section
    # reference and prior_disk first, each with its role
    first = section.index("What the segmentation adds")
    assert section.index("(the dataset&#39;s masks)", first) < section.index(
        "(fixed disk, floor)", first)
    classification = pd.read_csv(classical_run / "classification.csv")
    assert set(classification["features"]) == {"shape", "intensity", "all"}
