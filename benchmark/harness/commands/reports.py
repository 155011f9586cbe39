"""``report`` and ``compare``: the HTML pages of a run and of runs side by side."""

from __future__ import annotations

from pathlib import Path

from benchmark.ground.errors import InputError


def check_not_failed(run_dir) -> None:
    """Refuse a run folder whose run died of an error, saying what failed and how to continue.

    Raises
    ------
    InputError
        If ``run.json`` records ``"status": "failed"``.
    """
    from benchmark.ground import store

    path = Path(run_dir) / store.RUN_JSON
    try:
        record = store.read_json(path)
    except (OSError, ValueError):
        return  # the report says what is wrong with it
    if not isinstance(record, dict) or record.get("status") != "failed":
        return
    command = record.get("command_line")
    again = f" ({command})" if command else f" with --out {run_dir}"
    raise InputError(f"the run failed ({record.get('error', 'error not recorded')}), so it "
                     "has no report; its complete cells are kept: rerun the same "
                     f"command{again} to continue", path)


def cmd_report(args) -> int:
    """(Re)write the ``report.html`` of a run folder or a study folder from its files."""
    from benchmark.ground.store import STUDY_JSON
    from reports import render_report, render_study

    if (Path(args.run_dir) / STUDY_JSON).is_file():
        print(f"wrote {render_study(args.run_dir)}")
        return 0
    check_not_failed(args.run_dir)
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
