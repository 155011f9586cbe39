"""Loss and metrics of the deep models: binary cross-entropy + soft Dice, Dice and soft Dice.

The Dice part of the loss is Keras' own ``keras.losses.Dice``; both objects are registered
and serialise through ``get_config``, so a saved model loads on any backend (with or without
compile).

The training targets are soft (area fractions in [0, 1] on the model grid,
:func:`deep.data.masks_to_model_grid`): the cross-entropy and the soft Dice of the loss take
them as they are; the metrics binarise the reference (a cell above 0.5 is lesion), so
:class:`DiceScore` scores as the benchmark scores a thresholded prediction.

Empty masks follow the benchmark's convention (:func:`benchmark.ground.metrics.dice_score`,
averaged with ``nanmean``): the Dice of an image whose reference and thresholded prediction
are both empty is undefined, so :class:`DiceScore` leaves that image out of its mean, and
its result is NaN when no image counts. The soft Dice of the loss keeps Keras' epsilon and
is defined for every image.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="massbench")
class BceDiceLoss(keras.losses.Loss):
    """``bce_weight * binary cross-entropy + dice_weight * (1 - soft Dice)``.

    Both terms are Keras' own losses with their default reduction: the cross-entropy is the
    mean over all pixels of the batch, the soft Dice is one Dice over the whole batch
    (``keras.losses.Dice`` with ``axis=None``, with Keras' epsilon in the denominator).

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


class _MeanOverImages(keras.metrics.Metric):
    """A per-image score averaged over the images that count (subclasses say which)."""

    def __init__(self, name, **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def _per_image(self, y_true, y_pred):
        """(score, counted) per image, both float32 of shape (batch,)."""
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the score of every image of the batch that counts (``sample_weight`` unused)."""
        y_true = ops.cast(ops.greater(ops.cast(y_true, "float32"), 0.5), "float32")
        score, counted = self._per_image(y_true, ops.cast(y_pred, "float32"))
        self.total.assign(self.total + ops.sum(counted * score))
        self.count.assign(self.count + ops.sum(counted))

    def result(self):
        """Mean score of the images counted so far; NaN when none counts."""
        return ops.where(ops.greater(self.count, 0.0),
                         self.total / ops.maximum(self.count, 1.0), float("nan"))

    def reset_state(self):
        """Start a new epoch."""
        self.total.assign(0.0)
        self.count.assign(0.0)


@keras.saving.register_keras_serializable(package="massbench")
class DiceScore(_MeanOverImages):
    """Mean per-image Dice of predictions thresholded at ``threshold``.

    The reference is binarised at 0.5 and the prediction at ``threshold`` (a pixel at or
    above it is foreground, as :meth:`deep.training.DeepSegmenter.predict` decides); the
    Dice of each image is ``2 |R and P| / (|R| + |P|)``. An image whose
    reference and thresholded prediction are both empty has no Dice (NaN in
    :func:`benchmark.ground.metrics.dice_score`) and is left out of the mean, as the
    benchmark's ``nanmean`` leaves it out; when no image since the last reset counts,
    the result is NaN. ``sample_weight`` is not used.

    Parameters
    ----------
    threshold : float, default 0.5
        Probability from which on a predicted pixel is foreground.
    name : str, default "dice"
        Name of the metric (``val_dice`` in the history).
    """

    def __init__(self, threshold: float = 0.5, name="dice", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold

    def _per_image(self, y_true, y_pred):
        y_pred = ops.cast(ops.greater_equal(y_pred, self.threshold), "float32")
        axes = tuple(range(1, len(y_true.shape)))
        total = ops.sum(y_true, axis=axes) + ops.sum(y_pred, axis=axes)
        both = ops.sum(y_true * y_pred, axis=axes)
        return 2.0 * both / ops.maximum(total, 1.0), ops.cast(ops.greater(total, 0.0),
                                                               "float32")

    def get_config(self):
        """Serialisable configuration."""
        return super().get_config() | {"threshold": self.threshold}


@keras.saving.register_keras_serializable(package="massbench")
class SoftDice(_MeanOverImages):
    """Mean per-image soft Dice ``2 sum(r p) / (sum(r) + sum(p))`` of the probabilities.

    Unlike :class:`DiceScore` it needs no threshold, so it moves smoothly while a model that
    predicts nothing above 0.5 still learns; a value near 0 after the first epochs means
    the model has collapsed to background (:class:`deep.callbacks.CollapseGuard`). Images
    whose reference is empty are left out; NaN when none counts.

    Parameters
    ----------
    name : str, default "soft_dice"
    """

    def __init__(self, name="soft_dice", **kwargs):
        super().__init__(name=name, **kwargs)

    def _per_image(self, y_true, y_pred):
        axes = tuple(range(1, len(y_true.shape)))
        reference = ops.sum(y_true, axis=axes)
        both = ops.sum(y_true * y_pred, axis=axes)
        score = 2.0 * both / ops.maximum(reference + ops.sum(y_pred, axis=axes), 1e-7)
        return score, ops.cast(ops.greater(reference, 0.0), "float32")
