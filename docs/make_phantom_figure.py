"""Figure for the docs: phantom crops beside the course's real crops, and their spectra.

Usage: ``python docs/make_phantom_figure.py [SAMPLES_DIR]`` (default
``../shared/data/cmepda_samples``). Writes ``docs/phantom_vs_real.png`` and prints the
power-law exponent beta fitted to each image's radially averaged power spectrum.
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
from benchmark.ground.data import make_phantom  # noqa: E402
from benchmark.ground.data.imageio import read_image  # noqa: E402


def spectrum_beta(image: np.ndarray, low: float = 0.04, high: float = 0.25) -> float:
    """Slope -beta of log power against log radial frequency between ``low`` and ``high``."""
    img = image - image.mean()
    window = np.outer(np.hanning(img.shape[0]), np.hanning(img.shape[1]))
    power = np.abs(np.fft.fft2(img * window)) ** 2
    fy = np.fft.fftfreq(img.shape[0])[:, None]
    fx = np.fft.fftfreq(img.shape[1])[None, :]
    f = np.hypot(fy, fx)
    band = (f >= low) & (f <= high)
    slope, _ = np.polyfit(np.log(f[band]), np.log(power[band]), 1)
    return -slope


def main(samples: Path) -> None:
    """Draw the figure and print the fitted spectral exponents."""
    real = [(p.stem, course_preprocess(read_image(p)[0])) for p in sorted(samples.glob("*.pgm"))]
    phantom = make_phantom(180)
    picks = [c for c in phantom if c.label == 1][:3] + [c for c in phantom if c.label == 0][:3]
    fig, axes = plt.subplots(3, 3, figsize=(9, 9.6))
    for ax, (name, img) in zip(axes[0], real, strict=False):
        ax.imshow(img, cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"real {name}\nbeta = {spectrum_beta(img):.2f}", fontsize=9)
    for ax, case in zip(axes[1:].ravel(), picks, strict=True):
        ax.imshow(case.image, cmap="gray", vmin=0, vmax=1)
        ax.contour(case.mask, [0.5], colors="tab:orange", linewidths=0.8)
        kind = "malignant" if case.label else "benign"
        ax.set_title(f"phantom {case.id} ({kind})\nbeta = {spectrum_beta(case.image):.2f}",
                     fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Top: the course's real crops after its preprocessing (box 8 px, 1/8 "
                 "bicubic, / max).\nBelow: phantom crops (orange: exact reference mask).",
                 fontsize=10)
    fig.tight_layout()
    out = ROOT / "docs" / "phantom_vs_real.png"
    fig.savefig(out, dpi=80)
    betas_real = [spectrum_beta(img) for _, img in real]
    betas_phantom = [spectrum_beta(c.image) for c in phantom]
    print(f"wrote {out}")
    print(f"beta real: {', '.join(f'{b:.2f}' for b in betas_real)}")
    print(f"beta phantom: median {np.median(betas_phantom):.2f}, 5-95 % "
          f"{np.percentile(betas_phantom, 5):.2f}-{np.percentile(betas_phantom, 95):.2f}")


if __name__ == "__main__":
    default = ROOT.parent / "shared" / "data" / "cmepda_samples"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
