"""CBIS-DDSM (TCIA) read as it is downloaded: the description CSVs and the DICOM tree.

Point ``--data`` at the folder that holds ``mass_case_description_train_set.csv`` (and the
test one; they may also lie in a ``csv/`` subfolder) and the NBIA Data Retriever's download
(``CBIS-DDSM/...`` and ``metadata.csv``). What is read, and the traps avoided (sources in
``docs/datasets.md``):

- mass rows only, one case per row (= one abnormality on one view): two masses on one
  image are two cases; the calcification CSVs are not read, their rows are counted as
  dropped;
- the CSV's paths (``Mass-Training_P_00001_LEFT_CC/<study UID>/<series UID>/000000.dcm``,
  crop and mask cells often ending in a newline) do not exist on disk; each is resolved
  through ``metadata.csv`` (series UID -> folder; its raw NBIA header ``Series UID, ...,
  File Location`` or a snake-cased one ``series_uid, ..., file_location``), or the folder
  named after the CSV path's first part (the current layout and the older one, whose file
  names still match the CSV), choosing among several series by their DICOM
  SeriesInstanceUID, or, last, a SeriesInstanceUID index of every DICOM file of the tree;
- the ROI mask and the cropped image are told apart by content: the mask is the one file
  with two values and the full image's size; the file order, the file names and the series
  description are not trusted (they are swapped in many rows). A mask whose size differs
  from its image is dropped and listed;
- patient = the CSV's ``patient_id`` (``P_00001``), never the DICOM PatientID, which is per
  view (``Mass-Training_P_00001_LEFT_CC``) and would leak views of one woman across folds;
- label: ``MALIGNANT`` = 1, ``BENIGN`` and ``BENIGN_WITHOUT_CALLBACK`` = 0 (pathology); the
  official train/test split is kept in the manifest's ``split`` column.

Pixels: :mod:`benchmark.ground.data.dicom` (scaling) and :mod:`benchmark.ground.data.crops`
(the crop and the course's grid).
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np

from benchmark.ground.data.cache import (
    CACHE_DIRNAME,
    Converted,
    Dropped,
    Plan,
    SourceCase,
    run_import,
)
from benchmark.ground.data.crops import CROPPING, GRID, SIDE_PER_EXTENT, course_crop
from benchmark.ground.data.dicom import (
    SCALING,
    WINDOW_PERCENTILES,
    dicom_files,
    full_image_window,
    is_binary,
    read_mammogram,
    read_stored,
    series_uid,
)
from benchmark.ground.formats import Scan

FORMAT = "cbis-ddsm"
#: Changes whenever the crops it writes would change (a new cache folder then).
VERSION = "1"
#: The CSV's pathology -> massbench label.
LABELS = {"MALIGNANT": 1, "BENIGN": 0, "BENIGN_WITHOUT_CALLBACK": 0}
LABELS_FROM = ("the description CSV's pathology (biopsy): MALIGNANT = 1, BENIGN and "
               "BENIGN_WITHOUT_CALLBACK = 0")
PATIENTS_FROM = ("the description CSV's patient_id (P_00001), not the per-view DICOM "
                 "PatientID")
#: The columns a mass description CSV must have (names compared stripped and lower-cased).
REQUIRED = ("patient_id", "left or right breast", "image view", "abnormality id", "pathology",
            "image file path", "cropped image file path", "roi mask file path")
#: A download's folder named after a CSV path's first part.
SUBJECT = re.compile(r"^(Mass|Calc)-(Training|Test)_P_\d{5}_(LEFT|RIGHT)_(CC|MLO)(_\d+)?$")
_SPLITS = {"train": "train", "training": "train", "test": "test"}


def detect(path: Path) -> bool:
    """Whether ``path`` is a folder holding CBIS-DDSM description CSVs."""
    return path.is_dir() and bool(description_csvs(path))


def description_csvs(root: Path) -> list[Path]:
    """The ``*case_description*.csv`` files in ``root`` or its ``csv/`` subfolder."""
    found = []
    for folder in (root, root / "csv"):
        if folder.is_dir():
            found.extend(p for p in sorted(folder.iterdir()) if p.is_file()
                         and "case_description" in p.name.lower()
                         and p.suffix.lower() == ".csv")
    return found


def scan(path: Path, *, cache=None, progress=None) -> Scan:
    """Plan, convert (once) and load a CBIS-DDSM copy; the registry's loader."""
    return run_import(plan(path), cache=cache, progress=progress)


