"""Plug-in methods: a segmenter from a file, a module, an installed package or a Python class.

``run --methods`` (and ``study``, ``list --methods``, the Python API) takes, beside the
registered names:

- ``path/to/file.py:Class``: a class in a file anywhere (the path is made absolute and the
  file's SHA-256 recorded: a resumed run refuses a changed file);
- ``package.module:Class``: a class in an importable module;
- ``NAME``: a name an installed package registers in the entry-point group
  :data:`GROUP` (``massbench.methods``), whose value is ``module:Class``; its distribution's
  version is recorded;
- from Python, the class itself (one defined in a notebook cell, say).

The class keeps the contract of :mod:`benchmark.ground.segmenter` (built without arguments,
``fit``, ``predict``, ``needs_roi``); :func:`load_plugin` imports it and runs
:func:`~benchmark.ground.segmenter.check_segmenter` on it before a run writes anything, so a
plug-in that cannot be imported or breaks the contract is one line and exit code 2. A loaded
plug-in is a picklable :class:`Plugin` that every cell carries, and a worker process rebuilds
the class from its spec (:meth:`Plugin.load_class`); a class given from Python that cannot be
imported by its spec travels in the task itself (pickled by value, where cloudpickle can).
:class:`PluginSegmenter` supplies the contract's optional members. The plug-ins loaded in this
process are kept by name (:func:`loaded`), so the runner and ``list`` see them beside the
registries.

Examples
--------
>>> spec_kind("plugins/mine.py:Mine"), spec_kind("mylab.seg:Mine"), spec_kind("otsu")
('file', 'module', None)
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.ground.errors import InputError
from benchmark.ground.registry import load_attribute
from benchmark.ground.segmenter import (
    DEFAULT_FAMILY,
    check_masks,
    check_segmenter,
    segmenter_name,
)

#: The entry-point group installed packages register their methods in (value: module:Class).
GROUP = "massbench.methods"
#: How a plug-in was given.
FILE, MODULE, ENTRY_POINT, PYTHON = "file", "module", "entry point", "python"
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def spec_kind(text: str) -> str | None:
    """``"file"`` for ``FILE.py:Class``, ``"module"`` for ``module:Class``, None for a name."""
    target, sep, attribute = text.rpartition(":")
    if not sep:
        return None
    return FILE if target.endswith(".py") or "/" in target or "\\" in target else MODULE


def entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    """Name -> entry point of the group :data:`GROUP` (read from metadata; nothing imported)."""
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=GROUP)}


def spec_problem(text: str) -> str | None:
    """What is wrong with a plug-in spec that needs no import to tell, or None.

    The command line asks it before any heavy import: a malformed spec, a missing file.

    Examples
    --------
    >>> spec_problem("no/such/file.py:Mine")
    "no such plug-in file 'no/such/file.py' (in 'no/such/file.py:Mine')"
    >>> spec_problem("mylab.seg:") is not None
    True
    """
    kind = spec_kind(text)
    target, _, attribute = text.rpartition(":")
    if not _DOTTED.fullmatch(attribute):
        return (f"expected FILE.py:Class or module:Class, got {text!r} (no class name after "
                "the colon)")
    if kind == FILE and not Path(target).expanduser().is_file():
        return f"no such plug-in file {target!r} (in {text!r})"
    if kind == MODULE and not _DOTTED.fullmatch(target):
        return f"expected FILE.py:Class or module:Class, got {text!r}"
    return None


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class Plugin:
    """A loaded plug-in method: its name and how to rebuild its class anywhere (picklable).

    Parameters
    ----------
    name : str
        The method's name in the run: an entry point's name, else the class's ``name``
        attribute, or its class's name.
    kind : {"file", "module", "entry point", "python"}
    spec : str
        ``/absolute/path.py:Class`` (file), ``module:Class`` (module, entry point) or the
        class's ``module:qualified name`` (python).
    given : str
        What the user gave (the messages name it).
    version : str or None
        A file's SHA-256 (a class given from Python: its source's, when it can be read), or
        an entry point's ``distribution version``; None for a module.
    cls : type or None
        A class given from Python that cannot be imported by its spec (carried to the
        workers by value); None otherwise.
    """

    name: str
    kind: str
    spec: str
    given: str
    version: str | None = None
    cls: type | None = None

    def setting(self) -> dict:
        """What ``run.json`` records (a setting: a resumed run must give the same)."""
        return {"spec": self.spec, "kind": self.kind, "version": self.version}

    def load_class(self) -> type:
        """The plug-in's class (its file or module imported in this process if needed).

        Raises
        ------
        InputError
            When it can no longer be imported, or a file changed since it was checked.
        """
        if self.cls is not None:
            return self.cls
        if self.kind == FILE:
            path, _, attribute = self.spec.rpartition(":")
            if not Path(path).is_file():
                raise InputError(f"plug-in {self.given}: no such file {path}")
            if file_sha256(path) != self.version:
                raise InputError(f"plug-in {self.given}: {path} changed after the run "
                                 "checked it; restore it to continue the run, or start "
                                 "another one")
            return _class_in(_import_file(Path(path), self.version, self.given), attribute,
                             self.given)
        return _load_target(self.spec, self.given)

    def make(self, *, seed: int | None = None) -> PluginSegmenter:
        """A new, unfitted estimator wrapped with the contract's defaults.

        Parameters
        ----------
        seed : int, optional
            Set as ``random_state`` when the estimator has one.
        """
        estimator = _call(self.given, "__init__", self.load_class())
        if seed is not None and hasattr(estimator, "random_state"):
            if callable(getattr(estimator, "set_params", None)):
                estimator.set_params(random_state=seed)
            else:
                estimator.random_state = seed
        return PluginSegmenter(estimator, name=self.name, owner=self.given)


def _call(given: str, what: str, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the plug-in's own code
        lines = str(exc).strip().splitlines()
        raise InputError(f"plug-in {given}: {what} raised {type(exc).__name__}"
                         + (f": {lines[0]}" if lines else "")) from exc


def _import_file(path: Path, sha: str, given: str):
    """The module of a plug-in file, imported once per content (as ``massbench_plugin_*``)."""
    stem = re.sub(r"\W", "_", path.stem)
    name = f"massbench_plugin_{stem}_{sha[:12]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[name]
        if not isinstance(exc, Exception):
            raise
        raise InputError(f"plug-in {given}: cannot be imported ({_summary(exc)})") from exc
    return module


def _summary(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} ({Path(exc.filename or '?').name}, line {exc.lineno})"
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _class_in(module, attribute: str, given: str) -> type:
    try:
        value = load_attribute(f"{module.__name__}:{attribute}")
    except AttributeError:
        classes = sorted(n for n, v in vars(module).items()
                         if inspect.isclass(v) and v.__module__ == module.__name__)
        defined = f" (it defines {', '.join(classes)})" if classes else " (it defines no class)"
        raise InputError(f"plug-in {given}: no class {attribute!r} in "
                         f"{getattr(module, '__file__', module.__name__)}{defined}") from None
    if not inspect.isclass(value):
        raise InputError(f"plug-in {given}: {attribute!r} is a {type(value).__name__}, not a "
                         "class")
    return value


def _load_target(target: str, given: str) -> type:
    """The class ``module:Class`` names; import problems said in one line."""
    module, _, attribute = target.rpartition(":")
    try:
        imported = importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 - ImportError, or the module's own error
        raise InputError(f"plug-in {given}: cannot import module {module!r} "
                         f"({_summary(exc)})") from exc
    return _class_in(imported, attribute, given)


def load_plugin(item) -> Plugin:
    """Import a plug-in, check it against the contract and return its :class:`Plugin`.

    Parameters
    ----------
    item : str or type
        ``FILE.py:Class``, ``module:Class``, the name of an entry point of :data:`GROUP`, or
        the class itself.

    Returns
    -------
    Plugin

    Raises
    ------
    InputError
        In one line naming the spec: no such file, an import or syntax error, no such class,
        no such entry point, or the first breach of the contract
        (:func:`~benchmark.ground.segmenter.check_segmenter`, run on a tiny synthetic case:
        a missing method or ``needs_roi``, masks of the wrong shape, dtype or count, an
        exception raised inside the plug-in's code).
    """
    if inspect.isclass(item):
        plugin = _from_class(item)
        cls = item
    else:
        plugin, cls = _from_text(str(item))
    check_segmenter(cls, owner=f"plug-in {plugin.given}")  # raises a ContractError
    return plugin


def _from_text(text: str) -> tuple[Plugin, type]:
    kind = spec_kind(text)
    if kind is None:
        points = entry_points()
        if text not in points:
            raise InputError(f"plug-in {text}: no entry point {text!r} in the group {GROUP} "
                             f"(installed: {', '.join(points) or 'none'})")
        point = points[text]
        cls = _load_target(point.value, text)
        dist = point.dist
        version = None if dist is None else f"{dist.metadata['Name']} {dist.version}"
        return _named(ENTRY_POINT, point.value, text, version, cls, name=text), cls
    problem = spec_problem(text)
    if problem is not None:
        raise InputError(problem)
    if kind == FILE:
        target, _, attribute = text.rpartition(":")
        path = Path(target).expanduser().resolve()
        sha = file_sha256(path)
        cls = _class_in(_import_file(path, sha, text), attribute, text)
        return _named(FILE, f"{path}:{attribute}", text, sha, cls), cls
    cls = _load_target(text, text)
    return _named(MODULE, text, text, None, cls), cls


def _from_class(cls: type) -> Plugin:
    """A class given from Python: by its spec when importable so, else carried by value."""
    spec = f"{cls.__module__}:{cls.__qualname__}"
    given = f"{cls.__qualname__} (class {spec})"
    try:
        importable = (cls.__module__ != "__main__" and "<locals>" not in cls.__qualname__
                      and load_attribute(spec) is cls)
    except Exception:  # noqa: BLE001 - not importable by name: carried by value
        importable = False
    if importable:
        return _named(MODULE, spec, given, None, cls)
    try:
        version = hashlib.sha256(inspect.getsource(cls).encode()).hexdigest()
    except (OSError, TypeError):  # a class typed into a console has no source to read
        version = None
    return _named(PYTHON, spec, given, version, cls, carry=True)


def _named(kind, spec, given, version, cls, *, carry: bool = False,
           name: str | None = None) -> Plugin:
    """The :class:`Plugin` of a class, named ``name`` or after its ``name`` (or its class)."""
    if name is None:
        try:
            name = segmenter_name(cls())
        except Exception:  # noqa: BLE001 - check_segmenter says it, in its words
            name = cls.__name__
    return Plugin(name=name, kind=kind, spec=spec, given=given, version=version,
                  cls=cls if carry else None)


def check_workers(plugins: list[Plugin], *, workers: bool) -> None:
    """Refuse, in one line, a class given from Python that cannot travel to worker processes.

    A class defined in ``__main__`` (a script, a notebook cell) is pickled by value
    (cloudpickle, as joblib's loky workers and Dask do); one that cannot be pickled runs
    with ``jobs=1`` only.

    Raises
    ------
    InputError
    """
    carried = [p for p in plugins if p.cls is not None]
    if not workers or not carried:
        return
    try:  # what loky (joblib's workers) and Dask pickle with
        import cloudpickle
    except ImportError:  # pragma: no cover - joblib < 1.5 carries its own
        from joblib.externals import cloudpickle

    for plugin in carried:
        try:
            cloudpickle.dumps(plugin.cls)
        except Exception as exc:  # noqa: BLE001 - whatever pickling raises
            raise InputError(f"plug-in {plugin.given} cannot be sent to worker processes "
                             f"({_summary(exc)}); run it with jobs=1, or put the class in a "
                             f"file and give FILE.py:{plugin.cls.__name__}") from None


class PluginSegmenter:
    """A plug-in estimator with the contract's optional members supplied.

    ``name`` (given), ``family`` (``"custom"``), ``stochastic`` and ``batch_predict``
    (False), ``save`` (writes nothing), ``fit_record`` (``{}``), ``get_params`` (the public
    attributes that are not fitted ones), ``n_fit_`` (the training images' count); the
    estimator's own are used where it has them. Its ``predict`` checks the masks (one 2-D
    bool mask per image, of its shape) and ``resolution_ceiling`` / ``predict_seeds`` are
    there only when the estimator has them.

    Parameters
    ----------
    estimator : object
        The plug-in's estimator.
    name : str
    owner : str, optional
        What error messages call it (default: ``name``).
    """

    _OPTIONAL = ("resolution_ceiling", "predict_seeds")

    def __init__(self, estimator, *, name: str, owner: str | None = None):
        self.estimator = estimator
        self.name = name
        self.owner = owner or name
        self.family = getattr(estimator, "family", DEFAULT_FAMILY)
        self.stochastic = bool(getattr(estimator, "stochastic", False))
        self.batch_predict = bool(getattr(estimator, "batch_predict", False))

    def __getattr__(self, attribute):
        inner = self.__dict__.get("estimator")
        if attribute in self._OPTIONAL and inner is not None:
            return getattr(inner, attribute)
        raise AttributeError(attribute)

    @property
    def needs_roi(self) -> bool:
        """The estimator's track: True when it is given the ROI box."""
        return bool(self.estimator.needs_roi)

    def fit(self, images, masks, *, rois=None, val=None):
        """The estimator's ``fit``; returns self."""
        self.estimator.fit(images, masks, rois=rois, val=val)
        self.n_fit_ = len(images)
        return self

    def predict(self, images, *, rois=None) -> list[np.ndarray]:
        """The estimator's ``predict``, checked: one (M, N) bool mask per image.

        Raises
        ------
        ContractError
            For masks of the wrong count, shape or dtype.
        """
        return check_masks(self.estimator.predict(images, rois=rois), images,
                           owner=f"plug-in {self.owner}")

    def save(self, folder) -> str | None:
        """The estimator's ``save(folder)``, or nothing written (None)."""
        save = getattr(self.estimator, "save", None)
        return None if save is None else save(str(folder))

    def fit_record(self) -> dict:
        """The estimator's ``fit_record()``, or ``{}``."""
        record = getattr(self.estimator, "fit_record", None)
        return {} if record is None else dict(record())

    def get_params(self) -> dict:
        """The estimator's ``get_params()``, or its public, unfitted attributes."""
        get_params = getattr(self.estimator, "get_params", None)
        if callable(get_params):
            return dict(get_params())
        return {k: v for k, v in vars(self.estimator).items()
                if not k.startswith("_") and not k.endswith("_")}


#: The plug-ins loaded in this process, by name (the latest under each name).
_LOADED: dict[str, Plugin] = {}


def register(plugin: Plugin) -> None:
    """Keep ``plugin`` under its name (replacing an earlier one: a class edited and rerun)."""
    _LOADED[plugin.name] = plugin


def loaded(name: str) -> Plugin | None:
    """The plug-in loaded under ``name`` in this process, or None."""
    return _LOADED.get(name)
