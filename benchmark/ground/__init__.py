"""The ground floor of massbench: what every method, the report and the harness stand on.

- :mod:`~benchmark.ground.data`: case records, loaders (course folder, manifest CSV) and the
  phantom;
- :mod:`~benchmark.ground.splits`: stratified, patient-grouped folds, written once per run;
- :mod:`~benchmark.ground.roi`: the ROI rectangle semi-automatic methods receive;
- :mod:`~benchmark.ground.metrics`: the Numba-accelerated per-image metrics (kernels in
  ``metrics/_kernels.py``) and their registry ``METRICS``;
- :mod:`~benchmark.ground.segmenter`: the one estimator contract of every segmenter;
- :mod:`~benchmark.ground.store`: every result file name, the atomic writer, JSON values;
- :mod:`~benchmark.ground.errors`: the errors the command line turns into one clear line.

Nothing here imports ``baselines``, ``deep``, ``reports`` or ``benchmark.harness``; the
import-linter contract in ``.importlinter`` keeps it so.
"""
