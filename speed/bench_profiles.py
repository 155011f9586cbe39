"""Wall time of ``python -m benchmark run --all`` in each profile, and where the time goes.

Runs the command as a user would (a fresh process, default options, the current Keras
backend), then reads the run folder's ``run.json``: the stages (load, splits, cells,
metrics, diagnosis, report) and the time of every method summed over its folds.

Usage: ``python speed/bench_profiles.py [quick] [standard]`` (both by default; standard takes
a quarter of an hour on a 2-core CPU). Writes ``speed/results/profiles_<backend>.json`` and
prints a table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark.ground import store  # noqa: E402


def measure(profile: str, out: Path) -> dict:
    """Run ``run --all --profile PROFILE`` into ``out`` and collect its timings."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "benchmark", "run", "--all", "--profile", profile,
                    "--out", str(out), "--quiet"], check=True, env=env)
    wall = time.perf_counter() - start
    record = store.read_json(out / store.RUN_JSON)
    metrics_rows = (out / store.METRICS_CSV).read_text().count("\n") - 1
    return {"profile": profile, "wall_s": wall, "stages": record["stages"],
            "method_time_s": record["method_time_s"], "backend": record["keras_backend"],
            "device": record["device"], "machine": record["machine"],
            "metrics_rows": metrics_rows, "leaderboard": _leaderboard(out)}


def _leaderboard(out: Path) -> dict:
    import pandas as pd

    metrics = pd.read_csv(out / store.METRICS_CSV)
    return metrics.groupby("method", sort=False)["dice"].mean().round(3).to_dict()


def main(profiles: list[str]) -> None:
    """Measure each profile and write the results."""
    results = []
    with tempfile.TemporaryDirectory(prefix="massbench-profiles-") as tmp:
        for profile in profiles:
            result = measure(profile, Path(tmp) / profile)
            results.append(result)
            print(f"{profile}: {result['wall_s']:.0f} s wall "
                  f"({result['backend']} on {result['device']})")
            for stage, seconds in result["stages"].items():
                print(f"  {stage:<14} {seconds:8.1f} s")
            for method, seconds in sorted(result["method_time_s"].items(),
                                          key=lambda kv: -kv[1]):
                print(f"  {method:<30} {seconds:8.1f} s  mean Dice "
                      f"{result['leaderboard'][method]:.3f}")
    backend = results[0]["backend"] if results else "none"
    target = ROOT / "speed" / "results" / f"profiles_{backend}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["quick", "standard"])
