"""The ROI a user would draw: inside the image, around the lesion, margins in range, seeded."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.ground.roi import (
    DEFAULT_ROI_MARGIN,
    bounding_box,
    case_rng,
    check_margin,
    draw_roi,
)


@st.composite
def lesions(draw):
    """A random rectangle-and-blob mask on an image of random size."""
    h, w = draw(st.integers(4, 80)), draw(st.integers(4, 80))
    r0, c0 = draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))
    r1, c1 = draw(st.integers(r0, h - 1)), draw(st.integers(c0, w - 1))
    mask = np.zeros((h, w), bool)
    mask[r0:r1 + 1, c0:c1 + 1] = True
    holes = draw(st.lists(st.tuples(st.integers(r0, r1), st.integers(c0, c1)), max_size=5))
    for r, c in holes:  # a ragged outline; the bounding box is set by the rows/cols left
        mask[r, c] = False
    return mask


@given(lesions(), st.integers(0, 2**32 - 1), st.text(min_size=1, max_size=12),
       st.floats(0, 1), st.floats(0, 1))
@settings(max_examples=300, deadline=None)
def test_the_box_is_inside_the_image_holds_the_lesion_and_has_margins_in_range(
        mask, seed, case, a, b):
    low, high = sorted((a, b))
    roi = draw_roi(mask, seed=seed, case_id=case, margin=(low, high))
    h, w = mask.shape
    r0, r1, c0, c1 = roi
    assert 0 <= r0 <= r1 < h and 0 <= c0 <= c1 < w
    box = bounding_box(mask)
    if box is None:
        assert roi == (0, h - 1, 0, w - 1)
        return
    b0, b1, d0, d1 = box
    assert r0 <= b0 and b1 <= r1 and c0 <= d0 and d1 <= c1  # never inside the lesion
    height, width = b1 - b0 + 1, d1 - d0 + 1
    for margin, size, clipped in ((b0 - r0, height, r0 == 0), (r1 - b1, height, r1 == h - 1),
                                  (d0 - c0, width, c0 == 0), (c1 - d1, width, c1 == w - 1)):
        # whole pixels: the drawn fraction of the extent, rounded; less only where clipped
        assert margin <= np.rint(high * size)
        assert clipped or margin >= np.rint(low * size)
    assert roi == draw_roi(mask, seed=seed, case_id=case, margin=(low, high))


def test_the_draw_depends_on_the_seed_and_the_case_only():
    mask = np.zeros((200, 200), bool)
    mask[80:120, 70:130] = True
    a = draw_roi(mask, seed=1, case_id="0001p1_1_1")
    assert a == draw_roi(mask.copy(), seed=1, case_id="0001p1_1_1")
    others = {draw_roi(mask, seed=s, case_id=c) for s, c in
              ((2, "0001p1_1_1"), (1, "0002p1_1_1"), (1, "0001p1_1_2"))}
    assert a not in others and len(others) == 3
    # the four sides get margins of their own, not one margin for the whole box
    r0, r1, c0, c1 = a
    assert len({80 - r0, r1 - 119, 70 - c0, c1 - 129}) > 1


def test_the_same_case_gets_the_same_stream_in_every_process():
    # CRC-32, not Python's salted hash: another process, another hash salt, the same draw
    code = ("from benchmark.ground.roi import case_rng; "
            "print(case_rng(12345, '0001p1_1_1').integers(0, 2**31))")
    env = dict(os.environ, PYTHONHASHSEED="97")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout
    assert int(out) == case_rng(12345, "0001p1_1_1").integers(0, 2**31)


def test_margins_spread_over_the_whole_range():
    mask = np.zeros((400, 400), bool)
    mask[150:250, 150:250] = True
    margins = np.array([150 - draw_roi(mask, seed=0, case_id=str(i))[0] for i in range(400)])
    low, high = DEFAULT_ROI_MARGIN
    assert margins.min() == pytest.approx(100 * low, abs=1)
    assert margins.max() == pytest.approx(100 * high, abs=1)
    assert margins.mean() == pytest.approx(100 * (low + high) / 2, abs=1)


def test_a_zero_margin_gives_the_tight_box():
    mask = np.zeros((30, 40), bool)
    mask[3:9, 10:31] = True
    assert draw_roi(mask, seed=5, case_id="x", margin=(0, 0)) == bounding_box(mask) \
        == (3, 8, 10, 30)


@pytest.mark.parametrize("margin, message", [
    ((0.3, 0.1), "0 <= LO <= HI"), ((-0.1, 0.2), "0 <= LO <= HI"),
    ((0.1, float("nan")), "0 <= LO <= HI"), ((0.1,), "two fractions LO,HI"),
    ("ab", "two fractions LO,HI")])
def test_a_bad_margin_range_is_named(margin, message):
    with pytest.raises(ValueError, match=message):
        check_margin(margin)
