"""``run``: every method on the same splits, then the report."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from benchmark.ground.store import REPORT_HTML
from benchmark.harness.commands import PROG
from benchmark.harness.executors import default_jobs
from benchmark.harness.methods import resolve_methods
from benchmark.harness.runner import record_report, run_benchmark


def run_with_report(methods: list[str], **options) -> Path:
    """Run (or continue) a benchmark and write its ``report.html``; return the run folder.

    Parameters
    ----------
    methods : list of str
    **options
        The keyword arguments of :func:`benchmark.harness.runner.run_benchmark`.
    """
    from reports import render_report

    out = run_benchmark(methods, **options)
    if not options.get("quiet"):
        print(f"report: rendering {REPORT_HTML}", file=options.get("stream") or sys.stderr,
              flush=True)
    t0 = time.perf_counter()
    report = render_report(out)
    record_report(out, report, time.perf_counter() - t0)
    return out


def cmd_run(args) -> int:
    """Run the methods that ``--all`` / ``--methods`` name; print the run folder."""
    names = None if args.all else [n.strip() for n in args.methods.split(",") if n.strip()]
    methods = resolve_methods(names)
    out = run_with_report(methods, data=args.data, profile=args.profile, folds=args.folds,
                          seed=args.seed, roi_margin=args.roi_margin, out=args.out,
                          jobs=args.jobs if args.jobs is not None else default_jobs(),
                          scheduler=args.scheduler, quiet=args.quiet,
                          command=[*PROG.split(), *args.argv])
    print(f"run folder: {out}")
    return 0
