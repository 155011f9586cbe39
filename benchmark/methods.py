"""Every method the runner can run: the classical segmenters and the deep models, one namespace.

The classical registry (:data:`baselines.registry.SEGMENTERS`) comes first, then the deep
models (:data:`deep.models.MODELS`); ``run --all`` runs them in this order. Importing the
deep registry imports Keras, so it happens only when a deep method is asked for or listed.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
from dataclasses import dataclass

from baselines.registry import ALIASES, SEGMENTERS
from benchmark.errors import InputError
from benchmark.profiles import Profile


@dataclass(frozen=True)
class MethodInfo:
    """What tables and the runner need to know about a method."""

    name: str
    family: str
    needs_roi: bool
    description: str


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
    """The deep registry (:data:`deep.models.MODELS`), imported with Keras' start-up muted."""
    try:
        if "deep.models" not in sys.modules:
            with _native_stderr_muted():
                import deep.models  # noqa: F401
        from deep.models import MODELS
    except ImportError as exc:  # keras installed without a usable backend, say
        raise InputError(f"the deep models cannot be loaded ({exc}); install a Keras backend "
                         "(pip install 'massbench[tensorflow]') or leave the deep methods "
                         "out") from None
    return MODELS


def all_methods(*, deep: bool = True) -> dict[str, MethodInfo]:
    """Name -> :class:`MethodInfo` of every registered method, classical first."""
    methods = {}
    for name, (factory, description) in SEGMENTERS.items():
        needs_roi = bool(factory().needs_roi)
        methods[name] = MethodInfo(name, "classical", needs_roi, description)
    if deep:
        for name, (_, description) in deep_models().items():
            methods[name] = MethodInfo(name, "deep", False, description)
    return methods


def resolve_methods(spec: str | None) -> list[str]:
    """The method names of ``--methods`` (comma separated), or all of them for None.

    Raises
    ------
    InputError
        For an unknown or repeated name, listing the valid ones.
    """
    classical = list(SEGMENTERS)
    if spec is None:
        return classical + list(deep_models())
    names = [ALIASES.get(n.strip(), n.strip()) for n in spec.split(",") if n.strip()]
    if not names:
        raise InputError("--methods needs at least one method name")
    known = classical + ([] if all(n in classical for n in names) else list(deep_models()))
    unknown = [n for n in names if n not in known]
    if unknown:
        valid = ", ".join(classical + list(deep_models()))
        raise InputError(f"--methods: unknown method {unknown[0]!r}; valid methods: {valid}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"--methods: {repeated[0]!r} is named twice")
    order = {n: i for i, n in enumerate(known)}
    return sorted(names, key=order.__getitem__)


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
    """
    if name in SEGMENTERS:
        factory = SEGMENTERS[name][0]
        accepted = factory().get_params()
        params = {k: v for k, v in profile.classical.items() if k in accepted}
        if "random_state" in accepted:
            params["random_state"] = seed
        return factory(**params)
    if name not in deep_models():
        raise InputError(f"unknown method {name!r}")
    from deep.training import DeepSegmenter

    accepted = inspect.signature(DeepSegmenter).parameters
    settings = profile.deep | profile.deep_per_model.get(name, {})
    params = {k: v for k, v in settings.items() if k in accepted}
    return DeepSegmenter(model=name, seed=seed, workdir=None if workdir is None else str(workdir),
                         **params)
