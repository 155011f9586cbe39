"""Loader for a manifest CSV: columns ``image,mask[,label][,patient][,case]``.

Paths are relative to the CSV's folder. The separator is read from the header line (``,``,
``;`` as in INbreast's own CSV, or a tab). ``label`` accepts 1 / 0, ``malignant`` / ``benign``
or an empty cell (unlabelled). Without ``case`` the id is the image file's name without its
suffix. When every row names course-format files (``<case>_resized.<ext>`` and
``<case>_mass_mask.<ext>``), the id (without a ``case`` column) is ``<case>`` and a missing
``label`` or ``patient`` column is read from it as the course folder does (the last
``_<digit>``, the first four characters); otherwise, without those columns, every case is
unlabelled and its own patient. :func:`scan_manifest` says which rule it used.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from benchmark.ground.data.course import (
    COURSE_LABELS_FROM,
    COURSE_PATIENTS,
    course_name,
    label_from_id,
    load_case,
    patient_from_id,
)
from benchmark.ground.data.records import Case
from benchmark.ground.errors import InputError

REQUIRED_COLUMNS = ("image", "mask")
_LABELS = {"1": 1, "0": 0, "malignant": 1, "benign": 0, "": None}
#: The separators a manifest (or a ROI file) may use.
DELIMITERS = (",", ";", "\t")
_FROM_NAMES = ", read from the course names of the files (no {} column)"


def sniff_delimiter(header: str) -> str:
    """The separator of a CSV file, from its header line: the most frequent of ``, ; tab``.

    Examples
    --------
    >>> sniff_delimiter("image;mask;label")
    ';'
    >>> sniff_delimiter("image,mask")
    ','
    """
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """(columns, rows) of CSV ``text``, its separator detected; names and cells stripped."""
    lines = text.splitlines()
    reader = csv.DictReader(lines, delimiter=sniff_delimiter(lines[0] if lines else ""))
    columns = [(c or "").strip() for c in (reader.fieldnames or [])]
    rows = [{(k or "").strip(): (v or "").strip() if isinstance(v, str) else ""
             for k, v in raw.items()} for raw in reader]
    return columns, rows


def _course_case(row: dict[str, str]) -> str | None:
    """The case of a row whose image and mask are one case's course-format pair, else None."""
    image, mask = course_name(row.get("image", "")), course_name(row.get("mask", ""))
    if image and mask and image == (mask[0], "image") and mask[1] == "mask":
        return image[0]
    return None


def derivation(columns, course_named: bool) -> dict[str, str]:
    """How a manifest with these columns gives patients and labels (what ``data`` says).

    Returns
    -------
    dict
        ``{"patients_from": ..., "labels_from": ...}``.
    """
    if "patient" in columns:
        patients = "the manifest's patient column"
    elif course_named:
        patients = COURSE_PATIENTS + _FROM_NAMES.format("patient")
    else:
        patients = ("every case is its own patient (no patient column, and the file names "
                    "are not course names)")
    if "label" in columns:
        labels = "the manifest's label column"
    elif course_named:
        labels = COURSE_LABELS_FROM + _FROM_NAMES.format("label")
    else:
        labels = ("none: every case is unlabelled (no label column, and the file names are "
                  "not course names)")
    return {"patients_from": patients, "labels_from": labels}


def scan_manifest(path: str | os.PathLike
                  ) -> tuple[list[Case], list[dict[str, str]], dict[str, str]]:
    """Load every row of a manifest CSV, collecting problems instead of stopping.

    Parameters
    ----------
    path : str or path-like
        The CSV file.

    Returns
    -------
    cases : list of Case
        The cases that loaded, in file order.
    problems : list of dict
        ``{"file": ..., "problem": ...}``; a row's problem names the CSV and the row number.
    derived : dict
        How patients and labels were given (:func:`derivation`).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [{"file": str(path), "problem": f"cannot read the manifest ({exc})"}], {}
    columns, rows = read_table(text)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        found = ", ".join(repr(c) for c in columns[:4]) or "none"
        return [], [{
            "file": str(path),
            "problem": f"manifest lacks column(s) {', '.join(missing)}; expected "
                       "image,mask[,label][,patient][,case] separated by commas (or ';' or "
                       f"tabs); the header gives {found}",
        }], {}
    course_cases = [_course_case(row) for row in rows]
    course_named = bool(rows) and all(course_cases)
    derived = derivation(columns, course_named)
    cases, problems, seen = [], [], {}
    for row_number, (row, course_case) in enumerate(zip(rows, course_cases, strict=True),
                                                    start=2):
        where = f"{path}:{row_number}"
        label_text = row.get("label", "").lower()
        if label_text not in _LABELS:
            problems.append({"file": where, "problem": f"label {row['label']!r} is not "
                             "1/0/malignant/benign or empty"})
            continue
        if not row["image"] or not row["mask"]:
            problems.append({"file": where, "problem": "empty image or mask path"})
            continue
        image_path, mask_path = path.parent / row["image"], path.parent / row["mask"]
        named = course_case if course_named else None
        case_id = row.get("case") or named or Path(row["image"]).stem
        if case_id in seen:
            problems.append({"file": where, "problem": f"duplicate case id {case_id!r} "
                             f"(first on row {seen[case_id]})"})
            continue
        seen[case_id] = row_number
        label = (_LABELS[label_text] if "label" in columns
                 else label_from_id(named) if named else None)
        patient = (row.get("patient") or case_id if "patient" in columns
                   else patient_from_id(named) if named else case_id)
        for p in (image_path, mask_path):
            if not p.exists():
                problems.append({"file": str(p), "problem": f"file not found (row {row_number})"})
                break
        else:
            try:
                cases.append(load_case(case_id, image_path, mask_path, label=label,
                                       patient=patient))
            except InputError as exc:
                problems.append({"file": exc.path or where, "problem": exc.message})
    if not cases and not problems:
        problems.append({"file": str(path), "problem": "the manifest has no rows"})
    return cases, problems, derived
