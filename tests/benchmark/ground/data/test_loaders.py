"""Course-folder and manifest loaders: round trips, labels, patients and every bad input."""

import json
import os
import shutil

import numpy as np
import pytest

from benchmark.ground.data import load_dataset, scan_dataset, summarize
from benchmark.ground.data.course import label_from_id, patient_from_id
from benchmark.ground.data.imageio import write_pgm
from benchmark.ground.errors import DatasetError


def test_make_phantom_then_load_gives_the_same_dataset(small_phantom, phantom_folder):
    loaded = load_dataset(phantom_folder)
    assert loaded.fingerprint == small_phantom.fingerprint
    assert loaded.reference == "exact"
    for case in small_phantom:
        other = loaded[case.id]
        np.testing.assert_array_equal(other.image, case.image)
        np.testing.assert_array_equal(other.mask, case.mask)
        assert (other.label, other.patient) == (case.label, case.patient)


@pytest.mark.parametrize("case_id, label, patient", [
    ("0016p1_2_1", 1, "0016"), ("0025p1_4_2", 0, "0025"), ("abcdef", None, "abcd"),
    ("0036p1_1_7", None, "0036"),
])
def test_label_and_patient_from_course_ids(case_id, label, patient):
    assert label_from_id(case_id) == label
    assert patient_from_id(case_id) == patient


def _pair(folder, case_id, image, mask, suffix=".pgm"):
    write_pgm(folder / f"{case_id}_resized{suffix}", image)
    write_pgm(folder / f"{case_id}_mass_mask{suffix}", mask)


def test_masks_of_zero_one_and_16_bit_images_load(tmp_path):
    image16 = (np.arange(64, dtype=np.uint16) * 1000).reshape(8, 8)
    mask01 = np.zeros((8, 8), np.uint8)
    mask01[2:5, 2:5] = 1
    _pair(tmp_path, "0001p1_1_1", image16, mask01)
    case = load_dataset(tmp_path)["0001p1_1_1"]
    assert case.image.dtype == np.float32
    assert case.image.max() == pytest.approx(63000 / 65535)
    assert case.mask.sum() == 9


def _problem(folder):
    dataset, problems = scan_dataset(folder)
    assert problems, "expected a problem"
    with pytest.raises(DatasetError) as info:
        load_dataset(folder)
    return problems, str(info.value)


def test_truncated_image_names_the_file(phantom_folder, tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(phantom_folder, folder)
    victim = sorted(folder.glob("*_resized.pgm"))[0]
    victim.write_bytes(victim.read_bytes()[:100])
    problems, message = _problem(folder)
    assert problems[0]["file"] == str(victim)
    assert "truncated" in message and victim.name in message


def test_image_without_mask(phantom_folder, tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(phantom_folder, folder)
    victim = sorted(folder.glob("*_mass_mask.pgm"))[0]
    victim.unlink()
    problems, message = _problem(folder)
    assert "image without its mask" in message
    assert len(problems) == 1


def test_mask_of_another_shape(tmp_path):
    _pair(tmp_path, "0001p1_1_1", np.zeros((8, 8), np.uint8), np.zeros((8, 9), np.uint8))
    problems, message = _problem(tmp_path)
    assert "mask shape 8x9 differs" in message and "0001p1_1_1_mass_mask.pgm" in message


def test_mask_with_other_values(tmp_path):
    mask = np.zeros((8, 8), np.uint8)
    mask[1, 1], mask[2, 2] = 255, 128
    _pair(tmp_path, "0001p1_1_1", np.zeros((8, 8), np.uint8), mask)
    problems, message = _problem(tmp_path)
    assert "mask values must be {0, 1} or {0, 255}; found 0, 128, 255" in message


def test_empty_folder(tmp_path):
    problems, message = _problem(tmp_path)
    assert "no cases found" in message


def test_duplicate_case_ids(tmp_path):
    _pair(tmp_path, "0001p1_1_1", np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8))
    from PIL import Image

    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "0001p1_1_1_resized.png")
    problems, message = _problem(tmp_path)
    assert "duplicate case id '0001p1_1_1'" in message


