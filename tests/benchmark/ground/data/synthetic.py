"""Synthetic copies of public datasets, laid out as their real downloads are.

No real copy of CBIS-DDSM, INbreast or mini-MIAS is used anywhere: the tests (and
``speed/bench_import.py``) write these tiny ones with pydicom and plistlib, with every trap
the importers must avoid available as an option (see ``../shared/datasets.md``).
"""

from __future__ import annotations

import csv
import io
import itertools
import plistlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

_UIDS = itertools.count(1000)
CBIS_PREFIX = "1.3.6.1.4.1.9590.100.1.2."
#: NBIA's raw metadata.csv header and the snake-cased one of a public notebook.
RAW_HEADER = ["Series UID", "Collection", "3rd Party Analysis", "Data Description URI",
              "Subject ID", "Study UID", "Study Description", "Study Date",
              "Series Description", "Manufacturer", "Modality", "SOP Class Name",
              "SOP Class UID", "Number of Images", "File Size", "File Location",
              "Download Timestamp"]
SNAKE_HEADER = ["series_uid", "collection", "data_description_uri", "subject_id", "study_uid",
                "study_date", "series_description", "modality", "sop_class_name",
                "sop_class_uid", "number_of_images", "file_size", "file_location",
                "download_timestamp"]
MASS_COLUMNS = ["patient_id", "breast_density", "left or right breast", "image view",
                "abnormality id", "abnormality type", "mass shape", "mass margins",
                "assessment", "pathology", "subtlety", "image file path",
                "cropped image file path", "ROI mask file path"]
CALC_COLUMNS = ["patient_id", "breast density", "left or right breast", "image view",
                "abnormality id", "abnormality type", "calc type", "calc distribution",
                "assessment", "pathology", "subtlety", "image file path",
                "cropped image file path", "ROI mask file path"]


def uid() -> str:
    """A fresh CBIS-style UID."""
    return f"{CBIS_PREFIX}{next(_UIDS)}{np.random.default_rng().integers(10**9)}"


