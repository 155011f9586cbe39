"""Mean test Dice of every classical segmenter on the default phantom, standard split.

Each method learns on each fold's train part, is tuned on its validation part and is scored
on its test fold (the ROI boxes drawn as a run draws them, seed 0); the script also writes the
reference-mask feature table and runs the classifiers on it. Usage:
``python docs/classical_on_phantom.py [OUT_DIR]``. The runner automates this evaluation; the
script exists so the README's numbers can be reproduced.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from baselines.features import MassFeatures  # noqa: E402
from baselines.registry import SEGMENTERS, make_segmenter  # noqa: E402
from benchmark.ground.data import make_phantom  # noqa: E402
from benchmark.ground.metrics import score_masks  # noqa: E402
from benchmark.ground.roi import draw_roi  # noqa: E402
from benchmark.ground.splits import make_splits  # noqa: E402
from benchmark.harness.commands.classify import run_classify  # noqa: E402


def main(out: Path) -> None:
    """Evaluate every segmenter on every fold; print and write the tables."""
    out.mkdir(parents=True, exist_ok=True)
    dataset = make_phantom()
    classify_reference_masks(dataset, out)
    splits = make_splits(dataset)
    rows = []
    for name in SEGMENTERS:
        start = time.perf_counter()
        for fold in splits["folds"]:
            train, val = dataset.subset(fold["train"]), dataset.subset(fold["val"])
            test = dataset.subset(fold["test"])
            model = make_segmenter(name)

            def rois(cases, model=model):
                return ([draw_roi(c.mask, seed=0, case_id=c.id) for c in cases]
                        if model.needs_roi else None)

            model.fit([c.image for c in train], [c.mask for c in train], rois=rois(train),
                      val=([c.image for c in val], [c.mask for c in val], rois(val)))
            for case, mask in zip(test, model.predict([c.image for c in test], rois=rois(test)),
                                  strict=True):
                scores = score_masks(case.mask[None], mask[None])
                rows.append({"method": name, "fold": fold["fold"], "case": case.id,
                             "dice": scores["dice"][0], "hd95": scores["hd95"][0],
                             "tuned": str(model.tuned_params_)})
        print(f"{name}: {time.perf_counter() - start:.0f} s", flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(out / "classical_metrics.csv", index=False)
    summary = table.groupby("method", sort=False).agg(mean_dice=("dice", "mean"),
                                                      median_dice=("dice", "median"),
                                                      mean_hd95=("hd95", "mean"))
    print(summary.round(3).to_string())


def classify_reference_masks(dataset, out: Path) -> None:
    """Features of the reference masks, then the classifiers' repeated grouped CV."""
    features = MassFeatures().fit_transform([(c.image, c.mask) for c in dataset])
    names = MassFeatures().get_feature_names_out()
    feature_table = pd.DataFrame(features, columns=names)
    feature_table.insert(0, "case", dataset.ids)
    feature_table.insert(1, "patient", [c.patient for c in dataset])
    feature_table.insert(2, "label", [c.label for c in dataset])
    feature_table.to_csv(out / "features_reference.csv", index=False)
    results = run_classify(out / "features_reference.csv", out)
    print(results.groupby("classifier", sort=False)["roc_auc"].agg(["mean", "std"]).round(3))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "runs" / "classical_phantom")
