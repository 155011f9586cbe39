"""Overhead of the DeepSegmenter wrapper against a bare ``model.fit``, measured against noise.

``bench_deep.py`` times one wrapped and one bare fit per model; on a shared 2-core machine one
fit's epochs vary by about 10 %, as much as the overhead being measured. This script
interleaves ``REPEATS`` bare and wrapped fits of the same model on the same 128 x 128 crops
(64 training, 16 validation, batch 16), pools their steady-state epochs (the first of each
fit, with its compile time, left out) and reports the ratio of the medians with the spread
of the bare epochs alongside.

Usage: ``KERAS_BACKEND=torch python speed/bench_wrapper_overhead.py [MODEL ...]`` (default:
every model). Writes ``speed/results/wrapper_overhead_<backend>.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_deep import BATCH, N_TRAIN, EpochTimer, bare_fit, crops, write_results  # noqa: E402

from deep.device import backend_name, describe_device  # noqa: E402
from deep.models import MODELS  # noqa: E402
from deep.training import DeepSegmenter  # noqa: E402

EPOCHS, REPEATS = 6, 3


def bare_epochs(name, x, y, xv, yv) -> list[float]:
    return bare_fit(name, x, y, xv, yv, EPOCHS)[1].times[1:]


def wrapped_epochs(name, images, masks) -> list[float]:
    timer = EpochTimer()
    DeepSegmenter(model=name, input_size=128, epochs=EPOCHS, batch_size=BATCH, patience=EPOCHS,
                  min_epochs=0, workdir=f"/tmp/massbench-overhead-{name}").fit(
        images[:N_TRAIN], masks[:N_TRAIN], val=(images[N_TRAIN:], masks[N_TRAIN:]),
        callbacks=[timer])
    return timer.times[1:]


def main(names: list[str]) -> None:
    images, masks, x, y, xv, yv = crops()
    rows = []
    for name in names:
        bare, wrapped = [], []
        for _ in range(REPEATS):  # interleaved, so drifts of the machine hit both alike
            bare += bare_epochs(name, x, y, xv, yv)
            wrapped += wrapped_epochs(name, images, masks)
        q1, q3 = np.percentile(bare, [25, 75])
        row = {"model": name, "backend": backend_name(), "device": describe_device(),
               "epochs_each": len(bare), "bare_epoch_s": float(np.median(bare)),
               "wrapper_epoch_s": float(np.median(wrapped)),
               "overhead": float(np.median(wrapped) / np.median(bare) - 1),
               "bare_iqr_relative": float((q3 - q1) / np.median(bare))}
        rows.append(row)
        print(f"{name} ({row['backend']}): wrapper {row['wrapper_epoch_s']:.3f} s vs bare "
              f"{row['bare_epoch_s']:.3f} s per epoch ({100 * row['overhead']:+.1f} %; bare "
              f"epochs' interquartile range {100 * row['bare_iqr_relative']:.0f} % of their "
              f"median; {len(bare)} epochs each)", flush=True)
    write_results("wrapper_overhead", rows)


if __name__ == "__main__":
    main(sys.argv[1:] or list(MODELS))
