"""A study's folder: its ``study.json``, the check that a command may continue it, its times.

``study.json`` is written (status ``preparing``) before the levels are planned, so a study
killed while it prepares its level folders continues too. It records the settings
(resolved: ``--folds`` and ``--seeds`` as the profile fills them in), the levels with their
typed parameters, how the report draws the study, and the start and duration of every
attempt (``wall_s``: their sum).
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

from benchmark.ground import store
from benchmark.ground.errors import InputError
from benchmark.harness.profiles import PROFILES

#: The version of ``study.json``'s layout (2: levels with typed ``params``).
STUDY_FORMAT = 2
#: The settings a continued study must repeat, and the option that sets each.
OPTIONS = {"study": "the study", "data": "--data", "profile": "--profile",
           "folds": "--folds", "seed": "--seed", "seeds": "--seeds",
           "roi_margin": "--roi-margin", "methods": "--all/--methods",
           "plugins": "--methods (a plug-in's spec, file content or version)"}


def default_out(study: str, profile: str) -> Path:
    """A new folder under ``runs/``, named by the time, the study and the profile."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path("runs") / f"{stamp}-study-{study}-{profile}"
    n = 1
    while out.exists():
        n += 1
        out = Path("runs") / f"{stamp}-study-{study}-{profile}-{n}"
    return out


def _resolved(settings: dict) -> dict:
    """``settings`` with ``folds`` and ``seeds`` filled in from the profile where None.

    A record written before the values were resolved (None: the profile's) compares with one
    that names the profile's value (``--folds 5`` given the second time only).
    """
    resolved = dict(settings)
    profile = PROFILES.get(settings.get("profile"))
    if profile is not None:
        if resolved.get("folds") is None:
            resolved["folds"] = profile.n_folds
        if resolved.get("seeds") is None:
            resolved["seeds"] = profile.seeds
    return resolved


def check_study_folder(out: Path, settings: dict) -> dict | None:
    """The existing ``study.json`` of ``out`` if its settings agree; errors otherwise.

    The settings compared are the resolved ones (:func:`_resolved`): an option given with
    the value the profile would have chosen is the same setting as the option left out. A
    study made before its levels had typed parameters is not continued.
    """
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder; choose another --out", out)
    path = out / store.STUDY_JSON
    if not path.is_file():
        if out.is_dir() and any(out.iterdir()):
            raise InputError("folder is not empty and holds no study.json, so it is not a "
                             "massbench study folder; choose a new or empty --out", out)
        return None
    try:
        previous = store.read_json(path)
        old = previous["settings"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"unreadable study record ({exc}); choose another --out",
                         path) from None
    if previous.get("massbench_study", 1) < STUDY_FORMAT:
        raise InputError("was made by an older massbench (levels without typed parameters), "
                         "which this version does not continue; choose another --out", path)
    old, settings = _resolved(old), _resolved(settings)
    for key, option in OPTIONS.items():
        if old.get(key) != settings.get(key):
            raise InputError(f"{option} differs from the study in this folder (it was made "
                             f"with {old.get(key)!r}, this command gives "
                             f"{settings.get(key)!r}); repeat its settings to resume it, or "
                             "choose another --out", path)
    return previous


def write_record(out: Path, record: dict, started: float) -> None:
    """Write ``study.json`` with this attempt's seconds so far and their sum over attempts.

    ``attempt_s[-1]`` is the time since ``started`` (``perf_counter``); ``wall_s`` the sum of
    every attempt's known seconds.
    """
    record["attempt_s"][-1] = time.perf_counter() - started
    record["wall_s"] = sum(s for s in record["attempt_s"] if s is not None)
    store.write_json(out / store.STUDY_JSON, record)


def _attempt_times(out: Path, previous: dict | None) -> list:
    """The seconds of every earlier attempt of the study in ``out`` (None: not known).

    An attempt that was killed (its ``study.json`` still says ``preparing`` or
    ``running``) recorded only its time up to its last write of ``study.json``; it ran at
    least until the last file it wrote in the folder (a cell's ``done.json``, say), so it is
    counted to that file's time. A record from before attempts were timed has None for them.
    """
    if previous is None:
        return []
    times = list(previous.get("attempt_s", []))
    times += [None] * (len(previous.get("attempts", [])) - len(times))
    if times and previous.get("status") in ("preparing", "running"):
        begun = datetime.fromisoformat(previous["attempts"][-1]).timestamp()
        last = max((p.stat().st_mtime for p in out.rglob("*") if p.is_file()),
                   default=begun)
        times[-1] = max(times[-1] or 0.0, last - begun)
    return times


def clear_unfinished_level(folder: Path) -> None:
    """Remove what a study killed while it prepared ``folder`` left there.

    :func:`benchmark.harness.runner.prepare_run` writes a level's split, boxes and cases
    before its ``run.json``; a folder that holds only those (they are made again, the same
    for the same settings) would otherwise be refused as not a run folder. A folder with
    anything else in it is left to the runner's check.
    """
    if not folder.is_dir() or (folder / store.RUN_JSON).exists():
        return
    store.remove_temporary(folder)
    prepared = {store.SPLITS_JSON, store.ROIS_CSV, store.CASES_NPZ}
    files = list(folder.iterdir())
    if all(f.is_file() and f.name in prepared for f in files):
        for f in files:
            f.unlink()


def record_study_report(out: str | os.PathLike, report: str | os.PathLike,
                        seconds: float) -> None:
    """Add the report's path and the time it took to a complete study's ``study.json``."""
    path = Path(out) / store.STUDY_JSON
    record = store.read_json(path)
    record["report"] = str(report)
    record["stages"]["report_s"] = seconds
    # this attempt, from the command's start to the report; ``wall_s``: every attempt's
    record["attempt_s"][-1] = record["stages"]["run_s"] + seconds
    record["wall_s"] = sum(s for s in record["attempt_s"] if s is not None)
    store.write_json(path, record)
