"""Loader for the course's folder format: ``<case>_resized.pgm`` beside ``<case>_mass_mask.pgm``.

The case id's last ``_<digit>`` is the class (1 malignant, 2 benign; anything else leaves the
case unlabelled) and its first four characters are the patient. Since ids that do not follow
that naming give wrong patients without an error, :func:`course_patient_warnings` says when
the rule looks wrong.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import numpy as np

from benchmark.ground.data.imageio import (
    IMAGE_SUFFIXES,
    JPEG_REFUSED,
    JPEG_SUFFIXES,
    read_image,
    to_unit_float,
)
from benchmark.ground.data.records import Case
from benchmark.ground.errors import InputError

IMAGE_TAG = "_resized"
MASK_TAG = "_mass_mask"
_LABEL_RE = re.compile(r"_(\d)$")
COURSE_LABELS = {"1": 1, "2": 0}  # course digit -> massbench label (1 malignant, 0 benign)
#: How the course format derives patients and labels from a case id (what ``data`` says).
COURSE_PATIENTS = "first four characters of the case id (course naming)"
COURSE_LABELS_FROM = "the case id's last _<digit> (course naming: _1 malignant, _2 benign)"
#: What to do when the course's patient rule does not fit the data.
PATIENT_COLUMN_HINT = ("if that is not how your cases are named, give a manifest CSV with a "
                       "patient column (image,mask,label,patient)")


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


def course_patient_warnings(case_ids, patients) -> list[str]:
    """Signs that the course's patient rule (first four characters) does not fit these ids.

    Parameters
    ----------
    case_ids : sequence of str
    patients : sequence of str
        Each case's patient, as the rule gave it.

    Returns
    -------
    list of str
        Empty when the ids look like course ids; otherwise one sentence that says what looks
        wrong and what to do.

    Examples
    --------
    >>> ids = [f"lesion{i}" for i in range(1, 13)]
    >>> print(course_patient_warnings(ids, [patient_from_id(i) for i in ids])[0])
    ... # doctest: +NORMALIZE_WHITESPACE
    patients may be wrong: 12 of 12 case ids do not start with four digits (e.g. 'lesion1',
    patient 'lesi'); patient 'lesi' holds 12 of 12 cases; patient = first four characters of
    the case id (course naming): if that is not how your cases are named, give a manifest
    CSV with a patient column (image,mask,label,patient)
    """
    ids, patients = list(case_ids), list(patients)
    signs = []
    odd = [i for i in ids if not re.match(r"\d{4}", i)]
    if odd:
        signs.append(f"{len(odd)} of {len(ids)} case ids do not start with four digits (e.g. "
                     f"{odd[0]!r}, patient {patient_from_id(odd[0])!r})")
    if len(ids) >= 3:
        patient, count = Counter(patients).most_common(1)[0]
        if count > len(ids) / 2:
            signs.append(f"patient {patient!r} holds {count} of {len(ids)} cases")
    if not signs:
        return []
    return [f"patients may be wrong: {'; '.join(signs)}; patient = {COURSE_PATIENTS}: "
            f"{PATIENT_COLUMN_HINT}"]


def course_name(path: str | os.PathLike,
                suffixes=IMAGE_SUFFIXES) -> tuple[str, str] | None:
    """(case id, ``"image"`` or ``"mask"``) of a course-format file name, else None.

    Examples
    --------
    >>> course_name("data/0001p1_1_1_mass_mask.pgm")
    ('0001p1_1_1', 'mask')
    >>> course_name("lesion1.png") is None
    True
    """
    path = Path(path)
    if path.suffix.lower() not in suffixes:
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
    """Read one image/mask pair into a :class:`Case`; raise :class:`InputError` on any problem.

    An all-zero mask is a problem: such a case scores 0 for every method.
    """
    pixels, maxval = read_image(image_path)
    image = to_unit_float(pixels, maxval, image_path)
    mask = read_mask(mask_path)
    if mask.shape != image.shape:
        raise InputError(
            f"mask shape {mask.shape[0]}x{mask.shape[1]} differs from its image "
            f"{image_path.name} ({image.shape[0]}x{image.shape[1]})",
            mask_path,
        )
    if not mask.any():
        raise InputError(f"case {case_id}: the reference mask is empty (all zero), so every "
                         "method would score 0 on it; draw its mass or leave the case out",
                         mask_path)
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
    jpegs = [p for p in entries if course_name(p, JPEG_SUFFIXES)]
    if jpegs:
        more = (f" (and {len(jpegs) - 1} more JPEG file{'s' if len(jpegs) > 2 else ''})"
                if len(jpegs) > 1 else "")
        problems.append({"file": str(jpegs[0]), "problem": JPEG_REFUSED + more})
    for path in entries:
        parsed = course_name(path)
        if parsed is None:
            continue
        case_id, kind = parsed
        (images if kind == "image" else masks).setdefault(case_id, []).append(path)
    if not images and not masks:
        if jpegs:
            return [], problems
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
