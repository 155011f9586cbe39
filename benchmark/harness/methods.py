"""Every method the runner can run: the classical segmenters and the deep models, one namespace.

The harness is the one place that knows every family. The classical registry
(:data:`baselines.registry.SEGMENTERS`, the floors and the reference ``roi_ellipse``
included) comes first, then the deep models (:data:`deep.models.MODELS`), automatic, then
each again as ``<model>_roi`` in the ROI track (semi-automatic: the model sees the ROI
crop); ``run --all`` runs them in this order, ``list`` prints them and ``--methods`` is
checked against them. Importing the deep registry
imports Keras, and the classical one scikit-learn and scikit-image, so both happen only when
a function needs them: :data:`METHOD_NAMES` and :data:`METHOD_ALIASES` (checked against the
registries by a test) let the command line answer a misspelled name at once.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
from dataclasses import dataclass, field

from benchmark.ground.errors import InputError, ParameterError
from benchmark.harness.profiles import Profile
from foundation.registry import FOUNDATION, make_foundation, unavailable

#: Every registered method's name in run order (what :func:`method_names` returns), without
#: importing a registry; a test keeps it equal to the registries.
METHOD_NAMES = (
    "otsu", "region_growing", "region_growing_auto", "chan_vese", "chan_vese_auto",
    "geodesic_active_contour", "geodesic_active_contour_auto", "radial_maxvar", "pixel_rf",
    "pixel_svm", "roi_ellipse", "box_ellipse", "box_shape", "prior_disk", "prior_mask",
    "cae", "unet_course", "unet", "attention_unet", "unet_roi", "attention_unet_roi",
)
#: The foundation models (:data:`foundation.registry.FOUNDATION`, read without torch) run
#: after the classical methods and before the deep ones.
METHOD_NAMES = (*METHOD_NAMES[:METHOD_NAMES.index("cae")], *FOUNDATION,
                *METHOD_NAMES[METHOD_NAMES.index("cae"):])
#: Foundation models that ``--all`` leaves out (asked for by name): fine-tuning LiteMedSAM's
#: decoder on two CPU cores takes longer than the whole standard run.
ON_REQUEST = ("medsam_lite_ft",)
#: Other names of methods (:data:`baselines.registry.ALIASES`, without importing it).
METHOD_ALIASES = {"radial": "radial_maxvar"}


def _classical():
    """(SEGMENTERS, ALIASES) of :mod:`baselines.registry`, imported on first use (heavy)."""
    from baselines.registry import ALIASES, SEGMENTERS

    return SEGMENTERS, ALIASES


@dataclass(frozen=True)
class MethodInfo:
    """What tables, ``list`` and the runner need to know about a method.

    Parameters
    ----------
    name, family, description : str
    needs_roi : bool
        Semi-automatic (an ROI is given) or automatic.
    parameters : dict
        The estimator's parameters with their default values.
    tuned : tuple of str
        Parameters tuned on the training data (classical methods).
    architecture : dict
        The model builder's arguments with their defaults (deep models).
    stochastic : bool
        Whether two training seeds give two models (the estimator's class attribute
        ``stochastic``: True for the deep models, whose training draws initial weights and
        batches from a seed; False for the classical methods and the floors).
    """

    name: str
    family: str
    needs_roi: bool
    description: str
    parameters: dict = field(default_factory=dict)
    tuned: tuple = ()
    architecture: dict = field(default_factory=dict)
    stochastic: bool = False


@contextlib.contextmanager
def _native_stderr_muted():
    """Silence what native code writes to stderr (file descriptor 2) inside the block.

    TensorFlow's C++ start-up writes log lines (oneDNN notes) straight to descriptor 2 while
    it is imported, before its logging honours ``TF_CPP_MIN_LOG_LEVEL``; they would break
    the one-line error messages and bury the progress lines. Python exceptions still show.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (an embedding host, say)
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def deep_models() -> dict:
    """The deep registry (:data:`deep.models.MODELS`), imported with Keras' start-up muted.

    The Keras backend is checked first, without importing Keras
    (:func:`deep.backend_check.backend_problem`): a misspelled ``KERAS_BACKEND`` or a backend
    whose library is missing is answered at once, in one line.

    Raises
    ------
    InputError
        When the backend is not one massbench trains with, or Keras or its backend cannot be
        imported (saying which ``massbench`` extra to install).
    """
    if "deep.training" not in sys.modules:
        from deep.backend_check import backend_problem

        problem = backend_problem()
        if problem is not None:
            raise InputError(f"the deep models cannot be loaded: {problem}")
    try:
        if "deep.training" not in sys.modules:
            with _native_stderr_muted():
                import deep.training  # noqa: F401
        from deep.models import MODELS
    except ImportError as exc:  # a backend library that is installed but broken, say
        from deep.backend_check import install_hint

        raise InputError(f"the deep models cannot be loaded ({exc}); install a Keras backend "
                         f"({install_hint()}) or leave the deep methods out") from None
    return MODELS