def plan(root: Path) -> Plan:
    """The mass cases of a CBIS-DDSM copy, their files, labels and patients.

    Parameters
    ----------
    root : Path
        The folder holding the description CSVs and the download.

    Returns
    -------
    Plan
    """
    root = Path(root)
    csvs = description_csvs(root)
    mass = [p for p in csvs if p.name.lower().startswith("mass")]
    settings = {"grid": GRID, "side_per_extent": SIDE_PER_EXTENT,
                "window_percentiles": list(WINDOW_PERCENTILES)}
    result = Plan(FORMAT, VERSION, root, [], convert_group, settings=settings,
                  dataset={"reference": "manual", "patients_from": PATIENTS_FROM,
                           "labels_from": LABELS_FROM})
    for path in csvs:
        if path not in mass:  # calcification rows: counted, not read
            rows = _read_csv(path, result.problems)
            result.dropped.extend({"case": f"{path.name} row {i}", "file": str(path),
                                   "reason": "calcification row (only masses are imported)"}
                                  for i in range(1, len(rows) + 1))
    if not mass:
        result.problems.append({"file": str(root), "problem": "no mass_case_description_*"
                                ".csv here (CBIS-DDSM's mass description CSVs, a separate "
                                "download from TCIA); only masses are imported"})
        return result
    tree = _Tree(root)
    seen: dict[str, str] = {}
    for path in mass:
        for number, row in enumerate(_read_csv(path, result.problems, REQUIRED), start=1):
            _plan_row(result, tree, path, number, row, seen)
    splits = {}
    for case in result.cases:
        splits[case.extra["split"]] = splits.get(case.extra["split"], 0) + 1
    result.notes.extend([
        f"pixels: {SCALING}",
        f"crops: {CROPPING}",
        f"labels: {LABELS_FROM}",
        "official split kept in the manifest's split column: " + ", ".join(
            f"{k} {v}" for k, v in sorted(splits.items())),
        *tree.notes(),
    ])
    return result


def _plan_row(result: Plan, tree: _Tree, path: Path, number: int, row: dict,
              seen: dict[str, str]) -> None:
    """Add one mass row to the plan (or to its dropped list)."""
    where = f"{path.name} row {number}"
    image_cell = clean_path(row["image file path"])
    subject = image_cell.split("/")[0]
    case_id = f"{subject}_{row['abnormality id']}"
    if case_id in seen:
        result.dropped.append({"case": case_id, "file": str(path), "reason": f"duplicate "
                               f"row (same image and abnormality id as {seen[case_id]})"})
        return
    seen[case_id] = where
    images = tree.resolve(image_cell)
    if len(images) > 1:  # the older layout names files as the CSV does
        named = [p for p in images if p.name == Path(image_cell).name]
        images = named or images
    if not images:
        result.dropped.append({"case": case_id, "file": image_cell, "reason": "full image "
                               "not in the download"})
        return
    if len(images) > 1:
        result.dropped.append({"case": case_id, "file": str(images[0].parent), "reason":
                               f"{len(images)} candidate full images for one row"})
        return
    candidates = sorted({p for cell in (row["cropped image file path"],
                                        row["roi mask file path"])
                         for p in tree.resolve(clean_path(cell))} - {images[0]})
    if not candidates:
        result.dropped.append({"case": case_id, "file": clean_path(row["roi mask file path"]),
                               "reason": "ROI mask and crop not in the download"})
        return
    split = _split(path, subject)
    relative = [os.path.relpath(p, result.root) for p in (images[0], *candidates)]
    result.cases.append(SourceCase(
        id=case_id, label=LABELS.get(row["pathology"].upper()), patient=row["patient_id"],
        group=relative[0], files=tuple(relative), source=where,
        extra={"split": split, "pathology": row["pathology"],
               "abnormality_id": row["abnormality id"]},
        payload=(images[0], tuple(candidates))))


