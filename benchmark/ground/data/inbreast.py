"""INbreast read as its authors give it out: ``AllDICOMs/``, ``AllXML/`` and ``INbreast.csv``.

Point ``--data`` at ``INbreast Release 1.0/`` (or the folder holding it). What is read, and
the traps avoided (sources in ``docs/datasets.md``):

- images ``AllDICOMs/<File Name>_<16 hex>_MG_<L|R>_<CC|MLO>_ANON.dcm``; contours
  ``AllXML/<File Name>.xml``, Apple property lists written by OsiriX;
- one case per ROI named ``Mass``; its ``Point_px`` strings ``"(x, y)"`` are column and row,
  origin at the top left, in the DICOM's pixels: the polygon is filled at rows = y,
  columns = x, and never flipped (a reader that draws ``height - y``, as one public loader
  does for its display frame, turns every mask upside down);
- skipped and counted: ROIs of other names (calcifications, clusters, the pectoral muscle),
  mass ROIs of fewer than three points (point annotations), images without an XML file
  (no finding drawn);
- ``INbreast.csv`` is ';'-separated, its patient fields hold ``removed`` and its blank
  cells are padded with spaces: cells are stripped and the patient is the 16-hex token of
  the DICOM file name (each woman has 2 or 4 images);
- INbreast has no pathology: the label is derived from the CSV's ``Bi-Rads`` (1, 2, 3 -> 0;
  4a, 4b, 4c, 5, 6 -> 1), and said so wherever the dataset is described.

INbreast is given out by its authors on request: massbench never ships its files or masks,
and the cache of crops stays beside the user's copy.
"""

from __future__ import annotations

import csv
import io
import os
import plistlib
import re
from pathlib import Path

import numpy as np

from benchmark.ground.data.cache import Converted, Dropped, Plan, SourceCase, run_import
from benchmark.ground.data.crops import CROPPING, GRID, SIDE_PER_EXTENT, course_crop
from benchmark.ground.data.dicom import (
    SCALING,
    WINDOW_PERCENTILES,
    full_image_window,
    read_mammogram,
)
from benchmark.ground.formats import Scan

FORMAT = "inbreast"
#: Changes whenever the crops it writes would change (a new cache folder then).
VERSION = "1"
#: BI-RADS category -> massbench label (4a and above malignant).
BIRADS_LABELS = {"1": 0, "2": 0, "3": 0, "4": 1, "4a": 1, "4b": 1, "4c": 1, "5": 1, "6": 1}
LABELS_FROM = ("BI-RADS-derived, not pathology: INbreast.csv's Bi-Rads 1, 2, 3 = 0 and 4a, "
               "4b, 4c, 5, 6 = 1 (INbreast publishes no biopsy results)")
PATIENTS_FROM = "the 16-hex token of the DICOM file name (INbreast.csv says 'removed')"
DICOM_NAME = re.compile(r"^(\d+)_([0-9a-f]{16})_MG_([LR])_(CC|MLO)_ANON\.dcm$", re.IGNORECASE)
_POINT = re.compile(r"\(\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*(?:,[^)]*)?\)")
#: The ROI name of a mass (compared case-insensitively, stripped).
MASS = "mass"


def release_folder(path: Path) -> Path | None:
    """The folder holding ``AllDICOMs/`` and ``AllXML/``: ``path`` or one folder inside it."""
    if not path.is_dir():
        return None
    for folder in (path, *sorted(p for p in path.iterdir() if p.is_dir())):
        if (folder / "AllDICOMs").is_dir() and (folder / "AllXML").is_dir():
            return folder
    return None


def detect(path: Path) -> bool:
    """Whether ``path`` is an INbreast release (or holds one)."""
    return release_folder(path) is not None


def scan(path: Path, *, cache=None, progress=None) -> Scan:
    """Plan, convert (once) and load an INbreast copy; the registry's loader."""
    return run_import(plan(path), cache=cache, progress=progress)


def plan(path: Path) -> Plan:
    """The mass cases of an INbreast copy: their polygons, labels and patients.

    Parameters
    ----------
    path : Path
        ``INbreast Release 1.0/`` or the folder holding it.

    Returns
    -------
    Plan
    """
    path = Path(path)
    root = release_folder(path) or path
    settings = {"grid": GRID, "side_per_extent": SIDE_PER_EXTENT,
                "window_percentiles": list(WINDOW_PERCENTILES), "mass_roi": MASS}
    result = Plan(FORMAT, VERSION, root, [], convert_group, settings=settings,
                  dataset={"reference": "manual", "patients_from": PATIENTS_FROM,
                           "labels_from": LABELS_FROM})
    if release_folder(path) is None:
        result.problems.append({"file": str(path), "problem": "not an INbreast release: "
                                "expected AllDICOMs/ and AllXML/ in it"})
        return result
    birads = read_birads(root, result)
    unlabelled = 0
    for dicom in sorted((root / "AllDICOMs").iterdir()):
        if dicom.suffix.lower() != ".dcm":
            continue
        match = DICOM_NAME.match(dicom.name)
        if match is None:
            result.dropped.append({"case": dicom.stem, "file": str(dicom), "reason":
                                   "DICOM name not <File Name>_<16 hex>_MG_<L|R>_<view>_ANON"})
            continue
        file_name, patient, side, view = match.groups()
        xml = root / "AllXML" / f"{file_name}.xml"
        if not xml.is_file():
            result.dropped.append({"case": file_name, "file": str(dicom),
                                   "reason": "image without XML (no finding drawn)"})
            continue
        rois = read_rois(xml, result)
        masses = 0
        for number, (name, points) in enumerate(rois, start=1):
            if name.strip().lower() != MASS:
                result.dropped.append({"case": f"{file_name} ROI {number}", "file": str(xml),
                                       "reason": f"ROI named {name.strip()!r} (not a mass)"})
                continue
            if len(points) < 3:
                result.dropped.append({"case": f"{file_name} ROI {number}", "file": str(xml),
                                       "reason": "mass ROI of fewer than 3 points (a point "
                                                 "annotation)"})
                continue
            masses += 1
            category = birads.get(file_name, "")
            label = BIRADS_LABELS.get(category.lower())
            unlabelled += label is None
            result.cases.append(SourceCase(
                id=f"{file_name}_{side.upper()}_{view.upper()}_mass{masses}", label=label,
                patient=patient.lower(), group=os.path.relpath(dicom, root),
                files=(os.path.relpath(dicom, root), os.path.relpath(xml, root)),
                source=f"AllXML/{xml.name} ROI {number}",
                extra={"birads": category}, payload=(dicom, points)))
    result.notes.extend([
        f"pixels: {SCALING}", f"crops: {CROPPING}", f"labels: {LABELS_FROM}",
        *([f"{unlabelled} mass(es) without a Bi-Rads category in INbreast.csv are "
           f"unlabelled"] if unlabelled else []),
        "INbreast may not be redistributed: share neither its files nor this cache",
    ])
    return result


