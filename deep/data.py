"""Resizing to the model's grid and back, the ROI crops of the ROI track, and the batch feeder.

In the ROI track (``DeepSegmenter(use_roi=True)``) a model sees the ROI box plus a context
margin of :data:`ROI_CONTEXT` of the box's size on each side (the same for every model),
resized to its grid; its prediction is resized back to the crop and pasted into the image,
everything outside the ROI box being background. :func:`through_model_grid` is that path,
once, for predictions and for :func:`mask_round_trip` (a reference mask sent through it and
back: the resolution ceiling of a model of that input size).

Training targets are soft: a mask is resized to the model's grid as the images are (bilinear,
antialiased), so a cell holds (about) the share of it the lesion covers, the value a perfect
model of that grid would output.

Augmentation (random flips, 90-degree rotations, small intensity scale and offset) is done
in NumPy inside a ``keras.utils.PyDataset`` from a seeded generator, so that the same seed
gives the same batches on TensorFlow, JAX and PyTorch alike (``keras.random`` draws
different streams on different backends). It can train on windows of the grid (patches,
a share of them placed on the lesion) while the model predicts on the whole grid, so that a
grid fine enough for small lesions costs no more training than a coarser one.
"""

from __future__ import annotations

import keras
import numpy as np
from skimage.transform import resize

#: Context kept around the ROI box in the ROI track, as a fraction of the box's size per side.
ROI_CONTEXT = 0.10


def crop_box(roi, shape, *, context: float = ROI_CONTEXT) -> tuple[int, int, int, int]:
    """The crop of the ROI track: the ROI box grown by ``context`` of its size, clipped.

    Parameters
    ----------
    roi : tuple of int
        ``(row_min, row_max, col_min, col_max)``, inclusive.
    shape : tuple of int
        The image's shape.
    context : float, default 0.10
        Added on each side, as a fraction of the box's height (rows) or width (columns),
        rounded to whole pixels.

    Returns
    -------
    tuple of int
        The crop box, inclusive, inside the image and containing ``roi``.

    Examples
    --------
    >>> crop_box((20, 39, 10, 59), (64, 64))
    (18, 41, 5, 63)
    """
    r0, r1, c0, c1 = (int(v) for v in roi)
    pad_r, pad_c = round(context * (r1 - r0 + 1)), round(context * (c1 - c0 + 1))
    return (max(0, r0 - pad_r), min(shape[0] - 1, r1 + pad_r),
            max(0, c0 - pad_c), min(shape[1] - 1, c1 + pad_c))


def crop(image: np.ndarray, box) -> np.ndarray:
    """The part of an image inside an inclusive box ``(row_min, row_max, col_min, col_max)``."""
    r0, r1, c0, c1 = box
    return np.asarray(image)[r0:r1 + 1, c0:c1 + 1]


def paste(values: np.ndarray, box, roi, shape) -> np.ndarray:
    """Put a crop's values back at ``box`` on an image grid of ``shape``; zero outside ``roi``.

    Parameters
    ----------
    values : (h, w) ndarray
        The crop's values (probabilities or a mask), on the crop's own grid.
    box : tuple of int
        Where the crop was cut (:func:`crop_box`), inclusive.
    roi : tuple of int
        The ROI box: everything outside it is set to 0 (background).
    shape : tuple of int
        The image's shape.

    Returns
    -------
    ndarray
        ``shape``, the dtype of ``values``.

    Raises
    ------
    ValueError
        When ``values`` does not have the box's shape.

    Examples
    --------
    >>> full = paste(np.ones((4, 6)), (1, 4, 2, 7), (2, 3, 2, 7), (6, 9))
    >>> full.astype(int)[:, 1:8]
    array([[0, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0],
           [0, 1, 1, 1, 1, 1, 1],
           [0, 1, 1, 1, 1, 1, 1],
           [0, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0]])
    """
    values = np.asarray(values)
    r0, r1, c0, c1 = box
    if values.shape != (r1 - r0 + 1, c1 - c0 + 1):
        raise ValueError(f"paste: a crop of shape {values.shape} does not fit the box "
                         f"{tuple(box)}; give the values on the crop's own grid")
    full = np.zeros(tuple(shape), dtype=values.dtype)
    full[r0:r1 + 1, c0:c1 + 1] = values
    keep = np.zeros(tuple(shape), dtype=bool)
    keep[roi[0]:roi[1] + 1, roi[2]:roi[3] + 1] = True
    full[~keep] = 0
    return full


def to_model_grid(images, size: int) -> np.ndarray:
    """Resize 2-D images to (n, size, size, 1) float32 (bilinear, antialiased)."""
    out = np.empty((len(images), size, size, 1), dtype=np.float32)
    for i, image in enumerate(images):
        image = np.asarray(image, dtype=np.float32)
        out[i, ..., 0] = image if image.shape == (size, size) else resize(
            image, (size, size), order=1, anti_aliasing=True, preserve_range=True)
    return out


