"""The report of a study: curves of Dice against the study's level, tables, and what they say.

Reads ``study.json`` and ``study_metrics.csv`` only (the level folders are ordinary run
folders with their own files); a level's setting, the reference level and how to draw the
study come from ``study.json`` (typed ``params``, ``reference``, ``presentation``), never from
a level's or a study's name. Every Dice value is a mean over the test cases of all folds,
each case first averaged over the training seeds, with a 95 % percentile bootstrap interval
that resamples patients (:func:`reports.stats.cluster_bootstrap_ci`). Differences between
levels pair each case with itself (the test cases are the same at every level), so their
intervals are tighter than the two levels' own intervals suggest.

Every table of paired changes or tests is one family: its p-values are Holm-adjusted over
that table's comparisons, and a change is read as a finding only when it survives
(:data:`ALPHA`). A comparison that involves a deep model, or several training seeds, is
tested over the folds (each fold one training; :func:`paired_test`), a comparison of
classical methods trained once over the patients.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.ground import store
from benchmark.ground.errors import InputError
from reports import plots
from reports.format import fmt, fmt_p
from reports.leaderboards import smoke_test
from reports.stats import (
    PATIENT_TEST,
    cluster_bootstrap_ci,
    corrected_resampled_ttest,
    fold_means,
    holm,
    seed_average,
    track_of,
    wilcoxon_pair,
)

#: The condition of the rows of a level run as it is (robustness names its two conditions).
SAME = "as run"
FLOOR_FAMILY = "floor"
#: The family-wise error rate of a table's comparisons (Holm).
ALPHA = 0.05
#: The test of a comparison that involves a trained model, as the report names it.
FOLD_TEST = "corrected resampled t over folds"
#: Per-case differences this small are no difference (floating-point noise).
ZERO = 1e-9
#: The layout of ``study.json`` this report reads (levels with typed parameters).
STUDY_FORMAT = 2


def load_study(study_dir: str | os.PathLike) -> tuple[dict, pd.DataFrame]:
    """``study.json`` and ``study_metrics.csv`` of a complete study folder.

    Raises
    ------
    InputError
        If the folder is not a complete study.
    """
    folder = Path(study_dir)
    path = folder / store.STUDY_JSON
    if not path.is_file():
        raise InputError("holds no study.json: not a study folder", folder)
    record = store.read_json(path)
    if record.get("status") != "complete" or not (folder / store.STUDY_CSV).is_file():
        raise InputError("the study is not complete; rerun its command with --out "
                         f"{folder} to finish it", folder)
    if record.get("massbench_study", 1) < STUDY_FORMAT or "presentation" not in record:
        raise InputError("was made by an older massbench (levels without typed "
                         "parameters); rerun its command with a new --out to report it", path)
    table = pd.read_csv(folder / store.STUDY_CSV, dtype={"case": str, "patient": str})
    return record, table


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean Dice and its patient-level CI per (condition, level, method).

    Returns
    -------
    DataFrame
        Columns ``condition, level, level_value, method, family, track, n_train_cases``
        (mean over folds), ``dice, low, high, n_cases, n_empty`` (empty predictions, per
        seed), ``n_seeds``.
    """
    rows = []
    keys = ["condition", "level", "method"]
    for (condition, level, method), part in table.groupby(keys, sort=False):
        per_case = seed_average(part, ["dice"])
        values = per_case["dice"].to_numpy(float)
        low, high = cluster_bootstrap_ci(values, per_case["patient"].to_numpy())
        k = max(1, part["seed"].nunique())
        rows.append({"condition": condition, "level": level,
                     "level_value": float(part["level_value"].iloc[0]), "method": method,
                     "family": part["family"].iloc[0],
                     "track": track_of(bool(part["needs_roi"].iloc[0])),
                     "n_train_cases": float(part.groupby("fold")["n_train_cases"].first()
                                            .mean()),
                     "dice": float(np.nanmean(values)) if np.isfinite(values).any()
                     else np.nan, "low": low, "high": high,
                     "n_cases": int(per_case["case"].nunique()),
                     "n_empty": float(((part["tp"] + part["fp"]) == 0).sum() / k),
                     "n_seeds": k})
    return pd.DataFrame(rows)


