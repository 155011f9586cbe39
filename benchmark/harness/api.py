"""The Python API for notebooks: :func:`run`, :func:`evaluate`, :func:`load` -> :class:`Results`.

Each function mirrors a command (``run``, ``evaluate``; ``make-phantom`` as
:func:`make_phantom`) with the same checks and the same one-line errors
(:class:`~benchmark.ground.errors.InputError`, :class:`~benchmark.ground.errors.ParameterError`),
writes the same folder, and returns a :class:`Results` that reads it back: ``.metrics``
(pandas), ``.leaderboard()`` (the report's numbers), ``.report`` (the page), ``.figure()``
(one of the report's figures, shown inline in Jupyter) and a rich display of the glance and
the leaderboards. Inside a Jupyter kernel the progress is a notebook progress bar
(:mod:`benchmark.harness.progress`).

This module imports nothing heavy: ``import benchmark`` exposes these functions
(``benchmark.run``) and stays light; the runner, the metrics and the report are imported when
a function is called.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from benchmark.ground.errors import InputError, ParameterError
from benchmark.harness.commands import PROG

if TYPE_CHECKING:  # imported on first use (it imports the report): see __getattr__
    from benchmark.harness.results import Results

__all__ = ["Results", "evaluate", "load", "make_phantom", "run"]


def _method_list(methods, all_methods: bool) -> list | None:
    """``methods`` as a list (None for every method), checked against ``all_methods``."""
    if all_methods and methods is not None:
        raise ParameterError("methods", "benchmark.run", "None when all_methods=True (give "
                             "one of them)", methods)
    if all_methods:
        return None
    if methods is None:
        raise ParameterError("methods", "benchmark.run", "a list of methods, or "
                             "all_methods=True", None)
    if isinstance(methods, str):  # "otsu,unet", as --methods takes it
        return [n.strip() for n in methods.split(",") if n.strip()]
    if isinstance(methods, Sequence) or hasattr(methods, "__iter__"):
        return list(methods)
    return [methods]  # one plug-in class


def _spec(method) -> str:
    """How the command line names a method: its name, or ``module:Class`` for a class."""
    if isinstance(method, type):
        return f"{method.__module__}:{method.__qualname__}"
    return str(method)


def _command(names: list, options: dict) -> list[str]:
    """The ``run`` command line that does what a :func:`run` call does (for ``run.json``)."""
    words = [*PROG.split(), "run"]
    words += ["--all"] if names is None else ["--methods", ",".join(map(_spec, names))]
    for key, option in (("data", "--data"), ("profile", "--profile"), ("folds", "--folds"),
                        ("seed", "--seed"), ("seeds", "--seeds"), ("out", "--out"),
                        ("jobs", "--jobs"), ("scheduler", "--scheduler")):
        if options.get(key) is not None:
            words += [option, str(options[key])]
    if options.get("roi_margin") is not None:
        words += ["--roi-margin", ",".join(f"{v:g}" for v in options["roi_margin"])]
    return words


def _check_data(data) -> str:
    """``data`` as a spec string; a path that does not exist is refused in the CLI's words."""
    from benchmark.ground.formats import split_spec

    text = os.fspath(data)
    if text != "phantom" and not Path(split_spec(text)[1]).exists():
        raise InputError("no such file or folder (give 'phantom', a course-format folder or "
                         "a manifest .csv)", text)
    return text


def run(*, methods=None, all_methods: bool = False, data: str | os.PathLike = "phantom",
        profile: str | None = None, folds: int | None = None, seed: int | None = None,
        seeds: int | None = None, roi_margin: tuple[float, float] | None = None,
        out: str | os.PathLike | None = None, jobs: int | None = None,
        scheduler: str | None = None, quiet: bool = False) -> Results:
    """Run methods on identical splits and write a run folder with its report (``run``).

    The keyword arguments are ``run``'s options; a run folder with the same settings is
    continued (its complete cells are kept), as ``run --out`` does.

    Parameters
    ----------
    methods : list or str, optional
        What ``--methods`` takes: registered names (``"otsu"``), plug-ins
        (``"file.py:Class"``, ``"package.module:Class"``, entry-point names) and, here,
        segmenter classes themselves; or one comma-separated string.
    all_methods : bool, default False
        Every registered method (``--all``), instead of ``methods``.
    data : str or path-like, default "phantom"
        A course-format folder, a manifest CSV, a public dataset's copy, or ``"phantom"``.
    profile : {"quick", "standard", "full"}, optional
        Default: ``full`` when a deep method runs and the Keras backend sees a GPU,
        ``standard`` otherwise.
    folds, seed, seeds : int, optional
        As ``--folds``, ``--seed``, ``--seeds``.
    roi_margin : (float, float), optional
        As ``--roi-margin LO,HI`` (default 0.1, 0.3).
    out : path-like, optional
        The run folder (default: a new folder under ``runs/``).
    jobs : int, optional
        Local worker processes (default: as ``run``: one per core, at most 4; 1 with the
        ``full`` profile).
    scheduler : str, optional
        Address of a Dask distributed scheduler.
    quiet : bool, default False
        No progress (a notebook bar inside Jupyter, lines on stderr elsewhere).

    Returns
    -------
    Results

    Raises
    ------
    InputError, ParameterError
        Bad input, in the command line's one-line words.

    Examples
    --------
    A tiny classical run takes about a minute on two cores (the diagnosis stage and the
    report), so it is skipped here; ``tests/benchmark/harness/test_api.py`` runs it.

    >>> import benchmark
    >>> results = benchmark.run(methods=["otsu", "roi_ellipse", "box_shape"],
    ...                         profile="quick", folds=2, out="runs/tiny")  # doctest: +SKIP
    >>> results.leaderboard()[["track", "dice_mean", "vs_floor"]]  # doctest: +SKIP
    """
    import sys

    from benchmark.harness.commands.run import default_profile, run_with_report
    from benchmark.harness.executors import default_jobs
    from benchmark.harness.methods import resolve_methods, skipped_by_all
    from benchmark.harness.profiles import get_profile

    asked = _method_list(methods, all_methods)
    data = _check_data(data)
    if roi_margin is not None:
        from benchmark.ground.roi import check_margin

        try:
            roi_margin = check_margin(roi_margin)
        except ValueError:
            raise ParameterError("roi_margin", "benchmark.run", "two fractions (LO, HI) with "
                                 "0 <= LO <= HI <= 5", roi_margin) from None
    names = resolve_methods(asked)
    if profile is not None:
        get_profile(profile)
    for note in skipped_by_all().values() if asked is None and not quiet else ():
        print(f"note: {note}", file=sys.stderr, flush=True)
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    if profile is None:
        profile, why = default_profile(names)
        if why is not None and not quiet:
            print(f"profile: {profile} ({why})", file=sys.stderr, flush=True)
    if jobs is None:
        jobs = 1 if get_profile(profile).for_accelerator else default_jobs()
    options = {"data": data, "profile": profile, "folds": folds, "seed": seed,
               "seeds": seeds, "roi_margin": roi_margin, "out": out, "jobs": jobs,
               "scheduler": scheduler}
    folder = run_with_report(names, quiet=quiet, command=_command(asked, options), **options)
    return load(folder)


