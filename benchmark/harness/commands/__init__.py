"""The commands of ``python -m benchmark``, one function each (``cmd_<name>(args)``).

:mod:`benchmark.harness.cli` parses the command line and calls them; each returns the exit
code and raises :class:`~benchmark.ground.errors.InputError` for bad input.
"""

#: How the command line names itself in messages and in the command ``run.json`` records.
PROG = "python -m benchmark"
