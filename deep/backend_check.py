"""Which Keras backend this process will get, and whether it can start, asked before Keras is.

Importing Keras with ``KERAS_BACKEND`` misspelled (``pytorch``) or naming a library that is not
installed ends in a traceback from deep inside Keras. :func:`backend_problem` reads the choice
the way Keras does (``KERAS_BACKEND``, else the ``backend`` of ``$KERAS_HOME/keras.json`` or
``~/.keras/keras.json``, else TensorFlow) and looks the library up without importing it, so the
command line answers in one line, at once, with the extra to install. It imports neither Keras
nor a backend library.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os

#: The Keras backends massbench trains with: backend name -> (library module, the extra of
#: ``massbench`` that installs it).
BACKENDS = {"tensorflow": ("tensorflow", "tensorflow"), "jax": ("jax", "jax"),
            "torch": ("torch", "torch")}
#: Names users write for a backend (Keras accepts none of them).
_SYNONYMS = {"tf": "tensorflow", "pytorch": "torch", "pt": "torch", "jaxlib": "jax"}
#: What every message ends with: the way out that needs no backend.
_OR_CLASSICAL = "or leave the deep methods out"


def _keras_json() -> str | None:
    """The ``backend`` of Keras' configuration file, where Keras reads it, or None."""
    if "KERAS_HOME" in os.environ:
        home = os.environ["KERAS_HOME"]
    else:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    try:
        with open(os.path.join(os.path.expanduser(home), "keras.json"), encoding="utf-8") as f:
            backend = json.load(f).get("backend")
    except (OSError, ValueError, AttributeError):
        return None
    return backend if isinstance(backend, str) and backend else None


def chosen_backend() -> tuple[str, str]:
    """The backend Keras will start with, and where the choice comes from.

    Returns
    -------
    (str, str)
        The backend's name and ``"KERAS_BACKEND"``, ``"keras.json"`` or ``"default"``.
    """
    value = os.environ.get("KERAS_BACKEND")
    if value:  # Keras ignores an empty value, too
        return value, "KERAS_BACKEND"
    configured = _keras_json()
    if configured is not None:
        return configured, "keras.json"
    return "tensorflow", "default"


def backend_problem() -> str | None:
    """Why the Keras backend cannot start here, in one line with what to do; None if it can.

    Checks that the chosen backend is one massbench trains with (a misspelling gets a "did
    you mean"), that its library and Keras are installed (naming the ``massbench`` extra that
    installs them). It imports nothing heavy.

    Returns
    -------
    str or None

    Examples
    --------
    >>> import os
    >>> os.environ["KERAS_BACKEND"], saved = "pytorch", os.environ.get("KERAS_BACKEND")
    >>> print(backend_problem())  # doctest: +NORMALIZE_WHITESPACE
    KERAS_BACKEND='pytorch' is not a Keras backend massbench trains with; did you mean
    'torch'? (choose from tensorflow, jax, torch); set KERAS_BACKEND to one of them, or leave
    the deep methods out
    >>> if saved is None: del os.environ["KERAS_BACKEND"]
    ... else: os.environ["KERAS_BACKEND"] = saved
    """
    name, source = chosen_backend()
    where = "KERAS_BACKEND" if source == "KERAS_BACKEND" else "the Keras backend"
    if source == "keras.json":
        where += " (from keras.json)"
    if name not in BACKENDS:
        close = ([_SYNONYMS[name.lower()]] if name.lower() in _SYNONYMS else
                 difflib.get_close_matches(name.lower(), list(BACKENDS), n=1, cutoff=0.5))
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return (f"{where}={name!r} is not a Keras backend massbench trains with{hint} (choose "
                f"from {', '.join(BACKENDS)}); set KERAS_BACKEND to one of them, "
                f"{_OR_CLASSICAL}")
    module, extra = BACKENDS[name]
    if importlib.util.find_spec(module) is None:
        return (f"{where}={name} but {module} is not installed: pip install "
                f"'massbench[{extra}]' (or set KERAS_BACKEND to an installed backend), "
                f"{_OR_CLASSICAL}")
    if importlib.util.find_spec("keras") is None:
        return (f"keras is not installed: pip install 'massbench[{extra}]', "
                f"{_OR_CLASSICAL}")
    return None


def install_hint() -> str:
    """``pip install 'massbench[<extra>]'`` for the chosen backend (TensorFlow's if unknown)."""
    name, _ = chosen_backend()
    return f"pip install 'massbench[{BACKENDS.get(name, BACKENDS['tensorflow'])[1]}]'"