def _rows(table: pd.DataFrame, condition: str, level: str, method: str) -> pd.DataFrame:
    """The rows of one method at one level under one condition (every fold, seed, case)."""
    return table[(table["condition"] == condition) & (table["level"] == level)
                 & (table["method"] == method)]


def _per_case(table: pd.DataFrame, condition: str, level: str, method: str) -> pd.DataFrame:
    return seed_average(_rows(table, condition, level, method), ["dice"]).set_index("case")


def _fold_level(part: pd.DataFrame) -> bool:
    """Whether the rows' method carries training variance: deep, or several seeds."""
    return bool((part["family"] == "deep").any()) or part["seed"].nunique() > 1


def _test_train_ratio(part: pd.DataFrame) -> float:
    """Mean over the folds of the test cases over the annotated training cases."""
    folds = part.drop_duplicates(["fold", "case"])
    n_test = folds["fold"].value_counts().sort_index()
    n_train = folds.groupby("fold")["n_train_cases"].first().clip(lower=1)
    return float((n_test / n_train).mean())


def paired_test(here: pd.DataFrame, there: pd.DataFrame) -> dict:
    """The test of one paired comparison: ``here`` against ``there``, on the same cases.

    Each side is the rows of one method at one level and condition (every fold, training
    seed and test case of ``study_metrics.csv``). When either side is a deep model (family
    ``deep``) or was trained with several seeds, a per-patient test would treat one training
    as the method: each fold is one training, so the training noise sits at the fold, and
    the test is the corrected resampled t-test over the folds' seed-averaged mean Dice
    (:func:`reports.stats.corrected_resampled_ttest`, with the larger of the two sides' test
    / training ratios, the more cautious). Otherwise (classical methods, fitted once) the
    Wilcoxon signed-rank test over patients (:func:`reports.stats.wilcoxon_pair`).

    This is the study report's one place that chooses a test; the shared choice of
    ``reports.inference`` can replace its body.

    Returns
    -------
    dict
        ``test`` (:data:`FOLD_TEST` or :data:`reports.stats.PATIENT_TEST`), ``p``,
        ``n_units`` (folds or patients).
    """
    if _fold_level(here) or _fold_level(there):
        a = fold_means(here, here["method"].iloc[0])
        b = fold_means(there, there["method"].iloc[0])
        diffs = (a - b.reindex(a.index)).to_numpy(float)
        ratio = max(_test_train_ratio(here), _test_train_ratio(there))
        out = corrected_resampled_ttest(diffs, ratio)
        return {"test": FOLD_TEST, "p": out["p_value"], "n_units": out["n_units"]}
    a = seed_average(here, ["dice"]).set_index("case")
    b = seed_average(there, ["dice"]).set_index("case")
    out = wilcoxon_pair(a["dice"], b["dice"].reindex(a.index), a["patient"])
    return {"test": PATIENT_TEST, "p": out["p_value"], "n_units": out["n_units"]}


