"""The command line: ``python -m benchmark COMMAND ...`` (see ``--help``).

Exit codes: 0 success, 2 bad input or usage (one line on stderr naming the file or option),
1 unexpected internal error.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from dataclasses import asdict
from pathlib import Path

from benchmark import __version__
from benchmark.errors import InputError

PROG = "python -m benchmark"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message):  # noqa: D102 - argparse API
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command of the design (DESIGN.md, "The commands")."""
    parser = _Parser(prog=PROG, description="massbench: classical and deep mammographic mass "
                     "segmentation, benchmarked on identical splits.")
    parser.add_argument("--version", action="version", version=f"massbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run methods on every fold and write a run folder")
    which = run.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every registered method")
    which.add_argument("--methods", help="comma-separated method names")
    run.add_argument("--data", default="phantom", help="course folder, manifest CSV or "
                     "'phantom' (default)")
    run.add_argument("--profile", choices=("quick", "standard"), default="standard",
                     help="quick: small phantom, 2 folds, short training; standard (default): "
                     "5 folds, training to early stopping")
    run.add_argument("--folds", type=_positive_int, help="number of folds (default: the "
                     "profile's, 2 or 5)")
    run.add_argument("--seed", type=_non_negative_int, help="seed of the split and the methods "
                     "(default 12345)")
    run.add_argument("--out", help="run folder (default: a new folder under runs/); an "
                     "existing run folder with the same settings is continued")
    run.add_argument("--jobs", type=_positive_int, default=1, help="local worker processes "
                     "(default 1)")
    run.add_argument("--scheduler", help="address of a Dask distributed scheduler, e.g. "
                     "tcp://host:8786")
    run.add_argument("--quiet", action="store_true", help="no progress output")

    sub.add_parser("list", help="registered methods and datasets")

    data = sub.add_parser("data", help="summarise a dataset: cases, labels, patients, sizes, "
                          "problems")
    data.add_argument("path", help="course-format folder, manifest CSV or 'phantom'")
    data.add_argument("--json", action="store_true", help="print JSON instead of text")

    phantom = sub.add_parser("make-phantom", help="write the synthetic dataset in the course "
                             "format")
    phantom.add_argument("out", help="folder to write (created if needed)")
    phantom.add_argument("--cases", type=_positive_int, default=None, help="number of crops "
                         "(default 180)")
    phantom.add_argument("--seed", type=_non_negative_int, default=None, help="default 0")
    phantom.add_argument("--size", type=_positive_int, default=None, help="crop side in "
                         "pixels (default 128, at least 32)")

    segment = sub.add_parser("segment", help="course preprocessing and ROI segmentation of "
                             "raw crops (the batch run_segmentation.m)")
    segment.add_argument("raw_dir", help="folder of raw crops (<case>.pgm, .png or .tif)")
    segment.add_argument("--rois", required=True, help="CSV: case,row_min,row_max,col_min,"
                         "col_max (0-based, inclusive, on the preprocessed grid)")
    segment.add_argument("--out", required=True, help="folder for <case>_resized.pgm and "
                         "<case>_mass_mask.pgm")
    segment.add_argument("--method", default="radial", help="semi-automatic method "
                         "(default: radial, the course's radial max-variance algorithm)")

    classify = sub.add_parser("classify", help="SVM / random forest on a feature table, "
                              "grouped cross-validation")
    classify.add_argument("features", help="CSV: case, label (1/0), [patient], features")
    classify.add_argument("--out", help="folder for classification.csv and roc.png "
                          "(default: beside the CSV)")
    classify.add_argument("--repeats", type=_positive_int, default=5,
                          help="repetitions of the 5-fold cross-validation (default 5)")

    report = sub.add_parser("report", help="write RUN_DIR/report.html from a run folder")
    report.add_argument("run_dir")

    compare = sub.add_parser("compare", help="compare runs made on the same splits (e.g. one "
                             "per Keras backend)")
    compare.add_argument("run_dirs", nargs="+", help="two or more run folders")
    compare.add_argument("--out", default="compare.html", help="HTML file to write (default: "
                         "compare.html)")
    return parser


def _cmd_run(args) -> int:
    from benchmark.methods import resolve_methods
    from benchmark.runner import run_benchmark

    if args.folds is not None and args.folds < 2:
        raise InputError(f"--folds must be at least 2; got {args.folds}")
    methods = resolve_methods(None if args.all else args.methods)
    out = run_benchmark(methods, data=args.data, profile=args.profile, folds=args.folds,
                        seed=args.seed, out=args.out, jobs=args.jobs, scheduler=args.scheduler,
                        quiet=args.quiet, command=[PROG, *args.argv])
    print(f"run folder: {out}")
    return 0