def masks_to_model_grid(masks, size: int) -> np.ndarray:
    """Resize masks to soft targets: (n, size, size, 1) float32 area fractions in [0, 1].

    Each mask goes, as a float {0, 1} image, through the resize of the images
    (:func:`to_model_grid`: bilinear, antialiased), so a cell of a coarser grid holds about
    the share of it the lesion covers (the antialiasing filter spreads an edge over a cell
    or so); a mask already on the grid stays {0, 1}.

    Examples
    --------
    >>> m = np.zeros((8, 8), bool); m[:4, :2] = True
    >>> grid = masks_to_model_grid([m], 4)
    >>> grid.shape, bool(grid.min() >= 0 and grid.max() <= 1), round(float(grid.mean()), 3)
    ((1, 4, 4, 1), True, 0.125)
    >>> sorted(set(masks_to_model_grid([m], 8).ravel().tolist()))
    [0.0, 1.0]
    """
    grid = to_model_grid([np.asarray(m, dtype=bool).astype(np.float32) for m in masks], size)
    return np.clip(grid, 0.0, 1.0, out=grid)


def to_image_grid(probabilities: np.ndarray, shape) -> np.ndarray:
    """Resize a (size, size) probability map back to an image's own grid (bilinear)."""
    if probabilities.shape == tuple(shape):
        return probabilities
    return resize(probabilities, shape, order=1, anti_aliasing=False, preserve_range=True)


def through_model_grid(arrays, size: int, predict, *, rois=None) -> list[np.ndarray]:
    """Send 2-D arrays down a model's path to its grid, through ``predict``, and back.

    The path of :meth:`deep.training.DeepSegmenter.predict_proba`: automatic (``rois`` None),
    each array is resized to the model grid (:func:`to_model_grid`), ``predict`` maps the
    batch, and each result is resized back to its array's own grid (:func:`to_image_grid`).
    With ``rois`` (the ROI track), each array is first cut to its crop (:func:`crop_box`,
    :func:`crop`) and each result pasted back (:func:`paste`), 0 outside the ROI box.

    Parameters
    ----------
    arrays : sequence of (M, N) array_like
        Images (or masks as floats).
    size : int
        The model grid's side.
    predict : callable
        (n, size, size, 1) float32 -> (n, size, size, 1) (a model's prediction; the identity
        for a round trip).
    rois : sequence of tuple, optional
        One ROI box per array (the ROI track).

    Returns
    -------
    list of (M, N) ndarray of float32
        Each on its array's own grid.

    Examples
    --------
    >>> back = through_model_grid([np.ones((10, 12))], 4, lambda x: x, rois=[(2, 5, 3, 8)])
    >>> back[0].shape, float(back[0].sum()), float(back[0][2:6, 3:9].sum())
    ((10, 12), 24.0, 24.0)
    """
    arrays = [np.asarray(a) for a in arrays]
    if rois is None:
        inputs, boxes = arrays, None
    else:
        boxes = [crop_box(roi, a.shape) for a, roi in zip(arrays, rois, strict=True)]
        inputs = [crop(a, box) for a, box in zip(arrays, boxes, strict=True)]
    out = np.asarray(predict(to_model_grid(inputs, size)), dtype=np.float32)[..., 0]
    back = [to_image_grid(p, np.shape(a)) for p, a in zip(out, inputs, strict=True)]
    if rois is None:
        return back
    return [paste(p, box, roi, a.shape) for p, box, roi, a in
            zip(back, boxes, rois, arrays, strict=True)]


def mask_round_trip(masks, size: int, *, rois=None) -> list[np.ndarray]:
    """Each mask sent through a model's path to its grid and back, untouched on the grid.

    What a perfect model of input ``size`` would answer (its output on the grid is the soft
    target, :func:`masks_to_model_grid`), before the threshold: the resolution ceiling's
    probabilities.

    Parameters
    ----------
    masks : sequence of (M, N) array_like of bool
    size : int
    rois : sequence of tuple, optional
        The ROI boxes, for a model of the ROI track (crop, resize, back, paste).

    Returns
    -------
    list of (M, N) ndarray of float32 in [0, 1]

    Examples
    --------
    >>> m = np.zeros((8, 8), bool); m[2:6, 2:6] = True
    >>> bool(((mask_round_trip([m], 8)[0] >= 0.5) == m).all())  # on the grid: unchanged
    True
    """
    floats = [np.asarray(m, dtype=bool).astype(np.float32) for m in masks]
    return through_model_grid(floats, size, lambda grid: np.clip(grid, 0.0, 1.0), rois=rois)


