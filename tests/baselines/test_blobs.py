"""Scale-space blob seeds: the scale of a disk, the learned prior, the seeder and decoys."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from baselines.blobs import (
    DEFAULT_PRIOR,
    DEFAULT_WEIGHTS,
    FEATURES,
    BlobSeeder,
    LesionPrior,
    blob_candidates,
    lesion_prior,
)
from baselines.seeds import auto_seed
from tests.baselines.crops import DECOY_CENTRE, LESION_CENTRE, distracted_crops
from tests.conftest import disk


def _wide_prior(radius_fraction):
    """A centred prior whose scales span a factor ~20 around ``radius_fraction``."""
    return LesionPrior(centre=np.array([0.5, 0.5]), covariance=np.eye(2),
                       log_radius_mean=float(np.log(radius_fraction)), log_radius_std=1.0)


@pytest.mark.parametrize("radius", [3.0, 5.0, 8.0])
def test_a_disk_is_found_at_its_centre_and_at_the_scale_of_its_radius(radius):
    # the scale-normalised LoG of a disk of radius r peaks near sigma = r / sqrt(2)
    image = 0.2 + 0.5 * disk((96, 96), (40, 57), radius)
    found = blob_candidates(image, _wide_prior(radius / 96), n_scales=25, scale_span=1.5)
    assert found.centres[0].tolist() == [40, 57]
    assert found.sigmas[0] == pytest.approx(radius / np.sqrt(2), rel=0.2)
    assert disk((96, 96), (40, 57), radius)[tuple(found.seeds[0])]


def test_candidates_are_ordered_by_response_and_capped():
    rng = np.random.default_rng(1)
    image = rng.random((50, 50))
    found = blob_candidates(image, max_candidates=7)
    assert len(found) == 7 and found.features.shape == (7, len(FEATURES))
    assert np.all(np.diff(found.features[:, 0]) <= 0)


def test_a_flat_image_has_no_candidate_and_the_seed_is_the_prior_centre():
    assert len(blob_candidates(np.full((30, 40), 0.3))) == 0
    assert BlobSeeder().seed(np.full((30, 40), 0.3)) == (15, 20)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_every_seed_lies_within_half_sigma_of_its_blob_centre(seed):
    image = np.random.default_rng(seed).random((40, 48))
    found = blob_candidates(image)
    distance = np.hypot(*(found.seeds - found.centres).T)
    assert np.all(distance <= np.maximum(1.0, found.sigmas / 2) + 1e-9)
    assert np.all((found.seeds >= 0) & (found.seeds < image.shape))


def test_the_prior_recovers_a_known_position_and_size_distribution():
    rng = np.random.default_rng(7)
    size, n = 100, 400
    mean, cov = np.array([0.35, 0.6]), np.array([[0.08**2, 0.002], [0.002, 0.05**2]])
    drawn = rng.multivariate_normal(mean, cov, n)
    log_radius = rng.normal(np.log(0.06), 0.3, n)
    rows, cols = np.mgrid[:size, :size]
    masks = [np.hypot(rows - r * size, cols - c * size) <= np.exp(lr) * size
             for (r, c), lr in zip(drawn, log_radius, strict=True)]
    prior = lesion_prior(masks + [np.zeros((size, size), bool)])  # an empty mask is left out
    assert prior.n_lesions == n
    # the drawn sample, up to pixel rounding ...
    np.testing.assert_allclose(prior.centre, drawn.mean(axis=0), atol=2e-3)
    # (the covariance carries a 0.02**2 floor on its diagonal)
    np.testing.assert_allclose(prior.covariance - 0.02**2 * np.eye(2), np.cov(drawn.T),
                               atol=2e-4)
    # ... and the distribution it was drawn from, within sampling error
    assert np.all(np.abs(prior.centre - mean) < 4 * np.sqrt(np.diag(cov) / n))
    assert prior.log_radius_mean == pytest.approx(np.log(0.06), abs=4 * 0.3 / np.sqrt(n) + 0.02)
    assert prior.log_radius_std == pytest.approx(0.3, rel=0.15)


def test_too_few_lesions_keep_the_default_prior():
    masks = [disk((20, 20), (5, 5), 2), np.zeros((20, 20), bool), disk((20, 20), (6, 6), 2)]
    assert lesion_prior(masks) is DEFAULT_PRIOR


@pytest.fixture(scope="module")
def decoyed():
    rng = np.random.default_rng(11)
    return distracted_crops(rng, 20, decoy=True), distracted_crops(rng, 20, decoy=True)


def test_old_rule_misses_the_lesion_that_the_learned_seeder_finds(decoyed):
    train, test = decoyed
    seeder = BlobSeeder().fit(*train)
    old = np.mean([mask[auto_seed(image)] for image, mask in zip(*test, strict=True)])
    new = np.mean([mask[seeder.seed(image)] for image, mask in zip(*test, strict=True)])
    unfitted = np.mean([mask[BlobSeeder().seed(image)] for image, mask in zip(*test, strict=True)])
    assert old <= 0.1 and unfitted <= 0.3  # the dense centre and the decoy win
    assert new >= 0.9
    # the prior it learned is where the lesions were drawn
    assert np.allclose(seeder.prior_.centre * 64, LESION_CENTRE, atol=2.0)
    row, col = seeder.prior_.centre * 64
    assert np.hypot(row - DECOY_CENTRE[0], col - DECOY_CENTRE[1]) > 20


def test_without_a_decoy_the_unfitted_seeder_already_beats_the_old_rule():
    rng = np.random.default_rng(12)
    images, masks = distracted_crops(rng, 20)
    assert np.mean([m[auto_seed(im)] for im, m in zip(images, masks, strict=True)]) <= 0.1
    assert np.mean([m[BlobSeeder().seed(im)] for im, m in zip(images, masks, strict=True)]) >= 0.6


def test_fitting_is_deterministic(decoyed):
    train, test = decoyed
    first = BlobSeeder().fit(*train)
    second = clone(first).fit(*train)
    np.testing.assert_array_equal(first.weights_, second.weights_)
    assert [first.seed(im) for im in test[0]] == [second.seed(im) for im in test[0]]
    assert first.record() == second.record()


def test_training_candidates_without_a_positive_keep_the_default_weights():
    rows, cols = np.mgrid[:40, :40]
    image = 0.2 + 0.5 * (np.hypot(rows - 20, cols - 20) <= 4)
    masks = [np.hypot(rows - 3, cols - 36) <= 2] * 3  # nowhere near the only blob
    seeder = BlobSeeder().fit([image] * 3, masks)
    assert seeder.n_positive_ == 0 and seeder.prior_.n_lesions == 3
    np.testing.assert_array_equal(seeder.weights_, DEFAULT_WEIGHTS)


def test_record_is_json_ready(decoyed):
    import json

    record = BlobSeeder().fit(*decoyed[0]).record()
    assert set(record["weights"]) == {*FEATURES, "intercept"}
    assert json.loads(json.dumps(record)) == record


@pytest.mark.parametrize("params, name", [({"n_scales": 0}, "n_scales"),
                                          ({"C": 0.0}, "C"),
                                          ({"max_candidates": 0}, "max_candidates")])
def test_bad_parameters_are_named(params, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter of BlobSeeder"):
        BlobSeeder(**params).fit([np.zeros((8, 8))], [np.zeros((8, 8), bool)])


@pytest.mark.parametrize("kwargs, name", [({"n_scales": 0}, "n_scales"),
                                          ({"max_candidates": 2.5}, "max_candidates"),
                                          ({"scale_span": -1.0}, "scale_span")])
def test_blob_candidates_names_a_bad_option(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter of blob_candidates"):
        blob_candidates(np.zeros((8, 8)), **kwargs)
    with pytest.raises(ValueError, match="2-D image"):
        blob_candidates(np.zeros((2, 8, 8)))