def write_dicom(path: Path, pixels: np.ndarray, *, series_uid: str = "", study_uid: str = "",
                patient_id: str = "", description: str = "",
                photometric: str = "MONOCHROME2") -> Path:
    """A Secondary Capture DICOM file, Implicit VR Little Endian, 16-bit unsigned."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ImplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    pixels = np.asarray(pixels, dtype=np.uint16)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ImplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "MG"
    ds.PatientID = ds.PatientName = patient_id
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesDescription = description
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.astype("<u2").tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def ellipse(shape, centre, axes) -> np.ndarray:
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    return ((rows - centre[0]) / axes[0]) ** 2 + ((cols - centre[1]) / axes[1]) ** 2 <= 1


def mammogram(shape, lesions, *, seed=0, breast=18000, lesion=42000,
              noise=1500) -> np.ndarray:
    """A uint16 'mammogram': noisy breast, black air at the right, bright lesions."""
    rng = np.random.default_rng(seed)
    image = breast + rng.normal(0, noise, shape)
    image[:, int(shape[1] * 0.85):] = 0
    for mask in lesions:
        image[mask] = lesion + rng.normal(0, noise, int(mask.sum()))
    return np.clip(image, 0, 65535).astype(np.uint16)


@dataclass
class CbisRow:
    """One mass row of a synthetic CBIS-DDSM copy (one abnormality on one view)."""

    patient: str
    side: str = "LEFT"
    view: str = "CC"
    abnormality: int = 1
    pathology: str = "MALIGNANT"
    split: str = "Training"
    centre: tuple[int, int] = (60, 45)
    axes: tuple[int, int] = (10, 7)
    shape: tuple[int, int] = (160, 120)
    #: The mask file written first (1-1.dcm / 000000.dcm) and the crop second; the CSV says
    #: the opposite in its cells when ``csv_swapped``.
    mask_first: bool = True
    #: Write the mask with this size instead of the image's (a mismatched mask).
    mask_shape: tuple[int, int] | None = None
    #: Crop and mask in one "ROI mask images" series (else two series).
    one_series: bool = True
    seed: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        kind = "Training" if self.split == "Training" else "Test"
        return f"Mass-{kind}_{self.patient}_{self.side}_{self.view}"

    def lesion(self) -> np.ndarray:
        return ellipse(self.shape, self.centre, self.axes)


def write_cbis(root: Path, rows: list[CbisRow], *, layout: str = "nbia",
               metadata: str | None = "raw", calc_rows: int = 2) -> Path:
    """A CBIS-DDSM copy: description CSVs, DICOM tree and (optionally) ``metadata.csv``.

    layout : ``nbia`` (current retriever: ``CBIS-DDSM/<subject>/<date>-DDSM-NA-<n>/
    1.000000-<description>-<n>/1-1.dcm``), ``old`` (older retriever: files named
    ``000000.dcm`` as in the CSV) or ``renamed`` (folders not named after the subjects:
    only ``metadata.csv`` or the DICOM SeriesInstanceUID can link them).
    metadata : ``raw`` (NBIA's header), ``snake`` (snake-cased), or None (no file).
    """
    root.mkdir(parents=True, exist_ok=True)
    meta_rows, csv_rows = [], {"Training": [], "Test": []}
    images: dict[tuple, tuple] = {}  # one full image per (patient, side, view)
    counter = itertools.count(1)
    for row in rows:
        key = (row.patient, row.side, row.view, row.split)
        lesions = [r.lesion() for r in rows if (r.patient, r.side, r.view, r.split) == key]
        if key not in images:
            study, series = uid(), uid()
            folder = _series_folder(root, row.prefix, "full mammogram images", layout,
                                    next(counter))
            name = "000000.dcm" if layout == "old" else "1-1.dcm"
            write_dicom(folder / name, mammogram(row.shape, lesions, seed=row.seed),
                        series_uid=series, study_uid=study, patient_id=row.prefix,
                        description="full mammogram images")
            images[key] = (study, series)
            meta_rows.append((series, row.prefix, study, "full mammogram images", folder))
        study, series = images[key]
        image_cell = f"{row.prefix}/{study}/{series}/000000.dcm"
        roi_subject = f"{row.prefix}_{row.abnormality}"
        roi_study = uid()
        mask = row.lesion()
        if row.mask_shape is not None:
            mask = np.zeros(row.mask_shape, bool)
            mask[: row.mask_shape[0] // 3, : row.mask_shape[1] // 3] = True
        mask_pixels = np.where(mask, 255, 0)
        rr, cc = np.nonzero(row.lesion())
        crop_pixels = mammogram(row.shape, [row.lesion()], seed=row.seed)[
            rr.min():rr.max() + 1, cc.min():cc.max() + 1]
        mask_series = uid()
        crop_series = mask_series if row.one_series else uid()
        mask_folder = _series_folder(root, roi_subject, "ROI mask images", layout,
                                     next(counter))
        crop_folder = mask_folder if row.one_series else _series_folder(
            root, roi_subject, "cropped images", layout, next(counter))
        names = ("000000.dcm", "000001.dcm") if layout == "old" else ("1-1.dcm", "1-2.dcm")
        mask_name, crop_name = names if row.mask_first else names[::-1]
        if not row.one_series:
            mask_name = crop_name = names[0]
        write_dicom(mask_folder / mask_name, mask_pixels, series_uid=mask_series,
                    study_uid=roi_study, patient_id=roi_subject,
                    description="ROI mask images")
        write_dicom(crop_folder / crop_name, crop_pixels, series_uid=crop_series,
                    study_uid=roi_study, patient_id=roi_subject,
                    description="ROI mask images" if row.one_series else "cropped images")
        meta_rows.append((mask_series, roi_subject, roi_study, "ROI mask images", mask_folder))
        if not row.one_series:
            meta_rows.append((crop_series, roi_subject, roi_study, "cropped images",
                              crop_folder))
        # the CSV names the crop 000000 and the mask 000001 whatever lies on disk
        crop_cell = f"{roi_subject}/{roi_study}/{crop_series}/000000.dcm\n"
        mask_cell = f"{roi_subject}/{roi_study}/{mask_series}/000001.dcm\n"
        csv_rows[row.split].append([
            row.patient, 2, row.side, row.view, row.abnormality, "mass", "OVAL",
            "CIRCUMSCRIBED", 4, row.pathology, 3, image_cell, crop_cell, mask_cell])
    for split, name in (("Training", "train"), ("Test", "test")):
        if csv_rows[split]:
            _write_csv(root / f"mass_case_description_{name}_set.csv", MASS_COLUMNS,
                       csv_rows[split])
    if calc_rows:
        _write_csv(root / "calc_case_description_train_set.csv", CALC_COLUMNS, [
            [f"P_{9000 + i:05d}", 2, "LEFT", "CC", 1, "calcification", "PLEOMORPHIC",
             "CLUSTERED", 4, "BENIGN", 3, "Calc-Training_P_09000_LEFT_CC/1/2/000000.dcm",
             "Calc-Training_P_09000_LEFT_CC_1/1/3/000000.dcm\n",
             "Calc-Training_P_09000_LEFT_CC_1/1/3/000001.dcm\n"] for i in range(calc_rows)])
    if metadata is not None:
        _write_metadata(root, meta_rows, metadata)
    return root


def _series_folder(root: Path, subject: str, description: str, layout: str, n: int) -> Path:
    if layout == "old":
        return root / subject / f"10-04-2016-DDSM-{30000 + n}" / f"1-{description}-{n}"
    folder = subject if layout == "nbia" else f"subject-{n:04d}"
    return (root / "CBIS-DDSM" / folder / f"07-20-2016-DDSM-NA-{70000 + n}"
            / f"1.000000-{description}-{n}")


def _write_csv(path: Path, columns, rows, delimiter=",") -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _write_metadata(root: Path, rows, spelling: str) -> None:
    header = RAW_HEADER if spelling == "raw" else SNAKE_HEADER
    out = []
    for series, subject, study, description, folder in rows:
        values = {"series_uid": series, "collection": "CBIS-DDSM", "subject_id": subject,
                  "study_uid": study, "series_description": description, "modality": "MG",
                  "number_of_images": len(list(folder.glob("*.dcm"))),
                  "file_location": "./" + folder.relative_to(root).as_posix()}
        out.append([values.get(_snake(h), "") for h in header])
    _write_csv(root / "metadata.csv", header, out)


def _snake(name: str) -> str:
    return "_".join(name.lower().split())


# -- INbreast -------------------------------------------------------------------------------

@dataclass
class InbreastImage:
    """One INbreast image: its file name, patient token, BI-RADS and ROIs."""

    file_name: str
    patient: str  # 16 hex characters
    birads: str = "4a"
    side: str = "L"
    view: str = "CC"
    shape: tuple[int, int] = (200, 160)
    #: Each ROI: (Name, [(x, y), ...]); a mass is drawn bright in the image.
    rois: list = field(default_factory=list)
    xml: bool = True
    #: Write a NumberOfROIs that disagrees with the list.
    wrong_count: bool = False
    seed: int = 0

    @property
    def dicom_name(self) -> str:
        return f"{self.file_name}_{self.patient}_MG_{self.side}_{self.view}_ANON.dcm"


def triangle(top_left=(40, 50), size=30) -> list[tuple[float, float]]:
    """An asymmetric polygon: the right angle at the top left, as (x, y) = (column, row)."""
    x, y = top_left
    return [(x, y), (x + size, y), (x, y + size)]


def polygon_mask(points, shape) -> np.ndarray:
    from skimage.draw import polygon

    mask = np.zeros(shape, bool)
    rr, cc = polygon([p[1] for p in points], [p[0] for p in points], shape=shape)
    mask[rr, cc] = True
    return mask


def write_inbreast(root: Path, images: list[InbreastImage], *, nested: bool = True) -> Path:
    """An INbreast release: AllDICOMs/, AllXML/ and a ';'-separated INbreast.csv.

    The CSV holds ``removed`` in its patient fields and space-padded blank ACR cells, as the
    real one does. With ``nested`` the release lies in ``root/INbreast Release 1.0/``.
    """
    release = root / "INbreast Release 1.0" if nested else root
    (release / "AllDICOMs").mkdir(parents=True, exist_ok=True)
    (release / "AllXML").mkdir(parents=True, exist_ok=True)
    rows = []
    for image in images:
        masses = [polygon_mask(points, image.shape) for name, points in image.rois
                  if name == "Mass" and len(points) >= 3]
        pixels = mammogram(image.shape, masses, seed=image.seed, breast=1200, lesion=2900,
                           noise=100)
        write_dicom(release / "AllDICOMs" / image.dicom_name, pixels,
                    patient_id=image.patient)
        if image.xml:
            rois = [{"Area": 1.0, "Center": "(0, 0, 0)", "Dev": 0.0, "IndexInImage": i,
                     "Max": 0.0, "Mean": 0.0, "Min": 0.0, "Name": name,
                     "NumberOfPoints": len(points),
                     "Point_mm": [f"({x * 0.07:.6f}, {y * 0.07:.6f}, 0.000000)"
                                  for x, y in points],
                     "Point_px": [f"({x:.6f}, {y:.6f})" for x, y in points],
                     "Total": 0.0, "Type": 15 if len(points) > 2 else 19}
                    for i, (name, points) in enumerate(image.rois)]
            count = len(rois) + (1 if image.wrong_count else 0)
            document = {"Images": [{"ImageIndex": 0, "NumberOfROIs": count, "ROIs": rois}]}
            with open(release / "AllXML" / f"{image.file_name}.xml", "wb") as fh:
                plistlib.dump(document, fh, fmt=plistlib.FMT_XML)
        rows.append(["removed", "removed", image.side, image.view, "201001",
                     image.file_name, "  ", f" {image.birads} "])
    _write_csv(release / "INbreast.csv", ["Patient ID", "Patient age", "Laterality", "View",
                                          "Acquisition date", "File Name", "ACR", "Bi-Rads"],
               rows, delimiter=";")
    return release


# -- mini-MIAS ------------------------------------------------------------------------------

def write_mias(root: Path, n: int = 4) -> Path:
    """A mini-MIAS folder: Info.txt (centre and radius per abnormality) and mdbNNN.pgm."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["REFNUM BG CLASS SEVERITY X Y RADIUS"]
    for i in range(1, n + 1):
        (root / f"mdb{i:03d}.pgm").write_bytes(b"P5\n8 8\n255\n" + bytes(64))
        lines.append(f"mdb{i:03d} G CIRC B 4 4 2" if i % 2 else f"mdb{i:03d} F NORM")
    (root / "Info.txt").write_text("\n".join(lines) + "\n")
    return root


# -- copies big enough for a quick run ---------------------------------------------------------

def cbis_for_run(root: Path, patients: int = 6) -> Path:
    """CBIS-DDSM: two views of each patient, alternately malignant and benign."""
    rows = [CbisRow(f"P_{i:05d}", view=view, seed=2 * i + (view == "MLO"),
                    pathology="MALIGNANT" if i % 2 else "BENIGN",
                    centre=(50 + 6 * i, 35 + 3 * i), axes=(8 + i % 3, 6 + i % 4))
            for i in range(1, patients + 1) for view in ("CC", "MLO")]
    return write_cbis(root, rows)


def inbreast_for_run(root: Path, patients: int = 6) -> Path:
    """INbreast: two views of each patient, BI-RADS alternately 4b and 2."""
    images = [InbreastImage(f"{20000000 + 10 * i + k}", f"{i:016x}", view=view,
                            birads="4b" if i % 2 else "2", seed=10 * i + k,
                            rois=[("Mass", triangle((40 + 5 * i, 50 + 4 * k), 26 + 2 * i))])
              for i in range(1, patients + 1) for k, view in enumerate(("CC", "MLO"))]
    return write_inbreast(root, images)
