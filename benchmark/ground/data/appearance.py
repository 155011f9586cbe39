"""How a crop looks, in numbers: measured the same way on the phantom and on real crops.

One function per statistic of one crop (``image`` in [0, 1], ``mask`` the reference lesion),
and :data:`STATISTICS`, their registry, from which :func:`appearance_table` (one row per case)
and :func:`compare_appearance` (median, p5, p95 of two datasets side by side) are built.

==================  ===========================================================================
area_fraction       share of the crop the lesion covers
equivalent_diameter diameter of the disk of the lesion's area, ``sqrt(4 area / pi)`` (px)
centroid_offset     distance of the lesion's centroid from the crop's centre over the side
                    (``sqrt(M N)``); 0 for a centred lesion, about 0.5 at an edge's middle
local_contrast      lesion mean minus the mean of a ring around it (from ``gap`` to ``gap +
                    width`` 4-connected steps beyond the mask: 2 and 6), over the image maximum
cnr                 the same difference over the ring's standard deviation (contrast to noise;
                    the ring's spread is mostly anatomical texture, not quantum noise)
share_darker        share of the background (beyond 3 px of the lesion) darker than the
                    lesion's median (1: the lesion is the brightest structure of its crop)
lesion_level        the lesion's 95th-percentile grey level over the image maximum (1: the
                    lesion holds the crop's brightest pixels)
image_max           the image's maximum grey level (1: full scale, as a crop scaled to its
                    maximum or saturated has)
dark_fraction       share of the crop below a tenth of its maximum: the air beyond the skin
                    line, where the crop shows the breast's edge
noise_level         robust SD (1.4826 MAD) of the image minus its Gaussian blur (sigma 1 px),
                    over the image maximum: the pixel-scale noise
spectrum_beta       exponent beta of the power spectrum 1/f^beta (real mammograms 1.5-3.5,
                    Burgess et al. 2001 [1]_)
components          connected components of the mask, 4-connected (edge-sharing) pixels
==================  ===========================================================================

References
----------
.. [1] A. E. Burgess, F. L. Jacobson, P. F. Judy, "Human observer detection experiments with
   mammograms and power-law noise", Med. Phys. 28 (2001) 419, doi:10.1118/1.1355308.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage as ndi

#: The ring around a lesion that :func:`local_contrast` and :func:`cnr` compare it with:
#: from RING_GAP to RING_GAP + RING_WIDTH 4-connected steps (city-block px) beyond the mask.
RING_GAP, RING_WIDTH = 2, 4
#: The percentiles :func:`compare_appearance` reports beside the median.
TAILS = (5, 95)


def _float(image) -> np.ndarray:
    return np.asarray(image, dtype=np.float64)


def _bool(mask) -> np.ndarray:
    return np.asarray(mask, dtype=bool)


def area_fraction(mask: np.ndarray) -> float:
    """Share of the crop covered by the lesion.

    Examples
    --------
    >>> area_fraction(np.eye(4, dtype=bool))
    0.25
    """
    return float(_bool(mask).mean())


def equivalent_diameter(mask: np.ndarray) -> float:
    """Diameter (px) of the disk whose area is the lesion's, ``sqrt(4 area / pi)``.

    Examples
    --------
    >>> round(equivalent_diameter(np.ones((10, 10), dtype=bool)), 2)
    11.28
    """
    return float(np.sqrt(4 * np.count_nonzero(mask) / np.pi))


def centroid_offset(mask: np.ndarray) -> float:
    """Distance from the crop's centre to the lesion's centroid, over the side ``sqrt(M N)``.

    The centre of an ``(M, N)`` crop is ``((M - 1) / 2, (N - 1) / 2)`` in pixel indices; an
    empty mask gives NaN.

    Examples
    --------
    >>> mask = np.zeros((11, 11), dtype=bool); mask[5, 5] = True
    >>> centroid_offset(mask)
    0.0
    >>> mask[5, 5], mask[0, 5] = False, True
    >>> round(centroid_offset(mask), 3)  # 5 px from the centre, side 11
    0.455
    """
    mask = _bool(mask)
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return float("nan")
    m, n = mask.shape
    return float(np.hypot(rows.mean() - (m - 1) / 2, cols.mean() - (n - 1) / 2) / np.sqrt(m * n))


def _lesion_and_ring(image, mask, gap: int, width: int):
    image, mask = _float(image), _bool(mask)
    inner = ndi.binary_dilation(mask, iterations=gap) if gap else mask
    ring = ndi.binary_dilation(mask, iterations=gap + width) & ~inner
    return image, image[mask], image[ring]


def local_contrast(image: np.ndarray, mask: np.ndarray, *, gap: int = RING_GAP,
                   width: int = RING_WIDTH) -> float:
    """Lesion mean minus the mean of a ring around it, over the image maximum.

    The ring holds the pixels from ``gap`` to ``gap + width`` steps (4-connected dilations)
    beyond the mask, so the lesion's blurred margin is left out.

    Parameters
    ----------
    image : (M, N) ndarray of float
    mask : (M, N) ndarray of bool
        The lesion.
    gap, width : int, default 2, 4

    Returns
    -------
    float
        NaN for an empty mask or a black image.

    Examples
    --------
    >>> image = np.full((20, 20), 0.5); mask = np.zeros((20, 20), bool); mask[8:12, 8:12] = True
    >>> image[mask] = 1.0
    >>> local_contrast(image, mask)
    0.5
    """
    image, inside, ring = _lesion_and_ring(image, mask, gap, width)
    if inside.size == 0 or ring.size == 0 or image.max() <= 0:
        return float("nan")
    return float((inside.mean() - ring.mean()) / image.max())


def cnr(image: np.ndarray, mask: np.ndarray, *, gap: int = RING_GAP,
        width: int = RING_WIDTH) -> float:
    """Contrast to noise: lesion mean minus the ring's mean, over the ring's SD.

    The ring is that of :func:`local_contrast`. NaN for an empty mask or a flat ring.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> image = rng.normal(0, 0.1, (60, 60)); mask = np.zeros((60, 60), bool)
    >>> mask[25:35, 25:35] = True; image[mask] += 0.3
    >>> 2.5 < cnr(image, mask) < 3.5  # 0.3 over a noise SD of 0.1
    True
    """
    _, inside, ring = _lesion_and_ring(image, mask, gap, width)
    if inside.size == 0 or ring.size < 2 or ring.std() == 0:
        return float("nan")
    return float((inside.mean() - ring.mean()) / ring.std())


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
    image, mask = _float(image), _bool(mask)
    background = image[~ndi.binary_dilation(mask, iterations=gap)]
    return float((background < np.median(image[mask])).mean())


def lesion_level(image: np.ndarray, mask: np.ndarray) -> float:
    """The lesion's 95th-percentile grey level over the image maximum; NaN if empty.

    Examples
    --------
    >>> image = np.full((10, 10), 0.5); image[0, 0] = 1.0
    >>> lesion_level(image, image == 0.5)
    0.5
    """
    image, mask = _float(image), _bool(mask)
    if not mask.any() or image.max() <= 0:
        return float("nan")
    return float(np.percentile(image[mask], 95) / image.max())


def image_maximum(image: np.ndarray) -> float:
    """The image's maximum grey level (1 is full scale)."""
    return float(_float(image).max())


