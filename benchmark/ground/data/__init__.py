"""The data layer: case records, loaders (course folder, manifest CSV, phantom), summaries."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

from benchmark.ground.data.course import (
    COURSE_LABELS_FROM,
    COURSE_PATIENTS,
    course_patient_warnings,
    scan_course_folder,
)
from benchmark.ground.data.manifest import scan_manifest
from benchmark.ground.data.phantom import (
    DEFAULT_CASES,
    DEFAULT_SEED,
    DEFAULT_SIZE,
    PHANTOM_FILE,
    PHANTOM_VERSION,
    PhantomConfig,
    check_phantom_settings,
    make_phantom,
    read_phantom_record,
    write_course_folder,
)
from benchmark.ground.data.records import REFERENCE_KINDS, Case, Dataset
from benchmark.ground.errors import DatasetError
from benchmark.ground.formats import Scan
from benchmark.ground.formats import scan as scan_spec
from benchmark.ground.store import read_json, write_json

#: A folder's statement of how its reference masks were made (``segment`` writes one).
REFERENCE_FILE = "reference.json"

#: What a course-format folder without a ``reference.json`` is assumed to hold: references
#: made like the course's own sets, with its semi-automatic radial max-variance procedure
#: (the development half's masks look algorithmic: 43 % have more than one component).
COURSE_REFERENCE_ALGORITHM = {
    "reference_algorithm": "radial_maxvar",
    "reference_algorithm_from": "assumed for a course-format folder without reference.json: "
                                "the course's reference sets look made with its radial "
                                "max-variance procedure (write {\"reference\": \"manual\", "
                                "\"algorithm\": null} in reference.json to say otherwise)"}


#: How the phantom's patients and labels are given (one or two views of each patient).
PHANTOM_DERIVATION = {"patients_from": "the phantom's patients (one or two views each)",
                      "labels_from": "the phantom's classes (exact)"}

#: Built-in datasets by name: a description and a zero-argument factory.
DATASETS = {
    "phantom": (
        f"synthetic crops with exact masks (v{PHANTOM_VERSION}, {DEFAULT_CASES} cases, "
        f"{DEFAULT_SIZE} px, seed {DEFAULT_SEED})",
        make_phantom,
    ),
}


def scan_dataset(spec: str | os.PathLike, *,
                 format: str | None = None) -> tuple[Dataset | None, list[dict[str, str]]]:
    """Load a dataset and report every problem found instead of stopping at the first.

    Parameters
    ----------
    spec : str or path-like
        A built-in name (``phantom``), a course-format folder, a manifest ``.csv``, a public
        dataset's folder (:data:`benchmark.ground.formats.FORMATS`), or ``NAME:PATH``.
    format : str, optional
        Force this format instead of detecting it.

    Returns
    -------
    dataset : Dataset or None
        None when nothing could be loaded or the problems make the ids ambiguous.
    problems : list of dict
        ``{"file": ..., "problem": ...}`` each.
    """
    found = scan_spec(spec, format=format)
    return found.dataset, found.problems


def scan_builtin(path: str | os.PathLike, **_) -> Scan:
    """The registry's loader of a built-in dataset (``phantom``)."""
    return Scan(replace(DATASETS[os.fspath(path)][1](), **PHANTOM_DERIVATION))


def scan_manifest_dataset(path: Path, **_) -> Scan:
    """The registry's loader of a manifest CSV."""
    cases, problems, derived = scan_manifest(path)
    if not cases:
        return Scan(None, problems)
    return Scan(Dataset(name=path.stem, cases=tuple(cases), source=str(path), **derived),
                problems)


def scan_course_dataset(path: Path, **_) -> Scan:
    """The registry's loader of a course-format folder (a phantom's too)."""
    cases, problems = scan_course_folder(path)
    reference, generator = "unknown", ""
    derived = {"patients_from": COURSE_PATIENTS, "labels_from": COURSE_LABELS_FROM}
    if (path / PHANTOM_FILE).exists():
        reference = "exact"
        record = read_phantom_record(path) or {}
        generator = f"massbench phantom {record.get('version', 'unknown')}"
    elif (path / REFERENCE_FILE).exists():
        reference, algorithm, problem = _read_reference(path / REFERENCE_FILE)
        derived |= {"reference_algorithm": algorithm,
                    "reference_algorithm_from": f"stated in {REFERENCE_FILE}" if algorithm
                    else ""}
        if problem:
            problems.append(problem)
    else:
        derived |= COURSE_REFERENCE_ALGORITHM
    if not cases:
        return Scan(None, problems)
    return Scan(Dataset(name=path.name, cases=tuple(cases), source=str(path),
                        reference=reference, generator=generator, **derived), problems)


