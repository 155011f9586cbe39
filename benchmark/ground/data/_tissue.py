"""The phantom's background: breast edge, fibroglandular tissue, pectoral, film edge, specks.

Private to :mod:`benchmark.ground.data.phantom`, which documents what is drawn and why. Every
function takes a NumPy generator and lengths in pixels and returns a float64 layer (or a
geometry) on the ``(size, size)`` grid; none validates its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi


def power_law_field(rng: np.random.Generator, size: int, beta: float) -> np.ndarray:
    """Zero-mean, unit-variance Gaussian noise with power spectrum 1/f^beta."""
    n = 2 * size  # generate on a larger grid and crop, so the field is not periodic
    fy = np.fft.fftfreq(n)[:, None]
    fx = np.fft.rfftfreq(n)[None, :]
    f = np.hypot(fy, fx)
    f[0, 0] = np.inf
    amplitude = f ** (-beta / 2)
    spectrum = (rng.standard_normal(amplitude.shape) + 1j * rng.standard_normal(amplitude.shape))
    field = np.fft.irfft2(spectrum * amplitude, s=(n, n))[:size, :size]
    field -= field.mean()
    return field / field.std()


def splat_path(shape, points: np.ndarray, weights: np.ndarray, sigma: float) -> np.ndarray:
    """Deposit weighted points bilinearly on a grid and blur them into a line of width sigma."""
    out = np.zeros(shape)
    r, c = points[:, 0], points[:, 1]
    r0, c0 = np.floor(r).astype(int), np.floor(c).astype(int)
    fr, fc = r - r0, c - c0
    for dr, dc, w in ((0, 0, (1 - fr) * (1 - fc)), (1, 0, fr * (1 - fc)),
                      (0, 1, (1 - fr) * fc), (1, 1, fr * fc)):
        rr, cc = r0 + dr, c0 + dc
        ok = (rr >= 0) & (rr < shape[0]) & (cc >= 0) & (cc < shape[1])
        np.add.at(out, (rr[ok], cc[ok]), (w * weights)[ok])
    # a line of unit linear density blurred by sigma has peak 1 / (sqrt(2 pi) sigma)
    return ndi.gaussian_filter(out, sigma) * (np.sqrt(2 * np.pi) * sigma)


def fibres(rng: np.random.Generator, size: int, amplitude: float) -> np.ndarray:
    """Thin bright curvilinear structures (ducts, vessels, ligaments), roughly aligned.

    Two widths (thin and thick), each splatted and blurred once, keep it fast.
    """
    layers = {}
    main_direction = rng.uniform(0, np.pi)
    for _ in range(rng.poisson(30)):
        length = rng.uniform(0.1, 0.6) * size
        steps = int(length / 0.5)
        turn = np.cumsum(rng.normal(0, 0.08, steps))
        angle = main_direction + rng.normal(0, 0.6) + turn
        start = rng.uniform(-0.1, 1.1, 2) * size
        path = start + np.cumsum(0.5 * np.stack([np.sin(angle), np.cos(angle)], 1), axis=0)
        width = int(rng.random() < 0.5)
        weight = rng.uniform(0.3, 1.0) * amplitude * 0.5
        points, weights = layers.setdefault(width, ([], []))
        points.append(path)
        weights.append(np.full(steps, weight))
    out = np.zeros((size, size))
    for width, (points, weights) in layers.items():
        sigma = (0.6, 1.1)[width] * size / 128
        out += splat_path(out.shape, np.concatenate(points), np.concatenate(weights), sigma)
    return out


@dataclass(frozen=True)
class Breast:
    """The breast as a disk of radius ``radius`` (px) around ``centre``; ``falloff`` px wide.

    ``radius`` is infinite for a crop that shows no edge.
    """

    centre: np.ndarray
    radius: float
    falloff: float

    def depth(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Signed distance (px) inside the skin line: positive in the breast."""
        if not np.isfinite(self.radius):
            return np.full(np.broadcast(rows, cols).shape, np.inf)
        return self.radius - np.hypot(rows - self.centre[0], cols - self.centre[1])

    def thickness(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Relative compressed thickness: 1 inside, falling as a circle's chord to 0 at the skin."""
        x = np.clip(self.depth(rows, cols) / self.falloff, 0, 1)
        return np.sqrt(1 - (1 - x) ** 2)


def breast(rng: np.random.Generator, size: int, lesion_centre: np.ndarray, keep: float, *,
           skin_distance: tuple[float, float] | None, curvature_radius: tuple[float, float],
           falloff: tuple[float, float], margin: tuple[float, float]) -> Breast:
    """Draw the skin line: distance from the crop centre, direction, curvature, fall-off.

    The disk is then moved out along its axis, if needed, so that the lesion (``keep`` px
    from its centre) lies at least a drawn margin inside the skin line. Ranges are in units
    of the side; ``skin_distance`` None gives a crop without an edge.
    """
    if skin_distance is None:
        return Breast(np.full(2, (size - 1) / 2), np.inf, 1.0)
    s = rng.uniform(*skin_distance) * size
    phi = rng.uniform(0, 2 * np.pi)
    radius = rng.uniform(*curvature_radius) * size
    width = rng.uniform(*falloff) * size
    need = radius - keep - rng.uniform(*margin) * size
    u = np.array([np.sin(phi), np.cos(phi)])
    centre = (size - 1) / 2 + (s - radius) * u
    v = lesion_centre - centre
    if need <= 0:
        return Breast(centre, np.inf, width)
    if v @ v > need**2:  # move the disk along u by the least shift that takes the lesion in
        half, disc = v @ u, (v @ u) ** 2 - v @ v + need**2
        if disc < 0:
            return Breast(centre, np.inf, width)
        low, high = half - np.sqrt(disc), half + np.sqrt(disc)
        centre = centre + (low if low > 0 else high) * u
    return Breast(centre, radius, width)


def dense_tissue(rng: np.random.Generator, size: int, depth: np.ndarray,
                 dense_share: float) -> np.ndarray:
    """Weight in [0, 1] of fibroglandular tissue: smooth patches, more of it away from the skin.

    A low-frequency power-law field (beta 4) plus a pull towards the breast's interior is
    thresholded softly at the quantile that leaves about ``dense_share`` of the crop dense.
    """
    field = power_law_field(rng, size, 4.0)
    if np.isfinite(depth).any():
        field = field + 0.8 * np.tanh(np.clip(depth, -size, size) / (0.4 * size))
    threshold = np.quantile(field, 1 - np.clip(dense_share, 0.005, 0.995))
    return 1 / (1 + np.exp(-(field - threshold) / 0.5))


def half_plane(size: int, normal_angle: float, distance: float, softness: float) -> np.ndarray:
    """Weight in [0, 1] of the side of a line beyond ``distance`` px from the crop's centre."""
    rows, cols = np.mgrid[0:size, 0:size] - (size - 1) / 2
    beyond = rows * np.sin(normal_angle) + cols * np.cos(normal_angle) - distance
    return 1 / (1 + np.exp(-beyond / softness))


def film_edge(rng: np.random.Generator, size: int, lesion_centre: np.ndarray, keep: float):
    """A bright band parallel to one border (the film's edge or a label), dark beyond it.

    Returns ``(band, outside)`` weights in [0, 1], or None where the band would touch the
    lesion.
    """
    side = rng.integers(4)
    offset = rng.uniform(0.0, 0.12) * size
    width = rng.uniform(1.0, 5.0) * size / 128
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    coord = (rows, size - 1 - rows, cols, size - 1 - cols)[side]
    lesion = (lesion_centre[0], size - 1 - lesion_centre[0], lesion_centre[1],
              size - 1 - lesion_centre[1])[side]
    if lesion - keep < offset + width + 2:
        return None
    band = np.exp(-0.5 * ((coord - offset - width / 2) / (width / 2)) ** 4)
    outside = (coord < offset).astype(np.float64) * (rng.random() < 0.6)
    return band, outside


def blobs(rng: np.random.Generator, size: int, inside: np.ndarray, lesion_centre: np.ndarray,
          keep: float, count: int, radius: tuple[float, float]) -> np.ndarray:
    """Small bright Gaussian blobs at random places in the breast, clear of the lesion.

    ``radius`` (px) is the range of the blobs' SD; each blob has peak 1 before the caller
    scales it. Places that fall outside the breast or within ``keep`` px of the lesion's
    centre are dropped.
    """
    out = np.zeros((size, size))
    rows, cols = np.mgrid[0:size, 0:size]
    for _ in range(count):
        place = rng.uniform(0, size - 1, 2)
        sigma = rng.uniform(*radius)
        peak = rng.uniform(0.5, 1.0)
        r, c = int(round(place[0])), int(round(place[1]))
        if not inside[r, c] or np.hypot(*(place - lesion_centre)) < keep + 3 * sigma:
            continue
        out += peak * np.exp(-((rows - place[0]) ** 2 + (cols - place[1]) ** 2) / (2 * sigma**2))
    return out
