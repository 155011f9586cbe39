"""The deep segmenter: a short fit on tiny data, reproducibility, checkpoints, checks."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deep.data import masks_to_model_grid, to_model_grid
from deep.models import MODELS
from deep.training import DeepSegmenter, attempt_seed

# eager: on these few tiny images tracing the training step costs more than it saves (a
# compiled fit here takes 10-40 s, an eager one 1-7 s); the compiled path, the one runs take,
# is tested for reproducibility below
FAST = {"input_size": 32, "epochs": 1, "batch_size": 4, "run_eagerly": True}


@pytest.mark.parametrize("name", list(MODELS))
def test_fit_gives_finite_loss_and_masks_on_each_grid(name, tiny, tmp_path):
    x, y, xv, yv, xt, _ = tiny
    model = DeepSegmenter(model=name, workdir=tmp_path, **FAST).fit(x, y, val=(xv, yv))
    assert np.isfinite(model.history_["loss"]).all()
    images = xt + [xt[0][:33, 2:39]]  # an odd-sized crop comes back on its own grid
    masks = model.predict(images)
    for image, mask in zip(images, masks, strict=True):
        assert mask.dtype == bool and mask.shape == image.shape
    info = model.fit_record()
    assert info["backend"] == os.environ.get("KERAS_BACKEND", info["backend"])
    assert info["device"] and info["epochs_run"] == 1
    assert (tmp_path / "model.keras").exists()
    history = pd.read_csv(tmp_path / "history.csv")
    assert {"loss", "val_loss", "dice", "val_dice"} <= set(history.columns)


def test_two_fits_with_the_same_seed_predict_identically(tiny, tmp_path):
    x, y, xv, yv, xt, _ = tiny
    runs = [DeepSegmenter(model="unet_course", seed=7, workdir=tmp_path / str(i),
                          **(FAST | {"epochs": 2, "run_eagerly": False})).fit(
        x, y, val=(xv, yv)) for i in range(2)]
    a, b = (np.stack(r.predict_proba(xt)) for r in runs)
    np.testing.assert_array_equal(a, b)
    assert runs[0].history_ == runs[1].history_


# collapse handling off, every drop of the loss an improvement: these tests look at the
# stopping rule alone
NO_RESTART = {"collapse_dice": 0.0, "max_restarts": 0, "min_delta": 0.0}


def test_early_stopping_restores_the_weights_of_the_lowest_validation_loss(tiny, tmp_path):
    x, y, xv, yv, xt, _ = tiny
    model = DeepSegmenter(model="cae", workdir=tmp_path, patience=1, learning_rate=0.05,
                          min_epochs=0, **NO_RESTART, **(FAST | {"epochs": 6})).fit(
        x, y, val=(xv, yv))
    losses = model.history_["val_loss"]
    assert losses[model.best_epoch_ - 1] == min(losses)
    assert model.epochs_run_ <= 6
    # the model kept is the best epoch's: its validation loss is the one recorded there
    kept = model.model_.evaluate(to_model_grid(xv, 32), masks_to_model_grid(yv, 32),
                                 verbose=0, return_dict=True)["loss"]
    assert kept == pytest.approx(min(losses), rel=1e-4)
    if model.epochs_run_ < 6:
        assert model.stopped_ == "plateau"


def test_early_stopping_waits_for_min_epochs(tiny, tmp_path):
    x, y, xv, yv, _, _ = tiny
    model = DeepSegmenter(model="cae", workdir=tmp_path, patience=1, learning_rate=0.05,
                          min_epochs=4, **NO_RESTART, **(FAST | {"epochs": 6})).fit(
        x, y, val=(xv, yv))
    losses = model.history_["val_loss"]
    assert model.epochs_run_ >= 5  # nothing can stop it before the fifth epoch
    assert model.best_epoch_ >= 5  # epochs before min_epochs are never kept
    assert losses[model.best_epoch_ - 1] == min(losses[4:])
    assert not list(tmp_path.glob(".*.tmp*"))  # the log was renamed into place
    history = pd.read_csv(tmp_path / "history.csv")
    assert len(history) == model.epochs_run_ and set(history["attempt"]) == {0}
    assert list(history["epoch"]) == list(range(1, model.epochs_run_ + 1))


def test_a_run_that_reaches_the_epoch_cap_says_so(tiny, tmp_path):
    x, y, xv, yv, _, _ = tiny
    model = DeepSegmenter(model="unet_course", workdir=tmp_path, patience=50, **NO_RESTART,
                          **(FAST | {"epochs": 3})).fit(x, y, val=(xv, yv))
    assert (model.stopped_, model.epochs_run_, model.restarts_) == ("cap", 3, 0)
    assert model.fit_record()["stopped"] == "cap"


def test_the_learning_rate_is_halved_on_a_plateau(tiny, tmp_path):
    x, y, xv, yv, _, _ = tiny
    model = DeepSegmenter(model="cae", workdir=tmp_path, patience=50, lr_patience=1,
                          learning_rate=0.05, min_epochs=0, **NO_RESTART,
                          **(FAST | {"epochs": 6})).fit(x, y, val=(xv, yv))
    rates, losses = model.history_["learning_rate"], model.history_["val_loss"]
    assert rates[0] == pytest.approx(0.05)
    for epoch in range(1, 6):  # halved after an epoch that did not lower the best loss
        worse = losses[epoch - 1] >= min(losses[:epoch - 1], default=np.inf)
        expected = max(rates[epoch - 1] / 2, 0.05 / 32) if worse else rates[epoch - 1]
        assert rates[epoch] == pytest.approx(expected), (epoch, losses, rates)


def test_a_collapsed_training_restarts_from_the_next_seed_and_is_counted(tiny, tmp_path):
    x, y, xv, yv, _, _ = tiny
    # every validation soft Dice is under 1: each attempt counts as collapsed
    model = DeepSegmenter(model="cae", workdir=tmp_path, min_epochs=2, collapse_dice=1.0,
                          max_restarts=2, seed=3, **(FAST | {"epochs": 5})).fit(
        x, y, val=(xv, yv))
    assert model.restarts_ == 2 and model.stopped_ == "collapsed"
    seeds = [a["seed"] for a in model.attempts_]
    assert seeds[0] == 3 and seeds == [attempt_seed(3, k) for k in range(3)]
    assert len(set(seeds)) == 3
    assert [a["epochs_run"] for a in model.attempts_] == [2, 2, 2]  # stopped at min_epochs
    history = pd.read_csv(tmp_path / "history.csv")
    assert list(history["attempt"]) == [0, 0, 1, 1, 2, 2]
    assert list(history["seed"]) == [s for s in seeds for _ in range(2)]
    # every attempt collapsed: the one with the lowest validation loss is kept
    losses = [a["monitored"] for a in model.attempts_]
    kept = int(np.argmin(losses))
    assert list(history.loc[history["kept"], "attempt"]) == [kept, kept]
    assert model.history_["val_loss"] == list(history.loc[history["kept"], "val_loss"])
    record = model.fit_record()
    assert record["restarts"] == 2 and len(record["attempts"]) == 3


def test_small_gains_do_not_count_as_improvements(tiny, tmp_path):
    x, y, xv, yv, _, _ = tiny
    model = DeepSegmenter(model="cae", workdir=tmp_path, patience=50, lr_patience=1,
                          min_delta=10.0, min_epochs=0, collapse_dice=0.0, max_restarts=0,
                          **(FAST | {"epochs": 3})).fit(x, y, val=(xv, yv))
    # no drop of the loss after the first epoch is as large as 10: the rate halves after
    # every later epoch (the history logs the rate each epoch ran with)
    assert model.history_["learning_rate"] == pytest.approx([1e-3, 1e-3, 5e-4])


def test_a_healthy_training_is_not_restarted(tiny, tmp_path):
    x, y, xv, yv, _, _ = tiny
    # a collapse level below what this model reaches on the tiny phantom's small lesions
    model = DeepSegmenter(model="unet_course", workdir=tmp_path, min_epochs=1,
                          collapse_dice=0.01, **(FAST | {"epochs": 2})).fit(x, y, val=(xv, yv))
    assert max(model.history_["val_soft_dice"]) > 0.01
    assert model.restarts_ == 0 and model.stopped_ != "collapsed" and len(model.attempts_) == 1
    assert pd.read_csv(tmp_path / "history.csv")["kept"].all()


def _guard_epoch(logs, *, floor, min_epochs=3):
    """The epoch a CollapseGuard stops at over these epoch logs (None: it let them run)."""
    from deep.callbacks import CollapseGuard

    class Model:
        stop_training = False

    guard = CollapseGuard(floor=floor, min_epochs=min_epochs)
    guard.set_model(Model())
    guard.on_train_begin()
    for epoch, entry in enumerate(logs):
        guard.on_epoch_end(epoch, entry)
        if guard.model.stop_training:
            break
    return guard.collapsed_epoch


def test_the_collapse_guard_waits_and_forgives_a_single_dip():
    def run(values, min_epochs=3):
        return _guard_epoch([{"val_soft_dice": v} for v in values], floor=0.1,
                            min_epochs=min_epochs)

    assert run([0.01, 0.02, 0.03, 0.5]) == 3  # never above the floor by epoch 3
    assert run([0.01, 0.5, 0.02, 0.01]) is None  # rose once: a later dip is not a collapse
    assert run([0.0, 0.0]) is None  # not yet at min_epochs
    assert run([float("nan")] * 4) is None  # no foreground reference: nothing to judge


def test_the_collapse_guard_keeps_a_model_that_finds_small_lesions_at_low_soft_dice():
    """Fold 1 of the course's development half: soft Dice 0.04, thresholded Dice 0.1-0.3."""
    finding = [{"val_soft_dice": 0.03, "val_dice": 0.03}, {"val_soft_dice": 0.04,
               "val_dice": 0.12}, {"val_soft_dice": 0.04, "val_dice": 0.17}]
    assert _guard_epoch(finding, floor=0.05) is None
    slow = [{"val_soft_dice": s, "val_dice": 0.0} for s in (0.02, 0.04, 0.08)]
    assert _guard_epoch(slow, floor=0.05) is None  # the soft Dice rises first
    background = [{"val_soft_dice": 0.01, "val_dice": 0.0}] * 4
    assert _guard_epoch(background, floor=0.05) == 3


