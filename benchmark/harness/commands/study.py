"""``study``: the benchmark at several levels of one setting, then the study's report."""

from __future__ import annotations

import os
import sys
import time

from benchmark.harness.commands import PROG
from benchmark.harness.commands.run import default_profile
from benchmark.harness.executors import default_jobs
from benchmark.harness.profiles import get_profile


def cmd_study(args) -> int:
    """Run (or continue) the study ``args.name``; print its folder."""
    from benchmark.harness.studies import (
        get_study,
        record_study_report,
        run_study,
        study_methods,
    )

    study = get_study(args.name)
    study.check_options(roi_margin=args.roi_margin)
    names = None if args.methods is None else [n.strip() for n in args.methods.split(",")
                                               if n.strip()]
    methods = study_methods(study, names, every=args.all)
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    profile = args.profile
    if profile is None:
        profile, why = default_profile(methods)
        if why is not None and not args.quiet:
            print(f"profile: {profile} ({why})", file=sys.stderr, flush=True)
    jobs = args.jobs
    if jobs is None:
        jobs = 1 if get_profile(profile).for_accelerator else default_jobs()
    out = run_study(study.name, methods, data=args.data, profile=profile, folds=args.folds,
                    seed=args.seed, seeds=args.seeds, roi_margin=args.roi_margin,
                    out=args.out, jobs=jobs, scheduler=args.scheduler, quiet=args.quiet,
                    command=[*PROG.split(), *args.argv])
    from reports import render_study

    if not args.quiet:
        print("report: rendering the study's report.html", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    report = render_study(out)
    record_study_report(out, report, time.perf_counter() - t0)
    print(f"study folder: {out}")
    return 0
