"""From a run's files to the plain data the report template shows, section by section.

Every number and every figure of the page is made here (the leaderboards, floors and tests
in :mod:`reports.leaderboards`, the at-a-glance block in :mod:`reports.glance`); the template
only lays them out. Tables are lists of row dicts whose values are already formatted strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports import plots
from reports.diagnosis import diagnosis_section
from reports.format import fmt
from reports.glance import glance_section
from reports.leaderboards import (  # noqa: F401 (compare and the tests read them here)
    holdout_ratio,
    leaderboard_section,
    n_test_patients,
    smoke_test,
    track_methods,
)
from reports.rundata import RunData
from reports.stats import mask_flag, track_of

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


def tuning_scope(run: RunData) -> str:
    """On how many validation cases the classical methods scored their candidates.

    Empty when the run does not record its profile or has no validation cases; otherwise
    " on all N validation cases" (N per fold, a range when the folds differ), or " on at
    most L of ..." and why when the profile caps it: the deep models stop on every
    validation case, the cap keeps the profile's time budget.
    """
    classical = run.record.get("profile_settings", {}).get("classical", {})
    sizes = sorted({len(f.get("val", [])) for f in run.splits["folds"]})
    if "max_tuning_cases" not in classical or not sizes or not sizes[-1]:
        return ""
    limit = classical["max_tuning_cases"]
    count = f"{sizes[0]}" if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"
    if limit is None or limit >= sizes[-1]:
        return f" on all {count} validation cases of each fold (as the deep models stop on them)"
    return (f" on at most {limit} of the {count} validation cases of each fold, drawn at random "
            "(the profile's cap, to keep its time budget; the deep models stop on all of them)")


def method_section(run: RunData) -> list[dict]:
    """Family, ROI use, description and what was tuned or trained, per method."""
    rows = []
    for method in run.methods:
        meta = run.record["methods"][method]
        cells = [run.cells[method, f["fold"]] for f in run.splits["folds"]]
        if meta.get("source"):  # masks made elsewhere, scored by evaluate
            detail = "nothing: masks made elsewhere, scored as they are"
        elif meta["family"] == "deep":
            params = cells[0].get("params", {})
            arch = params.get("model_kwargs") or {}
            arch_text = "".join(f"; {k} {'/'.join(map(str, v)) if isinstance(v, list) else v}"
                                for k, v in arch.items())
            window = params.get("patch_size")
            grid = (f"grid {params.get('input_size', '?')} px, trained on {window} px windows"
                    if window and window != params.get("input_size")
                    else f"input {params.get('input_size', '?')} px")
            detail = (f"{cells[0].get('backend', '?')} on {cells[0].get('device', '?')}; "
                      f"{grid}{arch_text}; epochs run (best) per "
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
                detail = f"tuned per fold{tuning_scope(run)}: " + "; ".join(
                    f"fold {f['fold']}: " + ", ".join(f"{k}={v}" for k, v in t.items())
                    for f, t in zip(run.splits["folds"], tuned, strict=True))
            else:
                detail = "no free parameters tuned"
        rows.append({"method": method, "family": meta["family"],
                     "track": track_of(meta["needs_roi"]),
                     "description": meta["description"],
                     "detail": detail})
    return rows


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


def training_note(convergence: list[dict], *, smoke: bool) -> str:
    """One line for the glance when deep trainings ended before a plateau ("" otherwise).

    ``convergence`` is :func:`training_section`'s table. A training stopped at the epoch cap
    was still improving, and one that collapsed kept weights that predict (almost) nothing:
    either way the model's score is a lower bound of what it reaches trained for longer.
    Said only when the run makes claims (``smoke``: a smoke test says less already).
    """
    cap = sum(row["cap"] for row in convergence)
    collapsed = sum(row["collapsed"] for row in convergence)
    if smoke or not cap + collapsed:
        return ""
    parts = [f"{cap} stopped at the epoch cap, still improving"] if cap else []
    parts += [f"{collapsed} collapsed"] if collapsed else []
    trainings = sum(row["trainings"] for row in convergence)
    return (f"Training: of {trainings} deep trainings, {' and '.join(parts)} (see "
            "Training): their scores are lower bounds of what the models reach when trained "
            "to a plateau (longer, or --profile full on a GPU).")


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
    # masks made elsewhere (evaluate) took no time here
    for method in (m for m in run.methods if not run.record["methods"][m].get("source")):
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
    glance = glance_section(board["tracks"], smoke_test=smoke_test(run.record),
                            n_test_patients=n_test_patients(run))
    # what the folder's maker says of it (evaluate: where the masks came from, no floors)
    glance["notes"] = list(run.record.get("notes", []))
    training = training_section(run)
    note = training_note(training["convergence"], smoke=smoke_test(run.record))
    if note:
        glance["notes"].append(note)
    return {
        "glance": glance,
        "title": f"massbench report: {run.path.name}",
        "run": {"name": run.path.name, "label": run.label,
                "profile": profile or "none (masks scored by evaluate)",
                "n_folds": len(run.splits["folds"]), "n_methods": len(run.methods)},
        "dataset": dataset_section(run),
        "splits": split_section(run),
        "methods": method_section(run),
        "leaderboard": board,
        "gallery": gallery_section(run, board["order"]),
        "training": training,
        "diagnosis": diagnosis_section(run),
        "timing": timing_section(run),
        "environment": environment_section(run),
    }