def test_threshold_tuned_on_validation_is_from_the_grid(tiny, tmp_path):
    x, y, xv, yv, _, _ = tiny
    model = DeepSegmenter(model="cae", workdir=tmp_path, tune_threshold=True, **FAST).fit(
        x, y, val=(xv, yv))
    assert 0.2 <= model.threshold_ <= 0.8


@pytest.mark.parametrize("kwargs, name", [({"model": "vit"}, "model"), ({"epochs": 0}, "epochs"),
                                          ({"learning_rate": -1.0}, "learning_rate"),
                                          ({"min_epochs": -1}, "min_epochs"),
                                          ({"collapse_dice": 2.0}, "collapse_dice"),
                                          ({"max_restarts": -1}, "max_restarts"),
                                          ({"lr_patience": 0}, "lr_patience"),
                                          ({"min_delta": -1.0}, "min_delta")])
def test_invalid_parameters_are_named(kwargs, name, tiny):
    x, y, *_ = tiny
    with pytest.raises(ValueError, match=f"'{name}'"):
        DeepSegmenter(**kwargs).fit(x, y)


WINDOWED = FAST | {"patch_size": 16}


@pytest.mark.parametrize("name", ["cae", "unet"])
def test_a_model_trained_on_windows_predicts_and_validates_on_the_whole_grid(name, tiny,
                                                                             tmp_path):
    x, y, xv, yv, xt, _ = tiny
    model = DeepSegmenter(model=name, workdir=tmp_path, **WINDOWED).fit(
        x, y, val=(xv, yv))
    assert model.model_.input_shape == (None, None, None, 1)
    assert np.isfinite(model.history_["val_loss"]).all()
    grid = model._predict_grid(to_model_grid(xt, 32))
    assert grid.shape == (len(xt), 32, 32, 1)
    assert [m.shape for m in model.predict(xt)] == [np.shape(i) for i in xt]
    # the ceiling is the grid's, not the window's
    ceiling = model.resolution_ceiling(yv)
    reference = DeepSegmenter(input_size=32).resolution_ceiling(yv)
    for a, b in zip(ceiling, reference, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_window_the_size_of_the_grid_trains_the_fixed_size_model(tiny, tmp_path):
    x, y, xv, yv, *_ = tiny
    model = DeepSegmenter(model="cae", workdir=tmp_path, **(WINDOWED | {"patch_size": 32})).fit(
        x, y, val=(xv, yv))
    assert model.model_.input_shape == (None, 32, 32, 1)


def test_training_on_windows_is_reproducible(tiny, tmp_path):
    x, y, xv, yv, xt, _ = tiny
    runs = [DeepSegmenter(model="cae", seed=3, workdir=tmp_path / str(i), **WINDOWED).fit(
        x, y, val=(xv, yv)) for i in range(2)]
    np.testing.assert_array_equal(*(np.stack(r.predict_proba(xt)) for r in runs))


@pytest.mark.parametrize(("patch_size", "message"), [(48, "at most its 'input_size'"),
                                                     (24, "'patch_size' parameter of unet "
                                                          "must be a positive multiple of 16")])
def test_a_window_the_model_cannot_take_is_refused(patch_size, message, tiny):
    x, y, *_ = tiny
    with pytest.raises(ValueError, match=message):
        DeepSegmenter(model="unet", patch_size=patch_size, **FAST).fit(x, y)


def test_predict_before_fit_is_an_error(tiny):
    with pytest.raises(ValueError, match="not fitted"):
        DeepSegmenter().predict(tiny[0])


OTHER_BACKENDS = [b for b in ("tensorflow", "jax", "torch")
                  if b != os.environ.get("KERAS_BACKEND", "tensorflow")]


@pytest.mark.parametrize("backend", OTHER_BACKENDS)
def test_saved_model_loads_under_another_backend(backend, tiny, tmp_path):
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]
    pytest.importorskip(module, reason=f"{backend} is not installed in this environment")
    x, y, xv, yv, xt, _ = tiny
    model = DeepSegmenter(model="unet_course", workdir=tmp_path, **FAST).fit(x, y, val=(xv, yv))
    probe = np.stack([np.resize(xt[0], (32, 32))])[..., None].astype("float32")
    np.save(tmp_path / "probe.npy", probe)
    np.save(tmp_path / "expected.npy", np.asarray(model.model_.predict(probe, verbose=0)))
    script = (
        "import numpy as np, keras, sys; import deep.losses; "
        f"m = keras.models.load_model(r'{tmp_path / 'model.keras'}', compile=False); "
        f"p = np.asarray(m.predict(np.load(r'{tmp_path / 'probe.npy'}'), verbose=0)); "
        f"e = np.load(r'{tmp_path / 'expected.npy'}'); "
        "sys.exit(0 if np.allclose(p, e, atol=1e-4) else 1)"
    )
    env = dict(os.environ, KERAS_BACKEND=backend,
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]


