"""The results store: atomic writes, JSON values, the cases and masks it keeps."""

import json

import numpy as np
import pandas as pd
import pytest

from benchmark.ground import store
from benchmark.ground.data import make_phantom


def test_atomic_path_replaces_the_file_only_when_the_block_ends(tmp_path):
    target = tmp_path / "model.keras"
    target.write_text("old")
    with store.atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".keras" and tmp != target
        tmp.write_text("new")
        assert target.read_text() == "old"  # a reader still sees the old file
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "metrics.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), store.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert not list(tmp_path.glob(store.TEMPORARY_GLOB))


def test_remove_temporary_clears_what_a_killed_writer_left(tmp_path):
    (tmp_path / ".run.tmp123.json").write_text("{")
    (tmp_path / "run.json").write_text("{}")
    store.remove_temporary(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_json_takes_numpy_values_paths_and_tuples(tmp_path):
    data = {"n": np.int64(3), "x": np.float32(0.5), "a": np.arange(3), "p": tmp_path,
            "t": (1, 2), 4: None, "obj": object}
    store.write_json(tmp_path / "r.json", data)
    back = json.loads((tmp_path / "r.json").read_text())
    assert back == {"n": 3, "x": 0.5, "a": [0, 1, 2], "p": str(tmp_path), "t": [1, 2],
                    "4": None, "obj": repr(object)}


def test_csv_reads_back_exactly(tmp_path):
    table = pd.DataFrame({"case": ["a", "b"], "dice": [1 / 3, np.nan]})
    store.write_csv(tmp_path / "m.csv", table)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "m.csv"), table)


def test_cases_and_masks_round_trip(tmp_path):
    dataset = make_phantom(4, size=48)
    store.write_cases(tmp_path / store.CASES_NPZ, dataset)
    cases = store.read_cases(tmp_path / store.CASES_NPZ)
    assert list(cases) == dataset.ids
    for case in dataset:
        thumb, mask = cases[case.id]
        assert thumb.dtype == np.uint8 and thumb.shape == case.image.shape
        np.testing.assert_array_equal(mask, case.mask)
    masks = [c.mask[3:, :-2] for c in dataset]  # shapes may differ from the images'
    store.write_masks(tmp_path / store.PREDICTIONS_NPZ, dataset.ids, masks)
    back = store.read_masks(tmp_path / store.PREDICTIONS_NPZ)
    for case_id, mask in zip(dataset.ids, masks, strict=True):
        np.testing.assert_array_equal(back[case_id], mask)


def test_thumbnails_are_at_most_the_stated_side():
    image = np.linspace(0, 1, 600 * 400).reshape(600, 400)
    thumb = store.thumbnail(image)
    assert max(thumb.shape) == store.THUMBNAIL_SIDE and thumb.dtype == np.uint8


def test_cell_folders_follow_the_layout(tmp_path):
    cell = store.cell_dir(tmp_path, "unet", 3)
    assert cell == tmp_path / store.CELLS_DIR / "unet" / "fold_3"
    assert not store.is_done(tmp_path, "unet", 3)
    cell.mkdir(parents=True)
    (cell / store.DONE_JSON).write_text("{}")
    assert store.is_done(tmp_path, "unet", 3)
