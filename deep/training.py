"""The deep segmenter: a Keras model behind the estimator contract of every segmenter.

``fit(images, masks, *, rois=None, val=None)`` trains with Adam on binary cross-entropy + soft
Dice, augmented batches, early stopping on the validation Dice with the best weights
restored, a ``.keras`` checkpoint and ``history.csv``; ``predict(images)`` resizes each image
to the model's grid, predicts, resizes the probabilities back to the image's own grid and
thresholds them (at 0.5, or at the threshold tuned on the validation part). The contract is
the one of :mod:`benchmark.ground.segmenter`, shared with the classical methods.

With ``use_roi=True`` the model is semi-automatic (the ROI track): it trains on, and
predicts, the ROI box plus a fixed context margin (:func:`deep.data.crop_box`), and its
prediction is pasted back onto the image, background outside the box.
"""

from __future__ import annotations

import os
import tempfile
import time
from numbers import Integral, Real
from pathlib import Path

import keras
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions

from benchmark.ground.metrics import dice_score
from benchmark.ground.segmenter import check_fit_inputs, check_part
from benchmark.ground.store import HISTORY_CSV, MODEL_KERAS, atomic_path
from deep.data import (
    AugmentedBatches,
    crop,
    crop_box,
    masks_to_model_grid,
    paste,
    to_image_grid,
    to_model_grid,
)
from deep.device import backend_name, describe_device, make_deterministic, set_mixed_precision
from deep.losses import BceDiceLoss, DiceScore
from deep.models import MODELS, build_model

THRESHOLDS = np.round(np.arange(0.2, 0.81, 0.05), 2)


