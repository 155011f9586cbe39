"""Wall time of the studies' standard forms (``python -m benchmark study NAME``), and where it goes.

Runs each study as a user would (a fresh process, default options: the study's own methods,
the standard profile on a CPU, one worker per core, the current Keras backend), then reads
the study folder's ``study.json`` and every level's ``run.json``: the stages and the time of
every method summed over its folds and levels.

Usage::

    python speed/bench_studies.py [NAME ...]             # run them (about an hour in all)
    python speed/bench_studies.py --read STUDY_DIR ...   # summarise folders already made

Writes ``speed/results/studies_<backend>.json`` and prints a table.
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

STUDIES = ("learning-curve", "robustness", "roi-looseness")


def summarise(folder: Path, wall_s: float | None = None) -> dict:
    """The timings of a complete study folder (``wall_s``: measured outside, if given)."""
    record = store.read_json(folder / store.STUDY_JSON)
    per_method: dict[str, float] = {}
    for level in record["levels"]:
        run = store.read_json(folder / level["run_dir"] / store.RUN_JSON)
        for method, seconds in run["method_time_s"].items():
            per_method[method] = per_method.get(method, 0.0) + seconds
    return {"study": record["study"], "methods": record["settings"]["methods"],
            "profile": record["settings"]["profile"], "levels": len(record["levels"]),
            "wall_s": wall_s if wall_s is not None else record.get("wall_s"),
            "stages": record["stages"], "attempts": len(record["attempts"]),
            "method_time_s": per_method, "backend": record.get("keras_backend"),
            "device": record.get("device"), "machine": record["machine"],
            "executor": record["executor"]}


def measure(name: str, out: Path) -> dict:
    """Run ``study NAME`` into ``out`` and collect its timings."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "benchmark", "study", name, "--out", str(out),
                    "--quiet"], check=True, env=env)
    return summarise(out, time.perf_counter() - start)


def main(argv: list[str]) -> None:
    """Measure (or read) each study and write the results."""
    if argv[:1] == ["--read"]:
        results = [summarise(Path(folder)) for folder in argv[1:]]
    else:
        results = []
        with tempfile.TemporaryDirectory(prefix="massbench-studies-") as tmp:
            for name in argv or STUDIES:
                results.append(measure(name, Path(tmp) / name))
    for result in results:
        print(f"{result['study']}: {result['wall_s'] / 60:.1f} min wall, {result['levels']} "
              f"levels, {len(result['methods'])} methods ({result['backend']} on "
              f"{result['device']}, {result['executor']}, "
              f"{result['attempts']} attempt(s))")
        for method, seconds in sorted(result["method_time_s"].items(), key=lambda kv: -kv[1]):
            print(f"  {method:<30} {seconds:8.1f} s (fit + predict, all levels and folds)")
    backend = next((r["backend"] for r in results if r["backend"]), "none")
    target = ROOT / "speed" / "results" / f"studies_{backend}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
