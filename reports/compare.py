"""``compare``: runs made on the same splits side by side (backends, machines, settings).

Runs are comparable only when their ``splits.json`` are identical (same dataset fingerprint,
same folds); otherwise the comparison is refused, naming the fingerprint that differs. For
each method present in every run, ranked within its track (ROI given / automatic) by the
first run's mean: mean Dice per run, the difference from the first run and a paired
Wilcoxon test against it (differences averaged per patient, tested over patients,
Holm-corrected per run), and the training / prediction speed per run.
"""

from __future__ import annotations

import json

import numpy as np

from benchmark.ground import store
from benchmark.ground.errors import InputError
from reports.format import fmt, fmt_p
from reports.rundata import RunData
from reports.stats import TRACKS, holm, n_seeds, seeded_pair, track_of, wilcoxon_pair
from reports.structure import method_speed, test_train_ratio


def check_same_splits(runs: list[RunData]) -> None:
    """Refuse runs whose splits differ, naming the differing fingerprint."""
    first = runs[0]
    for run in runs[1:]:
        if run.splits.get("fingerprint") != first.splits.get("fingerprint"):
            raise InputError(f"made on another dataset: fingerprint "
                             f"{run.splits.get('fingerprint')} differs from "
                             f"{first.splits.get('fingerprint')} of {first.path}; only runs "
                             "on the same splits can be compared", run.path / store.SPLITS_JSON)
        if json.dumps(run.splits["folds"]) != json.dumps(first.splits["folds"]):
            differ = [f"{name} {run.splits.get(key)} vs {first.splits.get(key)}"
                      for key, name in (("seed", "seed"), ("n_folds", "folds"))
                      if run.splits.get(key) != first.splits.get(key)]
            what = ", ".join(differ) or "same seed and fold count, other assignments"
            raise InputError(f"same dataset ({first.splits.get('fingerprint')}) but other "
                             f"folds than {first.path} ({what}); only runs on the same splits "
                             "can be compared", run.path / store.SPLITS_JSON)


def build_compare(runs: list[RunData]) -> dict:
    """Everything the comparison page shows."""
    if len(runs) < 2:
        raise InputError("compare needs at least two run folders")
    check_same_splits(runs)
    labels = _unique_labels(runs)
    methods = [m for m in runs[0].methods if all(m in r.methods for r in runs[1:])]
    if not methods:
        raise InputError("the runs have no method in common", runs[1].path)
    base = runs[0]
    # a case's Dice averaged over the training seeds of a method trained several times
    wide = {i: r.metrics.pivot_table(index="case", columns="method", values="dice",
                                     aggfunc="mean", dropna=False) for i, r in enumerate(runs)}
    patients = base.metrics.drop_duplicates("case").set_index("case")["patient"]
    track = {m: track_of(base.record["methods"][m]["needs_roi"]) for m in methods}
    order = list(TRACKS.values())
    means = {m: float(wide[0][m].mean()) for m in methods}
    methods.sort(key=lambda m: (order.index(track[m]), -np.nan_to_num(means[m], nan=-np.inf)))
    tests = {i: [] for i in range(1, len(runs))}
    for i in range(1, len(runs)):
        for method in methods:
            if max(n_seeds(runs[i].metrics, method), n_seeds(base.metrics, method)) > 1:
                # training variance counted: over the folds' seed-averaged means
                p_value = seeded_pair(runs[i].metrics, method, method, other=base.metrics,
                                      test_train_ratio=test_train_ratio(base))["p_value"]
            else:
                p_value = wilcoxon_pair(wide[i][method], wide[0][method], patients)["p_value"]
            tests[i].append(p_value)
        tests[i] = holm(tests[i])
    rows = []
    for k, method in enumerate(methods):
        row = {"method": method, "track": track[method], "values": []}
        base_mean = float(wide[0][method].mean())
        for i, run in enumerate(runs):
            mean = float(wide[i][method].mean())
            fit, predict, _ = method_speed(run, method)
            row["values"].append({
                "dice": fmt(mean), "difference": "" if i == 0 else f"{mean - base_mean:+.3f}",
                "p_holm": "" if i == 0 else fmt_p(tests[i][k]),
                "significant": bool(i and np.isfinite(tests[i][k]) and tests[i][k] < 0.05),
                "fit": fmt(fit, 1), "predict": fmt(predict, 1)})
        rows.append(row)
    margins = {json.dumps(r.record["settings"].get("roi_margin")) for r in runs}
    environments = [{"label": labels[i], "path": str(r.path),
                     "backend": r.record["settings"].get("keras_backend") or "none",
                     "device": r.record.get("device", "cpu"),
                     "profile": r.record["settings"]["profile"],
                     "roi_margin": ",".join(f"{float(v):g}" for v in
                                           r.record["settings"].get("roi_margin") or []) or "?",
                     "machine": r.record.get("machine", {}).get("cpu", "?"),
                     "versions": ", ".join(f"{k} {v}" for k, v in
                                           sorted(r.record.get("versions", {}).items())),
                     "command": r.record.get("command_line") or ""}
                    for i, r in enumerate(runs)]
    return {"title": "massbench comparison: " + " vs ".join(labels), "labels": labels,
            "base": labels[0], "fingerprint": base.splits.get("fingerprint"),
            "n_folds": len(base.splits["folds"]), "rows": rows, "runs": environments,
            "tracks": [{"name": name, "rows": [r for r in rows if r["track"] == name]}
                       for name in order if any(r["track"] == name for r in rows)],
            "roi_margin_differs": len(margins) > 1,
            "only_some": sorted({m for r in runs for m in r.methods} - set(methods))}


def _unique_labels(runs: list[RunData]) -> list[str]:
    labels = [r.label for r in runs]
    if len(set(labels)) < len(labels):
        labels = [f"{i + 1}: {label}" for i, label in enumerate(labels)]
    return labels