def test_save_writes_the_trained_model_where_asked(tiny, tmp_path):
    import keras

    x, y, xv, yv, xt, _ = tiny
    model = DeepSegmenter(model="cae", workdir=tmp_path / "train", **FAST).fit(
        x, y, val=(xv, yv))
    assert model.save(tmp_path / "train") == "model.keras"  # already there: not rewritten
    (tmp_path / "kept").mkdir()
    assert model.save(tmp_path / "kept") == "model.keras"
    loaded = keras.models.load_model(tmp_path / "kept" / "model.keras", compile=False)
    probe = np.stack([np.resize(xt[0], (32, 32))])[..., None].astype("float32")
    np.testing.assert_allclose(loaded.predict(probe, verbose=0),
                               model.model_.predict(probe, verbose=0), atol=1e-6)
    assert not list((tmp_path / "kept").glob(".*.tmp*"))
    record = model.fit_record()
    assert record["epochs_run"] == 1 and record["best_epoch"] == 1


def _weight_groups(path) -> set:
    """The non-empty top-level groups of a ``.keras`` file's weights (``layers``, ...)."""
    import io
    import zipfile

    import h5py

    with zipfile.ZipFile(path) as archive, h5py.File(
            io.BytesIO(archive.read("model.weights.h5"))) as weights:
        return {name for name in weights if len(weights[name])}