#: The suffix of a deep model's ROI-track method name (``unet_roi``).
ROI_SUFFIX = "_roi"


#: The models registered in the ROI track too. ``cae`` and ``unet_course`` are left out of
#: it to keep the standard run within its 20-minute budget on two cores; any model runs
#: in the ROI track through ``DeepSegmenter(use_roi=True)``.
ROI_TRACK_MODELS = ("unet", "attention_unet")


def deep_method_names() -> list[str]:
    """The deep methods: every model automatic, then the ROI-track models."""
    models = list(deep_models())
    return models + [m + ROI_SUFFIX for m in models if m in ROI_TRACK_MODELS]


def _deep_model(name: str) -> tuple[str, bool]:
    """(model, use_roi) of a deep method name."""
    if name.endswith(ROI_SUFFIX) and name.removesuffix(ROI_SUFFIX) in ROI_TRACK_MODELS:
        return name.removesuffix(ROI_SUFFIX), True
    return name, False


def all_methods(*, deep: bool = True) -> dict[str, MethodInfo]:
    """Name -> :class:`MethodInfo` of every registered method, classical first."""
    segmenters, _ = _classical()
    methods = {}
    for name, (factory, description) in segmenters.items():
        estimator = factory()
        methods[name] = MethodInfo(name, estimator.family, bool(estimator.needs_roi),
                                   description, estimator.get_params(),
                                   tuple(sorted(estimator.tuning_grid)),
                                   stochastic=bool(estimator.stochastic))
    methods.update(foundation_methods())
    if deep:
        from deep.training import DeepSegmenter

        training = {k: v for k, v in DeepSegmenter().get_params().items() if k != "model"}
        for name in deep_method_names():
            model, use_roi = _deep_model(name)
            builder, description = deep_models()[model]
            estimator = DeepSegmenter(model=model, use_roi=use_roi)
            architecture = {p.name: p.default for p in
                            inspect.signature(builder).parameters.values()}
            if use_roi:
                description += ", on the ROI crop (pasted back; background outside the ROI)"
            methods[name] = MethodInfo(name, estimator.family, bool(estimator.needs_roi),
                                       description, training | {"use_roi": use_roi}, (),
                                       architecture, stochastic=bool(estimator.stochastic))
    return methods


def method_names(*, deep: bool = True) -> list[str]:
    """Every registered method's name, in run order."""
    segmenters, _ = _classical()
    return list(segmenters) + list(FOUNDATION) + (deep_method_names() if deep else [])


def foundation_methods() -> dict[str, MethodInfo]:
    """Name -> :class:`MethodInfo` of the foundation models, marked when they cannot run here."""
    methods, missing = {}, unavailable()
    for name, (_, description) in FOUNDATION.items():
        estimator = make_foundation(name)
        if missing is not None:
            description += f" [unavailable: {missing}]"
        methods[name] = MethodInfo(name, estimator.family, bool(estimator.needs_roi),
                                   description, estimator.get_params())
    return methods


def skipped_by_all() -> dict[str, str]:
    """Registered methods that ``--all`` leaves out, and why (one line each)."""
    missing = unavailable()
    return {name: (f"{name} skipped: it {missing}" if missing is not None else
                   f"{name} skipped: ask for it with --methods (it trains on the CPU for "
                   "long)")
            for name in FOUNDATION if missing is not None or name in ON_REQUEST}


