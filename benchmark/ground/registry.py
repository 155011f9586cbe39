"""Registry entries that name what they register as lazy ``"module:attribute"`` strings.

A registry (:data:`baselines.registry.SEGMENTERS`, :data:`deep.registry.MODELS`,
:data:`foundation.registry.FOUNDATION`, the studies of
:data:`benchmark.harness.study_registry.STUDIES`) is a plain dict of name -> :class:`Entry`.
The entry holds the target's import path, not the target, so importing a registry imports
nothing heavy (no scikit-image, scikit-learn, Keras or PyTorch): the command line checks a
name, prints ``--help`` and answers a misspelling at once, and the target's module is
imported only when a method is built. The dataset formats
(:data:`benchmark.ground.formats.FORMATS`) follow the same pattern.

Examples
--------
>>> entry = Entry("collections:OrderedDict", "an ordered dict")
>>> entry.load().__name__
'OrderedDict'
>>> load_attribute("os.path:join")("a", "b")
'a/b'
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field


def load_attribute(target: str):
    """The object that ``"module:attribute"`` names (``attribute`` may be dotted).

    Raises
    ------
    ValueError
        When ``target`` is not of the form ``module:attribute``.
    ImportError, AttributeError
        When the module cannot be imported or has no such attribute.
    """
    module, sep, attribute = target.partition(":")
    if not sep or not module or not attribute:
        raise ValueError(f"expected 'module:attribute', got {target!r}")
    value = importlib.import_module(module)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


@dataclass(frozen=True)
class Entry:
    """One registry entry.

    Parameters
    ----------
    target : str
        ``"module:attribute"``: the class (or builder function) registered.
    description : str
        One line for ``list`` and the report.
    params : mapping, optional
        Keyword arguments the target is called with (``{"automatic": True}`` registers the
        automatic variant of a class under its own name).
    on_request : bool, default False
        Left out of ``run --all``: run only when asked for by name.
    """

    target: str
    description: str
    params: Mapping[str, object] = field(default_factory=dict)
    on_request: bool = False

    def load(self):
        """The registered class or function (its module imported now)."""
        return load_attribute(self.target)

    def make(self, **params):
        """Call the target with the entry's parameters, then ``params``."""
        return self.load()(**{**self.params, **params})
