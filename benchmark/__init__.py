"""massbench: classical and deep mammographic mass segmentation, benchmarked on identical splits.

The ``benchmark`` package holds two floors: the ground (:mod:`benchmark.ground`: data
loaders and the phantom, splits, ROIs, metrics, the segmenter contract, the results store)
and the harness on top (:mod:`benchmark.harness`: the command line ``python -m benchmark``,
the runner, the cells, the diagnosis stage). ``baselines``, ``deep`` and ``reports`` stand
on the ground only.

For notebooks, the Python API (:mod:`benchmark.harness.api`): :func:`run`, :func:`evaluate`,
:func:`load` and :func:`make_phantom` mirror the commands and return a
:class:`~benchmark.harness.results.Results` (``.metrics``, ``.leaderboard()``, ``.report``,
``.figure()``). :func:`check_segmenter` (:func:`benchmark.ground.segmenter.check_segmenter`)
checks a plug-in method against the segmenter contract, as a run does before it writes
anything. Importing this package stays light (the command line imports it for
``__version__``): these names are imported when one of them is first used.

Examples
--------
>>> import benchmark
>>> benchmark.run.__module__, benchmark.Results.__name__
('benchmark.harness.api', 'Results')
>>> benchmark.check_segmenter.__module__
'benchmark.ground.segmenter'
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: Names imported on first use: name -> "module:attribute" (the Python API, the contract check).
_LAZY = {"run": "benchmark.harness.api:run", "evaluate": "benchmark.harness.api:evaluate",
         "load": "benchmark.harness.api:load",
         "make_phantom": "benchmark.harness.api:make_phantom",
         "Results": "benchmark.harness.results:Results",
         "check_segmenter": "benchmark.ground.segmenter:check_segmenter"}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    """``benchmark.run``, ``benchmark.check_segmenter`` and the other lazy names, on first use."""
    if name in _LAZY:
        module, _, attribute = _LAZY[name].partition(":")
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'benchmark' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])
