"""The HTML report and compare: self-contained, complete, escaped, accessible, light."""

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from benchmark.ground.errors import InputError
from reports import render_compare, render_report

from .conftest import XSS

ROOT = Path(__file__).resolve().parents[2]


class Page(HTMLParser):
    """Collects what the checks need: images, links, tables, scripts, text."""

    def __init__(self, html):
        super().__init__()
        self.images, self.urls, self.tables, self.text = [], [], [], []
        self._table = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        for key in ("src", "href"):
            if key in attrs:
                self.urls.append(attrs[key])
        if tag == "table":
            self._table = {"th": 0}
            self.tables.append(self._table)
        if tag == "th" and self._table is not None:
            self._table["th"] += 1

    def handle_data(self, data):
        self.text.append(data)


def visible_text(html):
    """The page's text without its style sheet and script."""
    return " ".join(Page(re.sub(r"<(style|script)\b.*?</\1>", "", html, flags=re.S)).text)


def cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "benchmark", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=600)


def test_run_ends_with_a_self_contained_report(report_run):
    html = (report_run / "report.html").read_text()
    page = Page(html)
    external = [u for u in page.urls if not u.startswith(("data:image/png;base64,", "#"))]
    assert external == []
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert len(page.images) >= 8  # examples, 2 distributions, 3 gallery rows, curves, ROC, time
    for image in page.images:
        assert len(image.get("alt", "")) > 20  # every figure says what it shows


def test_report_has_every_section_of_the_design(report_run):
    html = (report_run / "report.html").read_text()
    for anchor in ("dataset", "splits", "methods", "leaderboard", "tests", "gallery",
                   "training", "diagnosis", "timings", "environment"):
        assert f'id="{anchor}"' in html, anchor
    text = " ".join(Page(html).text)
    assert "Track: ROI given" in text and "Track: automatic" in text
    assert "The reference masks are exact" in text  # the phantom says how its masks were made
    assert "Holm" in text and "bootstrap" in text
    assert "tensorflow" in text or "jax" in text or "torch" in text
    for method in ("otsu", "region_growing", "cae"):
        assert method in text


def test_each_track_has_its_own_leaderboard_floor_and_tests(report_run):
    from reports.inference import paired_tests, stochastic_methods
    from reports.leaderboards import holdout_ratio
    from reports.rundata import load_run
    from reports.structure import leaderboard_section
    from reports.wording import floor_mark

    run = load_run(report_run)
    board = leaderboard_section(run, seed=0)
    tracks = {t["name"]: t for t in board["tracks"]}
    assert list(tracks) == ["ROI given", "automatic"]
    means = run.metrics.groupby("method")["dice"].mean()
    roi = [m for m in run.methods if run.record["methods"][m]["needs_roi"]]
    assert [r["method"] for r in tracks["ROI given"]["rows"]] == sorted(
        roi, key=lambda m: -means[m])
    assert {r["method"] for r in tracks["automatic"]["rows"]} == set(run.methods) - set(roi)
    assert {"otsu", "region_growing", "roi_ellipse"} <= set(roi)
    for track in tracks.values():
        methods = [r["method"] for r in track["rows"]]
        floors = [m for m in methods if run.record["methods"][m]["family"] == "floor"]
        # the floor is the strongest pixel-free predictor that ran
        assert track["floor"] == (max(floors, key=lambda m: means[m]) if floors else None)
        assert track["ranked"] == [m for m in methods if m not in floors]
        # the paired tests stay inside the track
        for test in track["test_tables"]:
            assert {r["method"] for r in test["rows"]} | {test["against"]} <= set(methods)
        if track["floor"] is None:
            continue
        against = paired_tests(run.metrics, [track["floor"]] + track["ranked"],
                               against=track["floor"], alternative="greater",
                               stochastic=stochastic_methods(run.record),
                               test_train_ratio=holdout_ratio(run)).set_index("method")
        for row in track["rows"]:
            if row["method"] in floors:
                continue
            difference = means[row["method"]] - means[track["floor"]]
            assert row["floor_difference"] == f"{difference:+.3f}"
            # a quick run: only the direction of the means, no claim
            assert row["floor_mark"] == floor_mark(difference,
                                                   against.loc[row["method"], "p_holm"],
                                                   claims=False)
    html = (report_run / "report.html").read_text()
    assert 'id="leaderboard-table-roi"' in html and 'id="leaderboard-table-automatic"' in html
    assert "rois.csv" in html and "patient-level (cluster) bootstrap" in html
    assert "the strongest of the pixel-free predictors that ran" in html
    assert html.count("The dashed red line is the mean of the floor") == 4
    # a quick report claims nothing: no "significant", no bold rows
    assert "significant" not in visible_text(html)
    assert '<tr class="significant"' not in html