def read_birads(root: Path, result: Plan) -> dict[str, str]:
    """``File Name`` -> ``Bi-Rads`` from ``INbreast.csv`` (';'-separated, padded cells)."""
    path = next((p for p in (root / "INbreast.csv", root.parent / "INbreast.csv")
                 if p.is_file()), None)
    if path is None:
        result.notes.append("no INbreast.csv beside AllDICOMs/: every case is unlabelled")
        return {}
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = {(c or "").strip().lower(): c for c in (reader.fieldnames or [])}
    if "file name" not in columns or "bi-rads" not in columns:
        result.problems.append({"file": str(path), "problem": "INbreast.csv lacks its "
                                "'File Name' or 'Bi-Rads' column (expected "
                                "'Patient ID;Patient age;Laterality;View;Acquisition date;"
                                "File Name;ACR;Bi-Rads')"})
        return {}
    out = {}
    for row in reader:
        name = (row.get(columns["file name"]) or "").strip()
        if name:
            out[name] = (row.get(columns["bi-rads"]) or "").strip()
    return out


def read_rois(path: Path, result: Plan) -> list[tuple[str, list[tuple[float, float]]]]:
    """``(Name, [(x, y), ...])`` of every ROI of an INbreast XML file.

    A file whose ``NumberOfROIs`` or ``NumberOfPoints`` disagrees with its lists is read by
    its lists (noted, not dropped). An unreadable file is a problem.
    """
    try:
        with open(path, "rb") as fh:
            document = plistlib.load(fh, fmt=plistlib.FMT_XML)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad file for the user
        result.problems.append({"file": str(path), "problem": f"cannot read the XML property "
                                f"list ({type(exc).__name__}: {exc})"})
        return []
    rois = []
    for image in document.get("Images", []) if isinstance(document, dict) else []:
        listed = image.get("ROIs", []) or []
        if image.get("NumberOfROIs") not in (None, len(listed)):
            result.notes.append(f"{path.name}: NumberOfROIs {image.get('NumberOfROIs')} but "
                                f"{len(listed)} ROIs listed (the list is read)")
        for roi in listed:
            points = [parse_point(p) for p in roi.get("Point_px", []) or []]
            rois.append((str(roi.get("Name", "")), [p for p in points if p is not None]))
    return rois


def parse_point(text: str) -> tuple[float, float] | None:
    """``"(x, y)"`` -> ``(x, y)``: x the column, y the row (pixels, origin top left).

    Examples
    --------
    >>> parse_point("(1456.000000, 1840.500000)")
    (1456.0, 1840.5)
    >>> parse_point("junk") is None
    True
    """
    match = _POINT.search(str(text))
    return (float(match.group(1)), float(match.group(2))) if match else None


def polygon_mask(points: list[tuple[float, float]], shape: tuple[int, int]) -> np.ndarray:
    """The filled polygon of ``(x, y)`` points (x = column, y = row), outline included.

    Examples
    --------
    >>> m = polygon_mask([(1, 0), (3, 0), (3, 2)], (4, 5))  # a triangle at the top right
    >>> m.astype(int)
    array([[0, 1, 1, 1, 0],
           [0, 0, 1, 1, 0],
           [0, 0, 0, 1, 0],
           [0, 0, 0, 0, 0]])
    """
    from skimage.draw import polygon, polygon_perimeter

    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    mask = np.zeros(shape, dtype=bool)
    rr, cc = polygon(ys, xs, shape=shape)
    mask[rr, cc] = True
    rr, cc = polygon_perimeter(np.rint(ys).astype(int), np.rint(xs).astype(int), shape=shape,
                               clip=False)
    mask[rr, cc] = True
    return mask


def convert_group(root: Path, cases: list[SourceCase]) -> list[Converted | Dropped]:
    """Crop every mass of one image (read once)."""
    values = read_mammogram(cases[0].payload[0])
    window = full_image_window(values)
    out = []
    for case in cases:
        mask = polygon_mask(case.payload[1], values.shape)
        if not mask.any():
            out.append(Dropped("mass polygon outside the image", case.files[1]))
            continue
        image, small, crop = course_crop(values, mask, window)
        if not small.any():
            out.append(Dropped(f"the lesion ({int(mask.sum())} px) vanishes on the {GRID} px "
                               f"grid", case.files[1]))
            continue
        out.append(Converted(image, small, {"image_file": case.files[0],
                                            "xml_file": case.files[1],
                                            "window": crop.as_list(),
                                            "grey_window": list(window)}))
    return out
