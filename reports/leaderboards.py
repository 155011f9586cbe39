"""The leaderboards of a run: one per track, with its floor, its ceilings and its paired tests.

Per track (:data:`reports.stats.TRACKS`):

- the **floor** is the strongest of the pixel-free predictors that ran (family ``floor``:
  the highest mean Dice among them); every other method is tested against it one-sided
  (method above the floor) and marked above / not shown above / below it
  (:func:`reports.wording.floor_mark`); the methods of family ``reference`` (e.g.
  ``roi_ellipse``) are ranked like any method;
- the methods ranked are those that are not floors; the paired tests compare each method
  with the best ranked one on Dice, and with the lowest mean HD95 on HD95, at the unit where
  the noise is (:mod:`reports.inference`);
- each deep model's resolution **ceiling** (mean ``ceiling_dice``) stands beside its score.

Whether the run's scores may be read as a ranking at all (``claims``) comes from the run
record (:func:`smoke_test`), never from the profile's name alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.ground.metrics import METRICS
from reports import plots
from reports.format import fmt, fmt_p
from reports.inference import (
    FOLD_TEST,
    PATIENT_TEST,
    SEED_TEST,
    paired_tests,
    stochastic_methods,
)
from reports.rundata import RunData
from reports.stats import (
    DEGENERATE_SHARE,
    LEADERBOARD_METRICS,
    N_RESAMPLES,
    TRACKS,
    WHOLE_CROP,
    degenerate_note,
    leaderboard,
    seed_average,
    track_of,
)
from reports.wording import BELOW, NOT_SHOWN, finding, floor_finding, floor_mark, significant

#: The family of the pixel-free predictors a track's floor is chosen among.
FLOOR_FAMILY = "floor"
#: The tests as the tables name them.
TEST_LABELS = {PATIENT_TEST: "Wilcoxon, patients", FOLD_TEST: "corrected t, folds",
               SEED_TEST: "bootstrap, seeds and patients"}


def smoke_test(record: dict) -> bool:
    """Whether a run's scores check the pipeline only and do not rank the methods.

    Read from the profile recorded in ``run.json`` (``profile_settings["smoke_test"]``); a
    run recorded before that field says so by its profile, ``quick``.

    Examples
    --------
    >>> smoke_test({"profile_settings": {"smoke_test": True}, "settings": {}})
    True
    >>> smoke_test({"profile_settings": {}, "settings": {"profile": "standard"}})
    False
    """
    profile = record.get("profile_settings") or {}
    if "smoke_test" in profile:
        return bool(profile["smoke_test"])
    return record.get("settings", {}).get("profile") == "quick"  # runs before the field


def n_test_patients(run: RunData) -> int:
    """How many patients the test parts of all folds hold together."""
    patients = run.metrics.drop_duplicates("case").set_index("case")["patient"]
    cases = {c for fold in run.splits["folds"] for c in fold["test"]}
    return int(patients.reindex(sorted(cases)).nunique())


def track_methods(run: RunData) -> dict[str, list[str]]:
    """Track name -> its methods in run order (the ROI-given track first; empty ones left out)."""
    tracks = {name: [] for name in TRACKS.values()}
    for method in run.methods:
        tracks[track_of(run.record["methods"][method]["needs_roi"])].append(method)
    return {name: methods for name, methods in tracks.items() if methods}


def floor_methods(run: RunData, methods: list[str]) -> list[str]:
    """The pixel-free predictors (family ``floor``) among a track's methods."""
    return [m for m in methods if run.record["methods"][m]["family"] == FLOOR_FAMILY]


def strongest_floor(board: pd.DataFrame, floors: list[str]) -> str | None:
    """The floor with the highest mean Dice on ``board`` (None when no floor ran).

    Examples
    --------
    >>> board = pd.DataFrame({"dice_mean": [0.9, 0.7, 0.8]}, index=["a", "f1", "f2"])
    >>> strongest_floor(board, ["f1", "f2"]), strongest_floor(board, [])
    ('f2', None)
    """
    means = board["dice_mean"].reindex(floors).dropna()
    return None if means.empty else str(means.idxmax())


def lowest(board: pd.DataFrame, methods: list[str], metric: str = "hd95") -> str | None:
    """The method of ``methods`` with the lowest mean ``metric`` (None when none has one)."""
    values = board[f"{metric}_mean"].reindex(methods).dropna()
    return None if values.empty else str(values.idxmin())


