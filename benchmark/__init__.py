"""massbench: classical and deep mammographic mass segmentation, benchmarked on identical splits.

The ``benchmark`` package holds the command line (``python -m benchmark``), the data layer
(course folders, manifest CSVs and the synthetic phantom), the cross-validation splits, the
Numba-accelerated segmentation metrics and the runner (``runner``: profiles, cells, the
results store, the diagnosis stage, progress).
"""

from __future__ import annotations

__version__ = "0.1.0"
