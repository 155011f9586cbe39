"""The box follows the image into LiteMedSAM's 256 x 256 frame and back."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from foundation.frame import FRAME_SIDE, box_from_frame, box_mask, box_to_frame


@st.composite
def boxes_on_grids(draw):
    height = draw(st.integers(1, 256))
    width = draw(st.integers(1, 256))
    r0 = draw(st.integers(0, height - 1))
    r1 = draw(st.integers(r0, height - 1))
    c0 = draw(st.integers(0, width - 1))
    c1 = draw(st.integers(c0, width - 1))
    return (r0, r1, c0, c1), (height, width)


@given(boxes_on_grids())
def test_a_box_round_trips_through_the_frame_on_any_grid_up_to_the_frame(case):
    roi, shape = case
    assert box_from_frame(box_to_frame(roi, shape), shape) == roi


@given(boxes_on_grids())
def test_the_frame_box_covers_the_same_part_of_the_scene(case):
    (r0, r1, c0, c1), (height, width) = case
    x0, y0, x1, y1 = box_to_frame((r0, r1, c0, c1), (height, width))
    # the box's edges, as fractions of the image, are the frame box's edges as fractions
    assert np.isclose(x0 / FRAME_SIDE, c0 / width) and np.isclose(y0 / FRAME_SIDE, r0 / height)
    assert np.isclose((x1 + 1) / FRAME_SIDE, (c1 + 1) / width)
    assert np.isclose((y1 + 1) / FRAME_SIDE, (r1 + 1) / height)
    assert 0 <= x0 <= x1 <= FRAME_SIDE - 1 and 0 <= y0 <= y1 <= FRAME_SIDE - 1


def test_a_non_square_image_scales_columns_and_rows_apart():
    # 64 rows x 128 columns: rows x 4, columns x 2; x is the column
    x0, y0, x1, y1 = box_to_frame((8, 15, 32, 63), (64, 128))
    assert (x0, x1) == (64.0, 127.0) and (y0, y1) == (32.0, 63.0)
    assert box_from_frame([x0, y0, x1, y1], (64, 128)) == (8, 15, 32, 63)


def test_the_whole_image_is_the_whole_frame_and_a_same_size_image_is_unchanged():
    assert box_to_frame((0, 124, 0, 124), (125, 125)).tolist() == [0, 0, 255, 255]
    assert box_to_frame((3, 9, 4, 200), (256, 256)).tolist() == [4, 3, 200, 9]


def test_a_box_thinner_than_a_frame_pixel_keeps_one():
    x0, _, x1, _ = box_to_frame((0, 0, 10, 10), (1, 1024))
    assert x1 == x0 == 2.5


def test_a_bad_shape_is_named():
    with pytest.raises(ValueError, match="'shape' parameter of box_to_frame"):
        box_to_frame((0, 1, 0, 1), (0, 4))
    with pytest.raises(ValueError, match="'shape' parameter of box_from_frame"):
        box_from_frame([0, 0, 1, 1], "big")


def test_box_mask_is_the_inclusive_box():
    inside = box_mask((2, 4, 1, 1), (6, 3))
    assert inside.sum() == 3 and inside[2:5, 1].all()