def test_saved_model_has_no_optimizer_state_and_predicts_as_in_memory(tiny, tmp_path):
    import keras

    x, y, xv, yv, xt, _ = tiny
    model = DeepSegmenter(model="unet_course", workdir=tmp_path / "train", **FAST).fit(
        x, y, val=(xv, yv))
    (tmp_path / "kept").mkdir()
    model.save(tmp_path / "kept")
    model.model_.save(tmp_path / "with_optimizer.keras")  # Keras' own save keeps Adam's state
    assert "optimizer" in _weight_groups(tmp_path / "with_optimizer.keras")
    probe = to_model_grid(xt, 32)
    for path in (tmp_path / "train" / "model.keras", tmp_path / "kept" / "model.keras"):
        assert "optimizer" not in _weight_groups(path)
        assert "layers" in _weight_groups(path)
        # Adam's two moments per weight are gone: well under the size with them
        assert path.stat().st_size < 0.6 * (tmp_path / "with_optimizer.keras").stat().st_size
        loaded = keras.models.load_model(path, compile=False)
        np.testing.assert_allclose(loaded.predict(probe, verbose=0),
                                   model.model_.predict(probe, verbose=0), atol=1e-6)


def test_the_roi_track_trains_on_crops_and_pastes_back_inside_the_roi(tiny, tmp_path):
    from benchmark.ground.roi import draw_roi

    x, y, xv, yv, xt, yt = tiny
    rois = [draw_roi(m, seed=0, case_id=str(i)) for i, m in enumerate(y)]
    val_rois = [draw_roi(m, seed=0, case_id=f"v{i}") for i, m in enumerate(yv)]
    model = DeepSegmenter(model="unet_course", workdir=tmp_path, use_roi=True,
                          tune_threshold=True, **FAST)
    assert model.needs_roi and not DeepSegmenter().needs_roi
    with pytest.raises(ValueError, match="semi-automatic"):
        model.fit(x, y)
    model.fit(x, y, rois=rois, val=(xv, yv, val_rois))
    test_rois = [draw_roi(m, seed=0, case_id=f"t{i}") for i, m in enumerate(yt)]
    images = xt + [np.pad(xt[0], ((5, 20), (0, 9)))]  # another size, the ROI moved with it
    r0, r1, c0, c1 = test_rois[0]
    test_rois = test_rois + [(r0 + 5, r1 + 5, c0, c1)]
    probabilities = model.predict_proba(images, rois=test_rois)
    for image, p, (r0, r1, c0, c1) in zip(images, probabilities, test_rois, strict=True):
        assert p.shape == image.shape
        outside = np.ones(image.shape, bool)
        outside[r0:r1 + 1, c0:c1 + 1] = False
        assert not p[outside].any() and p[~outside].any()
    # the padded image gives the same answer, moved by the padding
    np.testing.assert_allclose(probabilities[-1][5:5 + xt[0].shape[0], :xt[0].shape[1]],
                               probabilities[0], atol=1e-5)
    masks = model.predict(images, rois=test_rois)
    assert [m.dtype for m in masks] == [bool] * len(images)
    # the threshold was tuned on the validation images as predict answers them
    assert 0.2 <= model.threshold_ <= 0.8
    np.testing.assert_array_equal(masks[0], probabilities[0] >= model.threshold_)


