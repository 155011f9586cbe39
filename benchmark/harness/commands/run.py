"""``run``: every method on the same splits, then the report."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from benchmark.ground.store import REPORT_HTML
from benchmark.harness.commands import PROG
from benchmark.harness.executors import default_jobs
from benchmark.harness.methods import is_deep, resolve_methods, skipped_by_all
from benchmark.harness.profiles import ACCELERATOR_PROFILE, DEFAULT_PROFILE, get_profile
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


def default_profile(methods: list[str]) -> tuple[str, str]:
    """The profile ``run`` takes without ``--profile``, and why.

    ``full`` when a deep method is asked for and the Keras backend computes on a GPU,
    ``standard`` otherwise (the device is looked up only when a deep method runs).

    Returns
    -------
    (str, str or None)
        The profile's name and the reason, said at the start of the run (None when no deep
        method runs: the device did not decide).
    """
    if not any(is_deep(m) for m in methods):
        return DEFAULT_PROFILE, None
    from deep.device import describe_device, has_gpu

    if has_gpu():
        return ACCELERATOR_PROFILE, f"the Keras backend sees a GPU ({describe_device()})"
    return DEFAULT_PROFILE, (f"the Keras backend sees no GPU; --profile {ACCELERATOR_PROFILE} "
                             "is sized for one")


def cmd_run(args) -> int:
    """Run the methods that ``--all`` / ``--methods`` name; print the run folder."""
    names = None if args.all else [n.strip() for n in args.methods.split(",") if n.strip()]
    methods = resolve_methods(names)
    for note in skipped_by_all().values() if args.all and not args.quiet else ():
        print(f"note: {note}", file=sys.stderr, flush=True)
    # one GPU shared by several workers: let each take the memory it needs, not all of it
    # (set before any backend starts, here or in a worker)
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    profile = args.profile
    if profile is None:
        profile, why = default_profile(methods)
        if why is not None and not args.quiet:
            print(f"profile: {profile} ({why})", file=sys.stderr, flush=True)
    jobs = args.jobs
    if jobs is None:  # one worker per core; one in all when the deep models share a GPU
        jobs = 1 if get_profile(profile).for_accelerator else default_jobs()
    out = run_with_report(methods, data=args.data, profile=profile, folds=args.folds,
                          seed=args.seed, seeds=args.seeds, roi_margin=args.roi_margin,
                          out=args.out,
                          jobs=jobs,
                          scheduler=args.scheduler, quiet=args.quiet,
                          command=[*PROG.split(), *args.argv])
    from reports import SUMMARY_TXT

    summary = Path(out) / SUMMARY_TXT
    if summary.is_file():  # the report's at-a-glance block, as text
        print(summary.read_text(encoding="utf-8").rstrip())
    print(f"run folder: {out}")
    return 0