def roi_note(run: RunData) -> str:
    """How the run's ROI boxes were drawn, in words (or the run record's own ``roi_note``)."""
    if run.record.get("roi_note"):  # a folder without boxes (evaluate alone)
        return run.record["roi_note"]
    margin = run.record["settings"].get("roi_margin")
    if margin is None:  # a run made before the boxes were drawn per case
        return "Each ROI box is the reference bounding box grown by a fixed margin."
    low, high = (100 * float(v) for v in margin)
    if high == 0:
        return ("Each ROI box is the tight bounding box of the reference mask (--roi-margin "
                "0,0): the box gives the lesion's extent away exactly.")
    return (f"Each ROI box is the box a user would draw: the reference bounding box with each "
            f"of its four sides moved outwards by its own margin, drawn uniformly from "
            f"{low:g}-{high:g} % of the lesion's extent on that axis (seeded by the run seed "
            f"and the case id, clipped to the image, never inside the lesion); every method "
            f"gets the same boxes, listed in rois.csv.")


def holdout_ratio(run: RunData) -> float:
    """Test cases over training cases (train + validation) of a fold, averaged over folds."""
    folds = run.splits["folds"]
    return float(np.mean([len(f["test"]) for f in folds])
                 / np.mean([len(f["train"]) + len(f["val"]) for f in folds]))


def track_tests(run: RunData, methods: list[str], ranked: list[str], floor: str | None,
                board: pd.DataFrame, *, seed: int) -> dict[str, pd.DataFrame]:
    """The paired tests of one track (:func:`reports.inference.paired_tests`).

    ``dice``: every method against the best ranked one; ``hd95``: against the ranked method
    with the lowest mean HD95; ``floor``: every method that is not a floor against the
    strongest floor, one-sided (alternative ``greater``), Holm over those comparisons.
    """
    options = {"stochastic": stochastic_methods(run.record), "seed": seed,
               "test_train_ratio": holdout_ratio(run)}
    tests = {}
    if len(methods) > 1:
        tests["dice"] = paired_tests(run.metrics, methods, "dice",
                                     against=ranked[0] if ranked else None, **options)
        leader = lowest(board, ranked or methods)
        if leader is not None:
            tests["hd95"] = paired_tests(run.metrics, methods, "hd95", against=leader,
                                         **options)
    others = [m for m in methods if m not in floor_methods(run, methods)]
    if floor is not None and others:
        tests["floor"] = paired_tests(run.metrics, [floor] + others, "dice", against=floor,
                                      alternative="greater", **options)
    return tests


def _test_table(key: str, table: pd.DataFrame, *, claims: bool) -> dict:
    """One table of the tests section: formatted rows and what each test found."""
    metric = "dice" if key == "floor" else key
    digits = 3 if metric == "dice" else 2
    rows = []
    for r in table.itertuples():
        if key == "floor":
            found = floor_finding(r.difference, r.p_holm, r.mde, r.reason, claims=claims)
        else:
            found = finding(r.p_holm, r.mde, r.reason, digits=digits, claims=claims)
        rows.append({"method": r.method, "test": TEST_LABELS[r.test], "units": r.units,
                     "n": r.n_pairs, "difference": fmt(r.difference, digits),
                     "median": fmt(r.median_difference, digits),
                     "statistic": fmt(r.statistic, 1), "p": fmt_p(r.p_value),
                     "p_holm": fmt_p(r.p_holm), "mde": fmt(r.mde, digits), "finding": found,
                     "significant": claims and significant(r.p_holm)})
    return {"key": key, "metric": METRICS[metric].label,
            "against": table["against"].iloc[0] if len(table) else "",
            "one_sided": key == "floor", "rows": rows,
            "level": f"{table['level'].iloc[0]:.3g}" if len(table) else ""}


