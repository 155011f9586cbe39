"""The HTML report and the comparison of runs: not built yet.

This package is reserved for the report (structure, plots, templates, rendering, compare);
see README.md, "What is not built yet".
"""