def convert_group(root: Path, cases: list[SourceCase]) -> list[Converted | Dropped]:
    """Crop every case of one full image (read once)."""
    image_path = cases[0].payload[0]
    values = read_mammogram(image_path)
    window = full_image_window(values)
    return [_convert_case(root, case, values, window) for case in cases]


def _convert_case(root: Path, case: SourceCase, values: np.ndarray,
                  window: tuple[float, float]) -> Converted | Dropped:
    """The mask among the ROI files, by content, then the crop."""
    masks, wrong_size = [], []
    for candidate in case.payload[1]:
        pixels, _ = read_stored(candidate)
        if not is_binary(pixels) or pixels.max() == pixels.min():
            continue  # a cropped image (or a blank file): not a mask
        if pixels.shape == values.shape:
            masks.append((candidate, pixels > pixels.min()))
        else:
            wrong_size.append((candidate, pixels.shape))
    relative = lambda p: os.path.relpath(p, root)  # noqa: E731
    if len(masks) > 1 and any(not np.array_equal(masks[0][1], m) for _, m in masks[1:]):
        return Dropped(f"{len(masks)} different full-size two-valued files among the ROI "
                       f"files: cannot tell which is the mask", relative(masks[0][0]))
    if not masks:
        if wrong_size:
            path, shape = wrong_size[0]
            return Dropped(f"mask size {shape[0]}x{shape[1]} differs from its image "
                           f"{values.shape[0]}x{values.shape[1]}", relative(path))
        return Dropped(f"no ROI mask among {len(case.payload[1])} ROI file(s) (a mask has "
                       f"two values and the full image's size)", relative(case.payload[1][0]))
    mask_path, mask = masks[0]
    image, small, crop = course_crop(values, mask, window)
    if not small.any():
        return Dropped(f"the lesion ({int(mask.sum())} px) vanishes on the {GRID} px grid",
                       relative(mask_path))
    return Converted(image, small, {"image_file": case.group, "mask_file": relative(mask_path),
                                    "window": crop.as_list(), "grey_window": list(window)})