def patient_warnings(dataset: Dataset) -> list[str]:
    """Signs that a dataset's patients were derived by a rule that does not fit its ids.

    Only patients taken from the case ids by the course's rule (a course folder, or a
    manifest of course-named files without a patient column) are checked
    (:func:`benchmark.ground.data.course.course_patient_warnings`).

    Returns
    -------
    list of str
        Each a sentence saying what looks wrong and what to do; empty when all looks right.
    """
    if not dataset.patients_from.startswith(COURSE_PATIENTS):
        return []
    return course_patient_warnings(dataset.ids, [c.patient for c in dataset])


def write_reference_statement(folder: str | os.PathLike, reference: str, **details) -> Path:
    """Record in ``folder`` how its reference masks were made (``reference.json``).

    Parameters
    ----------
    folder : str or path-like
    reference : {"exact", "manual", "semi-automatic", "unknown"}
    **details
        Further JSON-ready fields (the method that made the masks, say).

    Returns
    -------
    Path
        The file written.
    """
    if reference not in REFERENCE_KINDS:
        raise ValueError(f"The 'reference' parameter of write_reference_statement must be one "
                         f"of {', '.join(REFERENCE_KINDS)}. Got {reference!r} instead.")
    path = Path(folder) / REFERENCE_FILE
    write_json(path, {"reference": reference, **details})
    return path


def _read_reference(path: Path) -> tuple[str, str, dict | None]:
    """The ``reference`` kind and ``algorithm`` stated in a folder's ``reference.json``.

    ``algorithm`` (optional; ``method``, as ``segment`` writes it, counts too) names the
    registered method that shares the references' algorithm (``"radial_maxvar"``), or is
    empty.
    """
    try:
        statement = read_json(path)
        kind = statement["reference"]
        algorithm = statement.get("algorithm", statement.get("method")) or ""
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return "unknown", "", {"file": str(path), "problem": f"unreadable reference statement "
                               f"({type(exc).__name__}: {exc}); expected {{\"reference\": one "
                               f"of {', '.join(REFERENCE_KINDS)}}}"}
    if kind not in REFERENCE_KINDS:
        return "unknown", "", {"file": str(path), "problem": f"reference must be one of "
                               f"{', '.join(REFERENCE_KINDS)}; got {kind!r}"}
    if not isinstance(algorithm, str):
        return kind, "", {"file": str(path), "problem": "algorithm must be a method's name "
                          f"(a string, e.g. \"radial_maxvar\"); got {algorithm!r}"}
    return kind, algorithm, None


def load_dataset(spec: str | os.PathLike, *, format: str | None = None) -> Dataset:
    """Load a dataset, failing on the first sign of trouble.

    Parameters
    ----------
    spec : str or path-like
        As :func:`scan_dataset` takes it.
    format : str, optional
        Force this format instead of detecting it.

    Returns
    -------
    Dataset

    Raises
    ------
    DatasetError
        If any file is missing, unreadable or inconsistent; lists every problem found.
    """
    dataset, problems = scan_dataset(spec, format=format)
    if problems or dataset is None:
        raise DatasetError(problems)
    return dataset


def summarize(dataset: Dataset | None, problems: list[dict[str, str]]) -> dict:
    """The summary printed by ``python -m benchmark data``.

    Returns
    -------
    dict
        Exactly the keys ``n_cases, n_malignant, n_benign, n_unlabelled, n_patients,
        patients_from, labels_from, image_sizes, warnings, problems``; ``image_sizes`` maps
        ``"HxW"`` to a count, ``patients_from`` and ``labels_from`` say how the loader gave
        them (:class:`Dataset`), ``warnings`` lists what looks wrong without being an error
        (:func:`patient_warnings`).
    """
    cases = list(dataset) if dataset is not None else []
    labels = Counter(c.label for c in cases)
    sizes = Counter(f"{c.shape[0]}x{c.shape[1]}" for c in cases)
    return {
        "n_cases": len(cases),
        "n_malignant": labels.get(1, 0),
        "n_benign": labels.get(0, 0),
        "n_unlabelled": labels.get(None, 0),
        "n_patients": len({c.patient for c in cases}),
        "patients_from": dataset.patients_from if dataset is not None else "",
        "labels_from": dataset.labels_from if dataset is not None else "",
        "image_sizes": dict(sorted(sizes.items())),
        "warnings": patient_warnings(dataset) if dataset is not None else [],
        "problems": list(problems),
    }


__all__ = [
    "DATASETS",
    "Case",
    "Dataset",
    "DatasetError",
    "PHANTOM_FILE",
    "PhantomConfig",
    "REFERENCE_FILE",
    "check_phantom_settings",
    "load_dataset",
    "make_phantom",
    "patient_warnings",
    "read_phantom_record",
    "scan_dataset",
    "summarize",
    "write_course_folder",
    "write_reference_statement",
]