def _cmd_list(args) -> int:
    from baselines.registry import SEGMENTERS
    from benchmark.data import DATASETS

    print("methods:")
    print(f"  {'name':<30} {'family':<10} {'ROI':<15} parameters")
    for name, (factory, description) in SEGMENTERS.items():
        method = factory()
        roi = "semi-automatic" if method.needs_roi else "automatic"
        tuned = ", ".join(sorted(method.tuning_grid)) or "-"
        print(f"  {name:<30} {method.family:<10} {roi:<15} tuned: {tuned}")
        print(f"  {'':<30} {description}")
        params = ", ".join(f"{k}={v!r}" for k, v in sorted(method.get_params().items()))
        print(f"  {'':<30} {params or 'no parameters'}")
    from benchmark.methods import deep_models

    try:
        models = deep_models()
        from deep.training import DeepSegmenter
    except InputError as exc:  # keras installed without a backend, say
        print(f"  (deep models unavailable: {exc})")
    else:
        training = ", ".join(f"{k}={v!r}" for k, v in sorted(DeepSegmenter().get_params().items())
                             if k != "model")
        for name, (builder, description) in models.items():
            arch = ", ".join(f"{p.name}={p.default!r}" for p in
                             inspect.signature(builder).parameters.values())
            print(f"  {name:<30} {'deep':<10} {'automatic':<15} early stopping on val Dice")
            print(f"  {'':<30} {description}")
            print(f"  {'':<30} {arch}")
        print(f"  {'':<30} training: {training}")
    print("datasets:")
    for name, (description, _) in DATASETS.items():
        print(f"  {name:<12} {description}")
    print("  <folder>     a course-format folder (<case>_resized.pgm + <case>_mass_mask.pgm)")
    print("  <file.csv>   a manifest: image,mask[,label][,patient][,case]")
    return 0


def _cmd_data(args) -> int:
    from benchmark.data import scan_dataset, summarize

    dataset, problems = scan_dataset(args.path)
    summary = summarize(dataset, problems)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        if dataset is not None:
            print(f"dataset      {dataset.name} ({dataset.source.split(' {')[0]})")
            print(f"fingerprint  {dataset.fingerprint}")
        print(f"cases        {summary['n_cases']}  (malignant {summary['n_malignant']}, "
              f"benign {summary['n_benign']}, unlabelled {summary['n_unlabelled']})")
        print(f"patients     {summary['n_patients']}")
        sizes = ", ".join(f"{k} x{v}" for k, v in summary["image_sizes"].items()) or "-"
        print(f"image sizes  {sizes}")
        print(f"problems     {len(problems)}")
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        print(f"{PROG}: {first['file']}: {first['problem']}{more}", file=sys.stderr)
        return 2
    return 0


def _cmd_make_phantom(args) -> int:
    from benchmark.data import PhantomConfig, make_phantom, write_course_folder

    defaults = PhantomConfig()
    config = PhantomConfig(
        n_cases=args.cases if args.cases is not None else defaults.n_cases,
        seed=args.seed if args.seed is not None else defaults.seed,
        size=args.size if args.size is not None else defaults.size,
    )
    if config.size < 32:
        raise InputError(f"--size must be at least 32 pixels; got {config.size}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder", out)
    if out.is_dir() and any(out.iterdir()):
        previous = out / "phantom.json"
        same = False
        if previous.is_file():
            try:
                meta = json.loads(previous.read_text())
                same = all(meta.get(k) == v for k, v in asdict(config).items())
            except ValueError:
                same = False
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


def _cmd_segment(args) -> int:
    from baselines.segment_command import run_segment

    cases = run_segment(args.raw_dir, args.rois, args.out, method=args.method)
    print(f"segmented {len(cases)} case(s) with {args.method}; wrote <case>_resized.pgm and "
          f"<case>_mass_mask.pgm to {args.out}")
    return 0


def _cmd_classify(args) -> int:
    from baselines.classify_command import run_classify

    results = run_classify(args.features, args.out, repeats=args.repeats)
    summary = results.groupby("classifier", sort=False)["roc_auc"].agg(["mean", "std"])
    n_folds = results.groupby("classifier").size().iloc[0]
    print(f"ROC AUC over {n_folds} folds (5-fold, patient-grouped, {args.repeats} repeats):")
    for name, row in summary.iterrows():
        print(f"  {name:<15} {row['mean']:.3f} +- {row['std']:.3f}")
    out = Path(args.out) if args.out else Path(args.features).parent
    print(f"wrote {out / 'classification.csv'} and {out / 'roc.png'}")
    return 0


def _cmd_report(args) -> int:
    from reports import render_report

    print(f"wrote {render_report(args.run_dir)}")
    return 0


def _cmd_compare(args) -> int:
    from reports import render_compare

    if len(args.run_dirs) < 2:
        raise InputError("compare needs at least two run folders")
    out = Path(args.out)
    if out.is_dir():
        raise InputError("is a folder; give a file name such as compare.html", out)
    print(f"wrote {render_compare(args.run_dirs, out)}")
    return 0


COMMANDS = {"run": _cmd_run, "report": _cmd_report, "compare": _cmd_compare,
            "list": _cmd_list, "data": _cmd_data, "make-phantom": _cmd_make_phantom,
            "segment": _cmd_segment, "classify": _cmd_classify}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
