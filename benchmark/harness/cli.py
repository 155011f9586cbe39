"""The command line: ``python -m benchmark COMMAND ...`` (see ``--help``).

This module parses the command line and dispatches to the command functions of
:mod:`benchmark.harness.commands` (imported only when their command runs). It imports no
heavy library (Keras, scikit-learn, matplotlib, numba): ``--help`` and every usage error (an
unknown option, a bad ``--folds``, a misspelled method, profile or study name, with a "did
you mean", a missing file or folder) are answered in a fraction of a second. It is also
where library errors become command-line errors:
an :class:`~benchmark.ground.errors.InputError` is printed as it is, a
:class:`~benchmark.ground.errors.ParameterError` is reworded with the name of the option that
fed the parameter. The commands and options are described in the README ("Commands").

Exit codes: 0 success, 2 bad input or usage (one line on stderr naming the file or option),
1 unexpected internal error, 130 interrupted (Ctrl-C; a run keeps its complete cells).
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import re
import sys
from pathlib import Path

from baselines.registry import segment_choices
from benchmark import __version__
from benchmark.ground.errors import InputError, ParameterError
from benchmark.ground.formats import FORMAT_NAMES, split_spec, with_format
from benchmark.harness import plugins
from benchmark.harness.commands import PROG
from benchmark.harness.methods import known_names
from benchmark.harness.profiles import PROFILES
from benchmark.harness.study_registry import STUDIES

EPILOG = """exit codes:
  0    success
  1    unexpected internal error (a bug: please report it with the traceback)
  2    bad input or usage: one line on stderr naming the option or file
  130  interrupted (Ctrl-C); a run keeps its complete cells: rerun it with --out to continue
"""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message):  # noqa: D102 - argparse API
        match = re.match(r"argument COMMAND: invalid choice: '([^']*)' \(choose from (.*)\)$",
                         message)
        if match:  # a misspelled command
            commands = [c.strip("'") for c in match.group(2).split(", ")]
            message = (f"unknown command {match.group(1)!r}"
                       f"{did_you_mean(match.group(1), commands)} (choose from "
                       f"{', '.join(commands)})")
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def did_you_mean(name: str, choices) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices`` to ``name``, or ``""``.

    Examples
    --------
    >>> did_you_mean("otsuu", ["otsu", "unet"])
    "; did you mean 'otsu'?"
    """
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _one_of(choices, what: str):
    """An argparse type: one of ``choices``, with a "did you mean" for a misspelling."""

    def parse(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {text!r}{did_you_mean(text, choices)} (choose from "
                f"{', '.join(choices)})")
        return text

    return parse


def _method_list(text: str) -> str:
    """An argparse type: comma-separated methods (returned as given).

    Each is a registered name or alias, an installed entry point's name, or a plug-in spec
    (``FILE.py:Class``, whose file must exist, or ``module:Class``); the plug-ins are imported
    and checked later, by the command (:func:`benchmark.harness.methods.resolve_methods`).
    """
    known = known_names()
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated method names, got "
                                         f"{text!r}")
    for name in names:
        if plugins.spec_kind(name) is not None:
            problem = plugins.spec_problem(name)
            if problem is not None:
                raise argparse.ArgumentTypeError(problem)
        elif name not in known:
            raise argparse.ArgumentTypeError(
                f"unknown method {name!r}{did_you_mean(name, known)} (choose from "
                f"{', '.join(known)}, or give a plug-in as FILE.py:Class or module:Class; "
                "`list` describes them)")
    return text


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


_positive_int, _non_negative_int = _int_at_least(1), _int_at_least(0)


#: :data:`benchmark.ground.splits.FOLDS_EXPECTED` (that module imports scikit-learn).
FOLDS_EXPECTED = "an integer >= 2"


