"""Where cells run: the default number of local workers, quiet workers."""

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmark.harness import executors


@pytest.mark.parametrize("cores, jobs", [(1, 1), (2, 2), (3, 3), (4, 4), (16, 4)])
def test_one_worker_per_core_at_most_four(monkeypatch, cores, jobs):
    monkeypatch.setattr(executors, "usable_cores", lambda: cores)
    assert executors.default_jobs() == jobs


def test_describe_names_the_executor():
    assert executors.describe(1, None) == "sequential"
    assert executors.describe(2, None) == "joblib, 2 worker(s)"
    assert executors.describe(2, "tcp://h:8786") == "dask tcp://h:8786"


ROOT = Path(__file__).resolve().parents[3]
#: Lines of TensorFlow's log that a run's output must not carry.
TF_NOISE = re.compile(r"absl::InitializeLog|^[IWE]\d{4} \d\d:\d\d:|oneDNN|NodeDef mentions "
                      r"attribute|tf\.function retracing|To enable the following instructions",
                      re.MULTILINE)


def test_a_quiet_worker_drops_tensorflows_lines_and_keeps_everything_else():
    """Native noise, a native line that matters, Python output, a warning, a traceback."""
    script = textwrap.dedent("""
        import logging, os, sys, warnings
        from benchmark.harness.executors import quiet_worker
        quiet_worker()
        quiet_worker()  # once per process
        noise = [
            "WARNING: All log messages before absl::InitializeLog() is called are written "
            "to STDERR",
            "I0000 00:00:1796158322.960517   12219 port.cc:153] oneDNN custom operations are on.",
            "E0000 00:00:1796158322.960517   12219 meta_optimizer.cc:966] NodeDef mentions "
            "attribute use_unbounded_threadpool which is not in the op definition",
            "2024-05-01 10:00:00.123456: W tensorflow/core/x.cc:1] a warning of the old format",
        ]
        os.write(2, ("\\n".join(noise[:2]) + "\\nnative error that stays\\n").encode())
        os.write(2, ("\\n".join(noise[2:]) + "\\n").encode())
        logging.getLogger("tensorflow").warning(
            "5 out of the last 5 calls to <function f> triggered tf.function retracing.")
        logging.getLogger("tensorflow").warning("a tensorflow warning that stays")
        print("python line that stays", file=sys.stderr)
        warnings.warn("python warning that stays")
        import time; time.sleep(0.5)  # the forwarding thread copies the native lines
        raise ValueError("python error that stays")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert out.returncode == 1
    for kept in ("native error that stays", "a tensorflow warning that stays",
                 "python line that stays", "UserWarning: python warning that stays",
                 "Traceback (most recent call last)", "ValueError: python error that stays"):
        assert kept in out.stderr, kept
    assert not TF_NOISE.search(out.stderr), out.stderr
    assert "old format" not in out.stderr


@pytest.mark.slow
def test_a_parallel_deep_run_prints_none_of_tensorflows_lines(tmp_path):
    """``run --jobs 2`` of a tiny quick deep run: the workers' stderr carries no TF log."""
    from benchmark.ground.data import make_phantom
    from benchmark.ground.data.imageio import write_pgm

    rows = []
    for i, case in enumerate(make_phantom(6, seed=2, size=48)):
        write_pgm(tmp_path / f"im{i}.pgm", np.rint(case.image * 255).astype(np.uint8))
        write_pgm(tmp_path / f"ma{i}.pgm", case.mask.astype(np.uint8) * 255)
        rows.append({"image": f"im{i}.pgm", "mask": f"ma{i}.pgm", "label": i % 2,
                     "patient": f"p{i}"})  # six patients: no fold's validation part is empty
    pd.DataFrame(rows).to_csv(tmp_path / "six.csv", index=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}
    out = subprocess.run(
        [sys.executable, "-m", "benchmark", "run", "--data", str(tmp_path / "six.csv"),
         "--profile", "quick", "--methods", "unet_course,otsu", "--jobs", "2",
         "--out", str(tmp_path / "run")],
        capture_output=True, text=True, env=env | {"PYTHONPATH": str(ROOT)}, timeout=900)
    assert out.returncode == 0, out.stderr
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["executor"] == "joblib, 2 worker(s)"  # the cells ran in workers
    assert "unet_course fold 1: done" in out.stderr  # the progress lines still show
    assert not TF_NOISE.search(out.stderr), out.stderr
    assert not TF_NOISE.search(out.stdout), out.stdout
