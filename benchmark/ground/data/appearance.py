"""How a crop looks, in numbers: measured the same way on the phantom and on real crops.

- :func:`spectrum_beta`: the exponent beta of the background's power spectrum 1/f^beta,
  fitted to the whole crop (real mammograms: 1.5-3.5, Burgess et al. 2001; the course's
  preprocessed crops: 3.3-3.5);
- :func:`lesion_contrast`: the share of the crop's background that is darker than the
  lesion's median grey level (1: the mass is the brightest structure of its crop);
- :func:`area_fraction`: the share of the crop the lesion covers.

References
----------
.. [1] A. E. Burgess, F. L. Jacobson, P. F. Judy, "Human observer detection experiments with
   mammograms and power-law noise", Med. Phys. 28 (2001) 419, doi:10.1118/1.1355308.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi


def spectrum_beta(image: np.ndarray, *, low: float = 0.04, high: float = 0.25) -> float:
    """Exponent beta of a power-law fit ``P(f) ~ f^-beta`` to a crop's power spectrum.

    The crop minus its mean, under a Hann window, is Fourier transformed; beta is minus the
    slope of log power against log radial frequency over every frequency between ``low``
    and ``high`` (cycles per pixel).

    Parameters
    ----------
    image : (M, N) ndarray of float
    low, high : float, default 0.04, 0.25
        The band of radial frequencies fitted, in cycles per pixel.

    Returns
    -------
    float

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> abs(spectrum_beta(rng.standard_normal((128, 128)))) < 0.3  # white noise: flat
    True
    """
    image = np.asarray(image, dtype=np.float64)
    centred = image - image.mean()
    window = np.outer(np.hanning(image.shape[0]), np.hanning(image.shape[1]))
    power = np.abs(np.fft.fft2(centred * window)) ** 2
    f = np.hypot(np.fft.fftfreq(image.shape[0])[:, None], np.fft.fftfreq(image.shape[1])[None])
    band = (f >= low) & (f <= high)
    slope, _ = np.polyfit(np.log(f[band]), np.log(power[band]), 1)
    return float(-slope)


def lesion_contrast(image: np.ndarray, mask: np.ndarray, *, gap: int = 3) -> float:
    """Share of the crop's background darker than the lesion's median grey level.

    The background is every pixel farther than ``gap`` pixels from the lesion (its blurred
    margin is left out).

    Parameters
    ----------
    image : (M, N) ndarray of float
    mask : (M, N) ndarray of bool
        The lesion.
    gap : int, default 3

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> image = np.zeros((20, 20)); image[8:12, 8:12] = 1.0; image[0, 0] = 2.0
    >>> round(lesion_contrast(image, image == 1.0), 3)
    0.997
    """
    image, mask = np.asarray(image, dtype=np.float64), np.asarray(mask, dtype=bool)
    background = image[~ndi.binary_dilation(mask, iterations=gap)]
    return float((background < np.median(image[mask])).mean())


def area_fraction(mask: np.ndarray) -> float:
    """Share of the crop covered by the lesion."""
    return float(np.asarray(mask, dtype=bool).mean())