def _fold_count(text: str) -> int:
    """An argparse type: a number of folds (an integer).

    :func:`main` says when it is below 2, in the words of the check on the data (which
    also says its most, the number of patients).
    """
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {FOLDS_EXPECTED}, got {text!r}") from None


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
    parser.add_argument("--data", default="phantom", help="course folder, manifest CSV, a "
                        "CBIS-DDSM or INbreast copy, or 'phantom' (default); `list` shows the "
                        "formats")
    _format_option(parser)
    parser.add_argument("--profile", type=_one_of(tuple(PROFILES), "profile"), default=None,
                        metavar="{" + ",".join(PROFILES) + "}",
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


def _format_option(parser: argparse.ArgumentParser) -> None:
    """``--format NAME``: the dataset format, instead of detecting it from the path."""
    parser.add_argument("--format", type=_one_of(FORMAT_NAMES, "format"), default=None,
                        metavar="{" + ",".join(FORMAT_NAMES) + "}",
                        help="read the data in this format instead of detecting it")


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The parser of every command (the README's "Commands" section)."""
    parser = _Parser(prog=prog, description="massbench: classical and deep mammographic mass "
                     "segmentation, benchmarked on identical splits.", epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"massbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run methods on every fold and write a run folder")
    which = run.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every registered method")
    which.add_argument("--methods", type=_method_list, help="comma-separated method names "
                       "(`list` shows them), plug-ins as FILE.py:Class or module:Class, or "
                       "names installed packages register (entry points massbench.methods)")
    _run_options(run, "run")

    study = sub.add_parser("study", help="a study: the benchmark at several training-set "
                           "sizes, image qualities or ROI looseness levels")
    study.add_argument("name", type=_one_of(tuple(STUDIES), "study"),
                       metavar="STUDY", help="one of " + ", ".join(STUDIES) + ". " + "; ".join(
                           f"{name}: {entry.description}".replace("%", "%%")
                           for name, entry in STUDIES.items()))
    which = study.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every registered method "
                       "(roi-looseness: every semi-automatic one)")
    which.add_argument("--methods", type=_method_list, help="comma-separated method names "
                       "(default: the "
                       "study's set, listed in docs/studies.md)")
    _run_options(study, "study")

    listing = sub.add_parser("list", help="registered methods (with a profile's settings) and "
                             "datasets")
    listing.add_argument("--profile", type=_one_of(tuple(PROFILES), "profile"), default=None,
                         metavar="{" + ",".join(PROFILES) + "}",
                         help="show the settings (input sizes, epochs, widths, tuning) this "
                         "profile gives each method (default: standard, what run takes on a "
                         "CPU)")
    listing.add_argument("--methods", type=_method_list, help="only these methods "
                         "(names or plug-in specs: a plug-in is loaded, checked and shown "
                         "with its name, family, track and parameters)")

    data = sub.add_parser("data", help="summarise a dataset: cases, labels, patients, sizes, "
                          "problems")
    data.add_argument("path", help="course-format folder, manifest CSV, a CBIS-DDSM or "
                      "INbreast copy, or 'phantom'")
    _format_option(data)
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
                             "raw crops (the batch run_segmentation.m)",
                             description="Preprocess raw crops the course's way and segment "
                             "each with its box from ROIS.csv, writing a course-format "
                             "reference folder. First run it with --preview to see the grid "
                             "the boxes are drawn on: each crop's <case>_resized.pgm, the raw "
                             "crop smoothed and shrunk by 8 (a 1000 px crop becomes 126 x 126, "
                             "a 512 px one 65 x 65).")
    segment.add_argument("raw_dir", help="folder of raw crops (one image per case, named "
                         "after it: 0001p1_1_1.pgm, .png or .tif; not JPEG)")
    which = segment.add_mutually_exclusive_group(required=True)
    which.add_argument("--rois", help="CSV: case,row_min,row_max,col_min,col_max (0-based, "
                       "inclusive, on the preprocessed grid that --preview writes); crops of "
                       "RAW_DIR without a row are not segmented (a line on stderr names them)")
    which.add_argument("--preview", action="store_true", help="write only each crop's "
                       "preprocessed grid, <case>_resized.pgm, into --out and print its size: "
                       "draw the boxes on exactly that grid (no --rois needed)")
    segment.add_argument("--out", required=True, help="folder for the course-format image "
                         "and mask of every case; a folder that already holds course-format "
                         "images or masks (or reference.json) is refused, except the grids a "
                         "--preview of the same crops wrote")
    segment.add_argument("--overwrite", action="store_true", help="replace the course-format "
                         "files and reference.json that --out holds")
    segment.add_argument("--method", default="radial",
                         type=_one_of(segment_choices(), "segment method"),
                         metavar="{" + ",".join(segment_choices()) + "}",
                         help="a semi-automatic, rule-based method (default: radial, the "
                         "course's radial max-variance algorithm)")

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

    evaluate = sub.add_parser(
        "evaluate", help="score a folder of masks made elsewhere (alone, or ranked inside a "
        "run)", description="Score a folder of predicted masks against the reference masks of "
        "--data with the benchmark's metrics, statistics and report. Alone, every case is "
        "scored (no floors: they learn on a training part); with --run, the run's test cases "
        "are, and the masks rank beside its methods, floors and ceilings in a new folder (the "
        "run folder is never changed).")
    evaluate.add_argument("pred_dir", metavar="PRED_DIR", help="folder of <case>_mask.png "
                          "(or .pgm, .tif) or the course's <case>_mass_mask.* files, one per "
                          "case on its image's grid, values {0,1} or {0,255}")
    evaluate.add_argument("--data", default="phantom", help="the references: course folder, "
                          "manifest CSV, a CBIS-DDSM or INbreast copy, or 'phantom' (default); "
                          "with --run, the run's data (checked by fingerprint)")
    _format_option(evaluate)
    evaluate.add_argument("--out", required=True, help="folder to write (new, empty, or one "
                          "evaluate wrote, which is replaced)")
    evaluate.add_argument("--name", help="the masks' method name (default: PRED_DIR's folder "
                          "name); a method of the --run is refused")
    evaluate.add_argument("--track", choices=("roi", "automatic"), default="roi",
                          help="the track the masks rank in (default: roi, the weaker claim: "
                          "masks made elsewhere may have used a box around the lesion; "
                          "automatic claims they were made from the image alone)")
    evaluate.add_argument("--run", metavar="RUN_DIR", help="a complete run folder: score its "
                          "test cases and rank the masks beside its methods")
    evaluate.add_argument("--quiet", action="store_true", help="no progress output")
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
    "evaluate": "evaluate:cmd_evaluate",
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


