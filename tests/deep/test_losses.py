"""Loss and metric of the deep models against the NumPy reference ``dice_score``."""

import warnings

import keras
import numpy as np
import pytest

from benchmark.ground.metrics import dice_score
from deep.losses import BceDiceLoss, DiceScore


def value(x) -> float:
    return float(keras.ops.convert_to_numpy(x))


def random_batch(rng, n, h, w, threshold=0.5):
    """(n, h, w, 1) {0, 1} references and probabilities, with empty masks on both sides.

    About a third of the references are empty, and about a third of the predictions stay
    below ``threshold`` everywhere, so that both-empty pairs, one-empty pairs and ordinary
    pairs all occur.
    """
    reference = rng.random((n, h, w, 1)) < rng.uniform(0.1, 0.6, (n, 1, 1, 1))
    reference[rng.random(n) < 1 / 3] = False
    noise = rng.random((n, h, w, 1))
    probabilities = np.clip(0.6 * reference + 0.7 * noise - 0.15, 0, 1)
    quiet = rng.random(n) < 1 / 3
    probabilities[quiet] = threshold * 0.99 * noise[quiet]
    return reference.astype("float32"), probabilities.astype("float32")


def reference_dice(batches, threshold=0.5):
    """NumPy Dice of every image of every batch (NaN when both masks are empty)."""
    return np.concatenate([np.atleast_1d(dice_score(t[..., 0] > 0.5, p[..., 0] >= threshold))
                           for t, p in batches])


def metric_over(batches, threshold=0.5):
    metric = DiceScore(threshold=threshold)
    for t, p in batches:
        metric.update_state(t, p)
    return metric


@pytest.mark.parametrize("seed", range(6))
def test_dice_score_is_the_nanmean_of_the_reference_dice(seed):
    rng = np.random.default_rng(seed)
    batches = [random_batch(rng, int(rng.integers(3, 7)), *rng.integers(8, 17, 2))
               for _ in range(3)]
    expected = reference_dice(batches)
    assert np.isnan(expected).any() and not np.isnan(expected).all()  # both kinds occur
    metric = metric_over(batches)
    assert value(metric.result()) == pytest.approx(np.nanmean(expected), rel=1e-5)
    assert value(metric.count) == np.count_nonzero(~np.isnan(expected))


def test_dice_score_leaves_out_pairs_with_both_masks_empty():
    t = np.zeros((3, 8, 8, 1), "float32")
    p = np.zeros((3, 8, 8, 1), "float32")
    t[0, :4] = 1  # 32 pixels
    p[0, :, :4] = 0.9  # 32 pixels, 16 shared: Dice 0.5
    p[1] = 0.3  # below the threshold: images 1 and 2 have both masks empty
    metric = metric_over([(t, p)])
    assert value(metric.result()) == pytest.approx(0.5)
    assert value(metric.count) == 1
    assert np.isnan(dice_score(t[1:, ..., 0] > 0.5, p[1:, ..., 0] > 0.5)).all()


def test_dice_score_counts_a_pair_with_one_mask_empty_as_zero():
    t = np.zeros((2, 8, 8, 1), "float32")
    p = np.zeros((2, 8, 8, 1), "float32")
    t[0, 2:5, 2:5] = 1  # reference only
    p[1, 2:5, 2:5] = 0.8  # prediction only
    metric = metric_over([(t, p)])
    assert value(metric.result()) == 0.0
    assert value(metric.count) == 2


def test_dice_score_of_an_epoch_with_only_empty_pairs_is_nan():
    t = np.zeros((4, 8, 8, 1), "float32")
    p = np.full((4, 8, 8, 1), 0.2, "float32")
    metric = metric_over([(t, p), (t[:2], p[:2])])
    assert np.isnan(value(metric.result()))
    assert value(metric.count) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean of an all-NaN slice
        assert np.isnan(np.nanmean(reference_dice([(t, p)])))


def test_dice_score_of_a_fresh_metric_is_nan():
    assert np.isnan(value(DiceScore().result()))


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_dice_score_honours_the_threshold(threshold):
    rng = np.random.default_rng(11)
    batches = [random_batch(rng, 6, 12, 12, threshold=threshold) for _ in range(2)]
    expected = np.nanmean(reference_dice(batches, threshold))
    assert value(metric_over(batches, threshold).result()) == pytest.approx(expected, rel=1e-5)


def test_a_probability_at_the_threshold_is_foreground_as_in_predict():
    t = np.zeros((1, 8, 8, 1), "float32")
    t[0, :4] = 1
    p = np.where(t > 0, 0.5, 0.1).astype("float32")  # exactly at the threshold
    assert value(metric_over([(t, p)], 0.5).result()) == pytest.approx(1.0)


def test_dice_score_changes_with_the_threshold():
    t = np.zeros((1, 8, 8, 1), "float32")
    t[0, :4] = 1  # 32 pixels
    p = np.zeros((1, 8, 8, 1), "float32")
    p[0, :4] = 0.9
    p[0, 4:6] = 0.4  # 16 more pixels above 0.3 only
    assert value(metric_over([(t, p)], 0.5).result()) == pytest.approx(1.0)
    assert value(metric_over([(t, p)], 0.3).result()) == pytest.approx(64 / 80)