def test_a_run_without_floors_says_so(xss_run):
    from reports.rundata import load_run
    from reports.structure import leaderboard_section

    board = leaderboard_section(load_run(xss_run), seed=0)
    assert [t["floor"] for t in board["tracks"]] == [None] and not board["has_floor"]
    assert all(r["floor_difference"] == "" for r in board["tracks"][0]["rows"])
    assert "No floor ran" in (xss_run / "report.html").read_text()


def test_every_table_has_header_cells(report_run):
    tables = Page((report_run / "report.html").read_text()).tables
    assert len(tables) >= 8 and all(t["th"] > 0 for t in tables)


def test_report_is_rebuilt_from_the_run_files_alone(report_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(report_run, copy)
    (copy / "report.html").unlink()
    out = cli("report", copy)
    assert out.returncode == 0, out.stderr
    assert (copy / "report.html").stat().st_size > 100_000


def test_a_case_id_holding_html_is_shown_as_text(xss_run):
    html = (xss_run / "report.html").read_text()
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    images = Page(html).images
    assert all("onerror" not in image and image["src"] != "x" for image in images)
    assert any(XSS in image["alt"] for image in images)  # the alt text names it, as text


def test_report_of_an_unfinished_run_is_refused(report_run, tmp_path):
    copy = tmp_path / "unfinished"
    shutil.copytree(report_run, copy)
    record = json.loads((copy / "run.json").read_text())
    record["status"] = "interrupted"
    (copy / "run.json").write_text(json.dumps(record))
    with pytest.raises(InputError, match="not complete"):
        render_report(copy)


def test_compare_puts_runs_side_by_side(report_run, tmp_path):
    copy = tmp_path / "again"
    shutil.copytree(report_run, copy)
    out = cli("compare", report_run, copy, "--out", tmp_path / "cmp.html")
    assert out.returncode == 0, out.stderr
    html = (tmp_path / "cmp.html").read_text()
    page = Page(html)
    text = " ".join(page.text)
    for method in ("otsu", "region_growing", "cae"):
        assert method in text
    assert "+0.000" in text  # identical runs: no difference
    # the same unit rules as the report: the CAE (trained once per fold, two folds) cannot be
    # tested, the rule-based methods are tested over patients; a quick run claims nothing
    assert "corrected t, folds (2 folds)" in text and "Wilcoxon, patients (" in text
    assert "cannot be tested: 2 folds, one training each" in text
    assert "significant" not in visible_text(html) and '<tr class="significant"' not in html
    assert "Track: ROI given" in text and "Track: automatic" in text
    assert text.index("roi_ellipse") < text.index("Track: automatic") < text.index("prior_disk")
    assert "different margins" not in text
    # a run whose boxes were drawn with other margins: the page says so
    record = json.loads((copy / "run.json").read_text())
    record["settings"]["roi_margin"] = [0.0, 0.0]
    (copy / "run.json").write_text(json.dumps(record))
    out = cli("compare", report_run, copy, "--out", tmp_path / "cmp2.html")
    assert out.returncode == 0, out.stderr
    assert "drew their ROI boxes with different margins" in (tmp_path / "cmp2.html").read_text()
    assert "fit (s)" in text and "predict (ms)" in text
    assert all(t["th"] > 0 for t in page.tables)
    # the dot plot of every method's mean Dice per run, and its interval in the table
    figures = [i for i in page.images if i["alt"].startswith("Dot plot of the mean Dice")]
    assert len(figures) == 1 and figures[0]["src"].startswith("data:image/png;base64,")
    assert "otsu: " in figures[0]["alt"] and "95 % CI" in text
    # every run's Dice column, the first's too, holds the mean and its interval
    first = re.findall(r"<tr><td>otsu</td><td class=\"num\">([^<]*)<span class=\"ci\">"
                       r"\[([^\]]*)\]", html)
    assert len(first) == 1 and first[0][0].strip() and "," in first[0][1]


def test_compare_refuses_runs_on_other_splits(report_run, xss_run, tmp_path):
    out = cli("compare", report_run, xss_run, "--out", tmp_path / "cmp.html")
    assert out.returncode == 2
    fingerprint = json.loads((xss_run / "splits.json").read_text())["fingerprint"]
    assert fingerprint in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "cmp.html").exists()


def test_compare_refuses_other_folds_of_the_same_data(report_run, tmp_path):
    copy = tmp_path / "other"
    shutil.copytree(report_run, copy)
    splits = json.loads((copy / "splits.json").read_text())
    splits["folds"][0]["test"], splits["folds"][1]["test"] = (splits["folds"][1]["test"],
                                                              splits["folds"][0]["test"])
    (copy / "splits.json").write_text(json.dumps(splits))
    with pytest.raises(InputError, match="other splits") as info:
        render_compare([report_run, copy], tmp_path / "x.html")
    n = len({c for f in splits["folds"] for c in f["test"]})
    assert f"fold assignments: {n} of {n} cases in another fold" in str(info.value)
    assert "same dataset, seed and fold count" in str(info.value)  # not "2 vs 2 folds"
    splits["seed"] += 1
    (copy / "splits.json").write_text(json.dumps(splits))
    with pytest.raises(InputError, match="seed") as info:
        render_compare([report_run, copy], tmp_path / "x.html")
    seed = splits["seed"]
    assert f"(seed {seed} vs {seed - 1})" in str(info.value)  # only what differs
    assert "folds" not in str(info.value).split("(seed")[1]


