"""Seeds and the component a seed picks: the course's rule, the automatic seed, components."""

import numpy as np
import pytest
from scipy import ndimage as ndi

from baselines.seeds import auto_seed, course_seed, seed_component
from tests.conftest import disk


def test_seed_is_brightest_pixel_unless_far_from_centre():
    image = np.zeros((50, 50))
    image[22, 27] = 1.0
    assert course_seed(image, (10, 40, 10, 40)) == (22, 27)
    image[11, 11] = 2.0  # brighter, but beyond 4/5 of the half-size from the centre
    assert course_seed(image, (10, 40, 10, 40)) == (25, 25)


def test_auto_seed_finds_a_bright_blob_near_the_centre():
    image = 0.2 + 0.6 * disk((64, 64), (30, 36), 8)
    row, col = auto_seed(image)
    assert (row - 30) ** 2 + (col - 36) ** 2 <= 4


def _two_blobs():
    mask = np.zeros((20, 20), bool)
    mask[2:8, 2:8] = True
    mask[4:6, 4:6] = False  # a hole
    mask[12:18, 12:18] = True
    return mask


def test_seed_component_keeps_the_component_under_the_seed_and_fills_it():
    mask = _two_blobs()
    got = seed_component(mask, (2, 2))
    assert got[4, 4] and not got[14, 14] and got.sum() == 36


def test_seed_component_outside_every_component_is_empty_unless_nearest():
    mask = _two_blobs()
    assert not seed_component(mask, (10, 0)).any()
    nearest = seed_component(mask, (10, 0), nearest=True)
    assert nearest[3, 3] and not nearest[14, 14]
    assert not seed_component(np.zeros((5, 5), bool), (2, 2), nearest=True).any()


def test_fill_before_labelling_keeps_a_seed_that_lies_in_a_hole():
    mask = _two_blobs()
    assert not seed_component(mask, (4, 4), fill="after").any()
    assert seed_component(mask, (4, 4), fill="before").sum() == 36
    assert seed_component(mask, (2, 2), fill=None).sum() == 32


@pytest.mark.parametrize("connectivity, expected", [(4, 1), (8, 4)])
def test_connectivity_decides_whether_diagonal_pixels_join(connectivity, expected):
    mask = np.eye(4, dtype=bool)
    assert seed_component(mask, (0, 0), connectivity=connectivity, fill=None).sum() == expected


@pytest.mark.parametrize("kwargs, name", [({"connectivity": 6}, "connectivity"),
                                          ({"fill": "befor"}, "fill")])
