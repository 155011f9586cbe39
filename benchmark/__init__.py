"""massbench: classical and deep mammographic mass segmentation, benchmarked on identical splits.

The ``benchmark`` package holds two floors: the ground (:mod:`benchmark.ground`: data
loaders and the phantom, splits, ROIs, metrics, the segmenter contract, the results store)
and the harness on top (:mod:`benchmark.harness`: the command line ``python -m benchmark``,
the runner, the cells, the diagnosis stage). ``baselines``, ``deep`` and ``reports`` stand
on the ground only.
"""

from __future__ import annotations

__version__ = "0.1.0"
