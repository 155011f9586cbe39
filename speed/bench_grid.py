"""What a deep model's grid costs and gives: fit time, test Dice and ceiling per setting.

The standard profile's automatic models predict on an 80 px grid and train on 48 px windows of
it (``DeepSegmenter(input_size=80, patch_size=48)``); this script measures that choice
against the whole 48 px grid, per epoch cap, on one fold of a dataset (the run's split: same
seed, five folds), one model and one training seed at a time, with the standard profile's
other settings.

Usage::

    python speed/bench_grid.py [DATA] [--fold=0] [--models=unet] [--epochs=20,30]
                               [--settings=48,80/48]

``DATA`` defaults to the course's development half beside the project
(``../shared/data/course_large_sample``), else the default phantom. A setting is ``SIZE``
(the whole grid) or ``SIZE/WINDOW``. Writes ``speed/results/grid_<backend>.json`` and prints
a line per fit. One fold is one draw of 15-36 test cases: read a difference of a few
hundredths as noise.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notes

DEV_HALF = ROOT.parent / "shared" / "data" / "course_large_sample"


def _options(argv: list[str]) -> dict:
    options = {"fold": "0", "models": "unet", "epochs": "20,30", "settings": "48,80/48"}
    data = [a for a in argv if not a.startswith("--")]
    for arg in argv:
        if arg.startswith("--"):
            key, _, value = arg[2:].partition("=")
            if key not in options:
                sys.exit(f"bench_grid: unknown option --{key}; valid: "
                         f"{', '.join('--' + k for k in options)}")
            options[key] = value
    options["data"] = data[0] if data else (str(DEV_HALF) if DEV_HALF.is_dir() else "phantom")
    return options


def _setting(text: str) -> tuple[int, int | None]:
    size, _, window = text.partition("/")
    return int(size), int(window) if window else None


def measure(dataset, fold: dict, model: str, size: int, window: int | None,
            epochs: int) -> dict:
    """Fit one model at one setting on one fold; its fit time, test Dice and ceiling."""
    import numpy as np

    from benchmark.ground.metrics import dice_score
    from benchmark.harness.profiles import PROFILES
    from deep.training import DeepSegmenter

    by_id = {c.id: c for c in dataset.cases}

    def part(ids):
        return [by_id[i].image for i in ids], [by_id[i].mask for i in ids]

    (x, y), (xv, yv), (xt, yt) = part(fold["train"]), part(fold["val"]), part(fold["test"])
    standard = PROFILES["standard"]
    params = {**standard.deep, **standard.deep_per_model.get(model, {}), "model": model,
              "seed": 12345, "input_size": size, "patch_size": window, "epochs": epochs}
    start = time.perf_counter()
    fitted = DeepSegmenter(**params).fit(x, y, val=(xv, yv))
    fit_s = time.perf_counter() - start
    predicted = fitted.predict(xt)
    ceiling = fitted.resolution_ceiling(yt)

    def mean_dice(masks):
        return round(float(np.mean([dice_score(a, b) for a, b in zip(yt, masks,
                                                                     strict=True)])), 3)

    return {"model": model, "fold": fold["fold"], "grid": size, "window": window,
            "epochs": epochs, "epochs_run": fitted.epochs_run_, "stopped": fitted.stopped_,
            "fit_s": round(fit_s, 1), "n_test": len(xt),
            "dice": mean_dice(predicted),
            "empty": int(sum(p.sum() == 0 for p in predicted)),
            "ceiling": mean_dice(ceiling),
            "best_val_dice": round(fitted.history_["val_dice"][fitted.best_epoch_ - 1], 3)}


def main(argv: list[str]) -> None:
    options = _options(argv)
    from benchmark.ground.data import load_dataset, make_phantom
    from benchmark.ground.splits import make_splits
    from benchmark.harness.profiles import PROFILES
    from deep.device import backend_name

    dataset = (make_phantom(PROFILES["standard"].phantom_cases) if options["data"] == "phantom"
               else load_dataset(options["data"]))
    folds = {str(f["fold"]): f for f in make_splits(dataset)["folds"]}
    rows = []
    for model in options["models"].split(","):
        for setting in options["settings"].split(","):
            for epochs in map(int, options["epochs"].split(",")):
                row = measure(dataset, folds[options["fold"]], model, *_setting(setting),
                              epochs)
                rows.append(row)
                print(json.dumps(row), flush=True)
    out = ROOT / "speed" / "results" / f"grid_{backend_name()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"data": options["data"], "rows": rows}, indent=1))
    print(f"written: {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
