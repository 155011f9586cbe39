"""``report`` and ``compare``: the HTML pages of a run and of runs side by side."""

from __future__ import annotations

from pathlib import Path

from benchmark.ground.errors import InputError


def cmd_report(args) -> int:
    """(Re)write the ``report.html`` of a run folder or a study folder from its files."""
    from benchmark.ground.store import STUDY_JSON
    from reports import render_report, render_study

    if (Path(args.run_dir) / STUDY_JSON).is_file():
        print(f"wrote {render_study(args.run_dir)}")
        return 0
    print(f"wrote {render_report(args.run_dir)}")
    return 0


def cmd_compare(args) -> int:
    """Write the comparison page of runs made on the same splits."""
    from reports import render_compare

    if len(args.run_dirs) < 2:
        raise InputError("compare needs at least two run folders")
    out = Path(args.out)
    if out.is_dir():
        raise InputError("is a folder; give a file name such as compare.html", out)
    print(f"wrote {render_compare(args.run_dirs, out)}")
    return 0
