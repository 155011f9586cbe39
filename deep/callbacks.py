"""Training callbacks of the deep segmenter: collapse detection.

Early stopping and the learning-rate schedule are Keras' own (``EarlyStopping`` and
``ReduceLROnPlateau`` on the validation loss); what Keras lacks is a way to tell a model
that has collapsed to background (it predicts no foreground anywhere, its validation soft
Dice stays near 0 while the training loss still falls, because background pixels dominate
the cross-entropy) from one that is merely slow to start.
"""

from __future__ import annotations

import math

import keras


class CollapseGuard(keras.callbacks.Callback):
    """Stop training at epoch ``min_epochs`` or later if no ``monitor`` has ever reached ``floor``.

    A model that rose above the floor once and dips under it later is left alone (one bad
    epoch is not a collapse); one whose every monitored value has stayed under it since the
    first epoch has collapsed to background. Two signals by default, because each misleads
    alone: a model slow to start sits at thresholded Dice 0 while its soft Dice rises, and on
    small lesions (about 1 % of the crop, as in the course's crops) a model that already
    finds them (thresholded Dice 0.1-0.3) keeps a soft Dice under 0.05, its low
    probabilities spread over the background.

    Parameters
    ----------
    monitor : str or tuple of str, default ("val_soft_dice", "val_dice")
        Log entries that are near 0 for a collapsed model; missing entries are ignored.
    floor : float, default 0.05
    min_epochs : int, default 1
        The first epoch (1-based) at which the guard looks; before it every model may still
        sit at 0.

    Attributes
    ----------
    collapsed_epoch : int or None
        The epoch (1-based) at which training was stopped, None when it was not.
    """

    def __init__(self, monitor: str | tuple[str, ...] = ("val_soft_dice", "val_dice"),
                 floor: float = 0.05, min_epochs: int = 1):
        super().__init__()
        self.monitor = monitor
        self.floor = floor
        self.min_epochs = min_epochs
        self.collapsed_epoch = None
        self.best = -math.inf

    def on_train_begin(self, logs=None):
        """Forget an earlier fit."""
        self.collapsed_epoch = None
        self.best = -math.inf

    def on_epoch_end(self, epoch, logs=None):
        """Stop the fit when the best of the monitored values so far is under the floor.

        NaN (no image with a foreground reference) neither counts nor stops.
        """
        names = (self.monitor,) if isinstance(self.monitor, str) else tuple(self.monitor)
        for name in names:
            value = (logs or {}).get(name)
            if value is not None and not math.isnan(float(value)):
                self.best = max(self.best, float(value))
        if epoch + 1 >= self.min_epochs and -math.inf < self.best < self.floor:
            self.collapsed_epoch = epoch + 1
            self.model.stop_training = True