def test_without_val_training_runs_every_epoch_and_holds_nothing_out(tiny, tmp_path):
    x, y, *_ = tiny
    model = DeepSegmenter(model="cae", workdir=tmp_path, **(FAST | {"epochs": 2})).fit(x, y)
    assert model.n_fit_ == len(x) and model.epochs_run_ == model.best_epoch_ == 2
    assert "val_dice" not in model.history_
    assert model.stopped_ == "cap" and model.n_val_ == 0
    assert "no validation cases" in model.fit_record()["validation"]


@pytest.mark.parametrize("use_roi", [False, True])
def test_an_empty_validation_part_counts_as_none(use_roi, tiny, tmp_path):
    """A tiny dataset's fold can have no validation case (``"val": []``): train, keep 0.5."""
    from benchmark.ground.roi import draw_roi

    x, y, *_ = tiny
    rois = [draw_roi(m, seed=0, case_id=str(i)) for i, m in enumerate(y)] if use_roi else None
    empty = ([], [], []) if use_roi else ([], [])
    # no collapse guard: the quick CAE may collapse after its first epoch on phantom 3.0's
    # small lesions, and this test is about the empty validation part, not the guard
    model = DeepSegmenter(model="cae", workdir=tmp_path, tune_threshold=True, use_roi=use_roi,
                          **(FAST | {"epochs": 2, "min_epochs": 1, "collapse_dice": 0.0}))
    model.fit(x, y, rois=rois, val=empty)
    assert model.epochs_run_ == model.best_epoch_ == 2 and model.stopped_ == "cap"
    assert "val_dice" not in model.history_ and model.n_val_ == 0
    assert model.threshold_ == 0.5
    record = model.fit_record()
    assert record["threshold_source"] == "fixed: no validation cases"
    assert record["validation"].startswith("no validation cases")
    assert [m.shape for m in model.predict(x[:2], rois=rois[:2] if use_roi else None)] == \
        [im.shape for im in x[:2]]


def test_a_threshold_without_validation_cases_stays_at_one_half(tiny, tmp_path):
    x, y, *_ = tiny
    model = DeepSegmenter(model="cae", workdir=tmp_path, tune_threshold=True, **FAST).fit(x, y)
    assert model.threshold_ == 0.5
    assert model.fit_record()["threshold_source"] == "fixed: no validation cases"
    tuned = DeepSegmenter(model="cae", workdir=tmp_path, tune_threshold=True, **FAST).fit(
        x, y, val=(x[:2], y[:2]))
    assert tuned.fit_record()["threshold_source"] == "validation" and tuned.n_val_ == 2
    assert "validation" not in tuned.fit_record()


