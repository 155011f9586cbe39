"""Reading a folder of predicted masks: a file per case, named for it, checked against its mask.

A prediction is ``<case>_mask.png|pgm|tif`` or the course's ``<case>_mass_mask.*``, read by
the project's mask reader (:func:`benchmark.ground.data.course.read_mask`: values {0, 1} or
{0, 255}); every problem is one :class:`~benchmark.ground.errors.InputError` naming the case.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from benchmark.ground.data import PHANTOM_FILE, REFERENCE_FILE, Dataset
from benchmark.ground.data.course import IMAGE_TAG, MASK_TAG, course_name, read_mask
from benchmark.ground.data.imageio import IMAGE_SUFFIXES, JPEG_SUFFIXES
from benchmark.ground.errors import InputError

#: The tags a prediction's file name ends with (before its suffix), the course's first:
#: ``_mass_mask`` also ends with ``_mask``.
PREDICTION_TAGS = (MASK_TAG, "_mask")
#: How many file names the warning about unused files shows.
SHOWN_EXTRAS = 5


def prediction_case(path: str | os.PathLike, known=()) -> str | None:
    """The case a prediction file is named for (``<case>_mask.png``, ``<case>_mass_mask.pgm``).

    A name that two tags could read (``a_mass_mask.png``: case ``a``, or ``a_mass``) is read
    as the case of ``known`` it names; with none, the course's tag wins.

    Examples
    --------
    >>> prediction_case("preds/0001_1_mask.png"), prediction_case("0001_1_mass_mask.pgm")
    ('0001_1', '0001_1')
    >>> prediction_case("a_mass_mask.png", known=["a_mass"]), prediction_case("notes.txt")
    ('a_mass', None)
    """
    path = Path(path)
    if path.suffix.lower() not in IMAGE_SUFFIXES + JPEG_SUFFIXES:
        return None
    stem = path.name[: -len(path.suffix)]
    candidates = [stem[: -len(tag)] for tag in PREDICTION_TAGS
                  if stem.endswith(tag) and len(stem) > len(tag)]
    for case in candidates:
        if case in known:
            return case
    return candidates[0] if candidates else None


def find_predictions(pred_dir: str | os.PathLike,
                     cases: list[str]) -> tuple[dict[str, Path], list[str]]:
    """The prediction file of every case of ``cases``, and the files that match none.

    The files of a course-format folder that are not predictions (``<case>_resized.*``
    images, ``reference.json``, the phantom's record) and hidden files are passed over.

    Returns
    -------
    files : dict of str to Path
        Case -> its file, in the order of ``cases``.
    extras : list of str
        Names of the other files (sorted).

    Raises
    ------
    InputError
        For a folder that is not one, a case with two files, or cases without a file (the
        first named, the others counted).
    """
    folder = Path(pred_dir)
    if not folder.is_dir():
        raise InputError("no such folder of predicted masks", folder)
    known = set(cases)
    found: dict[str, Path] = {}
    extras = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        case = prediction_case(path, known)
        if case in known:
            if case in found:
                raise InputError(f"case {case} has two predicted masks ({found[case].name} and "
                                 f"{path.name}); keep one", folder)
            found[case] = path
            continue
        parsed = course_name(path)
        if path.name in (REFERENCE_FILE, PHANTOM_FILE) or (
                parsed is not None and parsed[1] == "image" and parsed[0] in known):
            continue
        extras.append(path.name)
    missing = [c for c in cases if c not in found]
    if missing:
        more = (f" (and {len(missing) - 1} more case{'s' if len(missing) > 2 else ''})"
                if len(missing) > 1 else "")
        case = missing[0]
        raise InputError(f"no predicted mask for case {case}{more}: expected {case}_mask.png "
                         f"(or .pgm, .tif) or {case}{MASK_TAG}.png (or .pgm, .tif)", folder)
    return {c: found[c] for c in cases}, extras


def read_predictions(files: dict[str, Path], dataset: Dataset) -> dict[str, np.ndarray]:
    """Case -> predicted mask (2-D bool), each checked against its reference mask's size.

    Raises
    ------
    InputError
        For a file that cannot be read or is not a mask ({0, 1} or {0, 255}), or a mask
        whose size is not its reference's (both sizes said), naming the case and the file.
    """
    masks = {}
    for case, path in files.items():
        try:
            mask = read_mask(path)
        except InputError as exc:
            raise InputError(f"case {case}: {exc.message}", exc.path or path) from None
        shape = dataset[case].mask.shape
        if mask.shape != shape:
            raise InputError(f"case {case}: the predicted mask is {mask.shape[0]} x "
                             f"{mask.shape[1]} pixels but its reference mask is {shape[0]} x "
                             f"{shape[1]}; write every mask on the grid of its image "
                             f"({case}{IMAGE_TAG})", path)
        masks[case] = mask
    return masks


def extras_warning(pred_dir, extras: list[str]) -> str | None:
    """The one warning line naming the files of ``pred_dir`` that match no case, or None.

    Examples
    --------
    >>> print(extras_warning("preds", ["x_mask.png", "notes.txt"]))
    warning: preds: 2 files match no case of the data and were not scored: x_mask.png, notes.txt
    """
    if not extras:
        return None
    shown = ", ".join(extras[:SHOWN_EXTRAS]) + (", ..." if len(extras) > SHOWN_EXTRAS else "")
    files = "file matches" if len(extras) == 1 else "files match"
    return (f"warning: {pred_dir}: {len(extras)} {files} no case of the data and were not "
            f"scored: {shown}")