class AugmentedBatches(keras.utils.PyDataset):
    """Shuffled, augmented batches of (image, mask) arrays on the model grid, or patches of it.

    With ``patch`` set, each case of an epoch gives one ``patch`` x ``patch`` window of its
    grid (patch-based training, as nnU-Net trains: the model is fully convolutional and
    predicts on the whole grid): a share ``foreground`` of the windows is placed so that it
    holds a lesion cell drawn at random (a mask cell of at least 0.5; a case without one gets
    a window placed at random), the others anywhere on the grid. Every draw is made in the
    same number and order whatever the masks hold, so a seed gives the same batches on every
    backend.

    Parameters
    ----------
    x, y : (n, s, s, 1) ndarray of float32
    batch_size : int
    seed : int
        Seed of the shuffling, the windows and the augmentation; epoch ``e`` draws from
        ``[seed, e]``.
    augment : bool, default True
    patch : int or None, default None
        Side of the training window (None or ``s``: the whole grid).
    foreground : float, default 1/3
        Share of the windows placed on a lesion cell (with ``patch`` only).

    Examples
    --------
    >>> x = np.zeros((4, 16, 16, 1), np.float32); y = np.zeros_like(x); y[:, 2, 13] = 1
    >>> feeder = AugmentedBatches(x, y, batch_size=4, seed=0, augment=False, patch=8,
    ...                           foreground=1.0)
    >>> xb, yb = feeder[0]
    >>> xb.shape, bool((yb.reshape(4, -1).max(axis=1) == 1).all())
    ((4, 8, 8, 1), True)
    """

    def __init__(self, x, y, batch_size: int, seed: int, augment: bool = True, *,
                 patch: int | None = None, foreground: float = 1 / 3):
        super().__init__()
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.seed = seed
        self.augment = augment
        side = x.shape[1]
        if patch is not None and not 1 <= patch <= side:
            raise ValueError(f"patch must be between 1 and the grid's side {side}; "
                             f"got {patch!r}")
        if not 0 <= foreground <= 1:
            raise ValueError(f"foreground must be a share in [0, 1]; got {foreground!r}")
        self.patch = None if patch in (None, side) else int(patch)
        self.foreground = float(foreground)
        # the lesion cells of each case (flat indices), drawn from when a window must hold one
        self._lesion = [np.flatnonzero(m[..., 0] >= 0.5) for m in y]
        self.epoch = 0
        self._shuffle()

    def _shuffle(self):
        self.rng = np.random.default_rng([self.seed, self.epoch])
        self.order = self.rng.permutation(len(self.x))
        n = len(self.x)
        self.params = {
            "flip_v": self.rng.random(n) < 0.5,
            "flip_h": self.rng.random(n) < 0.5,
            "rot": self.rng.integers(0, 4, n),
            "scale": self.rng.uniform(0.9, 1.1, n).astype(np.float32),
            "shift": self.rng.uniform(-0.05, 0.05, n).astype(np.float32),
        }
        if self.patch is not None:
            self.corners = self._windows(self.rng.random((n, 4)))

    def _windows(self, draws: np.ndarray) -> np.ndarray:
        """Top-left corners (n, 2) of the epoch's windows from uniform ``draws`` (n, 4)."""
        side, patch = self.x.shape[1], self.patch
        span = side - patch + 1  # the corners a window can take along an axis
        corners = np.minimum((draws[:, 2:] * span).astype(int), span - 1)
        for k, (on_lesion, pick) in enumerate(zip(draws[:, 0] < self.foreground, draws[:, 1],
                                                  strict=True)):
            cells = self._lesion[k]
            if not on_lesion or cells.size == 0:
                continue
            row, col = divmod(int(cells[min(int(pick * cells.size), cells.size - 1)]), side)
            for axis, centre in enumerate((row, col)):  # a corner whose window holds the cell
                low, high = max(0, centre - patch + 1), min(centre, side - patch)
                corners[k, axis] = low + min(int(draws[k, 2 + axis] * (high - low + 1)),
                                             high - low)
        return corners

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, index):
        pick = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        if self.patch is None:
            x, y = self.x[pick].copy(), self.y[pick].copy()
        else:
            w, corners = self.patch, self.corners[pick]
            x = np.stack([self.x[k, r:r + w, c:c + w] for k, (r, c) in
                          zip(pick, corners, strict=True)])
            y = np.stack([self.y[k, r:r + w, c:c + w] for k, (r, c) in
                          zip(pick, corners, strict=True)])
        if self.augment:
            for j, k in enumerate(pick):
                p = {name: values[k] for name, values in self.params.items()}
                xi, yi = x[j, ..., 0], y[j, ..., 0]
                if p["flip_v"]:
                    xi, yi = xi[::-1], yi[::-1]
                if p["flip_h"]:
                    xi, yi = xi[:, ::-1], yi[:, ::-1]
                xi, yi = np.rot90(xi, p["rot"]), np.rot90(yi, p["rot"])
                x[j, ..., 0] = np.clip(xi * p["scale"] + p["shift"], 0, 1)
                y[j, ..., 0] = yi
        return x, y

    def on_epoch_end(self):
        """Reshuffle and draw new augmentations for the next epoch."""
        self.epoch += 1
        self._shuffle()