def paired_change(table: pd.DataFrame, method: str, *, condition: str, level: str,
                  reference: str, reference_condition: str | None = None) -> dict:
    """Mean Dice at ``level`` minus at ``reference`` over the same cases, with its CI and test.

    Returns
    -------
    dict
        ``change``, ``low``, ``high`` (patient-level bootstrap of the paired differences),
        ``identical`` (every case scores the same at both levels: no change at all), and
        :func:`paired_test`'s ``p`` and ``test`` (uncorrected: a table corrects its own).
    """
    rows_here = _rows(table, condition, level, method)
    rows_there = _rows(table, reference_condition or condition, reference, method)
    here = seed_average(rows_here, ["dice"]).set_index("case")
    there = seed_average(rows_there, ["dice"]).set_index("case")
    both = here[["dice", "patient"]].join(there[["dice"]].rename(columns={"dice": "dice_ref"}),
                                          how="inner")
    both = both.dropna(subset=["dice", "dice_ref"])
    if both.empty:
        return {"change": np.nan, "low": np.nan, "high": np.nan, "p": np.nan, "test": "",
                "identical": False}
    diff = (both["dice"] - both["dice_ref"]).to_numpy(float)
    low, high = cluster_bootstrap_ci(diff, both["patient"].to_numpy())
    test = paired_test(rows_here, rows_there)
    return {"change": float(diff.mean()), "low": low, "high": high, "p": test["p"],
            "test": test["test"], "identical": bool(np.all(np.abs(diff) <= ZERO))}


def _cell(mean, low, high) -> str:
    if not np.isfinite(mean):
        return "–"
    return f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"


def _signed(value) -> str:
    return "–" if not np.isfinite(value) else f"{value:+.3f}"


def shows_difference(change: dict) -> bool:
    """Whether a change's interval excludes 0 as the table prints it (three decimals).

    A change of exactly zero at every case, or one whose printed interval is
    ``+0.000 [+0.000, +0.000]``, is no difference, whatever its test says.

    Examples
    --------
    >>> shows_difference({"identical": False, "low": 0.0002, "high": 0.0004})
    False
    >>> shows_difference({"identical": False, "low": -0.031, "high": -0.004})
    True
    """
    if change.get("identical") or not (np.isfinite(change["low"])
                                       and np.isfinite(change["high"])):
        return False
    return round(change["low"], 3) > 0 or round(change["high"], 3) < 0


def _change_text(change: dict) -> str:
    """A change as the table prints it; one that is zero is not written as a difference.

    Examples
    --------
    >>> _change_text({"identical": False, "change": -0.0312, "low": -0.05, "high": -0.012})
    '-0.031 [-0.050, -0.012]'
    >>> _change_text({"identical": False, "change": 1e-5, "low": 1e-5, "high": 2e-5})
    'no change at three decimals'
    """
    if change["identical"]:
        return "no change (every case scores the same)"
    values = (change["change"], change["low"], change["high"])
    if all(np.isfinite(v) and round(v, 3) == 0 for v in values):
        return "no change at three decimals"
    return f"{_signed(values[0])} [{_signed(values[1])}, {_signed(values[2])}]"


def _methods_in_order(summary: pd.DataFrame) -> list[str]:
    """Methods by track (ROI given first), then by mean Dice at the last level, floors last."""
    last = summary[summary["level"] == summary["level"].iloc[-1]]
    last = last.drop_duplicates("method").copy()
    last["is_floor"] = last["family"] == FLOOR_FAMILY
    last = last.sort_values(["track", "is_floor", "dice"], ascending=[True, True, False])
    return last["method"].tolist()


def level_table(summary: pd.DataFrame, levels: list[dict], condition: str) -> dict:
    """Mean Dice [CI] per method (rows) and level (columns) for one condition."""
    part = summary[summary["condition"] == condition]
    rows = []
    for method in _methods_in_order(part):
        mine = part[part["method"] == method].set_index("level")
        rows.append({"method": method, "track": mine["track"].iloc[0],
                     "floor": mine["family"].iloc[0] == FLOOR_FAMILY,
                     "values": [_cell(*mine.loc[lv["name"], ["dice", "low", "high"]])
                                if lv["name"] in mine.index else "–" for lv in levels]})
    return {"condition": condition, "levels": [lv["label"] for lv in levels], "rows": rows}


def _holm_family(items: list[dict]) -> int:
    """Add ``p_holm`` to each item (Holm over the items' finite ``p``); their number."""
    adjusted = holm([item["p"] for item in items]) if items else []
    for item, p in zip(items, adjusted, strict=True):
        item["p_holm"] = float(p)
    return int(np.isfinite([item["p"] for item in items]).sum()) if items else 0


