"""CBIS-DDSM read as downloaded: one test per trap of the public loaders (synthetic copies)."""

import csv

import numpy as np
import pytest

from benchmark.ground.data import cbis_ddsm
from benchmark.ground.data.cache import CASES_CSV
from benchmark.ground.formats import scan
from tests.benchmark.ground.data.synthetic import CbisRow, write_cbis

pydicom = pytest.importorskip("pydicom")


def on_its_lesion(case, row):
    """The mask covers the bright lesion and nothing else, at the lesion's size."""
    inside, outside = case.image[case.mask].mean(), case.image[~case.mask].mean()
    extent = 2 * max(row.axes) + 1  # the window is 7.35 extents, rounded to 124 f + 1 px
    factor = max(1, round((7.35 * extent - 1) / 124))
    area = np.pi * row.axes[0] * row.axes[1] / factor**2
    return inside > 0.8 > 0.5 > outside and abs(case.mask.sum() - area) < 0.2 * area


def test_crop_and_mask_are_told_apart_by_content_not_file_order(tmp_path):
    rows = [CbisRow("P_00001", mask_first=True), CbisRow("P_00002", mask_first=False),
            CbisRow("P_00003", one_series=False)]
    found = scan(write_cbis(tmp_path, rows, metadata=None))
    assert not found.problems and len(found.dataset) == 3
    for row in rows:  # the CSV names the crop 000000 and the mask 000001 in every row
        assert on_its_lesion(found.dataset[f"{row.prefix}_1"], row)


def test_a_mask_whose_size_differs_from_its_image_is_dropped_and_listed(tmp_path):
    rows = [CbisRow("P_00001"), CbisRow("P_00002", mask_shape=(150, 110))]
    found = scan(write_cbis(tmp_path, rows))
    assert found.dataset.ids == ["Mass-Training_P_00001_LEFT_CC_1"] and not found.problems
    [entry] = [d for d in found.dropped if "size" in d["reason"]]
    assert entry["case"] == "Mass-Training_P_00002_LEFT_CC_1"
    assert entry["reason"] == "mask size 150x110 differs from its image 160x120"
    assert entry["file"].endswith(".dcm")


def test_two_masses_on_one_image_are_two_cases_each_on_its_own_lesion(tmp_path, monkeypatch):
    rows = [CbisRow("P_00001", abnormality=1, centre=(40, 30), axes=(7, 7)),
            CbisRow("P_00001", abnormality=2, centre=(115, 70), axes=(13, 9))]
    reads = []
    original = cbis_ddsm.read_mammogram
    monkeypatch.setattr(cbis_ddsm, "read_mammogram", lambda p: reads.append(p) or original(p))
    found = scan(write_cbis(tmp_path, rows))
    assert found.dataset.ids == ["Mass-Training_P_00001_LEFT_CC_1",
                                 "Mass-Training_P_00001_LEFT_CC_2"]
    for row in rows:
        assert on_its_lesion(found.dataset[f"{row.prefix}_{row.abnormality}"], row)
    assert len(reads) == 1  # the full image is read once for both


def test_patient_is_the_csv_patient_id_never_the_per_view_dicom_id(tmp_path):
    rows = [CbisRow("P_00001", view="CC"), CbisRow("P_00001", view="MLO", seed=1),
            CbisRow("P_00002")]
    root = write_cbis(tmp_path, rows)
    found = scan(root)
    ids = {pydicom.dcmread(p).PatientID for p in root.rglob("*.dcm")}
    assert "Mass-Training_P_00001_LEFT_CC" in ids and "Mass-Training_P_00001_LEFT_MLO" in ids
    assert [c.patient for c in found.dataset] == ["P_00001", "P_00001", "P_00002"]
    assert "patient_id" in found.dataset.patients_from


def test_path_cells_ending_in_a_newline_are_resolved(tmp_path):
    root = write_cbis(tmp_path, [CbisRow("P_00001")], layout="old", metadata=None)
    text = (root / "mass_case_description_train_set.csv").read_text()
    assert '000000.dcm\n"' in text and '000001.dcm\n"' in text  # as in the real CSVs
    found = scan(root)
    assert len(found.dataset) == 1  # only the calcification rows are dropped
    assert all(d["reason"].startswith("calcification") for d in found.dropped)
    assert cbis_ddsm.clean_path(" a/b/c/000001.dcm\r\n") == "a/b/c/000001.dcm"


