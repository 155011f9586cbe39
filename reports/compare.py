"""``compare``: runs made on the same splits side by side (backends, machines, settings).

Runs are comparable only when their ``splits.json`` are identical (same dataset fingerprint,
seed, folds and fold assignments); otherwise the comparison is refused, naming what differs.
For each method present in every run, ranked within its track (ROI given / automatic) by the
first run's mean: mean Dice per run with its patient-level 95 % interval (in a table and a
dot plot), the difference from the first run and a paired test against it at the unit where
the noise is, by the rules of the report (:func:`reports.inference.pair_test`: over
patients for a method not trained from a seed, over folds for a trained model with one
seed, over seeds and patients with several), Holm-corrected per run, with the smallest
difference each comparison could have detected; and the training / prediction speed per
run. When either run is a smoke test, the page shows p-values without a word of
significance.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from benchmark.ground import store
from benchmark.ground.errors import InputError
from reports import plots, structure
from reports.format import fmt, fmt_p
from reports.inference import pair_test, stochastic_methods
from reports.leaderboards import TEST_LABELS, holdout_ratio, smoke_test
from reports.rundata import RunData
from reports.significance import ALPHA, detectable_difference, holm
from reports.stats import TRACKS, cluster_bootstrap_ci, track_of
from reports.wording import finding, significant


def splits_difference(first: dict, other: dict) -> list[str]:
    """What differs between two runs' ``splits.json``, in words; empty when they are equal.

    Examples
    --------
    >>> a = {"fingerprint": "ab", "seed": 1, "n_folds": 2, "folds": []}
    >>> splits_difference(a, dict(a, seed=2))
    ['seed 2 vs 1']
    """
    differ = [f"{name} {other.get(key)} vs {first.get(key)}"
              for key, name in (("fingerprint", "dataset fingerprint"), ("seed", "seed"),
                                ("n_folds", "folds"))
              if other.get(key) != first.get(key)]
    if differ or json.dumps(other.get("folds")) == json.dumps(first.get("folds")):
        return differ
    where = [_assignments(s.get("folds") or []) for s in (first, other)]
    moved = sum(where[0].get(case) != part for case, part in where[1].items())
    return [f"fold assignments: {moved} of {len(where[1])} cases in another fold or part, "
            "with the same dataset, seed and fold count"]


def _assignments(folds: list[dict]) -> dict:
    """Case -> the (fold, part) pairs it belongs to."""
    where = {}
    for fold in folds:
        for part in ("train", "val", "test"):
            for case in fold.get(part, []):
                where.setdefault(case, []).append((fold.get("fold"), part))
    return where


def check_same_splits(runs: list[RunData]) -> None:
    """Refuse runs whose splits differ, naming in one line what differs from the first run."""
    first = runs[0]
    for run in runs[1:]:
        differ = splits_difference(first.splits, run.splits)
        if differ:
            raise InputError(f"other splits than {first.path} ({'; '.join(differ)}); only runs "
                             "on the same splits can be compared", run.path / store.SPLITS_JSON)


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
    seed = int(base.record["settings"].get("seed", 0))
    claims = not any(smoke_test(r.record) for r in runs)
    tests = {i: run_tests(runs[i], base, methods, seed=seed, claims=claims)
             for i in range(1, len(runs))}
    rows, points = [], []
    for k, method in enumerate(methods):
        row = {"method": method, "track": track[method], "values": []}
        base_mean = float(wide[0][method].mean())
        for i, run in enumerate(runs):
            dice = wide[i][method].dropna()
            mean = float(dice.mean())
            low, high = cluster_bootstrap_ci(dice.to_numpy(float),
                                             patients.reindex(dice.index).to_numpy(), seed=seed)
            points.append({"method": method, "track": track[method], "run": labels[i],
                           "mean": mean, "low": low, "high": high})
            fit, predict, _ = structure.method_speed(run, method)
            row["values"].append({
                "dice": fmt(mean), "ci": f"{fmt(low)}, {fmt(high)}",
                "difference": "" if i == 0 else f"{mean - base_mean:+.3f}",
                "p_holm": "" if i == 0 else tests[i][0][k]["p_holm"],
                "significant": bool(i and tests[i][0][k]["significant"]),
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
            "figure": plots.compare_dice(pd.DataFrame(points), labels),
            "roi_margin_differs": len(margins) > 1, "claims": claims,
            "tests": [{"label": labels[i], "rows": tests[i][0], "level": tests[i][1]}
                      for i in range(1, len(runs))],
            "only_some": sorted({m for r in runs for m in r.methods} - set(methods))}


def run_tests(run: RunData, base: RunData, methods: list[str], *, seed: int,
              claims: bool) -> tuple[list[dict], str]:
    """Each method of ``run`` against the same method of ``base``, at its unit, Holm-corrected.

    A method is stochastic when the first run says so (:func:`stochastic_methods`); the
    smallest detectable difference is given at alpha / m for the m comparisons tested.

    Returns
    -------
    rows : list of dict
        One per method: test, units, p, Holm p, detectable difference, finding.
    level : str
        The level the detectable differences are given at.
    """
    stochastic = stochastic_methods(base.record)
    results = [pair_test(run.metrics, m, m, other=base.metrics, stochastic=stochastic,
                         test_train_ratio=holdout_ratio(base), seed=seed) for m in methods]
    p_holm = holm([r["p_value"] for r in results])
    level = ALPHA / max(1, int(np.isfinite([r["p_value"] for r in results]).sum()))
    rows = []
    for method, result, p in zip(methods, results, p_holm, strict=True):
        mde = detectable_difference(result["se"], result["df"], level)
        rows.append({"method": method, "test": TEST_LABELS[result["test"]],
                     "units": result["units"], "p": fmt_p(result["p_value"]),
                     "p_holm": fmt_p(p), "mde": fmt(mde),
                     "significant": claims and significant(p),
                     "finding": finding(p, mde, result["reason"], claims=claims)})
    return rows, f"{level:.3g}"


def _unique_labels(runs: list[RunData]) -> list[str]:
    labels = [r.label for r in runs]
    if len(set(labels)) < len(labels):
        labels = [f"{i + 1}: {label}" for i, label in enumerate(labels)]
    return labels