def _disk(shape, centre, radius):
    rows, cols = np.ogrid[:shape[0], :shape[1]]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius ** 2


def test_the_ceiling_of_a_mask_on_the_model_grid_is_the_mask():
    from benchmark.ground.metrics import dice_score

    mask = _disk((32, 32), (14, 17), 7)
    ceiling = DeepSegmenter(input_size=32).resolution_ceiling([mask])[0]
    assert ceiling.dtype == bool
    np.testing.assert_array_equal(ceiling, mask)
    assert dice_score(mask, ceiling) == 1.0


def test_the_automatic_ceiling_is_the_mask_through_to_model_grid_and_back():
    from deep.data import to_image_grid

    masks = [_disk((50, 70), (20, 30), 12), _disk((90, 41), (50, 20), 15)]
    ceilings = DeepSegmenter(input_size=24).resolution_ceiling(masks)  # before fit
    for mask, ceiling in zip(masks, ceilings, strict=True):
        grid = to_model_grid([mask.astype(np.float32)], 24)[0, ..., 0]
        np.testing.assert_array_equal(ceiling, to_image_grid(grid, mask.shape) >= 0.5)


def test_the_roi_ceiling_crops_and_pastes_and_stays_in_the_box():
    from deep.data import crop, crop_box, paste, to_image_grid

    shape = (90, 150)
    mask = _disk(shape, (40, 100), 18)
    roi = (18, 62, 78, 124)
    model = DeepSegmenter(input_size=16, use_roi=True)
    with pytest.raises(ValueError, match="semi-automatic"):
        model.resolution_ceiling([mask])
    ceiling = model.resolution_ceiling([mask], rois=[roi])[0]
    box = crop_box(roi, shape)
    part = crop(mask.astype(np.float32), box)
    direct = paste(to_image_grid(to_model_grid([part], 16)[0, ..., 0], part.shape), box, roi,
                   shape) >= 0.5
    np.testing.assert_array_equal(ceiling, direct)
    outside = np.ones(shape, bool)
    outside[roi[0]:roi[1] + 1, roi[2]:roi[3] + 1] = False
    assert not ceiling[outside].any()
    # the crop is about 54 px on a 16 px grid: most of the disk survives
    assert (ceiling & mask).sum() / mask.sum() > 0.9


def test_a_lesion_smaller_than_a_grid_cell_has_a_ceiling_below_one():
    from benchmark.ground.metrics import dice_score

    # 128 px crops on a 16 px grid: a cell is 8 x 8 px; a 3 x 3 lesion covers 9/64 of a cell
    # at most, so no cell of a perfect output reaches 0.5 and the ceiling is empty (Dice 0);
    # a lesion of 4 x 4 cells keeps most of its area
    small = np.zeros((128, 128), bool)
    small[61:64, 70:73] = True
    big = np.zeros((128, 128), bool)
    big[40:72, 48:80] = True
    model = DeepSegmenter(input_size=16)
    ceilings = model.resolution_ceiling([small, big])
    assert not ceilings[0].any() and dice_score(small, ceilings[0]) == 0.0
    assert 0.9 < dice_score(big, ceilings[1]) < 1.0


def test_the_ceiling_shares_the_path_of_predict_proba(monkeypatch):
    from deep.data import mask_round_trip

    # a "model" that answers its input: predict_proba of a mask is the mask's round trip
    masks = [_disk((60, 45), (30, 20), 10), _disk((33, 80), (15, 40), 9)]
    rois = [(15, 45, 5, 35), (3, 28, 25, 58)]
    for use_roi in (False, True):
        model = DeepSegmenter(input_size=20, use_roi=use_roi)
        model.model_ = object()  # fitted, for predict_proba's check
        monkeypatch.setattr(model, "_predict_grid", lambda x: x)
        boxes = rois if use_roi else None
        through = model.predict_proba([m.astype(float) for m in masks], rois=boxes)
        for p, q in zip(through, mask_round_trip(masks, 20, rois=boxes), strict=True):
            np.testing.assert_allclose(p, q, atol=1e-7)
        # a fitted threshold is the ceiling's threshold too
        model.threshold_ = 0.8
        for c, q in zip(model.resolution_ceiling(masks, rois=boxes), through, strict=True):
            np.testing.assert_array_equal(c, q >= 0.8)
