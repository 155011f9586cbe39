"""``data`` and ``make-phantom``: look at a dataset, write the synthetic one."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from benchmark.ground.data import (
    PhantomConfig,
    check_phantom_settings,
    make_phantom,
    read_phantom_record,
    summarize,
    write_course_folder,
)
from benchmark.ground.errors import InputError
from benchmark.ground.formats import Scan
from benchmark.ground.formats import scan as scan_data
from benchmark.harness.commands import PROG


def cmd_data(args) -> int:
    """Summarise a dataset; exit 2 (first problem on stderr) when problems were found."""
    found = scan_data(args.path)
    dataset, problems = found.dataset, found.problems
    summary = {**summarize(dataset, problems), **found.summary()}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        if found.format:
            how = "forced by --format" if found.forced else "detected; --format NAME forces one"
            print(f"format       {found.format} ({how})")
        if dataset is not None:
            print(f"dataset      {dataset.name} ({dataset.source.split(' {')[0]})")
            print(f"fingerprint  {dataset.fingerprint}")
        print(f"cases        {summary['n_cases']}  (malignant {summary['n_malignant']}, "
              f"benign {summary['n_benign']}, unlabelled {summary['n_unlabelled']})")
        if summary["labels_from"]:
            print(f"             label = {summary['labels_from']}")
        print(f"patients     {summary['n_patients']}")
        if summary["patients_from"]:
            print(f"             patient = {summary['patients_from']}")
        sizes = ", ".join(f"{k} x{v}" for k, v in summary["image_sizes"].items()) or "-"
        print(f"image sizes  {sizes}")
        for warning in summary["warnings"]:
            print(f"warning      {warning}")
        _print_import(found)
        print(f"problems     {len(problems)}")
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        print(f"{PROG}: {first['file']}: {first['problem']}{more}", file=sys.stderr)
        return 2
    return 0


def _print_import(found: Scan) -> None:
    """What an import left out (per reason, with a few of its cases) and its notes."""
    if found.dropped:
        kept = len(found.dataset) if found.dataset is not None else 0
        print(f"dropped      {len(found.dropped)} (kept {kept}; --json lists every one)")
        for reason, count in found.dropped_by_reason().items():
            cases = [d["case"] for d in found.dropped if d["reason"] == reason]
            more = ", ..." if count > 3 else ""
            print(f"  {count:>5}  {reason}: {', '.join(cases[:3])}{more}")
    for note in found.notes:
        print(f"note         {note}")


def cmd_make_phantom(args) -> int:
    """Write the phantom in the course format; never into a folder holding other data."""
    defaults = PhantomConfig()
    config = PhantomConfig(
        n_cases=args.cases if args.cases is not None else defaults.n_cases,
        seed=args.seed if args.seed is not None else defaults.seed,
        size=args.size if args.size is not None else defaults.size,
    )
    check_phantom_settings(config.n_cases, config.seed, config.size, config.difficulty)  # first
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder", out)
    if out.is_dir() and any(out.iterdir()):
        meta = read_phantom_record(out) or {}
        same = bool(meta) and all(meta.get(k) == v for k, v in asdict(config).items())
        if not same:  # never mix the cases of two phantoms (or a user's data) in one folder
            raise InputError("folder is not empty and holds no phantom made with the same "
                             "settings; choose a new or empty folder", out)
    dataset = make_phantom(config.n_cases, seed=config.seed, size=config.size,
                           difficulty=config.difficulty)
    write_course_folder(dataset, out, config)
    n_malignant = sum(c.label for c in dataset)
    print(f"wrote {len(dataset)} cases ({n_malignant} malignant, "
          f"{len({c.patient for c in dataset})} patients, {config.size} px, seed "
          f"{config.seed}, phantom v{config.version}) to {out}")
    print(f"fingerprint {dataset.fingerprint}")
    return 0