def change_table(table: pd.DataFrame, summary: pd.DataFrame, levels: list[dict], *,
                 condition: str, reference: str, reference_label: str) -> dict:
    """Change of each method's mean Dice from the reference level, with CI and Holm's p.

    The p-values are Holm-adjusted over every (method, level) comparison of the table; a
    change is a finding (``significant``, bold) when its adjusted p is below :data:`ALPHA`
    and its printed interval excludes 0 (:func:`shows_difference`).

    Returns
    -------
    dict
        ``condition``, ``reference``, ``levels`` (labels), ``rows`` (``method``,
        ``floor``, ``values``: per level ``text``, ``p`` (Holm), ``fold_test``,
        ``significant``), ``n_tests`` (the comparisons Holm ran over) and ``findings``
        (the changes that survive, in words), ``has_fold_test``.
    """
    part = summary[summary["condition"] == condition]
    others = [lv for lv in levels if lv["name"] != reference]
    methods = _methods_in_order(part)
    changes = [{"method": m, "level": lv,
                **paired_change(table, m, condition=condition, level=lv["name"],
                                reference=reference)}
               for m in methods for lv in others]
    n_tests = _holm_family(changes)
    by_method = {m: [c for c in changes if c["method"] == m] for m in methods}
    rows, findings = [], []
    for method in methods:
        values = []
        for change in by_method[method]:
            significant = bool(shows_difference(change) and np.isfinite(change["p_holm"])
                               and change["p_holm"] < ALPHA)
            text = _change_text(change)
            values.append({"text": text, "p": fmt_p(change["p_holm"]),
                           "fold_test": change["test"] == FOLD_TEST,
                           "significant": significant})
            if significant:
                findings.append(f"{method} at {change['level']['label']}: {text}, p "
                                f"{fmt_p(change['p_holm'])}")
        rows.append({"method": method, "values": values,
                     "floor": part.loc[part["method"] == method, "family"].iloc[0]
                     == FLOOR_FAMILY})
    return {"condition": condition, "reference": reference_label,
            "levels": [lv["label"] for lv in others], "rows": rows, "n_tests": n_tests,
            "findings": findings, "has_fold_test": any(c["test"] == FOLD_TEST for c in changes)}


def crossings(summary: pd.DataFrame, table: pd.DataFrame) -> list[dict]:
    """Where each deep model's learning curve crosses each classical method's, per track.

    The training size is the mean number of annotated cases per fold; a crossing is
    interpolated linearly (in the logarithm of the size) between the two levels where the
    difference of the means changes sign, and the last crossing counts. ``p_last`` compares
    the two at the largest size (:func:`paired_test`: over the folds, a deep model is one of
    them), Holm-adjusted over the rows of this table.
    """
    rows = []
    part = summary[summary["condition"] == summary["condition"].iloc[0]]
    levels = part.drop_duplicates("level").sort_values("n_train_cases")
    largest = levels["level"].iloc[-1]
    for track in ("ROI given", "automatic"):
        mine = part[part["track"] == track]
        deep = mine.loc[mine["family"] == "deep", "method"].unique()
        classical = mine.loc[~mine["family"].isin(["deep", FLOOR_FAMILY]), "method"].unique()
        for d in deep:
            for c in classical:
                a = mine[mine["method"] == d].set_index("level")
                b = mine[mine["method"] == c].set_index("level")
                sizes = levels["n_train_cases"].to_numpy(float)
                diff = np.array([a.loc[lv, "dice"] - b.loc[lv, "dice"]
                                 for lv in levels["level"]])
                test = _pair_at(table, largest, d, c)
                rows.append({"track": track, "deep": d, "classical": c,
                             "first": _signed(diff[0]), "last": _signed(diff[-1]),
                             "p": test["p"], "fold_test": test["test"] == FOLD_TEST,
                             "verdict": _verdict(sizes, diff)})
    n_tests = _holm_family(rows)
    for row in rows:
        row["p_last"] = fmt_p(row["p_holm"])
        row["n_tests"] = n_tests
    return rows


