"""The deep segmenter: a Keras model behind the estimator contract of every segmenter.

``fit(images, masks, *, rois=None, val=None)`` trains with Adam on binary cross-entropy + soft
Dice, from initial weights drawn with NumPy (:mod:`deep.init`, the same on every backend for
a seed) and batches shuffled and augmented by the project's own generator; it stops on a
plateau of the validation loss with the best weights restored, halves the learning rate on
shorter plateaus, restarts a training that collapsed to background from the next seed, and
writes a ``.keras`` checkpoint (architecture and weights, no optimizer state) and
``history.csv``; ``predict(images)`` resizes each image to the model's grid, predicts,
resizes the probabilities back to the image's own grid and thresholds them (at 0.5, or at
the threshold tuned on the validation part). The contract is the one of
:mod:`benchmark.ground.segmenter`, shared with the classical methods. The targets are soft
(the masks resized to the grid as area fractions, :func:`deep.data.masks_to_model_grid`);
``resolution_ceiling(masks)`` sends reference masks down the prediction's own path and back
(:func:`deep.data.through_model_grid`): what a perfect model of that input size scores.

With ``patch_size`` set, training cuts windows of that side from the grid (a third of them
placed on the lesion) and the model, built fully convolutional, is validated and predicts on
the whole ``input_size`` grid: a grid fine enough for small lesions (the resolution ceiling is
the grid's) at the training cost of the window.

A validation part with no cases counts as none: training runs its epochs and keeps the last
weights (stopped ``"cap"``), and a tuned threshold stays 0.5; the fit record says so.

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
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions

from benchmark.ground.metrics import dice_score
from benchmark.ground.segmenter import check_fit_inputs, check_part
from benchmark.ground.store import HISTORY_CSV, MODEL_KERAS, atomic_path
from deep.callbacks import CollapseGuard
from deep.data import (
    AugmentedBatches,
    crop,
    crop_box,
    mask_round_trip,
    masks_to_model_grid,
    through_model_grid,
    to_model_grid,
)
from deep.device import backend_name, describe_device, make_deterministic, set_mixed_precision
from deep.init import init_weights
from deep.losses import BceDiceLoss, DiceScore, SoftDice
from deep.models import MODELS, build_model

THRESHOLDS = np.round(np.arange(0.2, 0.81, 0.05), 2)

#: With ``patch_size``, the share of the training windows placed on a lesion cell (nnU-Net's
#: foreground oversampling, a third; the others anywhere on the grid).
FOREGROUND_SHARE = 1 / 3


def attempt_seed(seed: int, attempt: int) -> int:
    """The seed of a training attempt: ``seed`` itself, then seeds derived from it.

    A collapsed training restarts from the next seed of ``seed``'s own NumPy
    ``SeedSequence``, so a restart never reuses the seed of another fold or run.

    Examples
    --------
    >>> attempt_seed(7, 0)
    7
    >>> attempt_seed(7, 1) == attempt_seed(7, 1) != attempt_seed(7, 2)
    True
    """
    if attempt == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), int(attempt)]).generate_state(1)[0] >> 1)


def save_model(model: keras.Model, path: str | os.PathLike) -> None:
    """Write ``model``'s architecture and weights to the ``.keras`` file ``path``, atomically.

    The optimizer's state and the compile settings are left out: Adam keeps two moments per
    weight, so a compiled model's file is about three times the size of its weights, and
    nothing resumes a finished training. The file loads with
    ``keras.models.load_model(path, compile=False)`` and predicts as ``model`` does.

    Examples
    --------
    >>> import tempfile
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> path = Path(tempfile.mkdtemp()) / "model.keras"
    >>> save_model(model, path)
    >>> x = np.ones((1, 2), "float32")
    >>> loaded = keras.models.load_model(path, compile=False)
    >>> np.allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    True
    """
    # the same layers and names, never compiled (``clone_model`` would compile the copy)
    bare = type(model).from_config(model.get_config())
    bare.set_weights(model.get_weights())
    with atomic_path(path) as partial:
        bare.save(partial)


class DeepSegmenter(BaseEstimator):
    """Train and apply one of the registered Keras models.

    Parameters
    ----------
    model : str, default "unet"
        A key of :data:`deep.models.MODELS`.
    input_size : int, default 128
        Side of the model's square grid (64 as in the course, 128 by default): the grid it
        predicts on, and so its resolution ceiling.
    patch_size : int or None, default None
        Train on ``patch_size`` x ``patch_size`` windows of the grid (a share
        :data:`FOREGROUND_SHARE` of them placed on the lesion,
        :class:`deep.data.AugmentedBatches`) and predict on the whole grid, the model being
        fully convolutional; None trains on the whole grid. A training step then costs what
        it costs at ``patch_size``, while the model predicts (and is validated) at
        ``input_size``. A multiple of the model's downsampling factor, at most ``input_size``.
    epochs : int, default 100
        Upper bound; early stopping usually ends training sooner.
    batch_size : int, default 16
    learning_rate : float, default 1e-3
        Adam's step size.
    patience : int, default 12
        Epochs without a lower validation loss before stopping (the plateau).
    min_epochs : int, default 20
        Early stopping and the choice of the weights kept consider epoch ``min_epochs + 1``
        and later (Keras' ``start_from_epoch``); the collapse check first looks at the end of
        epoch ``min_epochs`` (the batch-normalised U-Nets are noisy over the first epochs, and
        an early optimum there would otherwise end training too soon). The learning-rate
        schedule watches from the first epoch.
    min_delta : float, default 1e-3
        The smallest drop of the validation loss that counts as an improvement, for early
        stopping and for the learning-rate schedule (without it, ever smaller gains keep a
        training from ever reaching its plateau).
    lr_patience : int or None, default None
        Epochs without a lower validation loss before the learning rate is halved (down
        to ``learning_rate / 32``); None gives ``max(1, patience // 2)``.
    collapse_dice : float, default 0.05
        A training whose validation soft Dice and thresholded Dice have neither reached this
        by epoch ``min_epochs`` (or by any later epoch), or whose kept weights score a
        validation Dice below it, has collapsed to background.
    max_restarts : int, default 2
        A collapsed training restarts from the next seed (:func:`attempt_seed`) up to this
        many times; the attempts are recorded (``attempts_``, ``history.csv``).
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
    #: Training draws the initial weights and the batches from ``seed``: two seeds, two
    #: models.
    stochastic = True
    _parameter_constraints = {
        "model": [StrOptions(set(MODELS))],
        "input_size": [Interval(Integral, 8, None, closed="left")],
        "patch_size": [Interval(Integral, 8, None, closed="left"), None],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "min_epochs": [Interval(Integral, 0, None, closed="left")],
        "min_delta": [Interval(Real, 0, None, closed="left")],
        "lr_patience": [Interval(Integral, 1, None, closed="left"), None],
        "collapse_dice": [Interval(Real, 0, 1, closed="both")],
        "max_restarts": [Interval(Integral, 0, None, closed="left")],
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

    def __init__(self, *, model="unet", input_size=128, patch_size=None, epochs=100,
                 batch_size=16, learning_rate=1e-3, patience=12, min_epochs=20,
                 min_delta=1e-3, lr_patience=None, collapse_dice=0.05, max_restarts=2,
                 augment=True, tune_threshold=False, mixed_precision=False, run_eagerly=False,
                 seed=0, workdir=None, model_kwargs=None, use_roi=False, verbose=0):
        self.model = model
        self.input_size = input_size
        self.patch_size = patch_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.min_epochs = min_epochs
        self.min_delta = min_delta
        self.lr_patience = lr_patience
        self.collapse_dice = collapse_dice
        self.max_restarts = max_restarts
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
        """Train on (images, masks), stopping on a plateau of the validation loss.

        Parameters
        ----------
        images : sequence of (M, N) ndarray of float
        masks : sequence of (M, N) ndarray of bool
        rois : sequence of tuple, optional
            ROI rectangles, required with ``use_roi`` (not used otherwise).
        val : tuple, optional
            The validation part, ``(images, masks)`` or ``(images, masks, rois)``: early
            stopping and the threshold are chosen on it. Without it (or with no case in it),
            training runs all ``epochs`` and keeps the last weights (nothing is held out of
            the training part), and ``tune_threshold`` keeps 0.5 (``threshold_source_``
            says so).
        callbacks : list of keras.callbacks.Callback, optional
            Extra callbacks (progress, timing), run after the wrapper's own.

        Returns
        -------
        self
            With ``model_`` (best weights), ``history_`` (dict of lists, the attempt kept),
            ``threshold_``, ``epochs_run_``, ``best_epoch_``, ``stopped_`` (``"plateau"``:
            early stopping ended it; ``"cap"``: it ran all ``epochs`` without a plateau of
            ``patience`` epochs; ``"collapsed"``: every attempt collapsed, and the one with the
            lowest validation loss is kept), ``restarts_``, ``attempts_`` (seed, epochs run, best
            epoch and how each attempt stopped), ``n_val_`` (validation cases: 0 when there
            were none), ``threshold_source_`` (``"fixed"``, ``"validation"``, or
            ``"fixed: no validation cases"`` when ``tune_threshold`` had none to tune on),
            ``fit_s_``, ``backend_``, ``device_``, ``checkpoint_``.
        """
        train, held = check_fit_inputs(images, masks, rois, val, needs_roi=self.needs_roi,
                                       owner=type(self).__name__)
        self._validate_params()
        self._check_patch()
        if held is not None and len(held) == 0:  # an empty validation part is none
            held = None
        images, masks = self._inputs(train), self._inputs(train, masks=True)
        if held is not None:
            val_images, val_masks = self._inputs(held), self._inputs(held, masks=True)
        start = time.perf_counter()
        self.dtype_policy_ = set_mixed_precision(self.mixed_precision)
        size = self.input_size
        x, y = to_model_grid(images, size), masks_to_model_grid(masks, size)
        validation = None if held is None else (to_model_grid(val_images, size),
                                                masks_to_model_grid(val_masks, size))
        workdir = Path(self.workdir) if self.workdir else Path(tempfile.mkdtemp(
            prefix="massbench-"))
        workdir.mkdir(parents=True, exist_ok=True)
        checkpoint = workdir / MODEL_KERAS
        self.attempts_, logs, trained = [], [], []
        for attempt in range(self.max_restarts + 1):
            seed = attempt_seed(self.seed, attempt)
            model, history, record = self._train_once(x, y, validation, seed, callbacks)
            self.attempts_.append(record)
            trained.append((model, history, record))
            logs.append(pd.DataFrame(history).assign(
                epoch=np.arange(1, len(history["loss"]) + 1), attempt=attempt, seed=seed))
            if record["stopped"] != "collapsed":
                break
            # every attempt's epochs so far (a crash mid-training leaves them on disk)
            self._write_history(workdir, logs, kept=None)
        kept = len(trained) - 1  # the attempt that did not collapse
        if record["stopped"] == "collapsed":  # every attempt collapsed: keep the least bad
            kept = int(np.argmin([r["monitored"] for r in self.attempts_]))
        model, history, record = trained[kept]
        self._write_history(workdir, logs, kept=kept)
        # the best weights are restored in memory; one save at the end costs less than a
        # save at every improving epoch
        save_model(model, checkpoint)
        self.n_fit_ = len(images)
        self.model_ = model
        self.history_ = history
        self.epochs_run_ = record["epochs_run"]
        self.best_epoch_ = record["best_epoch"]
        self.stopped_ = record["stopped"]
        self.restarts_ = len(self.attempts_) - 1
        self.checkpoint_ = str(checkpoint)
        self.workdir_ = str(workdir)
        self.n_val_ = 0 if held is None else len(held)
        self.threshold_ = 0.5
        self.threshold_source_ = "fixed"
        if self.tune_threshold and held is None:
            self.threshold_source_ = "fixed: no validation cases"
        elif self.tune_threshold:  # on the validation images as predict answers them
            self.threshold_source_ = "validation"
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

    def _check_patch(self) -> None:
        """Refuse a ``patch_size`` larger than the grid or that the model cannot take."""
        if self.patch_size is None or self.patch_size == self.input_size:
            return
        if self.patch_size > self.input_size:
            raise ValueError(f"The 'patch_size' parameter of DeepSegmenter ({self.patch_size}) "
                             f"must be at most its 'input_size' ({self.input_size}), the grid "
                             f"the windows are cut from.")
        for name in ("input_size", "patch_size"):  # the builder knows the sides it takes
            try:
                build_model(self.model, getattr(self, name), **(self.model_kwargs or {}))
            except ValueError as error:
                raise ValueError(str(error).replace("'input_size'", f"'{name}'")) from None

    @property
    def _windowed(self) -> bool:
        """Whether training cuts windows of the grid (the model is built for any side)."""
        return self.patch_size is not None and self.patch_size != self.input_size

    @staticmethod
    def _write_history(workdir: Path, logs: list, kept: int | None) -> None:
        """Write ``history.csv``: every attempt's epochs, and which attempt was kept.

        The restarted attempts come first; ``kept`` is False everywhere while training goes
        on.
        """
        frame = pd.concat(logs, ignore_index=True)
        frame["kept"] = frame["attempt"] == kept
        columns = ["epoch", "attempt", "seed", "kept"]
        with atomic_path(workdir / HISTORY_CSV) as partial:
            frame[[*columns, *(c for c in frame.columns if c not in columns)]].to_csv(
                partial, index=False)

    def _train_once(self, x, y, validation, seed: int, callbacks):
        """One training from the NumPy-drawn start of ``seed``: (model, history, record).

        Early stopping and the weights kept watch the validation loss (smooth, unlike the
        thresholded Dice) after epoch ``min_epochs``; the learning rate is halved after
        ``lr_patience`` epochs without a lower validation loss; a :class:`CollapseGuard`
        stops a model whose (validation) soft and thresholded Dice have neither reached
        ``collapse_dice`` by epoch ``min_epochs``. Without a validation part the loss is not
        watched: every epoch runs and the last weights are kept.
        """
        make_deterministic(seed)  # dropout masks and anything else drawn by the backend
        model = init_weights(build_model(self.model, None if self._windowed else self.input_size,
                                         **(self.model_kwargs or {})), seed)
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=BceDiceLoss(),
                      metrics=[DiceScore(), SoftDice()], run_eagerly=self.run_eagerly)
        watched = validation is not None
        stopper = keras.callbacks.EarlyStopping(monitor="val_loss", mode="min",
                                                patience=self.patience,
                                                min_delta=self.min_delta,
                                                restore_best_weights=True,
                                                start_from_epoch=self.min_epochs)
        lr_patience = self.lr_patience or max(1, self.patience // 2)
        schedule = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", mode="min",
                                                     factor=0.5, patience=lr_patience,
                                                     min_delta=self.min_delta,
                                                     min_lr=self.learning_rate / 32)
        guard = CollapseGuard(monitor=("val_soft_dice", "val_dice") if watched
                              else ("soft_dice", "dice"),
                              floor=self.collapse_dice, min_epochs=max(1, self.min_epochs))
        batches = AugmentedBatches(x, y, min(self.batch_size, len(x)), seed,
                                   augment=self.augment,
                                   patch=self.patch_size if self._windowed else None,
                                   foreground=FOREGROUND_SHARE)
        # the batches' order is the generator's: Keras' own shuffling of a PyDataset's
        # batch indices draws from Python's ``random`` on JAX and PyTorch and from tf.data
        # on TensorFlow, so it would differ per backend
        history = model.fit(batches, validation_data=validation, epochs=self.epochs,
                            shuffle=False,
                            callbacks=[*([stopper, schedule] if watched else []), guard,
                                       *(callbacks or [])],
                            verbose=self.verbose).history
        history = {k: [float(v) for v in vals] for k, vals in history.items()}
        epochs_run = len(history["loss"])
        best = (stopper.best_epoch + 1 if watched and stopper.best_weights is not None
                else epochs_run)
        if guard.collapsed_epoch is not None:
            stopped = "collapsed"
        elif watched and history["val_dice"][best - 1] < self.collapse_dice:
            stopped = "collapsed"  # the weights kept predict (almost) nothing at 0.5
        elif watched and stopper.stopped_epoch > 0:
            stopped = "plateau"
        else:
            stopped = "cap"
        monitored = history["val_loss" if watched else "loss"][best - 1]
        return model, history, {"seed": seed, "epochs_run": epochs_run, "best_epoch": best,
                                "stopped": stopped, "monitored": monitored}

    def _inputs(self, part, *, masks: bool = False) -> list:
        """A part's images (or masks) as the model sees them: whole, or the ROI crops."""
        arrays = part.masks if masks else part.images
        if not self.use_roi:
            return list(arrays)
        return [crop(a, crop_box(roi, np.shape(a))) for a, roi in
                zip(arrays, part.rois, strict=True)]

    def _model_path(self, part) -> dict:
        """The arguments of :func:`deep.data.through_model_grid` that a part's path takes."""
        return {"size": self.input_size, "rois": part.rois if self.use_roi else None}

    def _predict_grid(self, x):
        """The model's probabilities on its grid: (n, s, s, 1) -> (n, s, s, 1)."""
        return self.model_.predict(x, batch_size=max(1, self.batch_size), verbose=0)

    def predict_proba(self, images, *, rois=None):
        """Foreground probability of every pixel, on each image's own grid.

        With ``use_roi``, the probability outside each image's ROI is 0.
        """
        if not hasattr(self, "model_"):
            raise ValueError("this DeepSegmenter is not fitted yet; call fit first")
        part = check_part(images, rois=rois, needs_roi=self.needs_roi,
                          owner=type(self).__name__)
        return through_model_grid(part.images, predict=self._predict_grid,
                                  **self._model_path(part))

    def predict(self, images, *, rois=None):
        """Bool masks on each image's own grid (``rois`` is required with ``use_roi``)."""
        return [p >= self.threshold_ for p in self.predict_proba(images, rois=rois)]

    def resolution_ceiling(self, masks, *, rois=None) -> list[np.ndarray]:
        """What a perfect model of this input size would predict: each mask down and back.

        Each reference mask goes down exactly the path of :meth:`predict_proba` (automatic:
        resized to the model grid and back; with ``use_roi``: cropped with its context,
        resized, back, pasted into its ROI box) with the model replaced by the identity, and
        is thresholded as :meth:`predict` thresholds (at ``threshold_`` when fitted, else
        0.5). Works before ``fit`` (the input size is a parameter).

        Parameters
        ----------
        masks : sequence of (M, N) array_like of bool
            Reference masks.
        rois : sequence of tuple, optional
            Their ROI boxes (required with ``use_roi``).

        Returns
        -------
        list of (M, N) ndarray of bool

        Examples
        --------
        >>> m = np.zeros((64, 64), bool); m[20:40, 10:50] = True
        >>> ceiling = DeepSegmenter(input_size=32).resolution_ceiling([m])[0]
        >>> ceiling.shape, bool((ceiling == m).all())
        ((64, 64), True)
        """
        self._validate_params()
        part = check_part(masks, rois=rois, needs_roi=self.needs_roi,
                          owner=type(self).__name__, what="mask")
        threshold = getattr(self, "threshold_", 0.5)
        return [p >= threshold for p in mask_round_trip(part.images, **self._model_path(part))]

    def save(self, folder) -> str:
        """Write the trained model to ``folder/model.keras``; return the file name.

        Training already wrote it to ``workdir``; when that is ``folder``, nothing is
        written again. The file holds the architecture and the weights, not the optimizer's
        state (see :func:`save_model`).
        """
        target = Path(folder) / MODEL_KERAS
        if Path(self.checkpoint_).resolve() != target.resolve():
            save_model(self.model_, target)
        return MODEL_KERAS

    def fit_record(self) -> dict:
        """What a run records of a fit: backend, device, epochs, timing, threshold."""
        return {"backend": self.backend_, "device": self.device_, "epochs_run": self.epochs_run_,
                "best_epoch": self.best_epoch_, "stopped": self.stopped_,
                "restarts": self.restarts_, "attempts": self.attempts_, "fit_s": self.fit_s_,
                "threshold": self.threshold_, "threshold_source": self.threshold_source_,
                "n_val": self.n_val_, "dtype_policy": self.dtype_policy_,
                **({} if self.n_val_ else {"validation": "no validation cases: trained every "
                                                        "epoch, the last weights kept"})}