class DeepSegmenter(BaseEstimator):
    """Train and apply one of the registered Keras models.

    Parameters
    ----------
    model : str, default "unet"
        A key of :data:`deep.models.MODELS`.
    input_size : int, default 128
        Side of the model's square grid (64 as in the course, 128 by default).
    epochs : int, default 100
        Upper bound; early stopping usually ends training sooner.
    batch_size : int, default 16
    learning_rate : float, default 1e-3
        Adam's step size.
    patience : int, default 12
        Epochs without a better validation Dice before stopping.
    min_epochs : int, default 20
        Early stopping starts watching only after this many epochs (the validation Dice of
        the batch-normalised U-Nets is noisy over the first epochs, and an early peak there
        would otherwise end training too soon).
    augment : bool, default True
        Flips, 90-degree rotations and small intensity changes.
    tune_threshold : bool, default False
        Choose the threshold on the validation part (else 0.5).
    mixed_precision : bool, default False
        ``mixed_float16`` when a GPU is present (ignored on CPU).
    run_eagerly : bool, default False
        Run Keras eagerly instead of tracing / compiling the training step (the quick profile
        does: on a few tiny images, tracing costs more than it saves).
    seed : int, default 0
    workdir : str or None, default None
        Folder for ``model.keras`` and ``history.csv`` (a temporary folder when None).
    model_kwargs : dict or None
        Architecture arguments for the builder (widths, dropout, ...).
    use_roi : bool, default False
        Semi-automatic: work on the ROI crop (train on the training cases' crops, predict on
        the test case's crop and paste the mask back, background outside the ROI).
    verbose : int, default 0
    """

    family = "deep"
    #: A model predicts a batch of images in one call; the runner times the call.
    batch_predict = True
    _parameter_constraints = {
        "model": [StrOptions(set(MODELS))],
        "input_size": [Interval(Integral, 8, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "min_epochs": [Interval(Integral, 0, None, closed="left")],
        "augment": ["boolean"],
        "tune_threshold": ["boolean"],
        "mixed_precision": ["boolean"],
        "run_eagerly": ["boolean"],
        "seed": [Interval(Integral, 0, None, closed="left")],
        "workdir": [str, os.PathLike, None],
        "model_kwargs": [dict, None],
        "use_roi": ["boolean"],
        "verbose": [Interval(Integral, 0, 2, closed="both")],
    }

    def __init__(self, *, model="unet", input_size=128, epochs=100, batch_size=16,
                 learning_rate=1e-3, patience=12, min_epochs=20, augment=True,
                 tune_threshold=False, mixed_precision=False, run_eagerly=False, seed=0,
                 workdir=None, model_kwargs=None, use_roi=False, verbose=0):
        self.model = model
        self.input_size = input_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.min_epochs = min_epochs
        self.augment = augment
        self.tune_threshold = tune_threshold
        self.mixed_precision = mixed_precision
        self.run_eagerly = run_eagerly
        self.seed = seed
        self.workdir = workdir
        self.model_kwargs = model_kwargs
        self.use_roi = use_roi
        self.verbose = verbose

    @property
    def needs_roi(self) -> bool:
        """Semi-automatic (the ROI track) or automatic."""
        return bool(self.use_roi)

    def fit(self, images, masks, *, rois=None, val=None, callbacks=None):
        """Train on (images, masks), stopping early on the validation Dice.

        Parameters
        ----------
        images : sequence of (M, N) ndarray of float
        masks : sequence of (M, N) ndarray of bool
        rois : sequence of tuple, optional
            ROI rectangles, required with ``use_roi`` (not used otherwise).
        val : tuple, optional
            The validation part, ``(images, masks)`` or ``(images, masks, rois)``: early
            stopping and the threshold are chosen on it. Without it, training runs all
            ``epochs`` and keeps the last weights (nothing is held out of the training part).
        callbacks : list of keras.callbacks.Callback, optional
            Extra callbacks (progress, timing), run after the wrapper's own.

        Returns
        -------
        self
            With ``model_`` (best weights), ``history_`` (dict of lists), ``threshold_``,
            ``best_epoch_``, ``fit_s_``, ``backend_``, ``device_``, ``checkpoint_``.
        """
        train, held = check_fit_inputs(images, masks, rois, val, needs_roi=self.needs_roi,
                                       owner=type(self).__name__)
        self._validate_params()
        if self.tune_threshold and held is None:
            raise ValueError("The 'tune_threshold' parameter of DeepSegmenter chooses the "
                             "threshold on the validation part: pass val=(images, masks) to "
                             "fit, or set tune_threshold=False")
        images, masks = self._inputs(train), self._inputs(train, masks=True)
        if held is not None:
            val_images, val_masks = self._inputs(held), self._inputs(held, masks=True)
        start = time.perf_counter()
        make_deterministic(self.seed)
        self.dtype_policy_ = set_mixed_precision(self.mixed_precision)
        size = self.input_size
        x, y = to_model_grid(images, size), masks_to_model_grid(masks, size)
        validation = None if held is None else (to_model_grid(val_images, size),
                                                masks_to_model_grid(val_masks, size))
        model = build_model(self.model, size, **(self.model_kwargs or {}))
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=BceDiceLoss(),
                      metrics=[DiceScore()], run_eagerly=self.run_eagerly)
        workdir = Path(self.workdir) if self.workdir else Path(tempfile.mkdtemp(
            prefix="massbench-"))
        workdir.mkdir(parents=True, exist_ok=True)
        checkpoint = workdir / MODEL_KERAS
        stopper = keras.callbacks.EarlyStopping(monitor="val_dice", mode="max",
                                                patience=self.patience,
                                                restore_best_weights=True,
                                                start_from_epoch=self.min_epochs)
        stopping = [] if held is None else [stopper]
        batches = AugmentedBatches(x, y, min(self.batch_size, len(x)), self.seed,
                                   augment=self.augment)
        # the log grows epoch by epoch under a temporary name, renamed once training ends
        with atomic_path(workdir / HISTORY_CSV) as log:
            history = model.fit(batches, validation_data=validation, epochs=self.epochs,
                                callbacks=[*stopping, keras.callbacks.CSVLogger(str(log)),
                                           *(callbacks or [])],
                                verbose=self.verbose)
        # the best weights are restored in memory; one save at the end costs less than a
        # save at every improving epoch
        with atomic_path(checkpoint) as partial:
            model.save(partial)
        self.n_fit_ = len(images)
        self.model_ = model
        self.history_ = {k: [float(v) for v in vals] for k, vals in history.history.items()}
        self.epochs_run_ = len(self.history_["loss"])
        # the weights kept: the best epoch from ``min_epochs`` on, or the last epoch when
        # training ended before early stopping started watching
        self.best_epoch_ = (stopper.best_epoch + 1 if stopping and stopper.best_weights
                            is not None else self.epochs_run_)
        self.checkpoint_ = str(checkpoint)
        self.workdir_ = str(workdir)
        self.threshold_ = 0.5
        if self.tune_threshold:  # on the validation images as predict answers them
            probabilities = self.predict_proba(held.images, rois=held.rois if self.use_roi
                                               else None)
            scores = [np.nanmean([dice_score(m, p >= t) for m, p in
                                  zip(held.masks, probabilities, strict=True)])
                      for t in THRESHOLDS]
            self.threshold_ = float(THRESHOLDS[int(np.argmax(scores))])
        self.fit_s_ = time.perf_counter() - start
        self.backend_ = backend_name()
        self.device_ = describe_device()
        return self

    def _inputs(self, part, *, masks: bool = False) -> list:
        """A part's images (or masks) as the model sees them: whole, or the ROI crops."""
        arrays = part.masks if masks else part.images
        if not self.use_roi:
            return list(arrays)
        return [crop(a, crop_box(roi, np.shape(a))) for a, roi in
                zip(arrays, part.rois, strict=True)]

    def _probabilities(self, images):
        x = to_model_grid(images, self.input_size)
        out = self.model_.predict(x, batch_size=max(1, self.batch_size), verbose=0)
        probs = np.asarray(out, dtype=np.float32)[..., 0]
        return [to_image_grid(p, np.shape(im)) for p, im in zip(probs, images, strict=True)]

    def predict_proba(self, images, *, rois=None):
        """Foreground probability of every pixel, on each image's own grid.

        With ``use_roi``, the probability outside each image's ROI is 0.
        """
        if not hasattr(self, "model_"):
            raise ValueError("this DeepSegmenter is not fitted yet; call fit first")
        part = check_part(images, rois=rois, needs_roi=self.needs_roi,
                          owner=type(self).__name__)
        probabilities = self._probabilities(self._inputs(part))
        if not self.use_roi:
            return probabilities
        return [paste(p, crop_box(roi, np.shape(im)), roi, np.shape(im)) for p, im, roi in
                zip(probabilities, part.images, part.rois, strict=True)]

    def predict(self, images, *, rois=None):
        """Bool masks on each image's own grid (``rois`` is required with ``use_roi``)."""
        return [p >= self.threshold_ for p in self.predict_proba(images, rois=rois)]

    def save(self, folder) -> str:
        """Write the trained model to ``folder/model.keras``; return the file name.

        Training already wrote it to ``workdir``; when that is ``folder``, nothing is
        written again.
        """
        target = Path(folder) / MODEL_KERAS
        if Path(self.checkpoint_).resolve() != target.resolve():
            with atomic_path(target) as partial:
                self.model_.save(partial)
        return MODEL_KERAS

    def fit_record(self) -> dict:
        """What a run records of a fit: backend, device, epochs, timing, threshold."""
        return {"backend": self.backend_, "device": self.device_, "epochs_run": self.epochs_run_,
                "best_epoch": self.best_epoch_, "fit_s": self.fit_s_,
                "threshold": self.threshold_, "dtype_policy": self.dtype_policy_}