def dark_fraction(image: np.ndarray, *, level: float = 0.1) -> float:
    """Share of the crop darker than ``level`` times its maximum (the air beyond the skin).

    Examples
    --------
    >>> image = np.ones((10, 10)); image[:, :3] = 0.02
    >>> dark_fraction(image)
    0.3
    """
    image = _float(image)
    return float((image < level * image.max()).mean())


def noise_level(image: np.ndarray) -> float:
    """Robust SD of the image minus its Gaussian blur (sigma 1 px), over the image maximum.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> image = 0.5 + rng.normal(0, 0.01, (64, 64))
    >>> 0.01 < noise_level(image) < 0.02  # the residual keeps most of white noise's SD
    True
    """
    image = _float(image)
    residual = image - ndi.gaussian_filter(image, 1.0)
    mad = np.median(np.abs(residual - np.median(residual)))
    return float(1.4826 * mad / image.max()) if image.max() > 0 else float("nan")


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
    image = _float(image)
    centred = image - image.mean()
    window = np.outer(np.hanning(image.shape[0]), np.hanning(image.shape[1]))
    power = np.abs(np.fft.fft2(centred * window)) ** 2
    f = np.hypot(np.fft.fftfreq(image.shape[0])[:, None], np.fft.fftfreq(image.shape[1])[None])
    band = (f >= low) & (f <= high)
    slope, _ = np.polyfit(np.log(f[band]), np.log(power[band]), 1)
    return float(-slope)