def _board_rows(run: RunData, board: pd.DataFrame, floor: str | None, floors: list[str],
                floor_tests: pd.DataFrame | None, *, claims: bool) -> list[dict]:
    rows = []
    floor_mean = board.loc[floor, "dice_mean"] if floor is not None else np.nan
    tests = floor_tests.set_index("method") if floor_tests is not None else None
    shared = run.record.get("dataset", {}).get("reference_algorithm", "")
    rank = 0
    for method, row in board.iterrows():
        family = run.record["methods"][method]["family"]
        rank += family != FLOOR_FAMILY  # a floor is the line the ranks are read against
        cells = {"rank": "" if family == FLOOR_FAMILY else rank, "method": method,
                 "shares_reference": method == shared, "family": family,
                 "n": int(row["n_cases"]), "patients": int(row["n_patients"]),
                 "empty": f"{row['n_empty']:g}", "is_floor": method == floor,
                 "weaker_floor": method in floors and method != floor,
                 "floor_difference": "", "floor_p": "", "floor_mark": "",
                 "below_floor": False, "not_shown": False, "seeds": "",
                 "whole": f"{row['n_whole']:g}", "ceiling": fmt(row["ceiling_mean"]),
                 "seed_hit": (f"seed in lesion: {100 * row['seed_hit_mean']:.0f} %"
                              if np.isfinite(row["seed_hit_mean"]) else ""),
                 "degenerate": (degenerate_note(row["n_empty"], row["n_whole"], row["n_cases"])
                                if row["degenerate"] else "")}
        if row["n_seeds"] > 1:  # the spread of the per-seed means: the training variance
            cells["seeds"] = (f"{int(row['n_seeds'])} seeds: SD {row['dice_seed_sd']:.3f}, "
                              f"{row['dice_seed_min']:.3f}-{row['dice_seed_max']:.3f}")
        if floor is not None and method != floor:
            difference = row["dice_mean"] - floor_mean
            cells["floor_difference"] = f"{difference:+.3f}"
            if tests is not None and method in tests.index:
                p_holm = tests.loc[method, "p_holm"]
                cells["floor_p"] = fmt_p(p_holm)
                cells["floor_mark"] = floor_mark(difference, p_holm, claims=claims)
                cells["below_floor"] = cells["floor_mark"] == BELOW
                cells["not_shown"] = cells["floor_mark"] == NOT_SHOWN
        for metric in LEADERBOARD_METRICS:
            digits = 3 if metric in ("dice", "jaccard") else 2
            cells[metric] = {
                "mean": fmt(row[f"{metric}_mean"], digits),
                "median": fmt(row[f"{metric}_median"], digits),
                "ci": f"{fmt(row[f'{metric}_low'], digits)}, {fmt(row[f'{metric}_high'], digits)}",
                "sort": row[f"{metric}_mean"] if np.isfinite(row[f"{metric}_mean"]) else "",
            }
        rows.append(cells)
    return rows


def track_section(run: RunData, name: str, methods: list[str], per_case: pd.DataFrame, *,
                  seed: int, claims: bool, figures: bool = True) -> dict:
    """One track's leaderboard, floor, tests and figures (none when not ``figures``)."""
    board = leaderboard(run.metrics, methods, seed=seed)
    floors = floor_methods(run, methods)
    floor = strongest_floor(board, floors)
    order = list(board.index)
    ranked = [m for m in order if m not in floors]
    tests = track_tests(run, methods, ranked, floor, board, seed=seed)
    rows = _board_rows(run, board, floor, floors, tests.get("floor"), claims=claims)
    return {
        "name": name, "key": "roi" if name == TRACKS[True] else "automatic",
        "floor": floor, "floors": floors, "rows": rows, "order": order, "board": board,
        "ranked": ranked, "claims": claims,
        "floor_dice": fmt(board.loc[floor, "dice_mean"]) if floor is not None else "",
        "floors_ran": [{"method": m, "dice": fmt(board.loc[m, "dice_mean"])} for m in order
                       if m in floors],
        "below_floor": [r["method"] for r in rows if r["below_floor"]],
        "not_shown": [r["method"] for r in rows if r["not_shown"]],
        "degenerate": [r["method"] for r in rows if r["degenerate"]],
        "shares_reference": [r["method"] for r in rows if r["shares_reference"]],
        "reference_algorithm_from": run.record.get("dataset", {}).get(
            "reference_algorithm_from", ""),
        "tests": tests,
        "test_tables": [_test_table(key, tests[key], claims=claims)
                        for key in ("dice", "hd95", "floor") if key in tests],
        "figures": [plots.distributions(per_case, order, m, METRICS[m].label, floor=floor,
                                        title=name)
                    for m in ("dice", "hd95")] if figures else [],
    }


def leaderboard_section(run: RunData, seed: int, *, figures: bool = True) -> dict:
    """One leaderboard per track (mean, median, patient-level CI), floors and paired tests.

    ``figures=False`` leaves the figures out (the numbers alone, for the Python API).
    """
    claims = not smoke_test(run.record)
    # the plots show each case once: averaged over the seeds of a model trained several times
    per_case = seed_average(run.metrics, [c for c in run.metrics.columns if c in METRICS]
                            + ["empty_flag"])
    tracks = [track_section(run, name, methods, per_case, seed=seed, claims=claims,
                            figures=figures)
              for name, methods in track_methods(run).items()]
    return {"has_floor": any(t["floor"] for t in tracks),
            "has_ceiling": any(np.isfinite(t["board"]["ceiling_mean"]).any() for t in tracks),
            "claims": claims,
            "metrics": [{"key": k, "label": METRICS[k].label,
                         "better": "higher" if METRICS[k].higher_is_better else "lower"}
                        for k in LEADERBOARD_METRICS],
            "tracks": tracks, "order": [m for t in tracks for m in t["order"]],
            "n_resamples": N_RESAMPLES, "roi_note": roi_note(run),
            "whole_crop": f"{WHOLE_CROP:.0%}", "degenerate_share": f"{DEGENERATE_SHARE:.0%}",
            "floor_note": run.record.get("floor_note", "")}
