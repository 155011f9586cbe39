"""The studies the ``study`` command offers: name -> entry, without importing them.

Each entry names a :class:`~benchmark.harness.studies.base.Study` object as a lazy
``"module:NAME"`` string (:class:`benchmark.ground.registry.Entry`), so the command line
checks a study's name and prints its help before the studies' modules (pandas, the runner)
are imported. :data:`benchmark.harness.studies.STUDIES` holds the loaded objects, in this
order. Adding a study is its module under :mod:`benchmark.harness.studies` plus one line here.

Examples
--------
>>> list(STUDIES)
['learning-curve', 'robustness', 'roi-looseness']
"""

from __future__ import annotations

from benchmark.ground.registry import Entry

_STUDIES = "benchmark.harness.studies"

#: Name -> entry; ``description`` is the line ``study --help`` shows.
STUDIES: dict[str, Entry] = {
    "learning-curve": Entry(f"{_STUDIES}.learning_curve:LEARNING_CURVE",
                            "nested shares of the training patients (10, 25, 50, 100 %)"),
    "robustness": Entry(f"{_STUDIES}.robustness:ROBUSTNESS",
                        "phantom difficulty 0.25-1 (trained at the default 0.5, and matched)"),
    "roi-looseness": Entry(f"{_STUDIES}.roi_looseness:ROI_LOOSENESS",
                           "ROI margins from tight to 60-100 % of the lesion"),
}