def _blob(shape=(8, 8)):
    """A {0, 255} mask with a small square mass."""
    mask = np.zeros(shape, np.uint8)
    mask[2:5, 2:5] = 255
    return mask


def test_unreadable_file(tmp_path):
    _pair(tmp_path, "0001p1_1_1", np.zeros((8, 8), np.uint8), _blob())
    (tmp_path / "0002p1_1_1_resized.pgm").symlink_to(tmp_path / "nowhere.pgm")
    write_pgm(tmp_path / "0002p1_1_1_mass_mask.pgm", _blob())
    problems, message = _problem(tmp_path)
    assert "cannot read the file" in message and "0002p1_1_1_resized.pgm" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_file_without_read_permission(tmp_path):
    _pair(tmp_path, "0001p1_1_1", np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8))
    (tmp_path / "0001p1_1_1_resized.pgm").chmod(0)
    problems, message = _problem(tmp_path)
    assert "cannot read the file" in message


def test_summary_lists_all_problems_and_counts_good_cases(phantom_folder, tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(phantom_folder, folder)
    for victim in sorted(folder.glob("*_mass_mask.pgm"))[:2]:
        victim.unlink()
    dataset, problems = scan_dataset(folder)
    summary = summarize(dataset, problems)
    assert set(summary) == {"n_cases", "n_malignant", "n_benign", "n_unlabelled",
                            "n_patients", "patients_from", "labels_from", "image_sizes",
                            "warnings", "problems"}
    assert summary["n_cases"] == 22 and len(summary["problems"]) == 2
    json.dumps(summary)


def test_manifest_round_trip(small_phantom, phantom_folder, tmp_path):
    rows = ["image,mask,label,patient,case"]
    for case in small_phantom:
        rows.append(f"{phantom_folder}/{case.id}_resized.pgm,{phantom_folder}/{case.id}"
                    f"_mass_mask.pgm,{'malignant' if case.label else 'benign'},{case.patient},"
                    f"{case.id}")
    manifest = tmp_path / "cases.csv"
    manifest.write_text("\n".join(rows) + "\n")
    assert load_dataset(manifest).fingerprint == small_phantom.fingerprint


def test_manifest_relative_paths_defaults_and_bad_rows(phantom_folder, tmp_path):
    first = sorted(phantom_folder.glob("*_resized.pgm"))[0]
    shutil.copy(first, tmp_path / "a.pgm")
    shutil.copy(str(first).replace("_resized", "_mass_mask"), tmp_path / "a_mask.pgm")
    manifest = tmp_path / "m.csv"
    manifest.write_text("image,mask\na.pgm,a_mask.pgm\n")
    case = load_dataset(manifest)["a"]
    assert (case.label, case.patient) == (None, "a")
    manifest.write_text("image,mask,label\na.pgm,a_mask.pgm,maybe\n")
    with pytest.raises(DatasetError, match=r"m.csv:2: label 'maybe'"):
        load_dataset(manifest)
    manifest.write_text("image,mask\na.pgm,missing.pgm\n")
    with pytest.raises(DatasetError, match=r"missing.pgm: file not found \(row 2\)"):
        load_dataset(manifest)
    manifest.write_text("picture,mask\n")
    with pytest.raises(DatasetError, match="lacks column"):
        load_dataset(manifest)


def test_cases_are_read_only(small_phantom):
    case = small_phantom[0]
    with pytest.raises(ValueError):
        case.image[0, 0] = 1
    with pytest.raises(AttributeError):
        case.label = 0


def test_fingerprint_changes_with_one_pixel(small_phantom):
    from benchmark.ground.data import Case, Dataset

    first = small_phantom[0]
    image = first.image.copy()
    image[0, 0] = 1 - image[0, 0]
    changed = Case(first.id, image, first.mask, first.label, first.patient)
    other = Dataset("x", (changed, *small_phantom.cases[1:]))
    assert other.fingerprint != small_phantom.fingerprint
    same = Dataset("y", tuple(reversed(small_phantom.cases)))
    assert same.fingerprint == small_phantom.fingerprint


def test_a_folder_states_how_its_masks_were_made(phantom_folder, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(phantom_folder, folder)
    (folder / "phantom.json").unlink()
    assert load_dataset(folder).reference == "unknown"
    (folder / "reference.json").write_text('{"reference": "manual"}')
    assert load_dataset(folder).reference == "manual"
    (folder / "reference.json").write_text('{"reference": "drawn by my cat"}')
    dataset, problems = scan_dataset(folder)
    assert len(problems) == 1 and "reference.json" in problems[0]["file"]
    assert "must be one of" in problems[0]["problem"]


def test_a_course_folder_names_the_method_that_shares_its_references_algorithm(
        phantom_folder, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(phantom_folder, folder)
    assert load_dataset(folder).reference_algorithm == ""  # a phantom's masks are exact
    (folder / "phantom.json").unlink()
    assumed = load_dataset(folder)  # the course's own reference sets: radial max-variance
    assert assumed.reference_algorithm == "radial_maxvar"
    assert "assumed" in assumed.reference_algorithm_from
    assert assumed.record()["reference_algorithm"] == "radial_maxvar"
    (folder / "reference.json").write_text('{"reference": "manual", "algorithm": null}')
    assert load_dataset(folder).reference_algorithm == ""
    (folder / "reference.json").write_text('{"reference": "semi-automatic", "method": "gac"}')
    stated = load_dataset(folder)
    assert (stated.reference_algorithm, stated.reference_algorithm_from) == (
        "gac", "stated in reference.json")
    (folder / "reference.json").write_text('{"reference": "semi-automatic", "algorithm": 3}')
    problems = scan_dataset(folder)[1]
    assert len(problems) == 1 and "algorithm must be a method's name" in problems[0]["problem"]


# --- silent bad input, now named ----------------------------------------------------------

def test_an_empty_reference_mask_is_a_problem_naming_the_case(tmp_path):
    _pair(tmp_path, "0001p1_1_1", np.zeros((8, 8), np.uint8), _blob())
    _pair(tmp_path, "0002p1_1_2", np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8))
    dataset, problems = scan_dataset(tmp_path)
    assert dataset.ids == ["0001p1_1_1"]
    assert problems == [{"file": str(tmp_path / "0002p1_1_2_mass_mask.pgm"), "problem":
                         "case 0002p1_1_2: the reference mask is empty (all zero), so every "
                         "method would score 0 on it; draw its mass or leave the case out"}]
    with pytest.raises(DatasetError, match="0002p1_1_2_mass_mask.pgm: case 0002p1_1_2: the "
                       "reference mask is empty"):
        load_dataset(tmp_path)


@pytest.mark.parametrize("suffix", [".jpg", ".JPEG"])
def test_jpeg_course_files_are_refused_saying_why(tmp_path, suffix):
    from PIL import Image

    for tag in ("_resized", "_mass_mask"):
        Image.fromarray(_blob()).save(tmp_path / f"0001p1_1_1{tag}{suffix}", format="JPEG")
    problems, message = _problem(tmp_path)
    assert "JPEG is not accepted" in message and "convert" in message
    assert "no cases found" not in message
    assert problems[0]["file"].endswith(f"0001p1_1_1_mass_mask{suffix}")
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"image,mask\n0001p1_1_1_resized{suffix},0001p1_1_1_mass_mask{suffix}\n")
    with pytest.raises(DatasetError, match="JPEG is not accepted"):
        load_dataset(manifest)


def _course_manifest(folder, phantom, separator=","):
    rows = [separator.join(("image", "mask"))] + [
        separator.join((f"{folder}/{c.id}_resized.pgm", f"{folder}/{c.id}_mass_mask.pgm"))
        for c in phantom]
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_a_manifest_of_course_named_files_reads_label_and_patient_from_the_names(
        small_phantom, phantom_folder, tmp_path, separator):
    manifest = tmp_path / "cases.csv"
    manifest.write_text(_course_manifest(phantom_folder, small_phantom, separator))
    loaded = load_dataset(manifest)
    # the same ids, patients and labels as the course folder: the same fingerprint
    assert loaded.fingerprint == small_phantom.fingerprint
    assert loaded.patients_from.startswith("first four characters of the case id")
    assert "course names of the files (no patient column)" in loaded.patients_from
    assert "course names of the files (no label column)" in loaded.labels_from


def test_a_manifest_without_course_names_says_every_case_is_its_own_patient(phantom_folder,
                                                                            tmp_path):
    first = sorted(phantom_folder.glob("*_resized.pgm"))[0]
    shutil.copy(first, tmp_path / "a.pgm")
    shutil.copy(str(first).replace("_resized", "_mass_mask"), tmp_path / "a_mask.pgm")
    (tmp_path / "m.csv").write_text("image;mask\na.pgm;a_mask.pgm\n")
    summary = summarize(*scan_dataset(tmp_path / "m.csv"))
    assert summary["n_unlabelled"] == 1 and summary["problems"] == []
    assert summary["patients_from"].startswith("every case is its own patient")
    assert summary["labels_from"].startswith("none: every case is unlabelled")
    (tmp_path / "m.csv").write_text("image;mask;label;patient\na.pgm;a_mask.pgm;1;p7\n")
    case = load_dataset(tmp_path / "m.csv")["a"]
    assert (case.label, case.patient) == (1, "p7")
    summary = summarize(*scan_dataset(tmp_path / "m.csv"))
    assert summary["patients_from"] == "the manifest's patient column"


def test_a_manifest_with_an_unknown_separator_says_what_its_header_gives(tmp_path):
    (tmp_path / "m.csv").write_text("image|mask\na.pgm|b.pgm\n")
    with pytest.raises(DatasetError, match=r"lacks column\(s\) image, mask; expected "
                       r"image,mask.* separated by commas \(or ';' or tabs\); the header "
                       r"gives 'image\|mask'"):
        load_dataset(tmp_path / "m.csv")


def test_ids_off_the_course_naming_warn_that_the_patients_may_be_wrong(tmp_path):
    for i in range(1, 13):
        _pair(tmp_path, f"lesion{i}", np.zeros((8, 8), np.uint8), _blob())
    summary = summarize(*scan_dataset(tmp_path))
    assert summary["n_patients"] == 1 and summary["problems"] == []
    assert summary["patients_from"] == "first four characters of the case id (course naming)"
    [warning] = summary["warnings"]
    assert "12 of 12 case ids do not start with four digits (e.g. 'lesion1'" in warning
    assert "patient 'lesi' holds 12 of 12 cases" in warning
    assert "give a manifest CSV with a patient column" in warning


def test_course_ids_give_no_patient_warning(phantom_folder):
    summary = summarize(*scan_dataset(phantom_folder))
    assert summary["warnings"] == [] and summary["n_patients"] > 1
    summary = summarize(*scan_dataset("phantom"))
    assert summary["warnings"] == [] and "phantom" in summary["patients_from"]


def test_the_real_course_crops_give_no_patient_warning():
    from tests.conftest import SAMPLES

    folder = SAMPLES.parent / "course_large_sample"
    if not folder.is_dir():
        pytest.skip("../shared/data/course_large_sample is not beside this checkout")
    summary = summarize(*scan_dataset(folder))
    assert summary["problems"] == [] and summary["warnings"] == []
    assert summary["n_patients"] == 38
