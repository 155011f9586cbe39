"""Figure and numbers for the docs: the default phantom beside the course's real crops.

Usage: ``python docs/make_phantom_figure.py [DEV_HALF_DIR]`` (default
``../shared/data/course_large_sample``, the development half of the course's large sample:
95 real crops of 125 px with their reference masks). Writes ``docs/phantom_vs_real.png`` and
prints, as a Markdown table, the median, p5 and p95 of every statistic of
:mod:`benchmark.ground.data.appearance`, measured the same way on the real crops and on the
default phantom (180 crops of 128 px; the equivalent diameter is rescaled to 125 px).

Top rows: six real and six phantom crops at evenly spaced ranks of their lesion's area, shown
on the full 8-bit scale (black 0, white 255: a dim crop is dim because its maximum is below
255) with the reference mask's outline. Below: the distribution (empirical CDF) of each
statistic on both sides.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmark.ground.data import load_dataset, make_phantom  # noqa: E402
from benchmark.ground.data.appearance import (  # noqa: E402
    appearance_table,
    compare_appearance,
)
from benchmark.ground.data.phantom import DEFAULT_SIZE, PHANTOM_VERSION  # noqa: E402

REAL_SIDE = 125
#: statistic -> (axis label, log x axis)
PANELS = {
    "area_fraction": ("lesion area fraction", True),
    "equivalent_diameter": ("equivalent diameter (px at 125)", True),
    "centroid_offset": ("centroid offset / side", False),
    "local_contrast": ("local contrast / image max", False),
    "cnr": ("CNR against the ring", True),
    "share_darker": ("share of background darker than lesion", False),
    "lesion_level": ("lesion p95 / image max", False),
    "image_max": ("image maximum (1 = 255)", False),
    "dark_fraction": ("share below 0.1 max (air)", False),
    "noise_level": ("pixel noise / image max", True),
    "spectrum_beta": ("power-spectrum beta", False),
    "components": ("mask components (4-connected)", False),
}
COLOURS = {"real": "tab:orange", "phantom": "tab:blue"}


def _examples(dataset, table, n=6) -> list:
    """The cases at ``n`` evenly spaced ranks of the lesion's area fraction."""
    order = np.argsort(table["area_fraction"].to_numpy())
    picks = order[np.linspace(0, len(order) - 1, n + 2)[1:-1].round().astype(int)]
    return [dataset[int(i)] for i in picks]


def _ecdf(ax, values, colour, label):
    values = np.sort(np.asarray(values, dtype=float))
    ax.step(values, np.arange(1, values.size + 1) / values.size, where="post", color=colour,
            label=label, linewidth=1.4)


def main(dev_half: Path) -> None:
    """Draw the figure and print the side-by-side table."""
    real = load_dataset(dev_half)
    start = time.perf_counter()
    phantom = make_phantom()
    seconds = time.perf_counter() - start
    tables = {"real": appearance_table(real), "phantom": appearance_table(phantom)}
    tables["phantom"]["equivalent_diameter"] *= REAL_SIDE / DEFAULT_SIZE
    fig = plt.figure(figsize=(13, 12.5))
    grid = fig.add_gridspec(5, 12, height_ratios=[1, 1, 1.1, 1.1, 1.1], hspace=0.5, wspace=0.9)
    for row, (name, dataset) in enumerate((("real", real), ("phantom", phantom))):
        for col, case in enumerate(_examples(dataset, tables[name])):
            ax = fig.add_subplot(grid[row, 2 * col: 2 * col + 2])
            ax.imshow(case.image, cmap="gray", vmin=0, vmax=1)
            ax.contour(case.mask, [0.5], colors="yellow", linewidths=0.8)
            kind = {1: "malignant", 0: "benign"}.get(case.label, "")
            ax.set_title(f"{name} {case.id}\n{kind}, max {case.image.max() * 255:.0f}",
                         fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
    for k, (key, (label, log)) in enumerate(PANELS.items()):
        ax = fig.add_subplot(grid[2 + k // 4, 3 * (k % 4): 3 * (k % 4) + 3])
        for name, table in tables.items():
            n = len(table)
            _ecdf(ax, table[key], COLOURS[name],
                  f"{'dev half' if name == 'real' else f'phantom {PHANTOM_VERSION}'} ({n})")
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.xaxis.set_major_formatter(matplotlib.ticker.LogFormatter(labelOnlyBase=False,
                                                                        minor_thresholds=(2, 1)))
        ax.set_xlabel(label, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if k % 4 == 0:
            ax.set_ylabel("share of crops", fontsize=8)
        if k == 0:
            ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"Phantom {PHANTOM_VERSION} (default: 180 crops, {DEFAULT_SIZE} px) beside the "
                 "course's real crops (development half, 95 crops, 125 px).\nTop: examples at "
                 "evenly spaced lesion areas, full 8-bit scale, reference outline (yellow). Below: "
                 "each statistic's distribution,\nmeasured the same way on both (orange: real, "
                 "blue: phantom).", fontsize=10, y=0.95)
    out = ROOT / "docs" / "phantom_vs_real.png"
    fig.savefig(out, dpi=72, bbox_inches="tight")
    print(f"wrote {out}; phantom generated in {seconds:.1f} s")
    summary = compare_appearance(tables["real"], tables["phantom"], names=("real", "phantom"))
    print("| statistic | dev half: median (p5-p95) | phantom: median (p5-p95) | ratio |")
    print("|---|---|---|---|")
    for key, row in summary.iterrows():
        if key == "multiple_components":
            print(f"| share of masks in pieces | {row[('real', 'mean')]:.2f} | "
                  f"{row[('phantom', 'mean')]:.2f} | reported, not matched |")
            continue
        cells = [f"{row[(n, 'median')]:.3g} ({row[(n, 'p5')]:.3g}-{row[(n, 'p95')]:.3g})"
                 for n in ("real", "phantom")]
        print(f"| {key} | {cells[0]} | {cells[1]} | {row[('median_ratio', '')]:.2f} |")


if __name__ == "__main__":
    default = ROOT.parent / "shared" / "data" / "course_large_sample"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
