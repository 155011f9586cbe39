"""Speed of the classical segmenters (CPU, one thread).

1. Region growing (fixed band) against ``skimage.segmentation.flood`` on 256^2 and 1024^2
   smooth random images, with identical masks checked.
2. Per-case prediction time of every registered segmenter on 128 x 128 phantom crops (after a
   fit on 60 training crops), and the fit (tuning) time.

Run with ``tox -e speed`` or ``python speed/bench_segmenters.py``. Writes
``speed/results/segmenters.json``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy import ndimage as ndi  # noqa: E402
from skimage.segmentation import flood  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from baselines.region_growing import region_growing  # noqa: E402
from baselines.registry import SEGMENTERS, make_segmenter  # noqa: E402
from benchmark.ground.data import make_phantom  # noqa: E402
from benchmark.ground.metrics import dice_score  # noqa: E402
from benchmark.ground.roi import draw_roi  # noqa: E402


def best(func, repeats=7):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def region_growing_rows():
    rng = np.random.default_rng(0)
    rows = []
    for size in (256, 1024):
        image = ndi.gaussian_filter(rng.random((size, size)), size / 64)
        image = (image - image.min()) / (image.max() - image.min())
        seed = (size // 2, size // 2)
        for tolerance in (0.1, 0.25):
            expected = flood(image, seed, tolerance=tolerance)
            got = region_growing(image, seed, tolerance=tolerance, adaptive=False)
            assert np.array_equal(expected, got), "masks differ from skimage flood"
            t_flood = best(lambda: flood(image, seed, tolerance=tolerance))  # noqa: B023
            t_ours = best(lambda: region_growing(image, seed, tolerance=tolerance,  # noqa: B023
                                                 adaptive=False))
            rows.append({"size": size, "tolerance": tolerance, "region_fraction":
                         float(expected.mean()), "flood_s": t_flood, "massbench_s": t_ours,
                         "speedup": t_flood / t_ours})
    return rows


def segmenter_rows():
    dataset = make_phantom(90, seed=2)
    train, test = list(dataset)[:60], list(dataset)[60:]
    rows = []
    for name in SEGMENTERS:
        model = make_segmenter(name)
        rois = (lambda cases: [draw_roi(c.mask, seed=0, case_id=c.id)
                              for c in cases]) if model.needs_roi \
            else (lambda cases: None)
        start = time.perf_counter()
        model.fit([c.image for c in train], [c.mask for c in train], rois=rois(train))
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        predicted = model.predict([c.image for c in test], rois=rois(test))
        per_case = (time.perf_counter() - start) / len(test)
        dice = float(np.nanmean([dice_score(c.mask, p) for c, p in zip(test, predicted,
                                                                        strict=True)]))
        rows.append({"method": name, "needs_roi": model.needs_roi, "fit_s": fit_s,
                     "predict_ms_per_case": 1000 * per_case, "dice_on_30": dice})
        print(f"  {name}: fit {fit_s:.1f} s, {1000 * per_case:.1f} ms/case", flush=True)
    return rows


def main():
    rg = region_growing_rows()
    print("| image | tolerance | region | skimage flood ms | massbench ms | speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rg:
        print(f"| {r['size']}^2 | {r['tolerance']} | {r['region_fraction']:.0%} | "
              f"{1000 * r['flood_s']:.2f} | {1000 * r['massbench_s']:.2f} | "
              f"{r['speedup']:.1f}x |")
    print("\nper-case time on 128 x 128 phantom crops (fit on 60, predict 30):")
    seg = segmenter_rows()
    print("| method | ROI | fit (tuning) s | predict ms / case | mean Dice (30 crops) |")
    print("|---|---|---:|---:|---:|")
    for r in seg:
        roi = "semi-automatic" if r["needs_roi"] else "automatic"
        print(f"| {r['method']} | {roi} | {r['fit_s']:.1f} | {r['predict_ms_per_case']:.1f} | "
              f"{r['dice_on_30']:.3f} |")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "segmenters.json").write_text(json.dumps({"region_growing": rg, "segmenters": seg},
                                                    indent=2))


if __name__ == "__main__":
    main()
