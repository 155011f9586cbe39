"""Shared fixtures: analytic shapes, seeded generators, small phantoms, the course samples."""

from pathlib import Path

import numpy as np
import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "cmepda_samples"


def disk(shape, centre, radius):
    """Bool disk of pixel centres within ``radius`` of ``centre``."""
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


def separable_features(rng, n=60):
    """(x, y, groups): four features, the first separating the classes; two cases a patient."""
    y = np.tile([0, 1], n // 2)
    x = rng.normal(0, 1, (n, 4))
    x[:, 0] += 8 * y
    groups = np.repeat(np.arange(n // 2), 2)
    return x, y, groups


@pytest.fixture
def rng():
    return np.random.default_rng(20070101)


@pytest.fixture(scope="session")
def small_phantom():
    from benchmark.ground.data import make_phantom

    return make_phantom(24, seed=3, size=64)


@pytest.fixture(scope="session")
def phantom_folder(tmp_path_factory, small_phantom):
    from benchmark.ground.data import PhantomConfig, write_course_folder

    out = tmp_path_factory.mktemp("phantom")
    write_course_folder(small_phantom, out, PhantomConfig(24, 3, 64))
    return out


@pytest.fixture
def course_samples():
    if not SAMPLES.is_dir():
        pytest.skip("../shared/data/cmepda_samples is not beside this checkout")
    return sorted(SAMPLES.glob("*.pgm"))
