"""From a run's files to the plain data the report template shows, section by section.

Every number and every figure of the page is made here; the template only lays them out.
Tables are lists of row dicts whose values are already formatted strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark.ground.metrics import METRICS
from reports import plots
from reports.diagnosis import diagnosis_section
from reports.format import fmt, fmt_p
from reports.glance import glance_section, hd95_leader
from reports.rundata import RunData
from reports.stats import (
    DEGENERATE_SHARE,
    LEADERBOARD_METRICS,
    N_RESAMPLES,
    SEEDED_TEST,
    TRACKS,
    WHOLE_CROP,
    degenerate_note,
    leaderboard,
    mask_flag,
    paired_tests,
    seed_average,
    track_of,
)

REFERENCE_NOTES = {
    "exact": "The reference masks are exact: the phantom draws each mass body before blur "
             "and noise, so scores measure agreement with the true lesion.",
    "manual": "The reference masks were drawn by hand: scores measure agreement with one "
              "reader, whose outlines carry their own variability.",
    "semi-automatic": "The reference masks were made by a semi-automatic algorithm: scores "
                      "measure agreement with that algorithm, not clinical truth, and favour "
                      "methods that resemble it.",
    "unknown": "This dataset does not say how its reference masks were made. If a "
               "semi-automatic algorithm made them (as the course's own reference set was "
               "made with the radial max-variance method), scores measure agreement with "
               "that algorithm, not clinical truth.",
}


def dataset_section(run: RunData) -> dict:
    """Counts, the reference note and example crops."""
    info = run.record["dataset"]
    cases = run.cases()
    labels = run.metrics.drop_duplicates("case").set_index("case")["label"]
    shapes = pd.Series([m.shape for _, m in cases.values()]).value_counts()
    examples = []
    for label, caption in ((1, "malignant"), (0, "benign")):
        ids = sorted(labels.index[labels == label])[:3]
        examples.extend((c, cases[c][0], cases[c][1], caption) for c in ids)
    if not examples:
        examples = [(c, cases[c][0], cases[c][1], "unlabelled") for c in sorted(cases)[:6]]
    return {
        "name": info["name"], "source": info["source"], "fingerprint": info["fingerprint"],
        "generator": info.get("generator", ""),
        "labels_from": info.get("labels_from", ""), "patients_from": info.get("patients_from", ""),
        "n_cases": info["n_cases"], "n_patients": info["n_patients"],
        "n_malignant": int((labels == 1).sum()), "n_benign": int((labels == 0).sum()),
        "n_unlabelled": int(labels.isna().sum()),
        "sizes": ", ".join(f"{r} x {c} ({n})" for (r, c), n in shapes.items()),
        "reference": info["reference"], "reference_note": REFERENCE_NOTES[info["reference"]],
        "figure": plots.examples(examples),
    }


def split_section(run: RunData) -> list[dict]:
    """Cases, patients and labels of every part of every fold."""
    per_case = run.metrics.drop_duplicates("case").set_index("case")
    rows = []
    for fold in run.splits["folds"]:
        row = {"fold": fold["fold"]}
        for part in ("train", "val", "test"):
            ids = fold[part]
            labels = per_case.loc[ids, "label"] if ids else pd.Series(dtype=float)
            row[part] = (f"{len(ids)} cases, {per_case.loc[ids, 'patient'].nunique()} "
                         f"patients, {int((labels == 1).sum())} M / {int((labels == 0).sum())} B")
        rows.append(row)
    return rows


def method_section(run: RunData) -> list[dict]:
    """Family, ROI use, description and what was tuned or trained, per method."""
    rows = []
    for method in run.methods:
        meta = run.record["methods"][method]
        cells = [run.cells[method, f["fold"]] for f in run.splits["folds"]]
        if meta["family"] == "deep":
            params = cells[0].get("params", {})
            arch = params.get("model_kwargs") or {}
            arch_text = "".join(f"; {k} {'/'.join(map(str, v)) if isinstance(v, list) else v}"
                                for k, v in arch.items())
            detail = (f"{cells[0].get('backend', '?')} on {cells[0].get('device', '?')}; input "
                      f"{params.get('input_size', '?')} px{arch_text}; epochs run (best) per "
                      "fold: " + ", ".join(f"fold {f['fold']}: {c.get('epochs_run')} "
                                           f"({c.get('best_epoch')})"
                                           for f, c in zip(run.splits["folds"], cells,
                                                           strict=True)))
        elif "radius" in cells[0]:  # the prior disk: what it learned on each fold
            detail = "disk learned per fold (centre row, col; radius, as fractions of the " \
                     "image): " + "; ".join(f"fold {f['fold']}: {c['centre'][0]:.2f}, "
                                            f"{c['centre'][1]:.2f}; {c['radius']:.3f}"
                                            for f, c in zip(run.splits["folds"], cells,
                                                            strict=True))
        else:
            tuned = [c.get("tuned_params") or {} for c in cells]
            if any(tuned):
                detail = "tuned per fold: " + "; ".join(
                    f"fold {f['fold']}: " + ", ".join(f"{k}={v}" for k, v in t.items())
                    for f, t in zip(run.splits["folds"], tuned, strict=True))
            else:
                detail = "no free parameters tuned"
        rows.append({"method": method, "family": meta["family"],
                     "track": track_of(meta["needs_roi"]),
                     "description": meta["description"],
                     "detail": detail})
    return rows


def track_methods(run: RunData) -> dict[str, list[str]]:
    """Track name -> its methods in run order (the ROI-given track first; empty ones left out)."""
    tracks = {name: [] for name in TRACKS.values()}
    for method in run.methods:
        tracks[track_of(run.record["methods"][method]["needs_roi"])].append(method)
    return {name: methods for name, methods in tracks.items() if methods}


def floor_of(run: RunData, methods: list[str]) -> str | None:
    """The floor (family ``floor``) among a track's methods, if it ran."""
    floors = [m for m in methods if run.record["methods"][m]["family"] == "floor"]
    return floors[0] if floors else None