@pytest.mark.parametrize("spelling", ["raw", "snake"])
def test_both_metadata_csv_headers_link_folders_the_csv_does_not_name(tmp_path, spelling):
    rows = [CbisRow("P_00001"), CbisRow("P_00002", mask_first=False)]
    root = write_cbis(tmp_path, rows, layout="renamed", metadata=spelling)
    header = (root / "metadata.csv").read_text().splitlines()[0]
    assert header.startswith("Series UID," if spelling == "raw" else "series_uid,")
    found = scan(root)
    assert len(found.dataset) == 2 and any("metadata.csv 6" in n for n in found.notes)
    for row in rows:
        assert on_its_lesion(found.dataset[f"{row.prefix}_1"], row)


def test_without_metadata_the_dicom_series_uid_links_the_files(tmp_path):
    rows = [CbisRow("P_00001"), CbisRow("P_00002", one_series=False)]
    found = scan(write_cbis(tmp_path, rows, layout="renamed", metadata=None))
    assert len(found.dataset) == 2
    assert any("DICOM SeriesInstanceUID" in n for n in found.notes)


def test_older_layout_whose_file_names_match_the_csv(tmp_path):
    rows = [CbisRow("P_00001"), CbisRow("P_00002", mask_first=False)]
    found = scan(write_cbis(tmp_path, rows, layout="old", metadata=None))
    assert len(found.dataset) == 2
    for row in rows:
        assert on_its_lesion(found.dataset[f"{row.prefix}_1"], row)


def test_labels_split_and_ignored_calcifications(tmp_path):
    rows = [CbisRow("P_00001", pathology="MALIGNANT"), CbisRow("P_00002", pathology="BENIGN"),
            CbisRow("P_00003", pathology="BENIGN_WITHOUT_CALLBACK", split="Test")]
    found = scan(write_cbis(tmp_path, rows, calc_rows=3))
    assert [c.label for c in found.dataset] == [0, 1, 0]  # the test CSV is read first
    calc = [d for d in found.dropped if d["reason"].startswith("calcification")]
    assert len(calc) == 3 and found.dataset.reference == "manual"
    with open(found.cache + "/" + CASES_CSV, newline="") as fh:
        manifest = {r["case"]: r for r in csv.DictReader(fh)}
    assert manifest["Mass-Test_P_00003_LEFT_CC_1"]["split"] == "test"
    assert manifest["Mass-Training_P_00001_LEFT_CC_1"]["split"] == "train"
    assert manifest["Mass-Training_P_00001_LEFT_CC_1"]["source"] == (
        "mass_case_description_train_set.csv row 1")


def test_a_row_whose_files_were_not_downloaded_is_dropped(tmp_path):
    root = write_cbis(tmp_path, [CbisRow("P_00001"), CbisRow("P_00002")], metadata=None)
    for path in (root / "CBIS-DDSM" / "Mass-Training_P_00002_LEFT_CC").rglob("*.dcm"):
        path.unlink()
    found = scan(root)
    assert found.dataset.ids == ["Mass-Training_P_00001_LEFT_CC_1"]
    assert {"case": "Mass-Training_P_00002_LEFT_CC_1", "reason": "full image not in the "
            "download"}.items() <= next(d for d in found.dropped if "P_00002" in d["case"]).items()


def test_a_folder_with_only_calcification_csvs_says_what_is_missing(tmp_path):
    root = write_cbis(tmp_path, [CbisRow("P_00001")])
    (root / "mass_case_description_train_set.csv").unlink()
    found = scan(root)
    assert found.dataset is None and found.format == "cbis-ddsm"
    assert "mass_case_description" in found.problems[0]["problem"]


def test_the_crop_is_the_course_grid_and_context_of_a_large_lesion(tmp_path):
    # a 135 x 101 px lesion: window 7.35 x 135 = 993 px, f = 8, the course's own recipe
    row = CbisRow("P_00001", shape=(1400, 1000), centre=(700, 450), axes=(67, 50))
    found = scan(write_cbis(tmp_path, [row]))
    case = found.dataset[0]
    assert case.shape == (125, 125) and on_its_lesion(case, row)
    rows, cols = np.nonzero(case.mask)
    extent = max(np.ptp(rows), np.ptp(cols)) + 1
    assert 125 / extent == pytest.approx(7.35, rel=0.05)  # the course's crop/lesion ratio