def test_splits_difference_names_everything_that_differs_and_nothing_else():
    from reports.compare import splits_difference

    folds = [{"fold": 0, "train": ["a", "c"], "val": [], "test": ["b"]},
             {"fold": 1, "train": ["b", "c"], "val": [], "test": ["a"]}]
    first = {"fingerprint": "f1", "seed": 1, "n_folds": 2, "folds": folds}
    assert splits_difference(first, dict(first)) == []
    other = dict(first, fingerprint="f2", n_folds=3, folds=folds + [folds[0]])
    assert splits_difference(first, other) == ["dataset fingerprint f2 vs f1", "folds 3 vs 2"]
    moved = [dict(folds[0], train=["a"], val=["c"]), folds[1]]  # c: training -> validation
    assert splits_difference(first, dict(first, folds=moved)) == [
        "fold assignments: 1 of 3 cases in another fold or part, with the same dataset, "
        "seed and fold count"]


def test_semi_automatic_references_are_called_agreement_not_truth(report_run, tmp_path):
    copy = tmp_path / "semi"
    shutil.copytree(report_run, copy)
    record = json.loads((copy / "run.json").read_text())
    record["dataset"]["reference"] = "semi-automatic"
    (copy / "run.json").write_text(json.dumps(record))
    text = " ".join(Page(render_report(copy).read_text()).text)
    assert "agreement with that algorithm, not clinical truth" in text
    assert "The reference masks are exact" not in text


def test_a_run_with_several_seeds_reports_their_spread_and_the_corrected_test(tmp_path):
    pytest.importorskip("keras")
    from benchmark.harness.commands.run import run_with_report

    run = run_with_report(["otsu", "roi_ellipse", "prior_disk", "unet_course"], seeds=2,
                          profile="quick", out=tmp_path / "seeds", quiet=True)
    page = Page((run / "report.html").read_text())
    text = " ".join(page.text)
    assert "2 seeds: SD" in text  # under unet_course's name in its leaderboard
    # unet_course trained with two seeds: over seeds and patients; otsu and the floors once
    assert "bootstrap, seeds and patients" in text and "Wilcoxon, patients" in text
    # the convergence table counts every training: 2 folds x 2 seeds
    assert "unet_course 4 " in text
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    out = cli("compare", run, copy, "--out", tmp_path / "cmp.html")
    assert out.returncode == 0, out.stderr
    assert "+0.000" in (tmp_path / "cmp.html").read_text()


def test_a_run_made_before_training_seeds_still_renders(report_run, tmp_path):
    """metrics.csv without a seed column and cells without stopping facts: older runs."""
    import pandas as pd

    old = tmp_path / "old"
    shutil.copytree(report_run, old)
    metrics = pd.read_csv(old / "metrics.csv")
    metrics.drop(columns=["seed"]).to_csv(old / "metrics.csv", index=False)
    for done in old.glob("cells/cae/*/done.json"):
        cell = json.loads(done.read_text())
        for key in ("stopped", "restarts", "attempts"):
            cell.pop(key, None)
        done.write_text(json.dumps(cell))
    render_report(old)
    text = " ".join(Page((old / "report.html").read_text()).text)
    assert "how they stopped was not recorded" in text


def test_a_report_that_ranks_says_what_each_test_found(report_run, tmp_path):
    """The quick run's report read as one that ranks: its profile records no smoke test."""
    copy = tmp_path / "ranks"
    shutil.copytree(report_run, copy)
    record = json.loads((copy / "run.json").read_text())
    record["profile_settings"]["smoke_test"] = False  # the fact, whatever the profile's name
    (copy / "run.json").write_text(json.dumps(record))
    html = render_report(copy).read_text()
    text = visible_text(html)
    summary = " ".join((copy / "summary.txt").read_text().split())
    assert "Smoke test" not in text and "quick profile" not in summary
    assert "has the best mean Dice" in summary
    for words in (summary, text):
        assert "a tie" not in words and "NOT significantly" not in words
        assert any(w in words for w in ("a significant difference", "no difference detected"))
        assert any(w in words for w in ("above the floor", "below the floor"))
    # every comparison gives what it could have detected, in the tables
    assert text.count("Could detect") == html.count("<h3>ROI given, ") + html.count(
        "<h3>automatic, ")
