"""Wall time of ``classify`` and of the diagnosis stage on realistic feature tables.

Builds the mass features of phantom datasets of a few hundred masses (reference masks, 128 px
crops; :class:`baselines.features.MassFeatures`), or reads the feature tables given as
arguments (a run folder's ``features_reference.csv``), and times
:func:`benchmark.harness.commands.classify.run_classify`, the command's work: 5 repeats of
patient-grouped 5-fold cross-validation with the inner tuning of every classifier, the CSV and
the ROC figure. Prints the wall time and the mean ROC AUC of every classifier. With
``--diagnosis`` it also times the diagnosis stage of a run (:func:`classify_sources`) on
a 5-fold split of 180 cases with ``--sources`` mask sources.

Usage: ``python speed/bench_classify.py [FEATURES.csv ...] [--sizes 220,400] [--repeats 5]
[--diagnosis] [--sources 6] [--json OUT.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from baselines.features import MassFeatures  # noqa: E402
from benchmark.ground.data import make_phantom  # noqa: E402
from benchmark.harness.commands.classify import run_classify  # noqa: E402


def phantom_table(n_cases: int, *, seed: int = 1, size: int = 128):
    """The labelled feature table of a phantom's reference masks, and the dataset."""
    dataset = make_phantom(n_cases, seed=seed, size=size)
    features = MassFeatures()
    table = pd.DataFrame(features.fit_transform([(c.image, c.mask) for c in dataset]),
                         columns=features.get_feature_names_out())
    table.insert(0, "case", dataset.ids)
    table.insert(1, "label", [c.label for c in dataset])
    table.insert(2, "patient", [c.patient for c in dataset])
    return table, dataset


def cpu_seconds() -> float:
    """CPU time of this process and its live children (joblib's worker processes)."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total


def time_classify(path: Path, repeats: int) -> dict:
    """Run the command's work on one table; wall and CPU time, AUC per classifier.

    The CPU time (this process and the worker processes) is less sensitive than the wall
    time to other work on a shared machine; on an idle one the wall time is about the CPU
    time over the number of cores, plus the start of the workers.
    """
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)  # every measurement starts its own workers
    with tempfile.TemporaryDirectory(prefix="massbench-classify-") as out:
        start, cpu = time.perf_counter(), cpu_seconds()
        results = run_classify(path, out, repeats=repeats)
        wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    auc = results.groupby("classifier", sort=False)["roc_auc"].agg(["mean", "std"])
    rates = results.groupby("classifier", sort=False)[["sensitivity", "specificity"]].mean()
    return {"table": str(path), "rows": int(pd.read_csv(path).shape[0]), "wall_s": wall,
            "cpu_s": cpu, "auc_mean": auc["mean"].round(4).to_dict(),
            "auc_sd": auc["std"].round(4).to_dict(),
            "sensitivity": rates["sensitivity"].round(4).to_dict(),
            "specificity": rates["specificity"].round(4).to_dict()}


def time_diagnosis(n_sources: int) -> dict:
    """The diagnosis stage's classification on 180 cases, 5 folds, ``n_sources`` sources."""
    from benchmark.ground.splits import make_splits
    from benchmark.harness.diagnosis import classify_sources

    table, dataset = phantom_table(180)
    features = table.drop(columns=["label", "patient"])
    rng = np.random.default_rng(0)
    sources = {"reference": features}
    for k in range(1, n_sources):  # imperfect masks: the features with noise
        noisy = features.copy()
        values = noisy.iloc[:, 1:].to_numpy()
        noisy.iloc[:, 1:] = values * rng.lognormal(0, 0.1 * k, values.shape)
        sources[f"method_{k}"] = noisy
    splits = make_splits(dataset, n_folds=5, seed=12345)
    start, cpu = time.perf_counter(), cpu_seconds()
    results, _ = classify_sources(sources, dataset, splits, seed=12345)
    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    auc = results.groupby(["mask_source", "classifier"], sort=False)["roc_auc"].mean()
    return {"cases": len(dataset), "sources": n_sources, "wall_s": wall, "cpu_s": cpu,
            "auc_mean": {f"{s}/{c}": round(v, 4) for (s, c), v in auc.items()}}


def main(argv=None) -> None:
    """Measure, print, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", nargs="*", help="feature tables (default: phantom tables)")
    parser.add_argument("--sizes", default="220,400", help="phantom table sizes")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--diagnosis", action="store_true")
    parser.add_argument("--sources", type=int, default=6)
    parser.add_argument("--json", help="write the measurements to this file")
    args = parser.parse_args(argv)
    record = {"machine": platform.processor() or platform.machine(), "cores": os.cpu_count(),
              "load_average": os.getloadavg()[0], "classify": []}
    print(f"{record['cores']} cores, load average {record['load_average']:.1f} (other work "
          "on the machine slows every time below)")
    with tempfile.TemporaryDirectory(prefix="massbench-tables-") as tmp:
        paths = [Path(p) for p in args.tables]
        if not paths:
            for n in (int(s) for s in args.sizes.split(",")):
                start = time.perf_counter()
                table, _ = phantom_table(n)
                print(f"phantom of {n} masses: features in {time.perf_counter() - start:.1f} s")
                paths.append(Path(tmp) / f"features_{n}.csv")
                table.to_csv(paths[-1], index=False)
        for path in paths:
            result = time_classify(path, args.repeats)
            record["classify"].append(result)
            print(f"classify {path.name} ({result['rows']} rows, {args.repeats} repeats x 5 "
                  f"folds): {result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} s CPU")
            for name, mean in result["auc_mean"].items():
                print(f"  {name:<15} AUC {mean:.3f} +- {result['auc_sd'][name]:.3f}   "
                      f"sensitivity {result['sensitivity'].get(name, np.nan):.3f}   "
                      f"specificity {result['specificity'].get(name, np.nan):.3f}")
    if args.diagnosis:
        result = time_diagnosis(args.sources)
        record["diagnosis"] = result
        print(f"diagnosis stage, {result['cases']} cases, {result['sources']} sources, "
              f"5 folds: {result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} s CPU")
        for key, mean in result["auc_mean"].items():
            print(f"  {key:<28} AUC {mean:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
