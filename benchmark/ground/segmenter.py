"""The one estimator contract of every segmenter: built-in, plug-in, classical or deep.

A segmenter is a scikit-learn style estimator; the runner treats every family alike through
this contract, typed as :class:`SegmenterProtocol`:

``fit(images, masks, *, rois=None, val=None) -> self``
    ``images``: list of (M, N) float64 arrays in [0, 1] (sizes may differ); ``masks``: their
    bool reference masks, each of its image's shape; ``rois``: one
    ``(row_min, row_max, col_min, col_max)`` rectangle per image (0-based, inclusive), given
    when ``needs_roi`` and None otherwise; ``val``: the fold's validation part as a tuple
    ``(images, masks, rois)`` (``rois`` None for an automatic method; the part may be empty),
    for tuning, model selection or early stopping, and nothing else. Parameters are validated
    here, once (scikit-learn's ``_parameter_constraints``).
``predict(images, *, rois=None) -> list of (M, N) bool arrays``
    One mask per image, on the image's own grid (``rois`` as for ``fit``).
``needs_roi``
    True for the ROI track (semi-automatic: the method is given the ROI box), False for the
    automatic track.

Optional, with the defaults the harness supplies to a plug-in
(:class:`benchmark.harness.plugins.PluginSegmenter`):

``name`` (the class's name), ``family`` (one of :data:`FAMILIES`; ``"custom"``),
``stochastic`` (True when two training seeds give two models; False), ``batch_predict``
(True when one call on many images is the way to time it, False when each image is segmented,
and timed, on its own; False), ``save(folder) -> str | None`` (writes the fitted model into
``folder`` and returns the file's name; nothing), ``fit_record() -> dict`` (JSON-ready facts
of the fit a run records: tuned parameters, epochs, device; ``{}``), ``get_params()`` (the
public attributes), ``random_state`` (when there, set to the cell's seed),
``resolution_ceiling(masks, *, rois=None)`` (each reference mask sent through the method's own
resize path and back: what a perfect model could score) and
``predict_seeds(images, *, rois=None)`` (the automatic seed point of each image).

The families: ``"classical"``, ``"deep"``, ``"foundation"``, ``"floor"`` (a predictor that
reads no pixel, learned on the training part; a track's floor is its strongest floor that
ran), ``"reference"`` (a plain reference that reads no pixel and is no floor) and
``"custom"`` (a plug-in's default).

:func:`check_segmenter` checks an estimator against the contract on a tiny synthetic case
(the check a plug-in passes before a run writes anything); :func:`check_part` is the input
check the built-in families call at their boundary.
"""

from __future__ import annotations

import inspect
import re
import tempfile
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from benchmark.ground.errors import InputError
from benchmark.ground.roi import check_roi

#: The families of methods (``family`` of an estimator).
FAMILIES = ("classical", "deep", "foundation", "floor", "reference", "custom")
#: The family of a plug-in that does not say.
DEFAULT_FAMILY = "custom"
#: What a method's name may be (it names folders and files of a run).
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@runtime_checkable
class SegmenterProtocol(Protocol):
    """The members every segmenter has (the optional ones are in the module's docstring).

    Examples
    --------
    >>> class Everything:
    ...     needs_roi = False
    ...     def fit(self, images, masks, *, rois=None, val=None):
    ...         return self
    ...     def predict(self, images, *, rois=None):
    ...         return [np.ones(np.shape(im), dtype=bool) for im in images]
    >>> isinstance(Everything(), SegmenterProtocol)
    True
    """

    needs_roi: bool

    def fit(self, images, masks, *, rois=None, val=None) -> SegmenterProtocol:
        """Learn on the training part; return self."""

    def predict(self, images, *, rois=None) -> list[np.ndarray]:
        """One (M, N) bool mask per image."""


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


class ContractError(InputError):
    """A segmenter that breaks the contract (:func:`check_segmenter`): bad input, exit code 2.

    Parameters
    ----------
    problem : str
        What is wrong, in one line (``str(error)`` puts ``owner`` in front of it).
    owner : str, optional
        The segmenter (its class's name, or the plug-in spec it came from).
    """

    def __init__(self, problem: str, owner: str | None = None):
        super().__init__(problem, owner)
        self.problem = problem