def usage_problem(args) -> str | None:
    """What is wrong with parsed arguments that needs no data to tell, or None.

    A Keras backend that cannot start when ``--all`` asks for the deep models
    (:func:`deep.backend_check.backend_problem`), a number of folds below 2 (said as the
    library says it) and a file or folder that does not exist, answered before the command's
    heavy imports (the commands check them again, for callers of their functions).
    """
    if args.command in ("run", "study") and getattr(args, "all", False):
        from deep.backend_check import backend_problem  # light: imports no backend

        backend = backend_problem()
        if backend is not None:  # --all holds the deep models
            return f"--all: the deep models cannot be loaded: {backend}"
    folds = getattr(args, "folds", None)
    if folds is not None and folds < 2:
        return option_message(ParameterError("n_folds", "make_splits", FOLDS_EXPECTED, folds))
    data = getattr(args, "data", None)
    if (args.command in ("run", "study") and data != "phantom"
            and not Path(split_spec(data)[1]).exists()):
        return (f"--data {data}: no such file or folder (give 'phantom', a course-format "
                "folder or a manifest .csv)")
    paths = {"segment": [(args.raw_dir, "not a folder")] + (
                 [(args.rois, "no such ROI file")] if args.rois is not None else [])
             if args.command == "segment" else [],
             "classify": [(args.features, "no such feature table or run folder")]
             if args.command == "classify" else [],
             "report": [(args.run_dir, "no such run folder")]
             if args.command == "report" else [],
             "compare": [(p, "no such run folder") for p in args.run_dirs]
             if args.command == "compare" else []}
    if args.command == "compare" and len(args.run_dirs) < 2:
        return str(InputError("compare needs at least two run folders"))
    for path, problem in paths.get(args.command, []):
        if not Path(path).exists():
            return str(InputError(problem, path))
    return None


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
    problem = usage_problem(args)
    if problem is not None:  # answered before any heavy import
        print(f"{parser.prog}: {problem}", file=sys.stderr)
        return 2
    if getattr(args, "format", None) is not None:  # travels in the data spec: NAME:PATH
        target = "path" if args.command == "data" else "data"
        setattr(args, target, with_format(args.format, getattr(args, target)))
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