def _pair_at(table: pd.DataFrame, level: str, a: str, b: str) -> dict:
    condition = table["condition"].iloc[0]
    return paired_test(_rows(table, condition, level, a), _rows(table, condition, level, b))


def _verdict(sizes: np.ndarray, diff: np.ndarray) -> str:
    """Words for the sign pattern of (deep - classical) mean Dice along the sizes."""
    if not np.all(np.isfinite(diff)):
        return "not computable (a level has no score)"
    if np.all(diff > 0):
        return f"above at every size (from {sizes[0]:.0f} cases)"
    if diff[-1] <= 0:
        return f"never ahead at the largest size ({sizes[-1]:.0f} cases)" if np.all(
            diff <= 0) else "ahead at some sizes, behind at the largest"
    k = int(np.flatnonzero(diff <= 0)[-1])  # last level at or below; above from k + 1 on
    x0, x1 = np.log(sizes[k]), np.log(sizes[k + 1])
    t = -diff[k] / (diff[k + 1] - diff[k])
    return f"overtakes at about {np.exp(x0 + t * (x1 - x0)):.0f} cases"


def _panels(summary: pd.DataFrame, x: str) -> list[tuple[str, pd.DataFrame]]:
    panels = []
    conditions = summary["condition"].unique().tolist()
    for condition in conditions:
        for track in ("ROI given", "automatic"):
            part = summary[(summary["condition"] == condition) & (summary["track"] == track)]
            if part.empty:
                continue
            title = f"track: {track}" + (f", {condition}" if len(conditions) > 1 else "")
            panels.append((title, part.assign(x=part[x])))
    return panels


def study_levels(record: dict) -> list[dict]:
    """The levels of ``study.json``, each once, in the study's order."""
    seen, levels = set(), []
    for lv in record["levels"]:
        if lv["name"] not in seen:
            seen.add(lv["name"])
            levels.append(lv)
    return levels


def build_study(study_dir: str | os.PathLike) -> dict:
    """The study report's context: header, figure, tables and the reading notes."""
    record, table = load_study(study_dir)
    name = record["study"]
    shown = record["presentation"]
    summary = summarise(table)
    unique_levels = study_levels(record)
    labels = {lv["name"]: lv["label"] for lv in unique_levels}
    # a level's place on the axis is the record's (its typed value), not the name's
    summary["level_value"] = summary["level"].map({lv["name"]: float(lv["value"])
                                                   for lv in unique_levels})
    ticks = {float(lv["value"]): lv["tick"] for lv in unique_levels if lv.get("tick")}
    figure = plots.study_curves(_panels(summary, shown["x"]), axis=record["axis"],
                                log_x=shown["log_x"], ticks=ticks or None,
                                alt_intro=f"Study {name}: mean Dice per method against "
                                          f"{record['axis']}")
    conditions = summary["condition"].unique().tolist()
    tables = [level_table(summary, unique_levels, c) for c in conditions]
    reference = next(lv for lv in unique_levels if lv["reference"])
    changes = [change_table(table, summary, unique_levels, condition=c,
                            reference=reference["name"], reference_label=reference["label"])
               for c in conditions]
    settings = record["settings"]
    per_level = [{"label": lv["label"], "condition": lv["condition"], "folder": lv["run_dir"],
                  "n_train": ", ".join(str(n) for n in lv["n_train_cases"]),
                  "stops": _stops(Path(study_dir) / lv["run_dir"]),
                  "epoch_factors": _factors(lv.get("epoch_factors"))}
                 for lv in record["levels"]]
    return {
        "title": f"massbench study: {name}",
        "smoke_test": smoke_test(record),
        "study": name, "question": record["question"], "axis": record["axis"],
        "description": shown["description"], "alpha": ALPHA,
        "figure": figure, "tables": tables, "changes": changes,
        "crossings": crossings(summary, table) if shown["crossings"] else [],
        "levels": per_level,
        "has_deep": any(lv["stops"] != "–" for lv in per_level),
        "has_factors": any(lv.get("epoch_factors") for lv in record["levels"]),
        "settings": {"methods": ", ".join(settings["methods"]),
                     "profile": settings["profile"], "data": settings["data"],
                     "folds": settings["folds"] or "the profile's",
                     "seed": settings["seed"], "seeds": settings["seeds"] or "the profile's",
                     "roi_margin": settings["roi_margin"]},
        "n_cases": int(table["case"].nunique()),
        "n_patients": int(table["patient"].nunique()),
        "n_seeds": int(summary["n_seeds"].max()),
        "environment": {"command": record.get("command_line") or "(Python API)",
                        "backend": record.get("keras_backend") or "none (no deep method)",
                        "device": record.get("device", "cpu"),
                        "versions": ", ".join(f"{k} {v}" for k, v in
                                              sorted(record["versions"].items())),
                        "machine": record["machine"]["cpu"],
                        "cores": record["machine"]["cores"],
                        "wall": _wall(record)},
        "empty": [f"{r.method}, {labels[r.level]}"
                  f"{'' if r.condition == SAME else f' ({r.condition})'}: {r.n_empty:g} of "
                  f"{r.n_cases}" for r in summary.itertuples() if r.n_empty > 0],
    }


