"""Loader for a manifest CSV: columns ``image,mask[,label][,patient][,case]``.

Paths are relative to the CSV's folder. ``label`` accepts 1 / 0, ``malignant`` / ``benign``
or an empty cell (unlabelled). Without ``case`` the id is the image file's name without its
suffix; without ``patient`` every case is its own patient.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from benchmark.ground.data.course import load_case
from benchmark.ground.data.records import Case
from benchmark.ground.errors import InputError

REQUIRED_COLUMNS = ("image", "mask")
_LABELS = {"1": 1, "0": 0, "malignant": 1, "benign": 0, "": None}


def scan_manifest(path: str | os.PathLike) -> tuple[list[Case], list[dict[str, str]]]:
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
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [{"file": str(path), "problem": f"cannot read the manifest ({exc})"}]
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return [], [{
            "file": str(path),
            "problem": f"manifest lacks column(s) {', '.join(missing)}; expected "
                       "image,mask[,label][,patient][,case]",
        }]
    cases, problems, seen = [], [], {}
    for row_number, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
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
        case_id = row.get("case") or Path(row["image"]).stem
        if case_id in seen:
            problems.append({"file": where, "problem": f"duplicate case id {case_id!r} "
                             f"(first on row {seen[case_id]})"})
            continue
        seen[case_id] = row_number
        for p in (image_path, mask_path):
            if not p.exists():
                problems.append({"file": str(p), "problem": f"file not found (row {row_number})"})
                break
        else:
            try:
                cases.append(load_case(case_id, image_path, mask_path,
                                       label=_LABELS[label_text],
                                       patient=row.get("patient") or case_id))
            except InputError as exc:
                problems.append({"file": exc.path or where, "problem": exc.message})
    if not cases and not problems:
        problems.append({"file": str(path), "problem": "the manifest has no rows"})
    return cases, problems
