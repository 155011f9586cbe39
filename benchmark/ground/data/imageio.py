"""Reading and writing the image files of the course format: PGM (8/16-bit), PNG and TIFF.

PGM is parsed here rather than through Pillow so that a truncated or malformed file gets a
precise message (how many bytes were expected and found) and so that the files written by
``make-phantom`` are byte-identical for a seed on every platform.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from benchmark.ground.errors import InputError
from benchmark.ground.store import atomic_write_bytes

IMAGE_SUFFIXES = (".pgm", ".png", ".tif", ".tiff")
#: Suffixes of JPEG files, which are refused with :data:`JPEG_REFUSED`.
JPEG_SUFFIXES = (".jpg", ".jpeg")
#: Why a JPEG crop or mask is refused, and what to do.
JPEG_REFUSED = ("JPEG is not accepted (its lossy compression changes grey levels and blurs "
                "mask edges); convert the files to PNG, PGM or TIFF, from the original "
                "uncompressed images where you have them")
_PGM_WHITESPACE = b" \t\r\n\v\f"


def read_image(path: str | os.PathLike) -> tuple[np.ndarray, int | None]:
    """Read a 2-D grey-level image.

    Parameters
    ----------
    path : str or path-like
        A ``.pgm``, ``.png``, ``.tif`` or ``.tiff`` file.

    Returns
    -------
    pixels : (M, N) ndarray
        The stored values (unsigned integers, or floats for float TIFFs).
    maxval : int or None
        The largest value the format allows (the PGM header's maxval, 255 or 65535), or
        None for float images.

    Raises
    ------
    InputError
        If the file cannot be read, is truncated, is not an image, is not grey-level, or is
        a JPEG (:data:`JPEG_REFUSED`).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in JPEG_SUFFIXES:
        raise InputError(JPEG_REFUSED, path)
    if suffix not in IMAGE_SUFFIXES:
        raise InputError(
            f"unsupported image type {suffix!r}; expected one of {', '.join(IMAGE_SUFFIXES)}", path
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", path) from None
    if suffix == ".pgm":
        return _parse_pgm(data, path)
    return _read_with_pillow(path, suffix)


def _parse_pgm(data: bytes, path: Path) -> tuple[np.ndarray, int]:
    """Parse a binary (P5) or plain (P2) PGM file held in ``data``."""
    if len(data) < 2 or data[:2] not in (b"P5", b"P2"):
        raise InputError("not a PGM file (it does not start with 'P5' or 'P2')", path)
    tokens, pos = [], 2
    while len(tokens) < 3:
        while pos < len(data) and data[pos] in _PGM_WHITESPACE:
            pos += 1
        if pos < len(data) and data[pos : pos + 1] == b"#":
            while pos < len(data) and data[pos] not in b"\r\n":
                pos += 1
            continue
        start = pos
        while pos < len(data) and data[pos] not in _PGM_WHITESPACE and data[pos : pos + 1] != b"#":
            pos += 1
        if start == pos:
            raise InputError("truncated PGM header (width, height or maxval missing)", path)
        token = data[start:pos]
        if not token.isdigit():
            raise InputError(f"malformed PGM header: {token[:20]!r} is not a number", path)
        tokens.append(int(token))
    width, height, maxval = tokens
    if width < 1 or height < 1 or not 1 <= maxval <= 65535:
        raise InputError(
            f"malformed PGM header: width {width}, height {height}, maxval {maxval}", path
        )
    dtype = np.dtype(">u2") if maxval > 255 else np.dtype("u1")
    if data[:2] == b"P2":
        values = data[pos:].split()
        if len(values) < width * height:
            raise InputError(
                f"truncated PGM: {len(values)} of {width * height} pixel values present", path
            )
        try:
            pixels = np.array([int(v) for v in values[: width * height]], dtype=np.int64)
        except ValueError:
            raise InputError("malformed PGM: a pixel value is not a number", path) from None
    else:
        pos += 1  # exactly one whitespace byte separates the header from the raster
        expected = width * height * dtype.itemsize
        raster = data[pos : pos + expected]
        if len(raster) < expected:
            raise InputError(f"truncated PGM: {len(raster)} of {expected} raster bytes", path)
        pixels = np.frombuffer(raster, dtype=dtype).astype(np.int64)
    if pixels.max(initial=0) > maxval:
        raise InputError(f"PGM pixel values exceed the header's maxval {maxval}", path)
    out_dtype = np.uint16 if maxval > 255 else np.uint8
    return pixels.reshape(height, width).astype(out_dtype), maxval


def _read_with_pillow(path: Path, suffix: str) -> tuple[np.ndarray, int | None]:
    """Read PNG or TIFF; TIFF through tifffile, PNG through Pillow."""
    try:
        if suffix in (".tif", ".tiff"):
            import tifffile

            pixels = np.asarray(tifffile.imread(path))
        else:
            from PIL import Image

            with Image.open(path) as img:
                img.load()
                if img.mode not in ("1", "L", "I", "I;16", "I;16B", "I;16L", "F"):
                    raise InputError(
                        f"not a grey-level image (mode {img.mode}); convert it to grey first",
                        path,
                    )
                pixels = np.asarray(img)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a bad file for the user
        raise InputError(f"cannot decode the image ({type(exc).__name__}: {exc})", path) from None
    pixels = np.squeeze(pixels)
    if pixels.ndim != 2:
        raise InputError(f"expected a 2-D grey-level image, got shape {pixels.shape}", path)
    if pixels.dtype == bool:
        return pixels.astype(np.uint8), 1
    if np.issubdtype(pixels.dtype, np.floating):
        return pixels.astype(np.float32), None
    if pixels.dtype.kind == "i" and pixels.min(initial=0) < 0:
        raise InputError("negative pixel values; expected unsigned grey levels", path)
    if pixels.max(initial=0) <= 255 and pixels.dtype.itemsize == 1:
        return pixels.astype(np.uint8), 255
    if pixels.max(initial=0) > 65535:
        raise InputError("pixel values above 65535; expected 8- or 16-bit grey levels", path)
    return pixels.astype(np.uint16), 65535


def to_unit_float(pixels: np.ndarray, maxval: int | None, path: str | os.PathLike) -> np.ndarray:
    """Scale stored grey levels to float32 in [0, 1] by the format's maxval.

    Parameters
    ----------
    pixels : (M, N) ndarray
        Values as returned by :func:`read_image`.
    maxval : int or None
        The format's largest value; None for float images, which must already lie in [0, 1].
    path : str or path-like
        Named in the error message.

    Returns
    -------
    (M, N) ndarray of float32
    """
    if maxval is None:
        if not np.all(np.isfinite(pixels)) or pixels.min() < 0 or pixels.max() > 1:
            raise InputError("float image values must be finite and lie in [0, 1]", path)
        return pixels.astype(np.float32)
    return (pixels.astype(np.float64) / maxval).astype(np.float32)


def encode_pgm(pixels: np.ndarray) -> bytes:
    r"""The bytes of a binary PGM (P5) file holding ``pixels``.

    Parameters
    ----------
    pixels : (M, N) ndarray of uint8 or uint16
        8-bit images get maxval 255, 16-bit ones maxval 65535 (big-endian, as PGM requires).

    Returns
    -------
    bytes

    Examples
    --------
    >>> encode_pgm(np.zeros((1, 2), np.uint8))
    b'P5\n2 1\n255\n\x00\x00'
    """
    pixels = np.asarray(pixels)
    if pixels.ndim != 2 or pixels.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"write_pgm needs a 2-D uint8 or uint16 array, got {pixels.dtype} "
                         f"with shape {pixels.shape}")
    maxval = 255 if pixels.dtype == np.uint8 else 65535
    raster = pixels.astype(">u2").tobytes() if maxval == 65535 else pixels.tobytes()
    header = f"P5\n{pixels.shape[1]} {pixels.shape[0]}\n{maxval}\n".encode("ascii")
    return header + raster


def write_pgm(path: str | os.PathLike, pixels: np.ndarray) -> None:
    """Write a binary PGM (P5) file atomically.

    Parameters
    ----------
    path : str or path-like
        Destination; written to a temporary file first, then renamed.
    pixels : (M, N) ndarray of uint8 or uint16
        8-bit images get maxval 255, 16-bit ones maxval 65535 (big-endian, as PGM requires).
    """
    atomic_write_bytes(path, encode_pgm(pixels))
