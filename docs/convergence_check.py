"""Does the standard profile's training budget decide the ranking? One fold, trained to a plateau.

Usage::

    KERAS_BACKEND=tensorflow python docs/convergence_check.py MODEL [FOLD] [OUT] [--full]
        [--epochs=N]

Trains ``MODEL`` (a registered deep method, e.g. ``unet``) on fold ``FOLD`` (default 0) of
the standard run's split of the default phantom (seed 12345, the runner's split and model
seed), with the standard profile's architecture and input size but a long budget: up to 150
epochs, patience 15 after epoch 15, batches of 16 at Adam 1e-3 (:data:`PLATEAU`). With ``--full``
the ``full`` profile's settings are used instead (128 px, full width, up to 200 epochs).
Prints, and writes to ``OUT/convergence_<model>_fold<k>.json``, the test Dice, how training
stopped and its time, to set beside the standard run's cell of the same fold.
``--epochs=N`` caps the epochs (to time the ``full`` settings' epochs on a CPU).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmark.ground.data import make_phantom  # noqa: E402
from benchmark.ground.metrics import dice_score  # noqa: E402
from benchmark.ground.splits import DEFAULT_SEED, make_splits  # noqa: E402
from benchmark.harness.methods import make_method  # noqa: E402
from benchmark.harness.profiles import PROFILES  # noqa: E402

#: The budget that lets the standard architecture reach a plateau, and the settings the
#: README's reference was measured with (batches of 16 at Adam 1e-3, every drop of the
#: validation loss an improvement).
PLATEAU = {"epochs": 150, "patience": 15, "min_epochs": 15, "batch_size": 16,
           "learning_rate": 1e-3, "min_delta": 0.0}


def main(model: str, fold: int, out: Path, full: bool = False,
         epochs: int | None = None) -> dict:
    """Train ``model`` on one fold to a plateau; return (and write) what it scored."""
    out.mkdir(parents=True, exist_ok=True)
    standard = PROFILES["standard"]
    profile = PROFILES["full"] if full else standard
    dataset = make_phantom(standard.phantom_cases, size=standard.phantom_size)
    part = make_splits(dataset, n_folds=standard.n_folds, seed=DEFAULT_SEED)["folds"][fold]
    train, val, test = (dataset.subset(part[p]) for p in ("train", "val", "test"))
    segmenter = make_method(model, profile, seed=DEFAULT_SEED + fold,
                            workdir=out / f"{model}_fold{fold}{'_full' if full else ''}")
    if not full:
        segmenter.set_params(**PLATEAU)
    if epochs is not None:
        segmenter.set_params(epochs=epochs)
    start = time.perf_counter()
    segmenter.fit([c.image for c in train], [c.mask for c in train],
                  val=([c.image for c in val], [c.mask for c in val]))
    predicted = segmenter.predict([c.image for c in test])
    dice = [float(dice_score(c.mask, p)) for c, p in zip(test, predicted, strict=True)]
    result = {"model": model, "fold": fold, "settings": "full" if full else "plateau",
              "params": {k: v for k, v in segmenter.get_params().items()
                         if k in ("input_size", "epochs", "patience", "min_epochs",
                                  "model_kwargs", "batch_size")},
              "mean_dice": float(np.nanmean(dice)), "n_test": len(test),
              "total_s": time.perf_counter() - start, **segmenter.fit_record()}
    print(f"{model} fold {fold} ({result['settings']}): Dice {result['mean_dice']:.3f}, "
          f"{result['epochs_run']} epochs (best {result['best_epoch']}, stopped: "
          f"{result['stopped']}, restarts {result['restarts']}), {result['fit_s']:.0f} s on "
          f"{result['device']}", flush=True)
    name = f"convergence_{model}_fold{fold}{'_full' if full else ''}.json"
    result["s_per_epoch"] = result["fit_s"] / max(1, result["epochs_run"])
    (out / name).write_text(json.dumps(result, indent=2, default=str))
    return result


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):
        sys.exit(__doc__)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else "unet", int(args[1]) if len(args) > 1 else 0,
         Path(args[2]) if len(args) > 2 else ROOT / "runs" / "convergence",
         full="--full" in sys.argv,
         epochs=next((int(a.split("=")[1]) for a in sys.argv if a.startswith("--epochs=")),
                     None))
