"""Training and prediction speed of every deep model under the current Keras backend.

For each registered model: images/s of training (epochs after the first; the first epoch's
extra time is the compile overhead) and of prediction, on 128 x 128 phantom crops; and the
overhead of :class:`deep.training.DeepSegmenter` (augmenting feeder, early stopping, CSV
log) against a bare ``model.fit`` on the same arrays: the median time of the epochs after
the first, with and without the wrapper.

Run under each backend: ``KERAS_BACKEND=jax python speed/bench_deep.py`` (or ``tox -e
speed``, which uses TensorFlow). Writes ``speed/results/deep_<backend>.json``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import keras  # noqa: E402

from benchmark.ground.data import make_phantom  # noqa: E402
from deep.data import masks_to_model_grid, to_model_grid  # noqa: E402
from deep.device import backend_name, describe_device, make_deterministic  # noqa: E402
from deep.losses import BceDiceLoss, DiceScore  # noqa: E402
from deep.models import MODELS, build_model  # noqa: E402
from deep.training import DeepSegmenter  # noqa: E402

N_TRAIN, N_VAL, EPOCHS, BATCH = 64, 16, 5, 16


class EpochTimer(keras.callbacks.Callback):
    """Wall time of every epoch."""

    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def crops():
    """The phantom crops both deep speed scripts use: lists and model-grid arrays."""
    dataset = make_phantom(N_TRAIN + N_VAL, seed=4)
    images, masks = [c.image for c in dataset], [c.mask for c in dataset]
    x, y = to_model_grid(images[:N_TRAIN], 128), masks_to_model_grid(masks[:N_TRAIN], 128)
    xv, yv = to_model_grid(images[N_TRAIN:], 128), masks_to_model_grid(masks[N_TRAIN:], 128)
    return images, masks, x, y, xv, yv


def write_results(stem: str, rows: list[dict]) -> None:
    """``speed/results/<stem>_<backend>.json``."""
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"{stem}_{backend_name()}.json").write_text(json.dumps(rows, indent=2))


def bare_fit(name, x, y, xv, yv, epochs=EPOCHS):
    """A bare ``model.fit`` of a fresh model on in-memory arrays; the model and its timer."""
    make_deterministic(0)
    model = build_model(name, 128)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=BceDiceLoss(),
                  metrics=[DiceScore()])
    timer = EpochTimer()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, validation_data=(xv, yv), verbose=0,
              callbacks=[timer], shuffle=True)
    return model, timer


def main():
    images, masks, x, y, xv, yv = crops()
    rows = []
    for name in MODELS:
        start = time.perf_counter()
        model, timer = bare_fit(name, x, y, xv, yv)
        bare_total = time.perf_counter() - start
        bare_epoch = float(np.median(timer.times[1:]))
        model.predict(x, batch_size=BATCH, verbose=0)  # compile the predict step
        start = time.perf_counter()
        model.predict(x, batch_size=BATCH, verbose=0)
        predict_s = time.perf_counter() - start

        # the same training through the wrapper (augmenting feeder, early stopping, CSV log,
        # final checkpoint): steady-state epochs compared, the first (compile) one excluded
        wrapped_timer = EpochTimer()
        wrapped = DeepSegmenter(model=name, input_size=128, epochs=EPOCHS, batch_size=BATCH,
                                patience=EPOCHS, workdir=f"/tmp/massbench-speed-{name}")
        wrapped.fit(images[:N_TRAIN], masks[:N_TRAIN], val=(images[N_TRAIN:], masks[N_TRAIN:]),
                    callbacks=[wrapped_timer])
        wrapped_epoch = float(np.median(wrapped_timer.times[1:]))
        row = {
            "model": name, "backend": backend_name(), "device": describe_device(),
            "params": int(model.count_params()),
            "train_images_per_s": N_TRAIN / bare_epoch,
            "first_epoch_overhead_s": timer.times[0] - bare_epoch,
            "predict_images_per_s": N_TRAIN / predict_s,
            "bare_epoch_s": bare_epoch, "wrapper_epoch_s": wrapped_epoch,
            "bare_fit_s": bare_total, "wrapper_fit_s": wrapped.fit_s_,
            "wrapper_overhead": wrapped_epoch / bare_epoch - 1,
        }
        rows.append(row)
        print(f"{name}: train {row['train_images_per_s']:.1f} img/s, first epoch +"
              f"{row['first_epoch_overhead_s']:.1f} s, predict "
              f"{row['predict_images_per_s']:.1f} img/s, epoch {wrapped_epoch:.2f} s wrapped vs "
              f"{bare_epoch:.2f} s bare ({100 * row['wrapper_overhead']:+.1f} %)", flush=True)
    write_results("deep", rows)
    print(f"backend {backend_name()}, device {describe_device()}, "
          f"{os.cpu_count()} CPU cores")


if __name__ == "__main__":
    main()