def _summary(exc: BaseException) -> str:
    """An exception raised inside a segmenter's code, in one line."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def check_masks(masks, images, *, owner: str | None = None) -> list[np.ndarray]:
    """Check what ``predict`` returned for ``images``: one 2-D bool mask per image, its shape.

    Returns
    -------
    list of (M, N) ndarray of bool

    Raises
    ------
    ContractError
        Naming the mask at fault (its count, type, dimensions, shape or dtype).
    """
    if isinstance(masks, np.ndarray) and masks.ndim == 3:
        masks = list(masks)
    if not isinstance(masks, list | tuple):
        raise ContractError(f"predict must return a list of masks, got "
                            f"{type(masks).__name__}", owner)
    if len(masks) != len(images):
        raise ContractError(f"predict returned {len(masks)} mask(s) for {len(images)} "
                            "image(s): one per image", owner)
    for i, (mask, image) in enumerate(zip(masks, images, strict=True)):
        if not isinstance(mask, np.ndarray):
            raise ContractError(f"predict returned a {type(mask).__name__} for image {i}, "
                                "not a numpy array", owner)
        if mask.shape != np.shape(image):
            raise ContractError(f"predict returned a mask of shape {mask.shape} for image {i} "
                                f"of shape {np.shape(image)}: each mask has its image's "
                                "shape", owner)
        if mask.dtype != bool:
            raise ContractError(f"predict returned a mask of dtype {mask.dtype} for image {i}: "
                                "masks are bool arrays (mask > 0.5, say)", owner)
    return list(masks)


def segmenter_name(estimator) -> str:
    """A segmenter's ``name``, or its class's name."""
    name = getattr(estimator, "name", None)
    return name if isinstance(name, str) else type(estimator).__name__


def _build(estimator_or_class, owner: str):
    if not inspect.isclass(estimator_or_class):
        return estimator_or_class
    try:
        return estimator_or_class()
    except Exception as exc:  # noqa: BLE001 - the segmenter's own code
        raise ContractError(f"cannot be built without arguments ({_summary(exc)}); "
                            "give every __init__ parameter a default", owner) from exc


def _check_members(estimator, owner: str) -> None:
    """The attributes and signatures of the contract, before anything is called."""
    for method, signature in (("fit", "fit(images, masks, *, rois=None, val=None)"),
                              ("predict", "predict(images, *, rois=None)")):
        if not callable(getattr(estimator, method, None)):
            raise ContractError(f"has no {method} method (the contract: {signature})", owner)
        params = inspect.signature(getattr(estimator, method)).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
        keywords = ("rois", "val") if method == "fit" else ("rois",)
        missing = [k for k in keywords if k not in params and not takes_any]
        if missing:
            raise ContractError(f"{method} does not take the keyword {missing[0]!r} (the "
                                f"contract: {signature})", owner)
    if not hasattr(estimator, "needs_roi"):
        raise ContractError("has no attribute needs_roi: set it to True for the ROI track "
                            "(the method is given the ROI box) or False for the automatic "
                            "track", owner)
    for flag in ("needs_roi", "stochastic", "batch_predict"):
        value = getattr(estimator, flag, False)
        if not isinstance(value, bool | np.bool_):
            raise ContractError(f"{flag} must be True or False, got {value!r}", owner)
    name = getattr(estimator, "name", None)
    if name is not None and not (isinstance(name, str) and NAME_PATTERN.fullmatch(name)):
        raise ContractError(f"name must be a letter followed by letters, digits, _ or - (it "
                            f"names the run's folders), got {name!r}", owner)
    family = getattr(estimator, "family", DEFAULT_FAMILY)
    if family not in FAMILIES:
        raise ContractError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}",
                            owner)
    for method in ("save", "fit_record", "get_params"):
        if hasattr(estimator, method) and not callable(getattr(estimator, method)):
            raise ContractError(f"{method} must be a method", owner)


def tiny_case(seed: int = 0) -> dict:
    """A tiny synthetic case: bright disks on noise, on grids of several sizes.

    Returns
    -------
    dict
        ``train``, ``val`` and ``test``, each ``(images, masks, rois)``: lists of (M, N)
        float64 images in [0, 1], their bool masks and their ROI boxes (the disk's
        bounding box grown by 2 pixels).
    """
    rng = np.random.default_rng(seed)
    parts = {"train": [(24, 24), (20, 28), (28, 20)], "val": [(24, 24)],
             "test": [(22, 26), (26, 22)]}
    case = {}
    for part, shapes in parts.items():
        images, masks, rois = [], [], []
        for rows, cols in shapes:
            r0, c0 = rows / 2 + rng.uniform(-2, 2), cols / 2 + rng.uniform(-2, 2)
            radius = rng.uniform(4, 6)
            yy, xx = np.mgrid[:rows, :cols]
            mask = (yy - r0) ** 2 + (xx - c0) ** 2 <= radius**2
            image = np.clip(0.25 + 0.5 * mask + rng.normal(0, 0.05, (rows, cols)), 0, 1)
            where = np.argwhere(mask)
            (a, b), (c, d) = where.min(axis=0), where.max(axis=0)
            rois.append((max(0, int(a) - 2), min(rows - 1, int(c) + 2),
                         max(0, int(b) - 2), min(cols - 1, int(d) + 2)))
            images.append(image)
            masks.append(mask)
        case[part] = (images, masks, rois)
    return case


def _call(owner: str, what: str, function, *args, **kwargs):
    """Call a segmenter's own code; what it raises becomes a :class:`ContractError`."""
    try:
        return function(*args, **kwargs)
    except ContractError:
        raise
    except Exception as exc:  # noqa: BLE001 - the segmenter's own code, said in one line
        raise ContractError(f"{what} raised {_summary(exc)}", owner) from exc