def roi_note(run: RunData) -> str:
    """How the run's ROI boxes were drawn, in words."""
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


def _board_rows(run: RunData, board: pd.DataFrame, floor: str | None,
                floor_tests: pd.DataFrame | None) -> list[dict]:
    rows = []
    floor_mean = board.loc[floor, "dice_mean"] if floor is not None else np.nan
    tests = floor_tests.set_index("method") if floor_tests is not None else None
    for rank, (method, row) in enumerate(board.iterrows(), start=1):
        cells = {"rank": rank, "method": method,
                 "family": run.record["methods"][method]["family"],
                 "n": int(row["n_cases"]), "patients": int(row["n_patients"]),
                 "empty": f"{row['n_empty']:g}", "is_floor": method == floor,
                 "floor_difference": "", "below_floor": False, "seeds": "",
                 "whole": f"{row['n_whole']:g}",
                 "degenerate": (degenerate_note(row["n_empty"], row["n_whole"], row["n_cases"])
                                if row["degenerate"] else "")}
        if row["n_seeds"] > 1:  # the spread of the per-seed means: the training variance
            cells["seeds"] = (f"{int(row['n_seeds'])} seeds: SD {row['dice_seed_sd']:.3f}, "
                              f"{row['dice_seed_min']:.3f}-{row['dice_seed_max']:.3f}")
        if floor is not None and method != floor:
            difference = row["dice_mean"] - floor_mean
            p_holm = tests.loc[method, "p_holm"] if method in tests.index else np.nan
            cells["floor_difference"] = f"{difference:+.3f}"
            cells["floor_p"] = fmt_p(p_holm)
            # above the floor: a higher mean, and a paired test that says so
            cells["below_floor"] = not (difference > 0 and np.isfinite(p_holm)
                                        and p_holm < 0.05)
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


def holdout_ratio(run: RunData) -> float:
    """Test cases over training cases (train + validation) of a fold, averaged over folds."""
    folds = run.splits["folds"]
    return float(np.mean([len(f["test"]) for f in folds])
                 / np.mean([len(f["train"]) + len(f["val"]) for f in folds]))


