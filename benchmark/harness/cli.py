"""The command line: ``python -m benchmark COMMAND ...`` (see ``--help``).

This module parses the command line and dispatches to the command functions of
:mod:`benchmark.harness.commands` (imported only when their command runs, so ``--help`` and
usage errors answer at once). It is also where library errors become command-line errors:
an :class:`~benchmark.ground.errors.InputError` is printed as it is, a
:class:`~benchmark.ground.errors.ParameterError` is reworded with the name of the option that
fed the parameter. The commands and options are described in the README ("Commands").

Exit codes: 0 success, 2 bad input or usage (one line on stderr naming the file or option),
1 unexpected internal error, 130 interrupted (Ctrl-C; a run keeps its complete cells).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from benchmark import __version__
from benchmark.ground.errors import InputError, ParameterError
from benchmark.harness.commands import PROG
from benchmark.harness.profiles import PROFILES

#: The studies (:data:`benchmark.harness.studies.STUDIES`, not imported here: it is heavy).
STUDY_NAMES = ("learning-curve", "robustness", "roi-looseness")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message):  # noqa: D102 - argparse API
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _int_at_least(minimum: int):
    """An argparse type: an integer >= ``minimum``."""
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return parse


_positive_int, _non_negative_int, _fold_count = (_int_at_least(1), _int_at_least(0),
                                                  _int_at_least(2))


def _margin_range(text: str) -> tuple[float, float]:
    """An argparse type: ``LO,HI``, the range of the ROI margins (fractions)."""
    from benchmark.ground.roi import check_margin

    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError(f"expected two fractions LO,HI (e.g. 0.1,0.3), got {text!r}")
        return check_margin(parts)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _run_options(parser: argparse.ArgumentParser, what: str) -> None:
    """The options ``run`` and ``study`` share."""
    parser.add_argument("--data", default="phantom", help="course folder, manifest CSV or "
                        "'phantom' (default)")
    parser.add_argument("--profile", choices=tuple(PROFILES), default=None,
                        help="quick: small phantom, 2 folds, short training; standard: 5 folds, "
                        "sized for 20 minutes on a 2-core CPU; full: 128 px, full-width U-Nets, "
                        "up to 200 epochs, 3 seeds (for a GPU). Default: full when the Keras "
                        "backend sees a GPU, standard otherwise")
    parser.add_argument("--folds", type=_fold_count, help="number of folds (default: the "
                        "profile's, 2 or 5)")
    parser.add_argument("--seed", type=_non_negative_int, help="seed of the split and the methods "
                        "(default 12345)")
    parser.add_argument("--seeds", type=_positive_int, help="training seeds of every deep "
                        "cell (default: the profile's, 1 or 3 for full); each is scored")
    parser.add_argument("--roi-margin", type=_margin_range, metavar="LO,HI",
                        help="range of the margin of each side of the ROI boxes, as fractions of "
                        "the lesion's extent (default 0.1,0.3; 0,0 gives the tight box)")
    parser.add_argument("--out", help=f"{what} folder (default: a new folder under runs/); an "
                           f"existing {what} folder with the same settings is continued")
    parser.add_argument("--jobs", type=_positive_int, default=None, help="local worker processes "
                        "(default: one per CPU core, at most 4, and 1 with --profile full, whose "
                        "deep models share one GPU; 1 runs every cell in this process)")
    parser.add_argument("--scheduler", help="address of a Dask distributed scheduler, e.g. "
                        "tcp://host:8786")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The parser of every command (the README's "Commands" section)."""
    parser = _Parser(prog=prog, description="massbench: classical and deep mammographic mass "
                     "segmentation, benchmarked on identical splits.")
    parser.add_argument("--version", action="version", version=f"massbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run methods on every fold and write a run folder")
    which = run.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every registered method")
    which.add_argument("--methods", help="comma-separated method names")
    _run_options(run, "run")

    study = sub.add_parser("study", help="a study: the benchmark at several training-set "
                           "sizes, image qualities or ROI looseness levels")
    study.add_argument("name", choices=STUDY_NAMES, help="learning-curve: nested shares "
                       "of the training patients (10, 25, 50, 100 %%); robustness: phantom "
                       "difficulty 0.25-1 (trained at the default 0.5, and matched); "
                       "roi-looseness: ROI margins from tight to 60-100 %% of the lesion")
    which = study.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every registered method "
                       "(roi-looseness: every semi-automatic one)")
    which.add_argument("--methods", help="comma-separated method names (default: the "
                       "study's set, see the README's Studies section)")
    _run_options(study, "study")

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
                         "col_max (0-based, inclusive, on the preprocessed grid: the raw crop "
                         "smoothed and shrunk by 8, e.g. 126 x 126 for a 1000 x 1000 crop)")
    segment.add_argument("--out", required=True, help="folder for the course-format image "
                         "and mask of every case")
    segment.add_argument("--method", default="radial", help="a semi-automatic, rule-based "
                         "method (default: radial, the course's radial max-variance "
                         "algorithm; `list` shows the others)")

    classify = sub.add_parser("classify", help="SVM / random forest on a feature table, "
                              "grouped cross-validation")
    classify.add_argument("features", help="CSV: case, label (1/0), [patient], features; or a "
                          "run folder (its features_<source>.csv)")
    classify.add_argument("--source", help="with a run folder: the mask source whose features "
                          "to classify (default: reference; or a method's name)")
    classify.add_argument("--out", help="folder for the results table and the ROC figure "
                          "(default: beside the CSV; for a run folder its classify_<source>)")
    classify.add_argument("--repeats", type=_positive_int, default=5,
                          help="repetitions of the 5-fold cross-validation (default 5)")

    report = sub.add_parser("report", help="(re)write the report page of a run or study "
                            "folder")
    report.add_argument("run_dir")

    compare = sub.add_parser("compare", help="compare runs made on the same splits (e.g. one "
                             "per Keras backend)")
    compare.add_argument("run_dirs", nargs="+", help="two or more run folders")
    compare.add_argument("--out", default="compare.html", help="HTML file to write (default: "
                         "compare.html)")
    return parser


