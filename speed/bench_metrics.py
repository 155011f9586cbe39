"""Speed of the metrics against NumPy, medpy and MONAI (CPU, one thread).

Run with ``tox -e speed`` (or ``python speed/bench_metrics.py``). Prints a Markdown table
and writes ``speed/results/metrics.json``. Times are the best of several repeats after a
warm-up call (Numba's compile time is reported apart).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy import ndimage as ndi  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmark.ground.data import make_phantom  # noqa: E402
from benchmark.ground.metrics import dice_score, jaccard_score, surface_distances  # noqa: E402

REPEATS = 5


def best_time(func, repeats=REPEATS):
    """Best wall time of ``func()`` over ``repeats`` calls, and its last result."""
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def overlap_section(rows):
    rng = np.random.default_rng(0)
    shape = (1000, 256, 256)
    a, b = rng.random(shape) < 0.3, rng.random(shape) < 0.3
    start = time.perf_counter()
    dice_score(a[:1], b[:1])
    compile_s = time.perf_counter() - start
    gbytes = 2 * a.size / 1e9

    def numpy_dice():
        both = (a & b).sum(axis=(1, 2))
        return 2 * both / (a.sum(axis=(1, 2)) + b.sum(axis=(1, 2)))

    t_np, ref = best_time(numpy_dice)
    t_and, _ = best_time(lambda: (a & b).sum(axis=(1, 2)))
    t_dice, got = best_time(lambda: dice_score(a, b))
    t_jac, got_j = best_time(lambda: jaccard_score(a, b))
    assert np.allclose(got, ref) and np.allclose(got_j, got / (2 - got))
    rows.append(("Dice, 1000 x 256 x 256 bool", "NumPy `2*(a&b).sum/(a.sum+b.sum)`", t_np,
                 t_dice, gbytes / t_dice))
    rows.append(("Dice, 1000 x 256 x 256 bool", "NumPy `(a&b).sum(axis=(1,2))` alone", t_and,
                 t_dice, gbytes / t_dice))
    rows.append(("Jaccard, 1000 x 256 x 256 bool", "NumPy formulation", t_np, t_jac,
                 gbytes / t_jac))
    return {"overlap_compile_s": compile_s, "a": a[:200, :128, :128], "b": b[:200, :128, :128]}


def _distance_pairs():
    """200 pairs of 128 x 128 masks: phantom references, plausible imperfect predictions."""
    dataset = make_phantom(200, seed=1, size=128)
    rng = np.random.default_rng(1)
    refs = np.stack([c.mask for c in dataset])
    preds = np.empty_like(refs)
    for i, ref in enumerate(refs):
        moved = np.roll(ref, tuple(rng.integers(-3, 4, 2)), axis=(0, 1))
        k = int(rng.integers(-2, 3))
        moved = (ndi.binary_dilation(moved, iterations=k) if k > 0 else
                 ndi.binary_erosion(moved, iterations=-k) if k < 0 else moved)
        noise = ndi.gaussian_filter(rng.random(ref.shape), 3) > 0.62
        preds[i] = moved ^ (noise & ndi.binary_dilation(ref, iterations=4))
    return refs, preds


def distance_section(rows, info):
    from medpy.metric.binary import assd, hd95

    refs, preds = _distance_pairs()
    start = time.perf_counter()
    surface_distances(refs[:1], preds[:1])
    info["distance_compile_s"] = time.perf_counter() - start

    def medpy_both():
        return np.array([[hd95(p, r), assd(p, r)] for r, p in zip(refs, preds, strict=True)])

    t_medpy, ref = best_time(medpy_both, repeats=2)
    t_ours, got = best_time(lambda: surface_distances(refs, preds))
    got = np.stack(got, axis=1)
    info["max_abs_diff_vs_medpy"] = float(np.abs(got - ref).max())
    assert np.allclose(got, ref, rtol=1e-9, atol=1e-9), "values differ from medpy"
    rows.append(("HD95 + ASSD, 200 x 128 x 128", "medpy 0.5 `hd95` + `assd`", t_medpy, t_ours,
                 None))
    return refs, preds


def monai_section(rows, refs, preds, overlap_a, overlap_b):
    try:
        import torch
        from monai.metrics import DiceMetric, HausdorffDistanceMetric
    except ImportError as exc:  # the speed env installs both; elsewhere say why it is absent
        rows.append(("MONAI", f"not installed ({exc.name})", np.nan, np.nan, None))
        return
    torch.set_num_threads(1)
    y = torch.from_numpy(refs[:, None].astype(np.float32))
    y_pred = torch.from_numpy(preds[:, None].astype(np.float32))
    dice_metric = DiceMetric(include_background=True, reduction="none")
    hd_metric = HausdorffDistanceMetric(include_background=True, percentile=95,
                                        reduction="none")
    t_monai_dice, monai_dice = best_time(lambda: dice_metric(y_pred, y))
    t_ours_dice, ours_dice = best_time(lambda: dice_score(refs, preds))
    assert np.allclose(monai_dice.numpy().ravel(), ours_dice)
    rows.append(("Dice, 200 x 128 x 128", "MONAI `DiceMetric` (CPU)", t_monai_dice,
                 t_ours_dice, None))
    t_monai_hd, monai_hd = best_time(lambda: hd_metric(y_pred, y), repeats=2)
    t_ours_hd, _ = best_time(lambda: surface_distances(refs, preds))
    rows.append(("HD95, 200 x 128 x 128", "MONAI `HausdorffDistanceMetric` (CPU)", t_monai_hd,
                 t_ours_hd, None))


def main():
    rows = []
    info = overlap_section(rows)
    refs, preds = distance_section(rows, info)
    monai_section(rows, refs, preds, info.pop("a"), info.pop("b"))
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, " \
              f"Python {platform.python_version()}, one thread"
    print(f"Machine: {machine}\n")
    print("| task | baseline | baseline s | massbench s | speed-up | effective GB/s |")
    print("|---|---|---:|---:|---:|---:|")
    records = []
    for task, baseline, t_base, t_ours, gbps in rows:
        speedup = t_base / t_ours if np.isfinite(t_base) else np.nan
        gb = f"{gbps:.1f}" if gbps else ""
        print(f"| {task} | {baseline} | {t_base:.4f} | {t_ours:.4f} | {speedup:.1f}x | {gb} |")
        records.append({"task": task, "baseline": baseline, "baseline_s": t_base,
                        "massbench_s": t_ours, "speedup": speedup, "gb_per_s": gbps})
    print(f"\nNumba compile (first call): overlap {info['overlap_compile_s']:.2f} s, "
          f"distances {info['distance_compile_s']:.2f} s (cached on disk afterwards)")
    print(f"Largest |difference| from medpy: {info['max_abs_diff_vs_medpy']:.2e}")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "metrics.json").write_text(json.dumps({"machine": machine, "rows": records,
                                                  **info}, indent=2, default=float))


if __name__ == "__main__":
    main()
