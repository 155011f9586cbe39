"""``evaluate``: score a folder of masks made elsewhere, alone or inside a run.

The paths are checked here, before the heavy imports of :mod:`benchmark.harness.evaluate`
(the metrics, the report), so a missing folder is answered at once.
"""

from __future__ import annotations

from pathlib import Path

from benchmark.ground.errors import InputError
from benchmark.ground.formats import split_spec
from benchmark.harness.commands import PROG


def check_paths(pred_dir, data: str, run) -> None:
    """Refuse a missing predictions folder, data path or run folder (one line each)."""
    if not Path(pred_dir).is_dir():
        raise InputError("no such folder of predicted masks", pred_dir)
    if data != "phantom" and not Path(split_spec(data)[1]).exists():
        raise InputError(f"--data {data}: no such file or folder (give 'phantom', a "
                         "course-format folder or a manifest .csv)")
    if run is not None and not Path(run).is_dir():
        raise InputError("no such run folder", run)


def cmd_evaluate(args) -> int:
    """Score ``PRED_DIR``'s masks; print the glance and the folder written."""
    check_paths(args.pred_dir, args.data, args.run)
    from benchmark.harness.evaluate import evaluate_masks
    from reports import SUMMARY_TXT

    out = evaluate_masks(args.pred_dir, data=args.data, out=args.out, name=args.name,
                         track=args.track, run=args.run, quiet=args.quiet,
                         command=[*PROG.split(), *args.argv])
    summary = Path(out) / SUMMARY_TXT
    if summary.is_file():
        print(summary.read_text(encoding="utf-8").rstrip())
    print(f"evaluate folder: {out}")
    return 0