#: Command name -> "module:function" of :mod:`benchmark.harness.commands`.
COMMANDS = {
    "run": "run:cmd_run",
    "study": "study:cmd_study",
    "list": "listing:cmd_list",
    "data": "datasets:cmd_data",
    "make-phantom": "datasets:cmd_make_phantom",
    "segment": "segment:cmd_segment",
    "classify": "classify:cmd_classify",
    "report": "reports:cmd_report",
    "compare": "reports:cmd_compare",
}

#: Library parameter -> the command-line option that feeds it.
OPTIONS = {"n_folds": "--folds", "methods": "--methods", "profile": "--profile",
           "seeds": "--seeds",
           "method": "--method", "size": "--size", "n_cases": "--cases"}


def option_message(error: ParameterError) -> str | None:
    """A library parameter error in the command line's words, or None if no option feeds it.

    Examples
    --------
    >>> option_message(ParameterError("n_folds", "make_splits", "an int >= 2", 1))
    '--folds must be an int >= 2; got 1'
    """
    option = OPTIONS.get(error.parameter)
    if option is None:
        return None
    message = f"{option} must be {error.expected}; got {error.got!r}"
    return f"{message}; {error.hint}" if error.hint else message


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    console_script = argv is None and Path(sys.argv[0]).name == "massbench"
    parser = build_parser("massbench" if console_script else PROG)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command is None:
        parser.print_help()
        return 2
    module, function = COMMANDS[args.command].split(":")
    try:
        command = getattr(importlib.import_module(f"benchmark.harness.commands.{module}"),
                          function)
        return command(args)
    except InputError as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 2
    except ParameterError as exc:
        message = option_message(exc)
        if message is None:  # no option feeds it: a bug, not the user's input
            raise
        print(f"{parser.prog}: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
