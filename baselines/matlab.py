"""MATLAB semantics that the course code relies on, where they differ from the obvious reading.

- ``round`` rounds halves away from zero (NumPy rounds them to even);
- ``find`` scans in column-major order, so "the first maximum" is the first down the columns;
- ``graythresh`` is Otsu's method on a fixed 256-bin histogram of ``im2uint8(I)`` (values
  saturated to [0, 1]), returning the mean of the maximising bins divided by 255, and
  ``imbinarize(I)`` is ``I > graythresh(I)``;
- ``stdfilt(I, ones(n))`` is the sample standard deviation (N - 1) over the n x n
  neighbourhood with symmetric padding.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi


def matlab_round(x):
    """Round halves away from zero, as MATLAB's ``round`` does."""
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def first_max_column_major(values: np.ndarray) -> tuple[int, int]:
    """(row, col) of the first maximum in column-major order, as MATLAB's ``find`` gives."""
    flat = int(np.argmax(np.asarray(values).T))
    n_rows = values.shape[0]
    return flat % n_rows, flat // n_rows


def graythresh(image: np.ndarray) -> float:
    """MATLAB's ``graythresh``: Otsu's level in [0, 1] for an image scaled to [0, 1]."""
    levels = np.clip(matlab_round(np.clip(image, 0, 1) * 255), 0, 255).astype(np.int64)
    counts = np.bincount(levels.ravel(), minlength=256).astype(np.float64)
    p = counts / counts.sum()
    omega = np.cumsum(p)
    mu = np.cumsum(p * np.arange(1, 257))
    mu_t = mu[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma_b2 = (mu_t * omega - mu) ** 2 / (omega * (1 - omega))
    if not np.any(np.isfinite(sigma_b2)):
        return 0.0
    best = np.nanmax(sigma_b2)
    idx = np.mean(np.flatnonzero(sigma_b2 == best) + 1)  # 1-based bins, as in MATLAB
    return float((idx - 1) / 255)


def imbinarize(image: np.ndarray) -> np.ndarray:
    """MATLAB's ``imbinarize(I)`` with its default global Otsu threshold."""
    return np.asarray(image) > graythresh(image)


def stdfilt(image: np.ndarray, size: int = 5) -> np.ndarray:
    """MATLAB's ``stdfilt(I, ones(size))`` for odd ``size``."""
    image = np.asarray(image, dtype=np.float64)
    n = size * size
    mean = ndi.uniform_filter(image, size, mode="reflect")
    mean_sq = ndi.uniform_filter(image * image, size, mode="reflect")
    return np.sqrt(np.maximum(mean_sq - mean * mean, 0) * n / (n - 1))
