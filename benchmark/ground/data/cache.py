"""Public datasets converted once: the crops of an import, kept in a cache folder and reused.

An importer (CBIS-DDSM, INbreast) first *plans* its cases from the names and tables of the
download (which rows, which files, which label and patient: cheap, no pixels), as a
:class:`Plan`. :func:`run_import` then converts what the cache does not hold yet, and loads
the dataset from the cache. The cache folder is a course-format folder with a manifest::

    <cache>/<format>-<version>/
      <case>_resized.pgm, <case>_mass_mask.pgm   the crop and its mask (8-bit, 125 x 125)
      parts/<case>.json    written after the case's two images: its source key and what
                           became of it (kept with its window, or dropped and why)
      cases.csv            a manifest (image,mask,label,patient,case + the source row and
                           the importer's own columns): ``--data cases.csv`` reads it alone
      import.json          written last: format, importer version, fingerprint, settings,
                           how pixels were scaled, where labels came from, what was dropped

Each file is written atomically, ``parts/<case>.json`` after its images and ``import.json``
after everything, so a conversion that is interrupted (Ctrl-C, a full disk) resumes where it
stopped: a case whose part record holds the key of its source (its row, its files' sizes and
modification times, the importer version and settings) is not converted again. When the key
of every case and the list of dropped rows match ``import.json``'s fingerprint, the
download is not read at all (beyond listing it).

Where the cache is (:func:`cache_folder`): beside the dataset, ``PATH/.massbench-cache/``,
so it follows the copy it was made from and is found again by any command; or, when the
environment variable ``MASSBENCH_CACHE`` names a folder (for a read-only copy, or a faster
disk), ``$MASSBENCH_CACHE/<dataset folder>-<hash of its path>/``. An environment variable
rather than an option: it is set once per machine, and reaches ``run``, ``study``, ``data``
and the Python API alike without one more setting that a resumed run would have to match.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from benchmark.ground.data.course import course_paths, load_case
from benchmark.ground.data.imageio import write_pgm
from benchmark.ground.data.records import Case, Dataset
from benchmark.ground.errors import InputError
from benchmark.ground.formats import Scan
from benchmark.ground.store import atomic_write_bytes, read_json, remove_temporary, write_json

#: The environment variable naming a folder for the caches of every dataset.
CACHE_ENV = "MASSBENCH_CACHE"
#: The cache's folder beside a dataset.
CACHE_DIRNAME = ".massbench-cache"
IMPORT_JSON = "import.json"
CASES_CSV = "cases.csv"
PARTS_DIR = "parts"
#: The manifest's first columns (those of the manifest format).
MANIFEST_COLUMNS = ("image", "mask", "label", "patient", "case")


@dataclass(frozen=True)
class SourceCase:
    """One case an importer plans: where it comes from, before any pixel is read.

    Parameters
    ----------
    id : str
        The case id (unique in the import).
    label : int or None
    patient : str
    group : str
        The full image it is cut from (relative to the dataset): the cases of one group are
        converted from one reading of it.
    files : tuple of str
        Every file it reads, relative to the dataset (their sizes and times enter its key).
    source : str
        Where it is described (a CSV's name and row, an XML file): named in the manifest.
    extra : dict
        Further manifest columns (the official split, the BI-RADS category).
    payload : object
        What the importer's converter needs (not part of the key).
    """

    id: str
    label: int | None
    patient: str
    group: str
    files: tuple[str, ...]
    source: str
    extra: dict = field(default_factory=dict)
    payload: object = field(default=None, compare=False)


@dataclass(frozen=True)
class Converted:
    """A converted case: its 8-bit crop, its mask and what the record should say of it."""

    image: np.ndarray
    mask: np.ndarray
    details: dict


@dataclass(frozen=True)
class Dropped:
    """A case the source holds but the import leaves out, and why."""

    reason: str
    file: str = ""


@dataclass
class Plan:
    """What an importer found in a download, before conversion.

    Parameters
    ----------
    format, version : str
        The importer (``cbis-ddsm``, ``1``); the version changes whenever its output would.
    root : Path
        The dataset's folder.
    cases : list of SourceCase
    convert : callable
        ``convert(root, cases) -> list of Converted or Dropped`` for the cases of one group.
    dataset : dict
        :class:`Dataset` fields: ``reference``, ``patients_from``, ``labels_from``.
    settings : dict
        What shapes the crops (grid, margin, grey window): part of every key.
    dropped : list of dict
        Entries ``{"case", "file", "reason"}`` left out while planning.
    problems : list of dict
        ``{"file", "problem"}``: what stops the import.
    notes : list of str
    """

    format: str
    version: str
    root: Path
    cases: list[SourceCase]
    convert: Callable[[Path, list[SourceCase]], list[Converted | Dropped]]
    dataset: dict
    settings: dict
    dropped: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def cache_folder(root: str | os.PathLike, format: str, version: str, *,
                 cache: str | os.PathLike | None = None) -> Path:
    """The folder that holds (or will hold) the converted crops of a dataset.

    Parameters
    ----------
    root : str or path-like
        The dataset's folder.
    format, version : str
    cache : str or path-like, optional
        A folder for the caches of every dataset; default ``$MASSBENCH_CACHE`` if set, else
        the cache lies beside the dataset.

    Examples
    --------
    >>> import os
    >>> _ = os.environ.pop(CACHE_ENV, None)
    >>> cache_folder("/data/CBIS", "cbis-ddsm", "1").as_posix()
    '/data/CBIS/.massbench-cache/cbis-ddsm-1'
    >>> cache_folder("/data/CBIS", "cbis-ddsm", "1", cache="/fast").parent.name[:5]
    'CBIS-'
    """
    root = Path(root)
    base = cache if cache is not None else os.environ.get(CACHE_ENV) or None
    if base is None:
        return root / CACHE_DIRNAME / f"{format}-{version}"
    where = hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()[:8]
    return Path(base) / f"{root.name}-{where}" / f"{format}-{version}"


def case_key(plan: Plan, case: SourceCase) -> str:
    """A hash of everything a case's crop depends on: a changed one is converted again."""
    stats = []
    for name in case.files:
        try:
            info = (plan.root / name).stat()
            stats.append([name, info.st_size, info.st_mtime_ns])
        except OSError:
            stats.append([name, None, None])
    text = json.dumps([plan.format, plan.version, plan.settings, case.id, case.label,
                       case.patient, case.group, case.source, case.extra, stats],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def plan_fingerprint(plan: Plan, keys: dict[str, str]) -> str:
    """A hash of the whole import: every case's key and every row dropped while planning."""
    text = json.dumps([plan.format, plan.version, plan.settings, sorted(keys.items()),
                       sorted(json.dumps(d, sort_keys=True) for d in plan.dropped)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def run_import(plan: Plan, *, cache: str | os.PathLike | None = None,
               progress: bool | None = None) -> Scan:
    """Convert what the cache lacks, then load the import's dataset from the cache.

    Parameters
    ----------
    plan : Plan
    cache : str or path-like, optional
        See :func:`cache_folder`.
    progress : bool, optional
        A progress bar on stderr (default: when stderr is a terminal).

    Returns
    -------
    Scan
        With the dataset, the problems, everything dropped (while planning and converting),
        notes and the cache folder.

    Raises
    ------
    InputError
        If the cache folder cannot be written (the message says how to put it elsewhere).
    """
    if plan.problems and not plan.cases:
        return Scan(None, list(plan.problems), dropped=list(plan.dropped),
                    notes=list(plan.notes))
    folder = cache_folder(plan.root, plan.format, plan.version, cache=cache)
    keys = {case.id: case_key(plan, case) for case in plan.cases}
    fingerprint = plan_fingerprint(plan, keys)
    record = _read_record(folder)
    if record.get("fingerprint") == fingerprint and (folder / CASES_CSV).is_file():
        converted, reused = 0, len(plan.cases)
        parts = {case.id: _read_part(folder, case.id) for case in plan.cases}
    else:
        converted, reused, parts = _convert(plan, folder, keys, progress)
        _write_manifest(plan, folder, parts)
        write_json(folder / IMPORT_JSON, _record(plan, fingerprint, parts))
    return _scan(plan, folder, parts, converted, reused)


def _convert(plan: Plan, folder: Path, keys: dict[str, str],
             progress: bool | None) -> tuple[int, int, dict[str, dict]]:
    """Convert every case whose part record is missing or stale; return the parts."""
    try:
        (folder / PARTS_DIR).mkdir(parents=True, exist_ok=True)
        remove_temporary(folder)
        remove_temporary(folder / PARTS_DIR)
    except OSError as exc:
        raise InputError(f"cannot write the converted crops there ({exc.strerror or exc}); "
                         f"set {CACHE_ENV} to a writable folder", folder) from None
    parts, pending = {}, {}
    for case in plan.cases:
        part = _read_part(folder, case.id)
        if part.get("key") == keys[case.id]:
            parts[case.id] = part
        else:
            pending.setdefault(case.group, []).append(case)
    reused = len(parts)
    bar = _bar(sum(len(v) for v in pending.values()), plan.format, progress)
    try:
        for cases in pending.values():
            outcomes = plan.convert(plan.root, cases)
            for case, outcome in zip(cases, outcomes, strict=True):
                parts[case.id] = _write_part(folder, case, keys[case.id], outcome)
            bar.update(len(cases))
    finally:
        bar.close()
    return len(parts) - reused, reused, parts


def _bar(total: int, name: str, progress: bool | None):
    """A tqdm bar on stderr (quiet when stderr is not a terminal, unless asked)."""
    from tqdm.auto import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    return tqdm(total=total, desc=f"converting {name}", unit="crop", disable=not show or
                total == 0, file=sys.stderr, leave=False)


def _write_part(folder: Path, case: SourceCase, key: str, outcome) -> dict:
    """Write a converted case's images, then its part record (the case is then complete)."""
    if isinstance(outcome, Converted):
        image_path, mask_path = course_paths(folder, case.id)
        write_pgm(image_path, outcome.image)
        write_pgm(mask_path, np.where(outcome.mask, 255, 0).astype(np.uint8))
        part = {"key": key, "status": "kept", **outcome.details}
    else:
        part = {"key": key, "status": "dropped", "reason": outcome.reason,
                "file": outcome.file or (case.files[0] if case.files else "")}
    write_json(folder / PARTS_DIR / f"{case.id}.json", part)
    return part


def _read_part(folder: Path, case_id: str) -> dict:
    try:
        return read_json(folder / PARTS_DIR / f"{case_id}.json")
    except (OSError, ValueError):
        return {}


def _read_record(folder: Path) -> dict:
    try:
        record = read_json(folder / IMPORT_JSON)
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _extra_columns(plan: Plan) -> list[str]:
    names = []
    for case in plan.cases:
        names.extend(k for k in case.extra if k not in names)
    return names


def _write_manifest(plan: Plan, folder: Path, parts: dict[str, dict]) -> None:
    """``cases.csv``: one row per kept case, in the manifest format plus the source."""
    extra = _extra_columns(plan)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*MANIFEST_COLUMNS, "source", *extra])
    for case in plan.cases:
        if parts[case.id].get("status") != "kept":
            continue
        image, mask = (p.name for p in course_paths(folder, case.id))
        label = "" if case.label is None else case.label
        writer.writerow([image, mask, label, case.patient, case.id, case.source,
                         *(case.extra.get(k, "") for k in extra)])
    atomic_write_bytes(folder / CASES_CSV, buffer.getvalue().encode("utf-8"))


def _dropped(plan: Plan, parts: dict[str, dict]) -> list[dict]:
    converted = [{"case": cid, "file": p.get("file", ""), "reason": p["reason"]}
                 for cid, p in parts.items() if p.get("status") == "dropped"]
    return list(plan.dropped) + converted


def _record(plan: Plan, fingerprint: str, parts: dict[str, dict]) -> dict:
    kept = sum(p.get("status") == "kept" for p in parts.values())
    return {"format": plan.format, "importer_version": plan.version,
            "source": str(plan.root), "fingerprint": fingerprint, "settings": plan.settings,
            **plan.dataset, "n_kept": kept, "dropped": _dropped(plan, parts),
            "notes": plan.notes, "manifest": CASES_CSV}


def _scan(plan: Plan, folder: Path, parts: dict[str, dict], converted: int,
          reused: int) -> Scan:
    """The dataset read back from the cache, with what was dropped and the notes."""
    cases: list[Case] = []
    problems = list(plan.problems)
    for case in plan.cases:
        if parts[case.id].get("status") != "kept":
            continue
        image_path, mask_path = course_paths(folder, case.id)
        try:
            loaded = load_case(case.id, image_path, mask_path, label=case.label,
                               patient=case.patient)
        except InputError as exc:  # a cache file damaged after it was written
            problems.append({"file": exc.path or str(image_path), "problem": f"{exc.message} "
                             f"(a damaged cache: delete {folder} to convert again)"})
            continue
        cases.append(replace(loaded, source=f"{plan.root.name}: {case.source}"))
    notes = [*plan.notes, f"converted crops in {folder} ({converted} read now, "
             f"{reused} reused)"]
    dropped = _dropped(plan, parts)
    if not cases:
        if not problems:
            problems.append({"file": str(plan.root), "problem": f"no case could be imported "
                             f"({len(dropped)} dropped; `data` lists why)"})
        return Scan(None, problems, dropped=dropped, notes=notes, cache=str(folder))
    dataset = Dataset(name=plan.root.name, cases=tuple(cases), source=str(plan.root),
                      generator=f"massbench {plan.format} importer {plan.version}",
                      **plan.dataset)
    return Scan(dataset, problems, dropped=dropped, notes=notes, cache=str(folder))
