"""The HTML report of a run and the comparison of runs.

The runner writes result files; :func:`render_report` reads only those (``rundata``), builds
plain data (``structure``, ``stats``, ``plots``) and renders it through one Jinja2
environment with autoescaping (``render``, ``templates/``). :func:`render_compare` puts runs
made on the same splits side by side (``compare``); :func:`render_study` draws a study's
curves (``study``).
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmark.ground.store import REPORT_HTML

#: The at-a-glance summary beside the report, in plain text.
SUMMARY_TXT = "summary.txt"


def render_report(run_dir: str | os.PathLike) -> Path:
    """Write ``RUN_DIR/report.html`` and ``summary.txt`` from the run's files; return its path.

    ``summary.txt`` is the report's "at a glance" as plain text (:func:`glance.glance_text`),
    what ``run`` prints at its end.

    Raises
    ------
    benchmark.ground.errors.InputError
        If ``run_dir`` is not a complete run folder.
    """
    from benchmark.ground.store import atomic_write_bytes
    from reports.glance import glance_text
    from reports.render import render, write_html
    from reports.rundata import load_run
    from reports.structure import build_report

    run = load_run(run_dir)
    context = build_report(run)
    path = write_html(Path(run_dir) / REPORT_HTML, render("report.html.j2", context))
    atomic_write_bytes(Path(run_dir) / SUMMARY_TXT,
                       (glance_text(context["glance"], path.resolve()) + "\n").encode("utf-8"))
    return path


def render_compare(run_dirs, out: str | os.PathLike) -> Path:
    """Write the comparison page of runs made on the same splits; return its path."""
    from reports.compare import build_compare
    from reports.render import render, write_html
    from reports.rundata import load_run

    runs = [load_run(d) for d in run_dirs]
    return write_html(out, render("compare.html.j2", build_compare(runs)))


def render_study(study_dir: str | os.PathLike) -> Path:
    """Write ``STUDY_DIR/report.html`` from the study's files; return its path.

    Raises
    ------
    benchmark.ground.errors.InputError
        If ``study_dir`` is not a complete study folder.
    """
    from reports.render import render, write_html
    from reports.study import build_study

    return write_html(Path(study_dir) / REPORT_HTML, render("study.html.j2",
                                                            build_study(study_dir)))


__all__ = ["render_compare", "render_report", "render_study"]
