"""Every method the runner can run: the registries' and the plug-ins, one namespace.

The harness is the one place that knows every family. The names come from the registries
alone, each read without importing what it registers: the classical segmenters
(:data:`baselines.registry.SEGMENTERS`, the floors and the reference ``roi_ellipse``
included) first, then the foundation models (:data:`foundation.registry.FOUNDATION`), then
the deep models (:data:`deep.registry.MODELS`), automatic, then those the registry marks
``roi_track`` again as ``<model>_roi`` in the ROI track (semi-automatic: the model sees the
ROI crop). ``run --all`` runs them in this order (less the ``on_request`` ones), ``list``
prints them and ``--methods`` is checked against them, at once: the command line answers a
misspelled name before scikit-learn, scikit-image, Keras or PyTorch is imported. Beside
them, ``--methods`` takes plug-ins (:mod:`benchmark.harness.plugins`): ``FILE.py:Class``,
``module:Class``, an entry point's name, or from Python a class; they run after the
registered methods, in the order given.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
from dataclasses import dataclass, field

from baselines.registry import ALIASES, SEGMENTERS
from benchmark.ground.errors import InputError, ParameterError
from benchmark.harness import plugins
from benchmark.harness.profiles import Profile
from deep.registry import MODELS, ROI_SUFFIX, roi_track_models
from foundation.registry import FOUNDATION, make_foundation, unavailable


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
    spec : str
        A plug-in's spec (:attr:`benchmark.harness.plugins.Plugin.spec`); empty for a
        registered method.
    """

    name: str
    family: str
    needs_roi: bool
    description: str
    parameters: dict = field(default_factory=dict)
    tuned: tuple = ()
    architecture: dict = field(default_factory=dict)
    stochastic: bool = False
    spec: str = ""


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
    """The deep registry (:data:`deep.registry.MODELS`), once Keras is imported (start-up muted).

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
    except ImportError as exc:  # a backend library that is installed but broken, say
        from deep.backend_check import install_hint

        raise InputError(f"the deep models cannot be loaded ({exc}); install a Keras backend "
                         f"({install_hint()}) or leave the deep methods out") from None
    return MODELS



def deep_method_names() -> list[str]:
    """The deep methods: every model automatic, then the ROI-track models (no import)."""
    return list(MODELS) + [m + ROI_SUFFIX for m in roi_track_models()]


def is_deep(name: str) -> bool:
    """Whether ``name`` is a registered deep method (its cells need Keras)."""
    return name in deep_method_names()


def _deep_model(name: str) -> tuple[str, bool]:
    """(model, use_roi) of a deep method name."""
    if name.endswith(ROI_SUFFIX) and name.removesuffix(ROI_SUFFIX) in roi_track_models():
        return name.removesuffix(ROI_SUFFIX), True
    return name, False


def method_names(*, deep: bool = True) -> list[str]:
    """Every registered method's name, in run order (read from the registries; no import).

    Examples
    --------
    >>> method_names()[:2], method_names()[-1]
    (['otsu', 'region_growing'], 'attention_unet_roi')
    """
    return list(SEGMENTERS) + list(FOUNDATION) + (deep_method_names() if deep else [])


def _classical_info(name: str) -> MethodInfo:
    estimator = SEGMENTERS[name].make()
    return MethodInfo(name, estimator.family, bool(estimator.needs_roi),
                      SEGMENTERS[name].description, estimator.get_params(),
                      tuple(sorted(estimator.tuning_grid)),
                      stochastic=bool(estimator.stochastic))


def _deep_info(name: str) -> MethodInfo:
    deep_models()  # the backend checked, Keras imported with its start-up muted
    from deep.training import DeepSegmenter

    model, use_roi = _deep_model(name)
    training = {k: v for k, v in DeepSegmenter().get_params().items() if k != "model"}
    estimator = DeepSegmenter(model=model, use_roi=use_roi)
    architecture = {p.name: p.default for p in
                    inspect.signature(MODELS[model].load()).parameters.values()}
    description = MODELS[model].description
    if use_roi:
        description += ", on the ROI crop (pasted back; background outside the ROI)"
    return MethodInfo(name, estimator.family, bool(estimator.needs_roi), description,
                      training | {"use_roi": use_roi}, (), architecture,
                      stochastic=bool(estimator.stochastic))


def plugin_info(plugin: plugins.Plugin) -> MethodInfo:
    """The :class:`MethodInfo` of a loaded plug-in (its docstring's first line describes it)."""
    estimator = plugin.make()
    doc = inspect.getdoc(type(estimator.estimator)) or ""
    description = doc.strip().splitlines()[0] if doc.strip() else f"plug-in {plugin.spec}"
    return MethodInfo(plugin.name, estimator.family, estimator.needs_roi, description,
                      estimator.get_params(), stochastic=estimator.stochastic,
                      spec=plugin.spec)


def method_info(names) -> dict[str, MethodInfo]:
    """Name -> :class:`MethodInfo` of the methods ``names`` (registered or loaded plug-ins).

    Only what ``names`` needs is imported (Keras for a deep method).

    Raises
    ------
    ParameterError
        For a name that is neither registered nor a plug-in loaded in this process.
    """
    info = {}
    for name in names:
        if name in SEGMENTERS:
            info[name] = _classical_info(name)
        elif name in FOUNDATION:
            info[name] = foundation_methods()[name]
        elif is_deep(name):
            info[name] = _deep_info(name)
        elif plugins.loaded(name) is not None:
            info[name] = plugin_info(plugins.loaded(name))
        else:
            raise ParameterError("name", "method_info", "a registered method or a loaded "
                                 "plug-in", name, choices=method_names())
    return info


def all_methods(*, deep: bool = True) -> dict[str, MethodInfo]:
    """Name -> :class:`MethodInfo` of every registered method, in run order."""
    return method_info(method_names(deep=deep))


def foundation_methods() -> dict[str, MethodInfo]:
    """Name -> :class:`MethodInfo` of the foundation models, marked when they cannot run here."""
    methods, missing = {}, unavailable()
    for name, entry in FOUNDATION.items():
        estimator = make_foundation(name)
        description = entry.description
        if missing is not None:
            description += f" [unavailable: {missing}]"
        methods[name] = MethodInfo(name, estimator.family, bool(estimator.needs_roi),
                                   description, estimator.get_params(),
                                   stochastic=bool(getattr(estimator, "stochastic", False)))
    return methods


def skipped_by_all() -> dict[str, str]:
    """Registered methods that ``--all`` leaves out, and why (one line each)."""
    missing = unavailable()
    return {name: (f"{name} skipped: it {missing}" if missing is not None else
                   f"{name} skipped: ask for it with --methods (it trains on the CPU for "
                   "long)")
            for name, entry in FOUNDATION.items() if missing is not None or entry.on_request}


def known_names() -> list[str]:
    """Every name ``--methods`` takes as a name: the registered ones, aliases, entry points."""
    return [*method_names(), *ALIASES, *plugins.entry_points()]


def as_names(items) -> list[str]:
    """The method names of ``items``, in their order, loading (and checking) the plug-ins.

    Parameters
    ----------
    items : sequence of str or type
        Registered names or aliases, names of plug-ins loaded in this process, plug-in
        specs (``FILE.py:Class``, ``module:Class``), entry-point names, or classes.

    Returns
    -------
    list of str

    Raises
    ------
    ParameterError
        For an unknown name (listing the valid ones, with a "did you mean").
    InputError
        For a plug-in that cannot be loaded or breaks the contract, or that is named as a
        registered method or as another plug-in of ``items`` (one line naming its spec).
    """
    registered = set(method_names())
    names, loaded = [], {}
    for item in items:
        if isinstance(item, str) and (item in registered or item in ALIASES):
            names.append(ALIASES.get(item, item))
            continue
        if (isinstance(item, str) and plugins.spec_kind(item) is None
                and plugins.loaded(item) is not None):
            names.append(item)  # a plug-in this process loaded (and checked), by its name
            continue
        if not (isinstance(item, type) or isinstance(item, str) and (
                plugins.spec_kind(item) is not None or item in plugins.entry_points())):
            raise ParameterError("methods", "resolve_methods", "registered method names ("
                                 f"{', '.join(method_names())}) or plug-ins (FILE.py:Class, "
                                 "module:Class, an installed entry point)", item,
                                 choices=known_names())
        plugin = plugins.load_plugin(item)
        if plugin.name in registered or plugin.name in ALIASES:
            raise InputError(f"plug-in {plugin.given} is named {plugin.name!r}, as a "
                             "registered method; give its class another name (its `name` "
                             "attribute)")
        if plugin.name in loaded and loaded[plugin.name] != plugin:
            raise InputError(f"plug-ins {loaded[plugin.name].given} and {plugin.given} are "
                             f"both named {plugin.name!r}; give one another `name`")
        loaded[plugin.name] = plugin
        names.append(plugin.name)
    for plugin in loaded.values():
        plugins.register(plugin)
    return names


def resolve_methods(names) -> list[str]:
    """The methods that ``names`` asks for, registered ones in run order, then plug-ins.

    ``--all`` (None) is every registered method less what :func:`skipped_by_all` names: the
    foundation models when their extra is not installed, and those run on request only
    (``on_request`` in their registry). Plug-ins are asked for by spec, name or class
    (:func:`as_names`), and run after the registered methods, in the order given.

    Parameters
    ----------
    names : sequence of str or type, or None
        Method names or aliases, plug-in specs, entry-point names or classes.

    Returns
    -------
    list of str

    Raises
    ------
    ParameterError
        For no name, an unknown name (listing the valid ones) or a name given twice.
    InputError
        For a foundation model whose extra is not installed (saying how to install it), a
        deep model whose Keras backend cannot start, or a plug-in that cannot be loaded or
        breaks the contract (:func:`benchmark.ground.segmenter.check_segmenter`).

    Examples
    --------
    >>> resolve_methods(["region_growing", "radial"])
    ['region_growing', 'radial_maxvar']
    """
    if names is None:
        return [n for n in method_names() if n not in skipped_by_all()]
    names = list(names)
    if not names:
        raise ParameterError("methods", "resolve_methods", "at least one method name", names)
    names = as_names(names)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ParameterError("methods", "resolve_methods", "names given once each",
                             repeated[0])
    missing = unavailable()
    for name in names:
        if name in FOUNDATION and missing is not None:
            raise InputError(f"method {name!r} {missing}")
    if any(is_deep(n) for n in names):
        deep_models()  # a backend that cannot start: one line, before anything is written
    order = {n: i for i, n in enumerate(method_names())}
    return sorted(names, key=lambda n: order.get(n, len(order)))


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
    classical = set().union(*(entry.make().get_params() for entry in SEGMENTERS.values()))
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


def make_method(name: str, profile: Profile, *, seed: int, workdir=None,
                plugin: plugins.Plugin | None = None):
    """A new, unfitted estimator for ``name`` with the profile's settings.

    Parameters
    ----------
    name : str
        A registered method or a plug-in loaded in this process.
    profile : Profile
    seed : int
        ``random_state`` of the classical methods and plug-ins that have one, ``seed`` of
        deep models.
    workdir : path-like, optional
        Where a deep model writes ``model.keras`` and ``history.csv``.
    plugin : Plugin, optional
        The plug-in ``name`` is (a cell carries it: a worker process has loaded none);
        wrapped in :class:`~benchmark.harness.plugins.PluginSegmenter`. No profile setting
        reaches a plug-in.

    Raises
    ------
    ParameterError
        For an unknown method, or a profile setting that no method of the family accepts
        (:func:`check_profile`: a misspelled key is an error, not silently dropped).
    """
    plugin = plugin if plugin is not None else (
        None if name in method_names() else plugins.loaded(name))
    if plugin is not None:
        return plugin.make(seed=seed)
    if name in FOUNDATION:  # no profile setting reaches them
        model = make_foundation(name)
        return (model.set_params(random_state=seed) if "random_state" in model.get_params()
                else model)
    check_profile(profile, deep=name not in SEGMENTERS)
    if name in SEGMENTERS:
        accepted = SEGMENTERS[name].make().get_params()
        params = {k: v for k, v in profile.classical.items() if k in accepted}
        if "random_state" in accepted:
            params["random_state"] = seed
        return SEGMENTERS[name].make(**params)
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
