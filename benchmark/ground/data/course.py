"""Loader for the course's folder format: ``<case>_resized.pgm`` beside ``<case>_mass_mask.pgm``.

The case id's last ``_<digit>`` is the class (1 malignant, 2 benign; anything else leaves the
case unlabelled) and its first four characters are the patient.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from benchmark.ground.data.imageio import IMAGE_SUFFIXES, read_image, to_unit_float
from benchmark.ground.data.records import Case
from benchmark.ground.errors import InputError

IMAGE_TAG = "_resized"
MASK_TAG = "_mass_mask"
_LABEL_RE = re.compile(r"_(\d)$")
COURSE_LABELS = {"1": 1, "2": 0}  # course digit -> massbench label (1 malignant, 0 benign)


def course_paths(folder: str | os.PathLike, case_id: str,
                 suffix: str = ".pgm") -> tuple[Path, Path]:
    """The image and mask files of a case in a course-format folder.

    Examples
    --------
    >>> [p.name for p in course_paths("data", "0001_1")]
    ['0001_1_resized.pgm', '0001_1_mass_mask.pgm']
    """
    folder = Path(folder)
    return folder / f"{case_id}{IMAGE_TAG}{suffix}", folder / f"{case_id}{MASK_TAG}{suffix}"


def label_from_id(case_id: str) -> int | None:
    """The class encoded in a course case id (1 malignant, 0 benign, None if absent)."""
    match = _LABEL_RE.search(case_id)
    return COURSE_LABELS.get(match.group(1)) if match else None


def patient_from_id(case_id: str) -> str:
    """The patient encoded in a course case id: its first four characters."""
    return case_id[:4]


def _split_name(path: Path) -> tuple[str, str] | None:
    """Return (case id, "image" or "mask") for a course-format file name, else None."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    stem = path.name[: -len(path.suffix)]
    for tag, kind in ((MASK_TAG, "mask"), (IMAGE_TAG, "image")):
        if stem.endswith(tag) and len(stem) > len(tag):
            return stem[: -len(tag)], kind
    return None


def read_mask(path: str | os.PathLike) -> np.ndarray:
    """Read a reference mask whose values are {0, 1} or {0, 255} (also 16-bit {0, 65535}).

    Raises
    ------
    InputError
        If the file cannot be read or holds other values.
    """
    pixels, maxval = read_image(path)
    values = np.unique(pixels)
    allowed = [{0, 1}, {0, 255}] + ([{0, 65535}] if maxval == 65535 else [])
    if not any(set(values.tolist()) <= s for s in allowed):
        shown = ", ".join(str(v) for v in values[:6]) + (", ..." if len(values) > 6 else "")
        raise InputError(
            f"mask values must be {{0, 1}} or {{0, 255}}; found {shown}", path
        )
    return pixels > 0


def load_case(case_id: str, image_path: Path, mask_path: Path, *, label=None, patient=None) -> Case:
    """Read one image/mask pair into a :class:`Case`; raise :class:`InputError` on any problem."""
    pixels, maxval = read_image(image_path)
    image = to_unit_float(pixels, maxval, image_path)
    mask = read_mask(mask_path)
    if mask.shape != image.shape:
        raise InputError(
            f"mask shape {mask.shape[0]}x{mask.shape[1]} differs from its image "
            f"{image_path.name} ({image.shape[0]}x{image.shape[1]})",
            mask_path,
        )
    return Case(
        id=case_id,
        image=image,
        mask=mask,
        label=label,
        patient=patient if patient is not None else patient_from_id(case_id),
        source=str(image_path),
    )


def scan_course_folder(folder: str | os.PathLike) -> tuple[list[Case], list[dict[str, str]]]:
    """Load every case of a course-format folder, collecting problems instead of stopping.

    Parameters
    ----------
    folder : str or path-like
        Folder holding ``<case>_resized.<ext>`` and ``<case>_mass_mask.<ext>`` files.

    Returns
    -------
    cases : list of Case
        The cases that loaded, sorted by id.
    problems : list of dict
        ``{"file": path, "problem": text}`` for each problem found; empty when all is well.
    """
    folder = Path(folder)
    problems: list[dict[str, str]] = []
    if not folder.is_dir():
        return [], [{"file": str(folder), "problem": "not a folder"}]
    images: dict[str, list[Path]] = {}
    masks: dict[str, list[Path]] = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        return [], [{"file": str(folder), "problem": f"cannot list the folder ({exc.strerror})"}]
    for path in entries:
        parsed = _split_name(path)
        if parsed is None:
            continue
        case_id, kind = parsed
        (images if kind == "image" else masks).setdefault(case_id, []).append(path)
    if not images and not masks:
        return [], [{
            "file": str(folder),
            "problem": f"no cases found: expected <case>{IMAGE_TAG}.pgm files beside "
                       f"<case>{MASK_TAG}.pgm (PNG and TIFF also accepted)",
        }]
    cases = []
    for case_id in sorted(set(images) | set(masks)):
        found_images, found_masks = images.get(case_id, []), masks.get(case_id, [])
        if len(found_images) > 1 or len(found_masks) > 1:
            dupes = found_images if len(found_images) > 1 else found_masks
            problems.append({
                "file": str(dupes[1]),
                "problem": f"duplicate case id {case_id!r} (also in {dupes[0].name})",
            })
            continue
        if not found_masks or not found_images:
            have, kind, tag = ((found_images[0], "image", MASK_TAG) if found_images
                               else (found_masks[0], "mask", IMAGE_TAG))
            other = "mask" if kind == "image" else "image"
            problems.append({
                "file": str(have),
                "problem": f"{kind} without its {other} (expected {case_id}{tag}{have.suffix})",
            })
            continue
        try:
            cases.append(load_case(case_id, found_images[0], found_masks[0],
                                   label=label_from_id(case_id)))
        except InputError as exc:
            problems.append({"file": exc.path or str(found_images[0]), "problem": exc.message})
    return cases, problems
