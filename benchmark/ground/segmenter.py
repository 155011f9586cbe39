"""The one estimator contract of every segmenter, classical or deep.

A segmenter is a scikit-learn style estimator; the runner treats every family alike through
this contract:

``fit(images, masks, *, rois=None, val=None) -> self``
    ``images``: sequence of (M, N) float arrays in [0, 1] (sizes may differ); ``masks``: their
    bool reference masks; ``rois``: one ``(row_min, row_max, col_min, col_max)`` rectangle per
    image, required when ``needs_roi``; ``val``: the fold's validation part as a tuple
    ``(images, masks)`` or ``(images, masks, rois)``, for tuning, model selection or early
    stopping. Parameters are validated here, once (scikit-learn's
    ``_parameter_constraints``).
``predict(images, *, rois=None) -> list of (M, N) bool arrays``
    One mask per image, on the image's own grid.
``save(folder) -> str``
    Writes the fitted model into ``folder`` (atomically) and returns the file's name.
``fit_record() -> dict``
    JSON-ready facts of the fit that a run records (tuned parameters, epochs, device, ...).
``family`` (one of :data:`FAMILIES`: ``"classical"``, ``"deep"``, ``"floor"`` (a predictor
that reads no pixel, learned on the training part; a track's floor is its strongest floor
that ran) or ``"reference"`` (a plain reference that reads no pixel and is no floor)),
``needs_roi`` (semi-automatic or not), ``batch_predict`` (True when one call on many images
is the way to time it; False when each image is segmented, and timed, on its own) and
``stochastic`` (True when two training seeds give two models).

Optional: ``resolution_ceiling(masks, *, rois=None)`` (each reference mask sent through the
method's own resize path and back: what a perfect model could score) and
``predict_seeds(images, *, rois=None)`` (the automatic seed point of each image).

:func:`check_part` is the input check both families call at that boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.ground.roi import check_roi

#: The families of methods (``family`` of an estimator).
FAMILIES = ("classical", "deep", "floor", "reference")


@dataclass(frozen=True)
class Part:
    """Checked inputs of one part of a fold: images, masks (or None) and ROIs (or Nones)."""

    images: list
    masks: list | None
    rois: list

    def __len__(self) -> int:
        return len(self.images)


def check_part(images, masks=None, rois=None, *, needs_roi: bool, owner: str,
               what: str = "image") -> Part:
    """Check and convert the inputs of ``fit`` or ``predict``.

    Parameters
    ----------
    images : sequence of (M, N) array_like
        Converted to float64 arrays; each must be 2-D.
    masks : sequence of (M, N) array_like, optional
        Converted to bool; one per image, of its image's shape.
    rois : sequence of tuple or None, optional
        One rectangle per image, each inside its image; required when ``needs_roi``.
    needs_roi : bool
        Whether the estimator is semi-automatic.
    owner : str
        The estimator's name, for the messages.
    what : str, default "image"
        What an image is called in the messages ("validation image", say).

    Returns
    -------
    Part

    Raises
    ------
    ValueError
        Naming the image, mask or ROI at fault.

    Examples
    --------
    >>> part = check_part([np.zeros((4, 4))], [np.ones((4, 4))], needs_roi=False, owner="x")
    >>> part.rois, part.masks[0].dtype
    ([None], dtype('bool'))
    """
    images = [np.asarray(im, dtype=np.float64) for im in images]
    for i, im in enumerate(images):
        if im.ndim != 2:
            raise ValueError(f"{what} {i} must be 2-D, got shape {im.shape}")
    if masks is not None:
        masks = [np.asarray(m, dtype=bool) for m in masks]
        if len(masks) != len(images):
            raise ValueError(f"got {len(images)} {what}s but {len(masks)} masks")
        for i, (im, m) in enumerate(zip(images, masks, strict=True)):
            if m.shape != im.shape:
                raise ValueError(f"mask {i} has shape {m.shape}, {what} {im.shape}")
    if rois is None:
        if needs_roi:
            raise ValueError(f"{owner} is semi-automatic: pass one ROI rectangle (row_min, "
                             f"row_max, col_min, col_max) per {what}")
        rois = [None] * len(images)
    else:
        rois = list(rois)
        if len(rois) != len(images):
            raise ValueError(f"got {len(images)} {what}s but {len(rois)} ROIs")
        rois = [None if r is None else check_roi(r, im.shape, where=f"roi {i}")
                for i, (r, im) in enumerate(zip(rois, images, strict=True))]
    return Part(images, masks, rois)


def check_fit_inputs(images, masks, rois, val, *, needs_roi: bool,
                     owner: str) -> tuple[Part, Part | None]:
    """Check the training part and the optional validation part of ``fit``.

    Returns
    -------
    train : Part
    val : Part or None

    Raises
    ------
    ValueError
        For an empty training part, a malformed ``val`` or any problem :func:`check_part`
        finds.
    """
    if len(images) == 0:
        raise ValueError(f"{owner}.fit needs at least one training image")
    train = check_part(images, masks, rois, needs_roi=needs_roi, owner=owner)
    if val is None:
        return train, None
    if not isinstance(val, tuple | list) or len(val) not in (2, 3):
        raise ValueError(f"The 'val' parameter of {owner}.fit must be a tuple (images, masks) "
                         f"or (images, masks, rois). Got {type(val).__name__} instead.")
    val_images, val_masks, *val_rois = val
    checked = check_part(val_images, val_masks, val_rois[0] if val_rois else None,
                         needs_roi=needs_roi and len(val_images) > 0, owner=owner,
                         what="validation image")
    return train, checked