def mask_components(mask: np.ndarray) -> int:
    """Connected components of the mask, pixels joined when they share an edge.

    Examples
    --------
    >>> mask_components(np.eye(3, dtype=bool))  # diagonal neighbours only: three pieces
    3
    """
    return int(ndi.label(_bool(mask))[1])


#: name -> statistic of one (image, mask); the columns of :func:`appearance_table`.
STATISTICS = {
    "area_fraction": lambda image, mask: area_fraction(mask),
    "equivalent_diameter": lambda image, mask: equivalent_diameter(mask),
    "centroid_offset": lambda image, mask: centroid_offset(mask),
    "local_contrast": local_contrast,
    "cnr": cnr,
    "share_darker": lesion_contrast,
    "lesion_level": lesion_level,
    "image_max": lambda image, mask: image_maximum(image),
    "dark_fraction": lambda image, mask: dark_fraction(image),
    "noise_level": lambda image, mask: noise_level(image),
    "spectrum_beta": lambda image, mask: spectrum_beta(image),
    "components": lambda image, mask: mask_components(mask),
}


def appearance_table(dataset) -> pd.DataFrame:
    """One row per case: ``case``, ``label``, ``patient`` and every :data:`STATISTICS` column.

    Parameters
    ----------
    dataset : Dataset or iterable of Case

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from benchmark.ground.data import make_phantom
    >>> table = appearance_table(make_phantom(2, seed=1, size=48))
    >>> list(table.columns[:4]), len(table)
    (['case', 'label', 'patient', 'area_fraction'], 2)
    """
    rows = []
    for case in dataset:
        row = {"case": case.id, "label": case.label, "patient": case.patient}
        row |= {name: statistic(case.image, case.mask) for name, statistic in STATISTICS.items()}
        rows.append(row)
    return pd.DataFrame(rows, columns=["case", "label", "patient", *STATISTICS])


def compare_appearance(first, second, *, names: tuple[str, str] = ("first", "second")
                       ) -> pd.DataFrame:
    """Median, p5 and p95 of every statistic of two datasets side by side.

    Parameters
    ----------
    first, second : Dataset, iterable of Case, or pandas.DataFrame
        Datasets, or tables :func:`appearance_table` made.
    names : (str, str)
        Column labels of the two.

    Returns
    -------
    pandas.DataFrame
        One row per statistic; columns ``(name, "median" | "p5" | "p95" | "mean")`` for each
        dataset and ``("median_ratio", "")`` (second's median over first's); the row
        ``multiple_components`` holds the share of masks with more than one component (its
        ``mean``).
    """
    tables = [t if isinstance(t, pd.DataFrame) else appearance_table(t)
              for t in (first, second)]
    blocks = {}
    for name, table in zip(names, tables, strict=True):
        values = table[list(STATISTICS)].astype(float)
        values["multiple_components"] = (values["components"] > 1).astype(float)
        blocks[name] = pd.DataFrame({
            "median": values.median(),
            f"p{TAILS[0]}": values.quantile(TAILS[0] / 100),
            f"p{TAILS[1]}": values.quantile(TAILS[1] / 100),
            "mean": values.mean()})
    out = pd.concat(blocks, axis=1)
    out[("median_ratio", "")] = out[(names[1], "median")] / out[(names[0], "median")]
    return out
