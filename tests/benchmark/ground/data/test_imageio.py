"""Image reading and writing: PGM 8/16-bit, PNG, TIFF round trips and broken files."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from benchmark.ground.data.imageio import read_image, to_unit_float, write_pgm
from benchmark.ground.errors import InputError


@settings(max_examples=40, deadline=None)
@given(arrays(st.sampled_from([np.uint8, np.uint16]),
              st.tuples(st.integers(1, 30), st.integers(1, 30))))
def test_pgm_round_trip_is_exact(tmp_path_factory, pixels):
    path = tmp_path_factory.mktemp("pgm") / "x.pgm"
    write_pgm(path, pixels)
    back, maxval = read_image(path)
    np.testing.assert_array_equal(back, pixels)
    assert maxval == (255 if pixels.dtype == np.uint8 else 65535)


def test_pgm_header_comments_and_small_maxval(tmp_path):
    path = tmp_path / "c.pgm"
    path.write_bytes(b"P5\n# a comment\n3 2\n# another\n15\n" + bytes([0, 1, 2, 3, 15, 7]))
    pixels, maxval = read_image(path)
    assert maxval == 15
    assert pixels.tolist() == [[0, 1, 2], [3, 15, 7]]
    assert to_unit_float(pixels, maxval, path).max() == 1.0


def test_plain_pgm_is_read(tmp_path):
    path = tmp_path / "p.pgm"
    path.write_text("P2\n2 2\n255\n0 10\n20 255\n")
    assert read_image(path)[0].tolist() == [[0, 10], [20, 255]]


def test_truncated_pgm_names_the_file(tmp_path):
    path = tmp_path / "cut.pgm"
    path.write_bytes(b"P5\n10 10\n255\n" + bytes(50))
    with pytest.raises(InputError, match="truncated PGM: 50 of 100") as info:
        read_image(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("content", [b"", b"garbage bytes", b"P5\n10 x\n255\n", b"P5\n"])
def test_garbage_pgm_is_an_input_error(tmp_path, content):
    path = tmp_path / "bad.pgm"
    path.write_bytes(content)
    with pytest.raises(InputError, match="bad.pgm"):
        read_image(path)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_png_and_tiff_round_trip(tmp_path, suffix, dtype, rng):
    pixels = rng.integers(0, np.iinfo(dtype).max, (9, 11)).astype(dtype)
    path = tmp_path / f"x{suffix}"
    if suffix == ".tif":
        import tifffile

        tifffile.imwrite(path, pixels)
    else:
        Image.fromarray(pixels).save(path)
    back, maxval = read_image(path)
    np.testing.assert_array_equal(back, pixels)
    assert maxval == np.iinfo(dtype).max


def test_colour_png_is_rejected(tmp_path):
    path = tmp_path / "rgb.png"
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(path)
    with pytest.raises(InputError, match="grey"):
        read_image(path)


def test_corrupt_png_is_an_input_error(tmp_path, rng):
    path = tmp_path / "bad.png"
    Image.fromarray(rng.integers(0, 255, (40, 40)).astype(np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[:600])
    with pytest.raises(InputError, match="bad.png"):
        read_image(path)
