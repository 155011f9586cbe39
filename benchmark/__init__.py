"""massbench: classical and deep mammographic mass segmentation, benchmarked on identical splits.

The ``benchmark`` package holds two floors: the ground (:mod:`benchmark.ground`: data
loaders and the phantom, splits, ROIs, metrics, the segmenter contract, the results store)
and the harness on top (:mod:`benchmark.harness`: the command line ``python -m benchmark``,
the runner, the cells, the diagnosis stage). ``baselines``, ``deep`` and ``reports`` stand
on the ground only.

:func:`check_segmenter` (:func:`benchmark.ground.segmenter.check_segmenter`) checks a
plug-in method against the segmenter contract, as a run does before it writes anything.
Importing this package stays light (the command line imports it for ``__version__``): such
names are imported when first used.

Examples
--------
>>> import benchmark
>>> benchmark.check_segmenter.__module__
'benchmark.ground.segmenter'
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: Names imported on first use: name -> "module:attribute".
_LAZY = {"check_segmenter": "benchmark.ground.segmenter:check_segmenter"}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    """``benchmark.check_segmenter`` and the other lazy names, imported when first asked for."""
    if name in _LAZY:
        module, _, attribute = _LAZY[name].partition(":")
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'benchmark' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])