def test_seed_component_names_a_bad_option(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter of seed_component"):
        seed_component(np.ones((3, 3), bool), (1, 1), **kwargs)


def test_seed_component_agrees_with_scipy_labels(rng):
    for _ in range(20):
        mask = ndi.binary_opening(rng.random((24, 24)) > 0.55)
        seed = tuple(rng.integers(0, 24, 2))
        labels, _ = ndi.label(mask)
        expected = labels == labels[seed] if labels[seed] else np.zeros_like(mask)
        np.testing.assert_array_equal(seed_component(mask, seed, fill=None), expected)


# --- the automatic seed of the segmenters (AutoSeeded) -------------------------------------

AUTOMATIC = ["region_growing_auto", "chan_vese_auto", "geodesic_active_contour_auto"]


def _spy_seeds(monkeypatch, name):
    """Record the seed each segment call of method ``name`` starts from."""
    import baselines.active_contours as ac
    import baselines.region_growing as rg

    used = []
    if name.startswith("region_growing"):
        grow = rg.region_growing

        def spy(image, seed, **kwargs):
            used.append(tuple(int(v) for v in seed))
            return grow(image, seed, **kwargs)

        monkeypatch.setattr(rg, "region_growing", spy)
    else:
        component = ac.seed_component

        def spy(mask, seed, **kwargs):  # the seed of the contour keeps its component
            used.append(tuple(int(v) for v in seed))
            return component(mask, seed, **kwargs)

        monkeypatch.setattr(ac, "seed_component", spy)
    return used


@pytest.fixture(scope="module")
def distracted():
    from tests.baselines.crops import distracted_crops

    rng = np.random.default_rng(21)
    return distracted_crops(rng, 12, decoy=True), distracted_crops(rng, 6, decoy=True)


@pytest.mark.parametrize("name", AUTOMATIC)
@pytest.mark.parametrize("fitted", [False, True])
def test_predict_seeds_are_the_seeds_predict_starts_from(name, fitted, distracted, monkeypatch):
    from baselines.registry import make_segmenter

    train, test = distracted
    model = make_segmenter(name, tune=False, num_iter=5) if "region" not in name else \
        make_segmenter(name, tune=False)
    if fitted:
        model.fit(*train)
    images = test[0]
    seeds = model.predict_seeds(images)
    used = _spy_seeds(monkeypatch, name)
    model.predict(images)
    assert used == seeds and all(isinstance(v, int) for s in seeds for v in s)


@pytest.mark.parametrize("name", ["region_growing", "chan_vese", "geodesic_active_contour"])
def test_with_an_roi_the_seed_is_the_course_seed(name, distracted, monkeypatch):
    from baselines.registry import make_segmenter
    from benchmark.ground.roi import draw_roi

    _, test = distracted
    model = make_segmenter(name, **({"num_iter": 5} if "region" not in name else {}))
    images = test[0]
    rois = [draw_roi(mask, seed=0, case_id=str(k)) for k, mask in enumerate(test[1])]
    seeds = model.predict_seeds(images, rois=rois)
    used = _spy_seeds(monkeypatch, name)
    model.predict(images, rois=rois)
    assert used == seeds
    if name != "region_growing":  # region growing takes it on the smoothed image
        assert seeds == [course_seed(im, roi) for im, roi in zip(images, rois, strict=True)]
    with pytest.raises(ValueError, match="semi-automatic"):
        model.predict_seeds(images)


@pytest.mark.parametrize("name", AUTOMATIC)
def test_the_central_rule_is_the_old_auto_seed(name, distracted):
    from baselines.registry import make_segmenter

    images = distracted[1][0]
    model = make_segmenter(name, seed_rule="central")
    assert model.predict_seeds(images) == [auto_seed(im) for im in images]


@pytest.mark.parametrize("name", AUTOMATIC)
def test_the_learned_seed_finds_the_lesion_the_old_rule_misses(name, distracted):
    from baselines.registry import make_segmenter

    train, test = distracted
    hits = {}
    for rule in ("central", "blobs"):
        model = make_segmenter(name, seed_rule=rule, tune=False).fit(*train)
        seeds = model.predict_seeds(test[0])
        hits[rule] = np.mean([mask[s] for mask, s in zip(test[1], seeds, strict=True)])
    assert hits["central"] <= 0.2 and hits["blobs"] >= 0.8, hits


def test_the_seeder_is_learned_once_per_fit_from_the_training_masks(distracted, monkeypatch):
    from baselines import blobs
    from baselines.registry import make_segmenter

    train, test = distracted
    seen = []
    fit = blobs.BlobSeeder.fit

    def spy(self, images, masks):
        seen.append([np.asarray(m).sum() for m in masks])
        return fit(self, images, masks)

    monkeypatch.setattr(blobs.BlobSeeder, "fit", spy)
    model = make_segmenter("region_growing_auto", max_tuning_cases=4)
    model.fit(*train, val=test)  # a 15-candidate grid, scored on val
    assert seen == [[m.sum() for m in train[1]]]  # once, on the training masks only
    assert isinstance(model.model_, blobs.BlobSeeder)
    assert model.fit_record()["seeder"]["n_lesions"] == len(train[1])
    assert not hasattr(model, "_seed_cache")


def test_the_seed_rule_is_checked(distracted):
    from baselines.registry import make_segmenter

    with pytest.raises(ValueError, match="'seed_rule' parameter of RegionGrowing"):
        make_segmenter("region_growing_auto", seed_rule="brightest").predict_seeds(
            [distracted[1][0][0]])


def test_automatic_seeds_are_deterministic(distracted):
    from baselines.registry import make_segmenter

    train, test = distracted
    images = test[0]
    runs = [make_segmenter("chan_vese_auto", tune=False).fit(*train).predict_seeds(images)
            for _ in range(2)]
    assert runs[0] == runs[1]
