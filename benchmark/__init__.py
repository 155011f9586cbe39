"""massbench: classical and deep mammographic mass segmentation, benchmarked on identical splits.

The ``benchmark`` package holds two floors: the ground (:mod:`benchmark.ground`: data
loaders and the phantom, splits, ROIs, metrics, the segmenter contract, the results store)
and the harness on top (:mod:`benchmark.harness`: the command line ``python -m benchmark``,
the runner, the cells, the diagnosis stage). ``baselines``, ``deep`` and ``reports`` stand
on the ground only.

For notebooks, the Python API (:mod:`benchmark.harness.api`): :func:`run`, :func:`evaluate`,
:func:`load` and :func:`make_phantom` mirror the commands and return a
:class:`~benchmark.harness.results.Results` (``.metrics``, ``.leaderboard()``, ``.report``,
``.figure()``). Importing this package stays light (the command line imports it for
``__version__``): the API is imported when one of its names is first used.

Examples
--------
>>> import benchmark
>>> sorted(benchmark.__all__)
['Results', '__version__', 'evaluate', 'load', 'make_phantom', 'run']
"""

from __future__ import annotations

__version__ = "0.1.0"

#: The names of the Python API, looked up in :mod:`benchmark.harness.api` on first use.
_API = ("Results", "evaluate", "load", "make_phantom", "run")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    """``benchmark.run`` and the other API names, imported when first asked for."""
    if name in _API:
        from benchmark.harness import api

        return getattr(api, name)
    raise AttributeError(f"module 'benchmark' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_API])
