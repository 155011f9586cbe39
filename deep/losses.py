"""Loss and metric of the deep models: binary cross-entropy + soft Dice, and a Dice score.

The Dice part is Keras' own ``keras.losses.Dice``; both objects are registered and serialise
through ``get_config``, so a saved model loads on any backend (with or without compile).
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="massbench")
class BceDiceLoss(keras.losses.Loss):
    """``bce_weight * binary cross-entropy + dice_weight * (1 - soft Dice)``.

    Parameters
    ----------
    bce_weight, dice_weight : float, default 1
    """

    def __init__(self, bce_weight: float = 1.0, dice_weight: float = 1.0, name="bce_dice",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.bce_weight = bce_weight
        self.dice_weight = dice_weight
        self._bce = keras.losses.BinaryCrossentropy()
        self._dice = keras.losses.Dice()

    def call(self, y_true, y_pred):
        """Combined loss of a batch."""
        y_true = ops.cast(y_true, y_pred.dtype)
        return self.bce_weight * self._bce(y_true, y_pred) + self.dice_weight * self._dice(
            y_true, y_pred)

    def get_config(self):
        """Serialisable configuration."""
        return super().get_config() | {"bce_weight": self.bce_weight,
                                       "dice_weight": self.dice_weight}


@keras.saving.register_keras_serializable(package="massbench")
class DiceScore(keras.metrics.Metric):
    """Mean per-image Dice of predictions thresholded at ``threshold`` (1 when both empty).

    Parameters
    ----------
    threshold : float, default 0.5
    """

    def __init__(self, threshold: float = 0.5, name="dice", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the Dice of every image of the batch."""
        y_true = ops.cast(ops.greater(ops.cast(y_true, "float32"), 0.5), "float32")
        y_pred = ops.cast(ops.greater(ops.cast(y_pred, "float32"), self.threshold), "float32")
        axes = tuple(range(1, len(y_true.shape)))
        both = ops.sum(y_true * y_pred, axis=axes)
        total = ops.sum(y_true, axis=axes) + ops.sum(y_pred, axis=axes)
        dice = ops.where(total > 0, 2 * both / ops.maximum(total, 1.0), 1.0)
        self.total.assign(self.total + ops.sum(dice))
        self.count.assign(self.count + ops.cast(ops.shape(dice)[0], "float32"))

    def result(self):
        """Mean Dice so far."""
        return self.total / ops.maximum(self.count, 1.0)

    def reset_state(self):
        """Start a new epoch."""
        self.total.assign(0.0)
        self.count.assign(0.0)

    def get_config(self):
        """Serialisable configuration."""
        return super().get_config() | {"threshold": self.threshold}
