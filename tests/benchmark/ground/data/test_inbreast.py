"""INbreast read as given out: the traps of its XML, CSV and file names (synthetic copies)."""

import numpy as np
import pytest

from benchmark.ground.data import inbreast
from benchmark.ground.formats import scan
from tests.benchmark.ground.data.synthetic import InbreastImage, triangle, write_inbreast

pytest.importorskip("pydicom")

HEX_A, HEX_B = "6c613a14b80a8591", "5530d5782fc89dff"


def copy(tmp_path, **kwargs):
    images = [
        InbreastImage("20586908", HEX_A, birads="4a",
                      rois=[("Mass", triangle((40, 50), 30)), ("Calcification", [(12, 14)])]),
        InbreastImage("20586934", HEX_A, view="MLO", birads="2",
                      rois=[("Mass", triangle((60, 90), 40))], wrong_count=True),
        InbreastImage("22580192", HEX_B, birads="5", xml=False),
        InbreastImage("22580219", HEX_B, birads="6",
                      rois=[("Mass", triangle((80, 120), 25)), ("Mass", triangle((20, 20), 22)),
                            ("Mass", [(5, 5), (6, 6)])]),
    ]
    return write_inbreast(tmp_path, images, **kwargs)


def test_an_asymmetric_polygon_keeps_its_orientation_and_place(tmp_path):
    found = scan(copy(tmp_path))
    for case in found.dataset:
        mask, image = case.mask, case.image
        rows, cols = np.nonzero(mask)
        mid_row, mid_col = (rows.min() + rows.max()) / 2, (cols.min() + cols.max()) / 2
        # the right angle is at the top left: more mask above the middle row, left of the
        # middle column (a flipped y would put the weight below)
        assert (rows < mid_row).sum() > 1.5 * (rows > mid_row).sum()
        assert (cols < mid_col).sum() > 1.5 * (cols > mid_col).sum()
        # and the mask lies on the bright triangle the DICOM holds, not on its mirror image
        assert image[mask].mean() > 2 * image[~mask].mean()
        assert image[np.flipud(mask)].mean() < image[mask].mean() - 0.2


def test_the_padded_semicolon_csv_gives_labels_and_the_file_name_gives_patients(tmp_path):
    release = copy(tmp_path)
    text = (release / "INbreast.csv").read_text()
    assert text.startswith("Patient ID;Patient age;") and "removed;removed" in text
    assert ";  ; 4a " in text  # blank ACR padded, BI-RADS padded
    found = scan(release)
    labels = {c.id: c.label for c in found.dataset}
    assert labels == {"20586908_L_CC_mass1": 1, "20586934_L_MLO_mass1": 0,
                      "22580219_L_CC_mass1": 1, "22580219_L_CC_mass2": 1}
    assert {c.patient for c in found.dataset} == {HEX_A, HEX_B}  # never 'removed'


def test_point_rois_other_names_and_images_without_xml_are_skipped_and_counted(tmp_path):
    found = scan(copy(tmp_path))
    reasons = found.dropped_by_reason()
    assert reasons == {"ROI named 'Calcification' (not a mass)": 1,
                       "image without XML (no finding drawn)": 1,
                       "mass ROI of fewer than 3 points (a point annotation)": 1}
    assert not found.problems and len(found.dataset) == 4
    assert any("NumberOfROIs 2 but 1 ROIs listed" in n for n in found.notes)


def test_labels_are_stated_as_birads_derived_not_pathology(tmp_path):
    found = scan(copy(tmp_path))
    assert "BI-RADS-derived" in found.dataset.labels_from
    assert "not pathology" in found.dataset.labels_from
    assert any(n.startswith("labels: BI-RADS-derived") for n in found.notes)
    assert inbreast.BIRADS_LABELS == {"1": 0, "2": 0, "3": 0, "4": 1, "4a": 1, "4b": 1,
                                      "4c": 1, "5": 1, "6": 1}


@pytest.mark.parametrize("nested", [True, False])
def test_the_release_folder_or_the_folder_holding_it(tmp_path, nested):
    copy(tmp_path, nested=nested)
    found = scan(tmp_path)
    assert found.format == "inbreast" and len(found.dataset) == 4


def test_polygon_mask_fills_rows_from_y_and_columns_from_x():
    mask = inbreast.polygon_mask([(10.0, 2.0), (14.0, 2.0), (10.0, 6.0)], (20, 30))
    rows, cols = np.nonzero(mask)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (2, 6, 10, 14)