def test_dice_score_accumulates_over_batches_and_reset_clears():
    rng = np.random.default_rng(3)
    a, b = random_batch(rng, 5, 10, 10), random_batch(rng, 4, 10, 10)
    metric = metric_over([a, b])
    together = metric_over([(np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]]))])
    assert value(metric.result()) == pytest.approx(value(together.result()), rel=1e-6)
    assert value(metric.count) == np.count_nonzero(~np.isnan(reference_dice([a, b])))
    metric.reset_state()
    assert value(metric.total) == 0 and value(metric.count) == 0
    assert np.isnan(value(metric.result()))
    metric.update_state(*b)
    assert value(metric.result()) == pytest.approx(np.nanmean(reference_dice([b])), rel=1e-5)


def hand_bce(t, p):
    """Mean binary cross-entropy over every pixel of the batch."""
    return np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)))


def hand_soft_dice_loss(t, p):
    """``keras.losses.Dice`` with ``axis=None``: one soft Dice over the whole batch."""
    return 1 - 2 * np.sum(t * p) / (np.sum(t) + np.sum(p) + keras.config.epsilon())


def loss_inputs(kind):
    rng = np.random.default_rng(5)
    t = (rng.random((3, 12, 12, 1)) < 0.4).astype("float32")
    if kind == "binary":  # a binary prediction, clipped away from 0 and 1
        p = np.clip(rng.random(t.shape) < 0.5, 0.05, 0.95)
    else:
        p = rng.uniform(0.05, 0.95, t.shape)
    return t, p.astype("float32")


@pytest.mark.parametrize("kind", ["binary", "probabilities"])
def test_bce_dice_loss_is_bce_plus_one_minus_soft_dice(kind):
    t, p = loss_inputs(kind)
    t64, p64 = t.astype(np.float64), p.astype(np.float64)
    expected = hand_bce(t64, p64) + hand_soft_dice_loss(t64, p64)
    assert value(BceDiceLoss()(t, p)) == pytest.approx(expected, rel=1e-5)


def test_bce_dice_loss_takes_soft_targets():
    # the training targets are area fractions (deep.data.masks_to_model_grid), not {0, 1}
    rng = np.random.default_rng(8)
    t = rng.uniform(0, 1, (3, 12, 12, 1)).astype("float32")
    p = rng.uniform(0.05, 0.95, t.shape).astype("float32")
    t64, p64 = t.astype(np.float64), p.astype(np.float64)
    expected = hand_bce(t64, p64) + hand_soft_dice_loss(t64, p64)
    assert value(BceDiceLoss()(t, p)) == pytest.approx(expected, rel=1e-5)
    # the cross-entropy of a soft target is lowest where the prediction is the target
    bce = BceDiceLoss(dice_weight=0)
    assert value(bce(t, np.clip(t, 0.01, 0.99))) < value(bce(t, (t > 0.5).astype("float32")
                                                            .clip(0.01, 0.99)))


def test_dice_score_binarises_a_soft_reference_at_one_half():
    rng = np.random.default_rng(9)
    t = rng.uniform(0, 1, (4, 10, 10, 1)).astype("float32")
    p = rng.uniform(0, 1, t.shape).astype("float32")
    binary = (t > 0.5).astype("float32")
    assert value(metric_over([(t, p)]).result()) == pytest.approx(
        value(metric_over([(binary, p)]).result()))


def test_bce_dice_loss_weights_scale_the_two_terms():
    t, p = loss_inputs("probabilities")
    t64, p64 = t.astype(np.float64), p.astype(np.float64)
    bce, dice = hand_bce(t64, p64), hand_soft_dice_loss(t64, p64)
    assert value(BceDiceLoss(bce_weight=1, dice_weight=0)(t, p)) == pytest.approx(bce, rel=1e-5)
    assert value(BceDiceLoss(bce_weight=0, dice_weight=1)(t, p)) == pytest.approx(dice,
                                                                                rel=1e-5)
    weighted = value(BceDiceLoss(bce_weight=0.3, dice_weight=2.5)(t, p))
    assert weighted == pytest.approx(0.3 * bce + 2.5 * dice, rel=1e-5)


def test_bce_dice_loss_round_trips_through_its_config():
    loss = BceDiceLoss(bce_weight=0.25, dice_weight=3.0, name="my_loss")
    clone = BceDiceLoss.from_config(loss.get_config())
    assert (clone.bce_weight, clone.dice_weight, clone.name) == (0.25, 3.0, "my_loss")
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert isinstance(revived, BceDiceLoss) and revived.get_config() == loss.get_config()
    t, p = loss_inputs("probabilities")
    assert value(revived(t, p)) == pytest.approx(value(loss(t, p)), rel=1e-6)


def test_dice_score_round_trips_through_its_config():
    metric = DiceScore(threshold=0.3)
    clone = DiceScore.from_config(metric.get_config())
    assert (clone.threshold, clone.name) == (0.3, "dice")
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert isinstance(revived, DiceScore) and revived.get_config() == metric.get_config()
    rng = np.random.default_rng(8)
    batch = random_batch(rng, 5, 9, 9, threshold=0.3)
    metric.update_state(*batch)
    revived.update_state(*batch)
    assert value(revived.result()) == pytest.approx(value(metric.result()), rel=1e-6)
