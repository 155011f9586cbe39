"""The harness of massbench, on top of everything: it is the one place that knows every family.

- :mod:`~benchmark.harness.cli` and :mod:`~benchmark.harness.commands`: the command line;
- :mod:`~benchmark.harness.runner`: the stages of a run (load, split, cells, gather,
  diagnosis); :mod:`~benchmark.harness.cells`: one method on one fold;
  :mod:`~benchmark.harness.executors`: sequential, joblib or Dask;
- :mod:`~benchmark.harness.methods`: classical and deep methods in one namespace;
  :mod:`~benchmark.harness.profiles`: how much data and training a run spends;
- :mod:`~benchmark.harness.diagnosis`: from masks to a benign / malignant decision;
- :mod:`~benchmark.harness.progress`, :mod:`~benchmark.harness.environment`.

It imports ``baselines``, ``deep``, ``reports`` and ``benchmark.ground``; nothing below
imports it.
"""
