"""Mean test Dice of a deep model on the default phantom, standard split, one backend.

Usage: ``KERAS_BACKEND=tensorflow python docs/deep_on_phantom.py [MODEL] [FOLDS] [OUT]``,
e.g. ``unet 0,1,2,3,4``. Each fold trains on its train part, stops early on its validation
part and is scored on its test part (128 px, the DeepSegmenter defaults). Prints and writes
``deep_<model>_<backend>.json``. This is the evaluation the runner will automate.
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
from benchmark.ground.splits import make_splits  # noqa: E402
from deep.training import DeepSegmenter  # noqa: E402


def main(model: str, folds: list[int], out: Path) -> None:
    """Train and score ``model`` on the given folds."""
    out.mkdir(parents=True, exist_ok=True)
    dataset = make_phantom()
    splits = make_splits(dataset)
    rows = []
    for k in folds:
        fold = splits["folds"][k]
        train, val, test = (dataset.subset(fold[p]) for p in ("train", "val", "test"))
        start = time.perf_counter()
        seg = DeepSegmenter(model=model, workdir=out / f"{model}_fold{k}").fit(
            [c.image for c in train], [c.mask for c in train],
            val=([c.image for c in val], [c.mask for c in val]))
        predicted = seg.predict([c.image for c in test])
        dice = [float(dice_score(c.mask, p)) for c, p in zip(test, predicted, strict=True)]
        rows.append(seg.fit_record() | {"fold": k, "mean_dice": float(np.mean(dice)),
                                      "n_test": len(test), "dice": dice,
                                      "total_s": time.perf_counter() - start})
        print(f"fold {k}: Dice {np.mean(dice):.3f}, {seg.epochs_run_} epochs (best "
              f"{seg.best_epoch_}), {seg.fit_s_:.0f} s, {seg.backend_} on {seg.device_}",
              flush=True)
    all_dice = [d for r in rows for d in r["dice"]]
    print(f"mean test Dice over {len(all_dice)} cases: {np.mean(all_dice):.3f}")
    backend = rows[0]["backend"]
    (out / f"deep_{model}_{backend}.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else "unet"
    fold_list = [int(f) for f in (sys.argv[2] if len(sys.argv) > 2 else "0,1,2,3,4").split(",")]
    main(name, fold_list, Path(sys.argv[3]) if len(sys.argv) > 3 else ROOT / "runs" / "deep")