def resolve_methods(names: list[str] | None) -> list[str]:
    """The registered methods that ``names`` asks for, in registry order; ``--all``'s for None.

    ``--all`` (None) leaves out what :func:`skipped_by_all` names: the foundation models when
    their extra is not installed, and those run on request only (:data:`ON_REQUEST`).

    Parameters
    ----------
    names : list of str or None
        Method names or aliases.

    Returns
    -------
    list of str

    Raises
    ------
    ParameterError
        For no name, an unknown name (listing the valid ones) or a name given twice.
    InputError
        For a foundation model whose extra is not installed (saying how to install it).

    Examples
    --------
    >>> resolve_methods(["region_growing", "radial"])
    ['region_growing', 'radial_maxvar']
    """
    if names is None:
        return [n for n in method_names() if n not in skipped_by_all()]
    segmenters, aliases = _classical()
    names = [aliases.get(n, n) for n in names]
    if not names:
        raise ParameterError("methods", "resolve_methods", "at least one method name", names)
    classical = list(segmenters) + list(FOUNDATION)
    known = method_names(deep=not all(n in classical for n in names))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ParameterError("methods", "resolve_methods", "registered method names ("
                             f"{', '.join(method_names())})", unknown[0],
                             choices=method_names() + list(aliases))
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ParameterError("methods", "resolve_methods", "names given once each",
                             repeated[0])
    missing = unavailable()
    for name in names:
        if name in FOUNDATION and missing is not None:
            raise InputError(f"method {name!r} {missing}")
    order = {n: i for i, n in enumerate(known)}
    return sorted(names, key=order.__getitem__)


#: DeepSegmenter parameters a cell sets itself: a profile may not set them.
_CELL_SET = ("model", "seed", "workdir", "use_roi")


def _check_keys(settings: dict, accepted, where: str) -> None:
    unknown = sorted(set(settings) - set(accepted))
    if unknown:
        raise ParameterError(where, "check_profile",
                             f"settings the methods accept ({', '.join(sorted(accepted))})",
                             unknown[0])


def check_profile(profile: Profile, *, deep: bool = True) -> None:
    """Check that every setting of a profile reaches a method (a misspelled key is an error).

    Parameters
    ----------
    profile : Profile
    deep : bool, default True
        Check the deep settings too (this imports Keras).

    Raises
    ------
    ParameterError
        Naming the setting no method of its family accepts, or an unknown model in
        ``deep_per_model``.
    """
    segmenters, _ = _classical()
    classical = set().union(*(f().get_params() for f, _ in segmenters.values()))
    _check_keys(profile.classical, classical, f"{profile.name}.classical")
    if not deep:
        return
    from deep.training import DeepSegmenter

    accepted = set(inspect.signature(DeepSegmenter).parameters) - set(_CELL_SET)
    _check_keys(profile.deep, accepted, f"{profile.name}.deep")
    _check_keys(profile.deep_per_model, deep_method_names(),
                f"{profile.name}.deep_per_model")
    for model, settings in profile.deep_per_model.items():
        _check_keys(settings, accepted, f"{profile.name}.deep_per_model.{model}")


def make_method(name: str, profile: Profile, *, seed: int, workdir=None):
    """A new, unfitted estimator for ``name`` with the profile's settings.

    Parameters
    ----------
    name : str
        A classical segmenter or a deep model.
    profile : Profile
    seed : int
        ``random_state`` of the classical methods that have one, ``seed`` of deep models.
    workdir : path-like, optional
        Where a deep model writes ``model.keras`` and ``history.csv``.

    Raises
    ------
    ParameterError
        For an unknown method, or a profile setting that no method of the family accepts
        (:func:`check_profile`: a misspelled key is an error, not silently dropped).
    """
    segmenters, _ = _classical()
    if name in FOUNDATION:  # no profile setting reaches them
        model = make_foundation(name)
        return (model.set_params(random_state=seed) if "random_state" in model.get_params()
                else model)
    check_profile(profile, deep=name not in segmenters)
    if name in segmenters:
        factory = segmenters[name][0]
        accepted = factory().get_params()
        params = {k: v for k, v in profile.classical.items() if k in accepted}
        if "random_state" in accepted:
            params["random_state"] = seed
        return factory(**params)
    if name not in deep_method_names():
        valid = ", ".join(method_names())
        raise ParameterError("name", "make_method", f"a registered method ({valid})", name)
    from deep.training import DeepSegmenter

    model, use_roi = _deep_model(name)
    # a ROI-track model has its model's settings, then its own
    settings = (profile.deep | profile.deep_per_model.get(model, {})
                | profile.deep_per_model.get(name, {}))
    return DeepSegmenter(model=model, use_roi=use_roi, seed=seed,
                         workdir=None if workdir is None else str(workdir), **settings)