def evaluate(pred_dir: str | os.PathLike, *, data: str | os.PathLike = "phantom",
             out: str | os.PathLike, name: str | None = None, track: str = "roi",
             run: str | os.PathLike | None = None, quiet: bool = False) -> Results:
    """Score a folder of masks made elsewhere (``evaluate``), alone or inside a run.

    Parameters
    ----------
    pred_dir : path-like
        ``<case>_mask.png|pgm|tif`` (or the course's ``<case>_mass_mask.*``) files, one per
        case, on its image's grid, values {0, 1} or {0, 255}.
    data : str or path-like, default "phantom"
        The references; with ``run``, the run's data (checked by fingerprint).
    out : path-like
        The folder to write (new, empty, or one ``evaluate`` wrote: replaced).
    name : str, optional
        The masks' method name (default: ``pred_dir``'s folder name).
    track : {"roi", "automatic"}, default "roi"
        ``roi`` is the weaker claim: masks made elsewhere may have used a box around the
        lesion; ``automatic`` claims they were made from the image alone.
    run : path-like, optional
        A complete run folder: the masks are scored on its test cases and ranked beside its
        methods, floors and ceilings (the run folder is not changed).
    quiet : bool, default False

    Returns
    -------
    Results

    Raises
    ------
    InputError
        A missing, unreadable or wrongly sized prediction (naming the case, and both sizes),
        data that are not the run's, a name that cannot be used (one of the run's methods).
    ParameterError
        A track other than ``roi`` and ``automatic``.

    Examples
    --------
    >>> import benchmark
    >>> results = benchmark.evaluate("my_masks", data="course_data",
    ...                              out="runs/my_masks")  # doctest: +SKIP
    """
    from benchmark.harness.commands.evaluate import check_paths
    from benchmark.harness.evaluate import evaluate_masks

    data = os.fspath(data)
    check_paths(pred_dir, data, run)
    words = [*PROG.split(), "evaluate", os.fspath(pred_dir), "--data", data, "--out",
             os.fspath(out), "--track", track]
    words += ["--name", name] if name is not None else []
    words += ["--run", os.fspath(run)] if run is not None else []
    folder = evaluate_masks(pred_dir, data=data, out=out, name=name, track=track, run=run,
                            quiet=quiet, command=words)
    return load(folder)


def load(run_dir: str | os.PathLike) -> Results:
    """The results of a complete run folder (or of a folder ``evaluate`` wrote).

    Raises
    ------
    InputError
        If the folder is missing, is not a run folder, or its run is not complete.

    Examples
    --------
    >>> import benchmark
    >>> benchmark.load("no/such/run")
    Traceback (most recent call last):
    ...
    benchmark.ground.errors.InputError: no/such/run: no such run folder
    """
    from benchmark.harness.results import Results as _Results

    return _Results(run_dir)


def make_phantom(out: str | os.PathLike, *, cases: int | None = None, seed: int | None = None,
                 size: int | None = None) -> Path:
    """Write the synthetic dataset as a course-format folder (``make-phantom``); return it.

    Parameters
    ----------
    out : path-like
        A new or empty folder (or one holding the same phantom).
    cases, seed, size : int, optional
        Default 180 crops, seed 0, 128 px.
    """
    from benchmark.harness.commands.datasets import cmd_make_phantom

    cmd_make_phantom(argparse.Namespace(out=os.fspath(out), cases=cases, seed=seed, size=size))
    return Path(out)


def __getattr__(name: str):
    """:class:`Results` without importing its module until it is asked for."""
    if name == "Results":
        from benchmark.harness.results import Results as _Results

        return _Results
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