def check_segmenter(estimator_or_class, *, owner: str | None = None) -> None:
    """Check that a segmenter keeps the contract, on a tiny synthetic case.

    The check a plug-in method passes before a run writes anything (``run --methods
    FILE.py:Class``), for its author to run first, as scikit-learn's ``check_estimator``. It
    builds the class without arguments, checks the members (``fit``, ``predict`` and their
    keywords, ``needs_roi``, the optional ``name``, ``family``, ``stochastic``,
    ``batch_predict``, ``save``, ``fit_record``), fits it on three bright disks on noise
    (given their ROI boxes when ``needs_roi``, and a validation part), and checks that
    ``predict`` returns one 2-D bool mask per image, of the image's shape, for two images
    at once and for one; then calls ``fit_record()`` and ``save(folder)`` (into a temporary
    folder) when the segmenter has them.

    Parameters
    ----------
    estimator_or_class : object or type
        A segmenter, or its class (built without arguments).
    owner : str, optional
        What the messages call it (default: its ``name``, or its class's name).

    Raises
    ------
    ContractError
        The first problem found, in one line (an :class:`InputError`: the command line
        prints it and exits with code 2). An exception raised inside the segmenter's own
        code (its ``fit``, say) is reported as ``fit raised ValueError: ...``, chained.

    See Also
    --------
    SegmenterProtocol : the contract's members.

    Examples
    --------
    >>> class Brightest:
    ...     needs_roi = False
    ...     def fit(self, images, masks, *, rois=None, val=None):
    ...         self.level_ = np.mean([im[m].mean() for im, m in zip(images, masks)])
    ...         return self
    ...     def predict(self, images, *, rois=None):
    ...         return [im > self.level_ - 0.1 for im in images]
    >>> check_segmenter(Brightest)  # passes: returns None
    >>> class Broken(Brightest):
    ...     def predict(self, images, *, rois=None):
    ...         return [np.zeros((4, 4), dtype=bool) for im in images]
    >>> try:
    ...     check_segmenter(Broken)
    ... except ContractError as error:
    ...     print(error.problem.split(":")[0])
    predict returned a mask of shape (4, 4) for image 0 of shape (22, 26)
    """
    if owner is None:
        owner = (estimator_or_class.__name__ if inspect.isclass(estimator_or_class)
                 else segmenter_name(estimator_or_class))
    estimator = _build(estimator_or_class, owner)
    _check_members(estimator, owner)
    case = tiny_case()
    needs_roi = bool(estimator.needs_roi)

    def boxes(part):
        return part[2] if needs_roi else None

    train, val, test = case["train"], case["val"], case["test"]
    fitted = _call(owner, "fit", estimator.fit, train[0], train[1], rois=boxes(train),
                   val=(val[0], val[1], boxes(val)))
    if fitted is not estimator:
        raise ContractError(f"fit must return self, got {type(fitted).__name__}", owner)
    check_masks(_call(owner, "predict", estimator.predict, test[0], rois=boxes(test)),
                test[0], owner=owner)
    one = boxes(test)
    check_masks(_call(owner, "predict", estimator.predict, test[0][:1],
                      rois=None if one is None else one[:1]), test[0][:1], owner=owner)
    if hasattr(estimator, "fit_record"):
        record = _call(owner, "fit_record", estimator.fit_record)
        if not isinstance(record, dict):
            raise ContractError(f"fit_record must return a dict, got {type(record).__name__}",
                                owner)
    if hasattr(estimator, "save"):
        with tempfile.TemporaryDirectory() as folder:
            saved = _call(owner, "save", estimator.save, folder)
        if saved is not None and not isinstance(saved, str):
            raise ContractError(f"save must return the file's name (str) or None, got "
                                f"{type(saved).__name__}", owner)