def _test_tables(run: RunData, methods: list[str]) -> list[dict]:
    tests = []
    for metric in ("dice", "hd95"):
        table = paired_tests(run.metrics, methods, metric,
                             test_train_ratio=holdout_ratio(run))
        best = table["best"].iloc[0] if len(table) else methods[0]
        tests.append({
            "key": metric, "metric": METRICS[metric].label, "best": best,
            "rows": [{"method": r.method, "n": r.n_pairs, "units": r.n_units,
                      "test": ("corrected t, folds" if r.test == SEEDED_TEST
                               else "Wilcoxon, patients"),
                      "difference": fmt(r.median_difference, 3 if metric == "dice" else 2),
                      "statistic": fmt(r.statistic, 1), "p": fmt_p(r.p_value),
                      "p_holm": fmt_p(r.p_holm),
                      "significant": bool(np.isfinite(r.p_holm) and r.p_holm < 0.05)}
                     for r in table.itertuples()],
        })
    return tests


def leaderboard_section(run: RunData, seed: int) -> dict:
    """One leaderboard per track (mean, median, patient-level CI), floors and paired tests."""
    tracks = []
    # the plots show each case once: averaged over the seeds of a model trained several times
    per_case = seed_average(run.metrics, [c for c in run.metrics.columns if c in METRICS]
                            + ["empty_flag"])
    ratio = holdout_ratio(run)
    for name, methods in track_methods(run).items():
        board = leaderboard(run.metrics, methods, seed=seed)
        floor = floor_of(run, methods)
        floor_tests = (paired_tests(run.metrics, methods, "dice", against=floor,
                                    test_train_ratio=ratio)
                       if floor is not None and len(methods) > 1 else None)
        order = list(board.index)
        rows = _board_rows(run, board, floor, floor_tests)
        tracks.append({
            "name": name, "key": "roi" if name == TRACKS[True] else "automatic",
            "floor": floor, "rows": rows, "order": order, "board": board,
            "floor_dice": fmt(board.loc[floor, "dice_mean"]) if floor is not None else "",
            "below_floor": [r["method"] for r in rows if r["below_floor"]],
            "degenerate": [r["method"] for r in rows if r["degenerate"]],
            "tests": _test_tables(run, methods) if len(methods) > 1 else [],
            "figures": [plots.distributions(per_case, order, m, METRICS[m].label, floor=floor,
                                            title=name)
                        for m in ("dice", "hd95")],
        })
    return {"has_floor": any(t["floor"] for t in tracks),
            "metrics": [{"key": k, "label": METRICS[k].label,
                         "better": "higher" if METRICS[k].higher_is_better else "lower"}
                        for k in LEADERBOARD_METRICS],
            "tracks": tracks, "order": [m for t in tracks for m in t["order"]],
            "n_resamples": N_RESAMPLES, "roi_note": roi_note(run),
            "whole_crop": f"{WHOLE_CROP:.0%}", "degenerate_share": f"{DEGENERATE_SHARE:.0%}"}