def _stops(run_dir: Path) -> str:
    """How a level's deep trainings stopped: ``plateau / cap / collapsed`` counts, or a dash."""
    record = store.read_json(run_dir / store.RUN_JSON)
    deep = [c for name, c in record.get("cells", {}).items()
            if record["methods"][name.split("/")[0]]["family"] == "deep"]
    if not deep:
        return "–"
    counts = [sum(c.get("stopped") == s for c in deep) for s in ("plateau", "cap", "collapsed")]
    restarts = sum(c.get("restarts", 0) for c in deep)
    return " / ".join(map(str, counts)) + (f" ({restarts} restarts)" if restarts else "")


def _factors(factors: dict | None) -> str:
    """Epoch factors per fold (``x7.5, x7``), per method where the methods differ; 1 as a dash.

    Examples
    --------
    >>> _factors({"unet_roi": [7.5, 7.0], "unet_course": [7.5, 7.0]})
    '×7.5, ×7'
    >>> _factors({})
    '×1 (the full training part)'
    """
    if not factors:
        return "×1 (the full training part)"
    texts = {m: ", ".join(f"×{f:.3g}" for f in values) for m, values in factors.items()}
    if len(set(texts.values())) == 1:
        return next(iter(texts.values()))
    return "; ".join(f"{m}: {t}" for m, t in texts.items())


def _wall(record: dict) -> str:
    """The study's time: the sum over its attempts, and the last one's when there were more.

    Examples
    --------
    >>> _wall({"wall_s": 700.0, "attempt_s": [400.0, 300.0], "stages": {}})
    '11 min 40 s over 2 attempts (the last 5 min 0 s)'
    >>> _wall({"wall_s": 65.0, "attempt_s": [65.0], "stages": {}})
    '1 min 5 s'
    """
    attempts = record.get("attempt_s") or []
    total = _minutes(record.get("wall_s", record["stages"].get("run_s")))
    if len(attempts) < 2:
        return total
    unknown = sum(a is None for a in attempts)
    return (f"{total} over {len(attempts)} attempts (the last {_minutes(attempts[-1])}"
            + (f"; {unknown} earlier attempt(s) not timed" if unknown else "") + ")")


def _minutes(seconds) -> str:
    if seconds is None:
        return "–"
    return f"{int(seconds // 60)} min {int(round(seconds % 60))} s"
