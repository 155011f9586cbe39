"""``evaluate``: masks made elsewhere, scored with the benchmark's metrics, statistics and report.

A folder of predictions (``<case>_mask.png|pgm|tif``, or the course's ``<case>_mass_mask.*``;
values {0, 1} or {0, 255}, read by :func:`benchmark.ground.data.course.read_mask`) is scored
against the reference masks of a dataset, case by case, by the same function that scores a
run's cells (:func:`benchmark.harness.cells.score_cell`). Two forms:

- **alone** (no ``run``): every case of the data is scored. The folder written is run-like
  (``run.json`` with status complete, ``splits.json``, ``metrics.csv``, ``cases.npz``,
  ``cells/<name>/fold_<k>/``, the diagnosis tables, ``report.html`` and ``summary.txt``):
  the leaderboard with patient-level intervals, the gallery and, where the cases have
  labels, the diagnosis stage, whose classifiers train on the folds of ``splits.json``
  (made here, grouped by patient; the masks were not made on them). No floors: they learn
  on a training part, which masks made elsewhere have not got; the report says so.
- **inside a run** (``run=RUN_DIR``): the masks are scored on the run's test cases (every
  fold's test part, each in its fold) and ranked in their track beside the run's methods,
  floors and ceilings, with the report's paired tests (a method made elsewhere is not
  stochastic: paired with a trained model its comparison is tested over the run's folds).
  The data must be the run's (the fingerprints agree). The run folder is never changed:
  ``out`` receives a copy of every file of the run except its models (``model.keras``,
  ``model.joblib``: the report reads none) and its report, plus the new method's cells, its
  rows appended to ``metrics.csv`` and to the diagnosis tables (classified on the run's
  folds with the run's seed), and a new report.

The masks are ranked in the ROI-given track by default, the weaker claim: masks made
elsewhere may have used a box around the lesion. ``track="automatic"`` claims that they
were made from the image alone (massbench cannot check it).

Every check (the name, the data, every prediction's presence, readability and size) is made
before anything is written. ``run.json`` is written first with status ``running`` and last
with status ``complete``; an existing folder is reused only when ``evaluate`` wrote it
(its ``run.json`` has an ``evaluate`` record): it is emptied first.

:mod:`~benchmark.harness.evaluate.masks` reads the predictions,
:mod:`~benchmark.harness.evaluate.folder` writes the folder; :func:`evaluate_masks` checks
the inputs and runs the stages.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from benchmark.ground import store
from benchmark.ground.data import Dataset, load_dataset
from benchmark.ground.errors import InputError, ParameterError
from benchmark.ground.formats import split_spec
from benchmark.harness import environment
from benchmark.harness.diagnosis import ANCHOR_SOURCE
from benchmark.harness.evaluate.folder import (
    append_to_run,
    check_out,
    diagnose_alone,
    diagnosis_splits,
    start_folder,
    write_cells,
)
from benchmark.harness.evaluate.masks import (  # noqa: F401 (the package's public names)
    extras_warning,
    find_predictions,
    prediction_case,
    read_predictions,
)
from benchmark.harness.profiles import PROFILES
from benchmark.harness.progress import Progress

#: ``--track`` -> whether the masks rank in the ROI-given track (``needs_roi``).
TRACKS = {"roi": True, "automatic": False}
#: The track masks made elsewhere rank in unless told otherwise: the weaker claim.
DEFAULT_TRACK = "roi"
#: A method name: it names a folder (``cells/<name>``) and a file (``features_<name>.csv``).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
#: Names the diagnosis stage gives its own mask sources.
RESERVED_NAMES = ("reference", ANCHOR_SOURCE)

def check_track(track: str) -> bool:
    """``needs_roi`` of a track name (``roi`` or ``automatic``).

    Examples
    --------
    >>> check_track("roi"), check_track("automatic")
    (True, False)
    """
    if track not in TRACKS:
        raise ParameterError("track", "evaluate", f"one of {', '.join(TRACKS)}", track,
                             choices=TRACKS)
    return TRACKS[track]


def check_name(name: str, taken=()) -> str:
    """A method name for the masks: a folder-safe word, not a diagnosis source, not ``taken``.

    Raises
    ------
    InputError
        For a name that cannot name a folder, is reserved, or is already a method of the run
        (``taken``); the message says to give ``--name``.

    Examples
    --------
    >>> check_name("student_otsu")
    'student_otsu'
    """
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InputError(f"the name {name!r} cannot name a method (use letters, digits and "
                         "_ . + -, starting with a letter or digit); give another --name")
    if name in RESERVED_NAMES:
        raise InputError(f"the name {name!r} is taken by the diagnosis stage's own mask "
                         f"sources ({', '.join(RESERVED_NAMES)}); give another --name")
    if name in taken:
        raise InputError(f"the name {name!r} is a method of the run; give the masks another "
                         "--name")
    return name


def run_dataset(record: dict, data: str) -> Dataset:
    """The data ``evaluate --run`` scores on, read as the run read it (its profile's phantom)."""
    profile = PROFILES.get(record["settings"].get("profile"))
    if data == "phantom" and profile is not None:
        from benchmark.harness.runner import load_stage

        return load_stage(data, profile)
    return load_dataset(data)


def references(data: str, base) -> tuple[Dataset, dict]:
    """The data and the folds an evaluation scores on: a run's (checked), or new ones.

    Raises
    ------
    InputError
        When ``base`` (a run) was made on other data (the fingerprints differ).
    """
    if base is None:
        dataset = load_dataset(data)
        return dataset, diagnosis_splits(dataset)
    dataset = run_dataset(base.record, data)
    expected = base.record["settings"]["data_fingerprint"]
    if dataset.fingerprint != expected:
        raise InputError(f"--data {data} is not the data of the run {base.path} (its "
                         f"fingerprint is {dataset.fingerprint}, the run's {expected}); give "
                         f"the run's data (--data {base.record['settings'].get('data')})")
    return dataset, base.splits


def evaluate_masks(pred_dir: str | os.PathLike, *, data: str | os.PathLike = "phantom",
                   out: str | os.PathLike, name: str | None = None,
                   track: str = DEFAULT_TRACK, run: str | os.PathLike | None = None,
                   quiet: bool = False, command=None, stream=None) -> Path:
    """Score a folder of predicted masks and write a run-like folder with its report.

    Parameters
    ----------
    pred_dir : path-like
        Folder of ``<case>_mask.png|pgm|tif`` (or ``<case>_mass_mask.*``) files, one per
        case, each on its image's grid, values {0, 1} or {0, 255}.
    data : str or path-like, default "phantom"
        The references: what ``run --data`` takes. With ``run``, the run's data (checked by
        fingerprint).
    out : path-like
        The folder to write: new, empty, or one that ``evaluate`` wrote (emptied first).
    name : str, optional
        The masks' method name (default: ``pred_dir``'s folder name).
    track : {"roi", "automatic"}, default "roi"
        The track the masks rank in (module docstring).
    run : path-like, optional
        A complete run folder to rank the masks in (its test cases, beside its methods).
    quiet : bool, default False
        No progress lines (the warning about unused files is printed all the same).
    command : list of str, optional
        The command line, recorded in ``run.json``.
    stream : file-like, optional
        Where progress and warnings go (default stderr).

    Returns
    -------
    Path
        The folder written (``out``), with ``report.html``.

    Raises
    ------
    InputError
        A missing, unreadable or wrongly sized prediction (naming the case and both sizes),
        data that are not the run's, a name that cannot be used (one of the run's methods, a
        diagnosis source, not a folder-safe word), an ``out`` in the way.
    ParameterError
        A track other than ``roi`` and ``automatic``.
    """
    from benchmark.harness.runner import record_report
    from reports import render_report
    from reports.rundata import load_run

    stream = stream if stream is not None else sys.stderr
    needs_roi = check_track(track)
    pred_dir = Path(pred_dir)
    if not pred_dir.is_dir():
        raise InputError("no such folder of predicted masks", pred_dir)
    name = check_name(name if name is not None else pred_dir.resolve().name)
    data, out = str(data), Path(out)
    base = load_run(run) if run is not None else None
    data_path = Path(split_spec(data)[1])
    inputs = [pred_dir] + ([data_path] if data != "phantom" and data_path.exists() else [])
    check_out(out, run_dir=None if base is None else base.path, inputs=inputs)
    if base is not None:
        check_name(name, taken=base.methods)
    progress = Progress(0, mode="quiet" if quiet else "log", stream=stream)
    t0 = time.perf_counter()
    dataset, splits = references(data, base)
    cases = [c for fold in splits["folds"] for c in fold["test"]]
    files, extras = find_predictions(pred_dir, cases)
    masks = read_predictions(files, dataset)
    warning = extras_warning(pred_dir, extras)
    if warning:
        print(warning, file=stream, flush=True)
    progress.message(f"massbench evaluate: {len(masks)} masks of {pred_dir} as {name} "
                     f"(track {track}) against {dataset.name} ({len(dataset)} cases)"
                     + (f", inside the run {base.path}" if base is not None else "")
                     + f"; writing to {out}")

    source = str(pred_dir.resolve())
    record = start_folder(out, base, dataset, name, needs_roi, source, track, data, splits,
                          command, extras)
    stages = record["stages"]
    metrics, features, cells = write_cells(out, name, needs_roi, dataset, splits, masks,
                                           source)
    if base is None:
        store.write_csv(out / store.METRICS_CSV, metrics)
        record["diagnosis"] = diagnose_alone(out, dataset, splits, name, progress)
    else:
        append_to_run(out, base, dataset, name, metrics, features, progress)
    record["cells"].update(cells)
    record["method_time_s"][name] = 0.0
    record["status"] = "complete"
    record["end_time"] = environment.now()
    stages["evaluate_s"] = time.perf_counter() - t0
    store.write_json(out / store.RUN_JSON, record)
    progress.message(f"report: rendering {store.REPORT_HTML}")
    t1 = time.perf_counter()
    report = render_report(out)
    record_report(out, report, time.perf_counter() - t1)
    progress.close()
    return out.resolve()
