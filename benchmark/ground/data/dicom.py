"""Reading mammogram DICOM files, and scaling their 12- to 16-bit values to 8 bits honestly.

pydicom is an optional dependency (the extra ``dicom``: ``pip install 'massbench[dicom]'``);
it is imported only when a DICOM file is read, and its absence is said in one line.

How values are scaled (the same for every importer, and stated in ``data`` and the cache's
record): the stored values go through the modality LUT (``RescaleSlope`` and
``RescaleIntercept`` when present); MONOCHROME1 images (where a high value is dark) are
inverted so that bright means dense as in MONOCHROME2; then one linear window per *full
image*, from its 0.01th to its 99.99th percentile, maps to 0 - 255 (values outside are
clipped: a hot pixel or a burnt-in marker does not squeeze the tissue's range, while a mass,
thousands of pixels at full resolution, is not saturated). Every crop of one mammogram is
therefore scaled alike, a lesion keeps its brightness relative to the whole breast (as on a
film digitised at 8 bits, which is what the course's crops are), and no crop is stretched to
its own range. The DICOM's own display
window (``WindowCenter`` / ``WindowWidth``) is not used: CBIS-DDSM has none and INbreast's
would differ from it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from benchmark.ground.errors import InputError

#: The percentiles of the full image that map to 0 and 255.
WINDOW_PERCENTILES = (0.01, 99.99)
#: Every how many rows and columns the percentiles are estimated (a 4,000 x 3,000 image:
#: 750,000 values, 75 of them in each 0.01 % tail).
WINDOW_STRIDE = 4
#: What to install for DICOM support.
DICOM_EXTRA = "pip install 'massbench[dicom]'"
#: How the importers scale pixel values, in words (``data`` and the cache's record say it).
SCALING = (f"DICOM values through the modality LUT, MONOCHROME1 inverted, then one linear "
           f"window per full image from its {WINDOW_PERCENTILES[0]}th to its "
           f"{WINDOW_PERCENTILES[1]}th percentile to 0-255 (clipped); no per-crop stretch")


def _pydicom(path: str | os.PathLike):
    """The pydicom module, or an :class:`InputError` that says how to install it."""
    try:
        import pydicom
    except ImportError:
        raise InputError(f"reading DICOM files needs pydicom, which is not installed: "
                         f"{DICOM_EXTRA}", path) from None
    return pydicom


def read_header(path: str | os.PathLike):
    """The DICOM header of ``path`` without its pixel data.

    Raises
    ------
    InputError
        If pydicom is missing or the file is not a readable DICOM file.
    """
    pydicom = _pydicom(path)
    try:
        return pydicom.dcmread(path, stop_before_pixels=True, force=True)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file for the user
        raise InputError(f"cannot read the DICOM header ({type(exc).__name__}: {exc})",
                         path) from None


def series_uid(path: str | os.PathLike) -> str:
    """The file's SeriesInstanceUID (0020,000E), or ``""`` when it has none."""
    return str(getattr(read_header(path), "SeriesInstanceUID", "") or "")


def read_stored(path: str | os.PathLike) -> tuple[np.ndarray, object]:
    """The stored pixel values of a single-frame grey-level DICOM file, and its dataset.

    Returns
    -------
    pixels : (M, N) ndarray of int
        As stored (no LUT applied).
    dataset : pydicom.Dataset

    Raises
    ------
    InputError
        If the file cannot be read, holds no pixels, several frames or colour.
    """
    pydicom = _pydicom(path)
    try:
        ds = pydicom.dcmread(path, force=True)
        pixels = ds.pixel_array
    except Exception as exc:  # noqa: BLE001 - a decoder failure is a bad file for the user
        raise InputError(f"cannot read the DICOM pixels ({type(exc).__name__}: {exc}); a "
                         f"compressed file may need a codec (pydicom's pixel data handlers)",
                         path) from None
    if pixels.ndim != 2:
        raise InputError(f"expected one grey-level frame, got pixel data of shape "
                         f"{pixels.shape}", path)
    return pixels, ds


def read_mammogram(path: str | os.PathLike) -> np.ndarray:
    """A mammogram's values with bright meaning dense: modality LUT, MONOCHROME1 inverted.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    (M, N) ndarray of float64
    """
    pixels, ds = read_stored(path)
    values = pixels.astype(np.float64)
    slope = float(getattr(ds, "RescaleSlope", 1) or 1)
    intercept = float(getattr(ds, "RescaleIntercept", 0) or 0)
    if slope != 1 or intercept != 0:
        values = values * slope + intercept
    if str(getattr(ds, "PhotometricInterpretation", "MONOCHROME2")).strip() == "MONOCHROME1":
        values = values.max() + values.min() - values
    return values


def full_image_window(values: np.ndarray, *, percentiles=WINDOW_PERCENTILES,
                      stride: int = WINDOW_STRIDE) -> tuple[float, float]:
    """The grey-level window of a full image: its low and high percentiles.

    Parameters
    ----------
    values : (M, N) ndarray
    percentiles : (float, float)
    stride : int
        Estimate on every ``stride``-th row and column.

    Returns
    -------
    (float, float)
        ``lo < hi`` (``hi = lo + 1`` for a constant image).

    Examples
    --------
    >>> import numpy as np
    >>> [round(v, 3) for v in full_image_window(np.arange(1000.0).reshape(40, 25), stride=1)]
    [0.1, 998.9]
    """
    sample = np.asarray(values)[::stride, ::stride]
    lo, hi = (float(v) for v in np.percentile(sample, percentiles))
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def to_byte_scale(values: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """``values`` mapped linearly from ``window`` to [0, 255] (float64, clipped).

    Examples
    --------
    >>> import numpy as np
    >>> to_byte_scale(np.array([0.0, 50.0, 100.0, 200.0]), (0.0, 100.0)).tolist()
    [0.0, 127.5, 255.0, 255.0]
    """
    lo, hi = window
    out = np.array(values, dtype=np.float64)  # a copy, scaled in place
    out -= lo
    out *= 255.0
    out /= hi - lo
    return np.clip(out, 0, 255, out=out)


def is_binary(pixels: np.ndarray) -> bool:
    """Whether ``pixels`` holds at most two distinct values (what a ROI mask holds).

    Examples
    --------
    >>> import numpy as np
    >>> is_binary(np.array([[0, 255], [255, 0]])), is_binary(np.array([[0, 1], [2, 0]]))
    (True, False)
    """
    lo, hi = pixels.min(), pixels.max()
    return bool(np.all((pixels == lo) | (pixels == hi)))


def dicom_files(folder: str | os.PathLike) -> list[Path]:
    """The ``.dcm`` files under ``folder`` (any depth), sorted."""
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() == ".dcm"
                  and p.is_file())
