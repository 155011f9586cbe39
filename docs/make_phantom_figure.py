"""Figure and numbers for the docs: the phantom beside the course's real crops.

Usage: ``python docs/make_phantom_figure.py [SAMPLES_DIR]`` (default
``../shared/data/cmepda_samples``). Writes ``docs/phantom_vs_real.png`` and prints, for the
real crops and the default phantom, the statistics of :mod:`benchmark.ground.data.appearance`
measured the same way on both: the power-law exponent beta of the spectrum, the lesion
contrast (share of the background darker than the lesion's median) and the lesion's area
fraction. The real crops are preprocessed the course's way and their lesions segmented the
course's way (radial max-variance from a hand-drawn ROI), as the course made its reference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from baselines.preprocessing import course_preprocess  # noqa: E402
from baselines.radial import radial_maxvar_segment  # noqa: E402
from benchmark.ground.data import make_phantom  # noqa: E402
from benchmark.ground.data.appearance import (  # noqa: E402
    area_fraction,
    lesion_contrast,
    spectrum_beta,
)
from benchmark.ground.data.imageio import read_image  # noqa: E402

#: ROIs drawn by hand on the preprocessed real crops (row_min, row_max, col_min, col_max).
REAL_ROIS = {"0016p1_2_1": (45, 90, 45, 115), "0025p1_4_1": (25, 80, 45, 95),
             "0036p1_1_1": (40, 85, 38, 88)}
STATISTICS = {"beta": spectrum_beta, "contrast": lesion_contrast, "area": area_fraction}
LABELS = {"beta": "spectrum exponent beta", "contrast": "lesion contrast (share of background "
          "darker)", "area": "lesion area fraction"}


def measure(image, mask) -> dict:
    """The three statistics of one crop."""
    return {"beta": spectrum_beta(image), "contrast": lesion_contrast(image, mask),
            "area": area_fraction(mask)}


def _picks(phantom, label: int) -> list:
    """The least, the median and the most regular outline (solidity) of one class."""
    from skimage.measure import regionprops

    cases = sorted((c for c in phantom if c.label == label),
                   key=lambda c: regionprops(c.mask.astype(np.uint8))[0].solidity)
    return [cases[0], cases[len(cases) // 2], cases[-1]]


def main(samples: Path) -> None:
    """Draw the figure and print the statistics."""
    real = []
    for path in sorted(samples.glob("*.pgm")):
        image = course_preprocess(read_image(path)[0])
        mask = radial_maxvar_segment(image, REAL_ROIS[path.stem])
        real.append((path.stem, image, mask, measure(image, mask)))
    phantom = make_phantom(180)
    stats = [measure(c.image, c.mask) for c in phantom]
    picks = _picks(phantom, 1) + _picks(phantom, 0)
    fig = plt.figure(figsize=(10, 13.5))
    grid = fig.add_gridspec(4, 3, height_ratios=[1, 1, 1, 0.8])
    for col, (name, image, mask, values) in enumerate(real):
        ax = fig.add_subplot(grid[0, col])
        ax.imshow(image, cmap="gray", vmin=0, vmax=1)
        ax.contour(mask, [0.5], colors="tab:orange", linewidths=0.8)
        ax.set_title(f"real {name} (malignant)\nbeta {values['beta']:.2f}, contrast "
                     f"{values['contrast']:.3f}, area {values['area']:.3f}", fontsize=9)
    for k, case in enumerate(picks):
        ax = fig.add_subplot(grid[1 + k // 3, k % 3])
        ax.imshow(case.image, cmap="gray", vmin=0, vmax=1)
        ax.contour(case.mask, [0.5], colors="tab:orange", linewidths=0.8)
        values = measure(case.image, case.mask)
        kind = "malignant" if case.label else "benign"
        ax.set_title(f"phantom {case.id} ({kind})\nbeta {values['beta']:.2f}, contrast "
                     f"{values['contrast']:.3f}, area {values['area']:.3f}", fontsize=9)
    for ax in fig.axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for col, key in enumerate(STATISTICS):
        ax = fig.add_subplot(grid[3, col])
        ax.hist([s[key] for s in stats], bins=24, color="0.6", edgecolor="white",
                label="phantom (180 crops)")
        for _, _, _, values in real:
            ax.axvline(values[key], color="tab:orange", linewidth=1.5)
        ax.axvline(np.nan, color="tab:orange", label="real crops")
        ax.set_xlabel(LABELS[key], fontsize=9)
        ax.tick_params(labelsize=8)
        if col == 0:
            ax.set_ylabel("crops", fontsize=9)
            ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("Top: the course's real crops after its preprocessing (box 8 px, 1/8 bicubic, "
                 "/ max), lesion by the\ncourse's radial max-variance from a hand-drawn ROI. "
                 "Middle: phantom 2.0 crops, per class the least,\nmedian and most regular "
                 "outline (orange: exact mask). Bottom: the three statistics over the\n"
                 "default phantom (grey) and the real crops (orange).", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    out = ROOT / "docs" / "phantom_vs_real.png"
    fig.savefig(out, dpi=80)
    print(f"wrote {out}")
    for key in STATISTICS:
        values = np.array([s[key] for s in stats])
        print(f"{key:<9} real {', '.join(f'{r[3][key]:.3f}' for r in real)}; phantom median "
              f"{np.median(values):.3f}, 5-95 % {np.percentile(values, 5):.3f}-"
              f"{np.percentile(values, 95):.3f}, range {values.min():.3f}-{values.max():.3f}")


if __name__ == "__main__":
    default = ROOT.parent / "shared" / "data" / "cmepda_samples"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
