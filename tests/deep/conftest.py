"""Fixtures of the deep tests: tiny phantom crops of mixed sizes."""

import pytest

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def tiny():
    from benchmark.ground.data import make_phantom

    ds = make_phantom(10, seed=5, size=40)
    images = [c.image for c in ds]
    masks = [c.mask for c in ds]
    return images[:6], masks[:6], images[6:8], masks[6:8], images[8:], masks[8:]