def clean_path(cell: str) -> str:
    r"""A CSV path cell as a relative POSIX path: stripped (the trailing newline), ``\`` -> ``/``.

    Examples
    --------
    >>> clean_path("Mass-Training_P_00001_LEFT_CC_1/1.3.6/1.3.7/000001.dcm\n")
    'Mass-Training_P_00001_LEFT_CC_1/1.3.6/1.3.7/000001.dcm'
    >>> clean_path(".\\CBIS-DDSM\\\\Mass-Test_P_00016_LEFT_CC\\000000.dcm")
    'CBIS-DDSM/Mass-Test_P_00016_LEFT_CC/000000.dcm'
    """
    parts = [p for p in cell.strip().replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


def _split(path: Path, subject: str) -> str:
    """The official split of a row: from the CSV's name, else the path's Training/Test."""
    name = path.stem.lower()
    for word, split in _SPLITS.items():
        if f"_{word}_set" in name or name.endswith(f"_{word}"):
            return split
    return "test" if "-test_" in subject.lower() else "train"


def _read_csv(path: Path, problems: list, required=()) -> list[dict]:
    """The rows of a description CSV, keys lower-cased and every cell stripped."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            columns = [(c or "").strip().lower() for c in (reader.fieldnames or [])]
            missing = [c for c in required if c not in columns]
            if missing:
                problems.append({"file": str(path), "problem": f"lacks column(s) "
                                 f"{', '.join(missing)} of a CBIS-DDSM description CSV"})
                return []
            return [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()
                     if k is not None} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append({"file": str(path), "problem": f"cannot read the CSV ({exc})"})
        return []


class _Tree:
    """The download's folders and files, indexed once: how a CSV path is found on disk."""

    def __init__(self, root: Path):
        self.root = root
        self.series: dict[str, Path] = {}  # series UID -> folder (from metadata.csv)
        self.subjects: dict[str, list[Path]] = {}
        self.metadata: list[Path] = []
        self._files: dict[Path, list[Path]] = {}
        self._uids: dict[Path, str] = {}
        self._uid_index: dict[str, list[Path]] | None = None
        self.used = {"metadata.csv": 0, "folder name": 0, "DICOM SeriesInstanceUID": 0,
                     "CSV path": 0}
        for folder, dirs, _ in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != CACHE_DIRNAME and not d.startswith("."))
            here = Path(folder)
            if SUBJECT.match(here.name):
                self.subjects.setdefault(here.name, []).append(here)
                dirs[:] = []  # below it: studies and series, no further subjects
        for candidate in (root / "metadata.csv", *sorted(root.glob("*/metadata.csv"))):
            if candidate.is_file():
                self._read_metadata(candidate)

    def _read_metadata(self, path: Path) -> None:
        """Series UID -> folder, from an NBIA ``metadata.csv`` (either header spelling)."""
        try:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                for row in reader:
                    row = {_snake(k): (v or "").strip() for k, v in row.items() if k}
                    uid, location = row.get("series_uid", ""), row.get("file_location", "")
                    if uid and location:
                        self.series[uid] = path.parent / clean_path(location)
        except (OSError, UnicodeDecodeError, csv.Error):
            return
        self.metadata.append(path)

    def files(self, folder: Path) -> list[Path]:
        if folder not in self._files:
            self._files[folder] = dicom_files(folder) if folder.is_dir() else []
        return self._files[folder]

    def uid(self, path: Path) -> str:
        if path not in self._uids:
            self._uids[path] = series_uid(path)
        return self._uids[path]

    def resolve(self, cell: str) -> list[Path]:
        """The files a CSV path cell names, found as described in the module's docstring."""
        parts = cell.split("/")
        subject, series = parts[0], (parts[2] if len(parts) >= 4 else "")
        literal = self.root / cell
        if cell and literal.is_file():
            self.used["CSV path"] += 1
            return [literal]
        if series in self.series and self.files(self.series[series]):
            self.used["metadata.csv"] += 1
            return self.files(self.series[series])
        found = [f for folder in self.subjects.get(subject, []) for f in self.files(folder)]
        if found:
            self.used["folder name"] += 1
            if len(found) > 1 and series:
                same = [f for f in found if self.uid(f) == series]
                if same:
                    self.used["DICOM SeriesInstanceUID"] += 1
                    return same
            return found
        if series:
            hits = self.uid_index().get(series, [])
            if hits:
                self.used["DICOM SeriesInstanceUID"] += 1
            return hits
        return []

    def uid_index(self) -> dict[str, list[Path]]:
        """SeriesInstanceUID -> files, over every DICOM file of the tree (read once)."""
        if self._uid_index is None:
            self._uid_index = {}
            for folder, dirs, names in os.walk(self.root):
                dirs[:] = sorted(d for d in dirs if d != CACHE_DIRNAME and not d.startswith("."))
                for name in sorted(names):
                    if name.lower().endswith(".dcm"):
                        path = Path(folder) / name
                        self._uid_index.setdefault(self.uid(path), []).append(path)
        return self._uid_index

    def notes(self) -> list[str]:
        used = ", ".join(f"{k} {v}" for k, v in self.used.items() if v)
        return [f"files found by: {used}"] if used else []


def _snake(name: str) -> str:
    """``"Series UID"`` and ``"series_uid"`` alike: lower case, non-alphanumerics -> ``_``.

    Examples
    --------
    >>> _snake(" File Location"), _snake("file_location")
    ('file_location', 'file_location')
    """
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")