def gallery_section(run: RunData, order: list[str]) -> list[dict]:
    """Best, median and worst test case (by Dice) of every method, with both outlines.

    A model trained with several seeds is shown by its first seed's predictions.
    """
    cases = run.cases()
    sections = []
    for method in order:
        part = run.metrics[run.metrics["method"] == method].dropna(subset=["dice"])
        part = part[part["seed"] == 0]  # the masks drawn are the first training seed's
        if part.empty:
            continue
        ranked = part.sort_values(["dice", "case"], ascending=[False, True], kind="stable")
        picks = {"best": ranked.iloc[0], "median": ranked.iloc[len(ranked) // 2],
                 "worst": ranked.iloc[-1]}
        items = []
        for rank, row in picks.items():
            image, reference = cases[row["case"]]
            predicted = run.prediction(method, int(row["fold"]), row["case"])
            items.append((rank, row["case"], float(row["dice"]), image, reference, predicted))
        sections.append({"method": method, "figure": plots.gallery_row(method, items),
                         "cases": [{"rank": r, "case": c, "dice": fmt(d),
                                    "flag": mask_flag(p)} for r, c, d, _, _, p in items]})
    return sections


def training_section(run: RunData) -> dict:
    """How each deep method's folds stopped, and their training curves.

    Returns
    -------
    dict
        ``convergence``: one row per deep method (trainings, one per fold and seed, stopped on
        a plateau, at the epoch cap, collapsed; restarts; epochs run and best epoch of
        each); ``curves``: the training-curve figures (first seed).
    """
    rows, curves = [], []
    for method in run.methods:
        if run.record["methods"][method]["family"] != "deep":
            continue
        # every training seed of every fold
        cells = [c for (m, _, _), c in sorted(run.seed_cells.items()) if m == method]
        stopped = [c.get("stopped", "unknown") for c in cells]
        rows.append({"method": method, "trainings": len(cells),
                     "plateau": stopped.count("plateau"), "cap": stopped.count("cap"),
                     "collapsed": stopped.count("collapsed"),
                     "unknown": stopped.count("unknown"),
                     "restarts": sum(c.get("restarts", 0) for c in cells),
                     "epoch_cap": (cells[0].get("params") or {}).get("epochs"),
                     "epochs": ", ".join(f"{c.get('epochs_run')} ({c.get('best_epoch')})"
                                         for c in cells)})
        histories = {fold: h for (m, fold), h in run.histories.items() if m == method}
        if histories:
            curves.append({"method": method,
                           "figure": plots.training_curves(method, histories)})
    return {"convergence": rows, "curves": curves}


def method_speed(run: RunData, method: str) -> tuple[float, float, float]:
    """Mean fit time per training (s), prediction time per case (ms), total time (s).

    Every training seed counts (``--seeds K`` trains a deep cell K times).
    """
    cells = [c for (m, _, _), c in run.seed_cells.items() if m == method]
    fit = [c["fit_s"] for c in cells]
    predict = sum(c["predict_s"] for c in cells)
    n_test = sum(c["n_test"] for c in cells)
    return float(np.mean(fit)), 1000 * predict / max(1, n_test), sum(fit) + predict


def timing_section(run: RunData) -> dict:
    """Fit and predict times per method."""
    rows, totals = [], {}
    for method in run.methods:
        fit, predict, totals[method] = method_speed(run, method)
        rows.append({"method": method, "fit": fmt(fit, 1), "predict": fmt(predict, 1),
                     "total": fmt(totals[method], 1)})
    frame = pd.DataFrame({"total_s": totals}).sort_values("total_s", ascending=False)
    figure = plots.timings(frame) if len(frame) else None
    stages = {k.removesuffix("_s"): fmt(v, 1) for k, v in run.record.get("stages", {}).items()}
    return {"rows": rows, "figure": figure, "stages": stages}


def environment_section(run: RunData) -> dict:
    """Versions, backend, device, machine, command and times."""
    record = run.record
    return {"versions": sorted(record.get("versions", {}).items()),
            "backend": record["settings"].get("keras_backend") or "none (no deep method)",
            "device": record.get("device", "cpu"), "machine": record.get("machine", {}),
            "command": record.get("command_line") or "", "executor": record.get("executor"),
            "start": record.get("start_time"), "end": record.get("end_time"),
            "settings": record["settings"], "profile": record.get("profile_settings", {})}


def build_report(run: RunData) -> dict:
    """Everything the report template shows."""
    seed = int(run.record["settings"].get("seed", 0))
    board = leaderboard_section(run, seed)
    profile = run.record["settings"]["profile"]
    glance = glance_section(board["tracks"],
                            {t["name"]: t["board"] for t in board["tracks"]},
                            {t["name"]: hd95_leader(t["board"], t["floor"])
                             for t in board["tracks"]}, profile=profile)
    return {
        "glance": glance,
        "title": f"massbench report: {run.path.name}",
        "run": {"name": run.path.name, "label": run.label,
                "profile": profile,
                "n_folds": len(run.splits["folds"]), "n_methods": len(run.methods)},
        "dataset": dataset_section(run),
        "splits": split_section(run),
        "methods": method_section(run),
        "leaderboard": board,
        "gallery": gallery_section(run, board["order"]),
        "training": training_section(run),
        "diagnosis": diagnosis_section(run),
        "timing": timing_section(run),
        "environment": environment_section(run),
    }
