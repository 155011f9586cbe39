"""Throughput of the public-dataset import: crops per second from real-size DICOM files.

Writes a synthetic CBIS-DDSM copy laid out as the NBIA Data Retriever writes it (description
CSVs, ``metadata.csv``, ``CBIS-DDSM/<subject>/<study>/<series>/1-1.dcm``) whose full images
and ROI masks have the size of real ones (default 4000 x 3000, uint16, Implicit VR Little
Endian; lesions 100-600 px across, some images with two), then times:

1. the first ``scan`` (plan + conversion + load): crops per second, the number that says how
   long a full copy (about 1,700 mass rows) takes to convert once;
2. the second ``scan`` (the cache reused: the tree listed, no pixel read);
3. the planning alone (CSV, ``metadata.csv``, the tree's listing, the files' sizes).

Run with ``python speed/bench_import.py [--images 8] [--shape 4000x3000] [--json OUT.json]``
(needs pydicom: ``pip install 'massbench[dicom]'``). Writes the copy in a temporary folder
(about 50 MB per image) and removes it afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmark.ground.data import cbis_ddsm  # noqa: E402
from benchmark.ground.formats import scan  # noqa: E402
from tests.benchmark.ground.data.synthetic import CbisRow, write_cbis  # noqa: E402


def rows_of_real_size(n_images: int, shape: tuple[int, int], seed: int = 0) -> list[CbisRow]:
    """Mass rows on ``n_images`` full images; every third image holds two masses."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_images):
        for abnormality in (1, 2) if i % 3 == 2 else (1,):
            axes = tuple(int(a) for a in rng.integers(50, 300, 2))
            centre = (int(rng.integers(axes[0] + 10, shape[0] - axes[0] - 10)),
                      int(rng.integers(axes[1] + 10, int(shape[1] * 0.8) - axes[1])))
            rows.append(CbisRow(f"P_{i + 1:05d}", abnormality=abnormality, centre=centre,
                                axes=axes, shape=shape, seed=i,
                                pathology="MALIGNANT" if i % 2 else "BENIGN"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--shape", default="4000x3000")
    parser.add_argument("--json", help="write the numbers to this file")
    args = parser.parse_args()
    shape = tuple(int(v) for v in args.shape.split("x"))
    os.environ.pop("MASSBENCH_CACHE", None)
    folder = Path(tempfile.mkdtemp(prefix="massbench-import-"))
    try:
        t0 = time.perf_counter()
        rows = rows_of_real_size(args.images, shape)
        root = write_cbis(folder / "CBIS", rows, metadata="raw", calc_rows=0)
        write_s = time.perf_counter() - t0
        size_mb = sum(p.stat().st_size for p in root.rglob("*.dcm")) / 1e6

        t0 = time.perf_counter()
        first = scan(root, progress=False)
        convert_s = time.perf_counter() - t0
        kept = len(first.dataset)

        t0 = time.perf_counter()
        second = scan(root, progress=False)
        reuse_s = time.perf_counter() - t0
        assert second.dataset.fingerprint == first.dataset.fingerprint

        t0 = time.perf_counter()
        cbis_ddsm.plan(root)
        plan_s = time.perf_counter() - t0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results = {
        "images": args.images, "shape": list(shape), "rows": len(rows), "kept": kept,
        "dicom_mb": round(size_mb, 1), "write_s": round(write_s, 2),
        "first_scan_s": round(convert_s, 2), "crops_per_s": round(kept / convert_s, 2),
        "second_scan_s": round(reuse_s, 3), "plan_s": round(plan_s, 3),
        "full_copy_estimate_min": round(1700 / (kept / convert_s) / 60, 1),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "omp_threads": os.environ.get("OMP_NUM_THREADS"),
    }
    print(json.dumps(results, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
