"""The dataset formats ``--data`` understands: a registry of names, detectors and loaders.

Each :class:`Format` names a function that says whether a path is in that format and one
that loads it, both as lazy ``"module:function"`` strings, so that this module imports
nothing heavy and the command line can check ``--format NAME`` before it loads anything
(:data:`FORMAT_NAMES`). A path is tried against the formats in the order of :data:`FORMATS`
(the first whose detector says yes loads it); ``--format NAME``, or a data spec written
``NAME:PATH``, skips the detection. A format that is recognised but refused (mini-MIAS,
whose references are circles, not masks) has a ``refusal`` instead of a loader.

Every loader takes the path and the keyword options ``cache`` and ``progress`` (used by the
importers of public datasets, which convert once into a cache) and returns a :class:`Scan`.

Examples
--------
>>> split_spec("inbreast:/data/INbreast Release 1.0")
('inbreast', '/data/INbreast Release 1.0')
>>> split_spec("runs/data.csv")
(None, 'runs/data.csv')
>>> with_format("cbis-ddsm", "/data/CBIS")
'cbis-ddsm:/data/CBIS'
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from benchmark.ground.errors import InputError, ParameterError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from benchmark.ground.data.records import Dataset


@dataclass(frozen=True)
class Format:
    """One dataset format.

    Parameters
    ----------
    name : str
        What ``--format`` and ``list`` call it.
    summary : str
        One line: what it is and what ``--data`` points at.
    detect : str
        ``"module:function"``: ``function(path: Path) -> bool``, cheap (names, not pixels).
    loader : str
        ``"module:function"``: ``function(path: Path, *, cache=None, progress=None) -> Scan``;
        empty for a refused format.
    refusal : str
        Why a recognised format is not loaded (one sentence); empty for a loaded one.
    extra : str
        The optional dependency group the loader needs (``pip install massbench[dicom]``).
    """

    name: str
    summary: str
    detect: str
    loader: str = ""
    refusal: str = ""
    extra: str = ""

    def detects(self, path: Path) -> bool:
        """Whether ``path`` looks like this format."""
        return bool(_resolve(self.detect)(path))

    def load(self, path: Path, **options) -> Scan:
        """Load ``path`` in this format; a refused format raises :class:`InputError`."""
        if self.refusal:
            raise InputError(self.refusal, path)
        return _resolve(self.loader)(path, **options)


@dataclass
class Scan:
    """What loading a dataset found.

    Parameters
    ----------
    dataset : Dataset or None
        None when nothing could be loaded.
    problems : list of dict
        ``{"file": ..., "problem": ...}``: what is wrong and stops a run.
    format : str
        The format that loaded it.
    forced : bool
        True when ``--format`` (or ``NAME:PATH``) chose the format, False when detected.
    dropped : list of dict
        ``{"case": ..., "file": ..., "reason": ...}``: what the source holds but the dataset
        leaves out by design (a calcification row, a point annotation, an image without
        contours, a mask whose size differs from its image); not a problem: the run goes on
        with the cases kept.
    notes : list of str
        What the loader did that a reader must know (how pixels were scaled, where labels
        came from, where the converted crops are).
    cache : str
        The folder of the converted crops (importers only).
    """

    dataset: Dataset | None
    problems: list[dict[str, str]] = field(default_factory=list)
    format: str = ""
    forced: bool = False
    dropped: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cache: str = ""

    def summary(self) -> dict:
        """The keys this scan adds to ``python -m benchmark data``'s summary.

        Returns
        -------
        dict
            ``format`` (name), ``n_dropped``, ``dropped`` (the list of dropped entries) and
            ``notes``.
        """
        return {"format": self.format, "n_dropped": len(self.dropped),
                "dropped": list(self.dropped), "notes": list(self.notes)}

    def dropped_by_reason(self) -> dict[str, int]:
        """Reason -> number of entries dropped for it, most frequent first."""
        counts: dict[str, int] = {}
        for entry in self.dropped:
            counts[entry["reason"]] = counts.get(entry["reason"], 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


_DATA = "benchmark.ground.data"

#: Every format, in detection order (the first whose detector accepts a path loads it).
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("phantom", "the built-in synthetic crops with exact masks (--data phantom, the "
           "default)", detect=f"{__name__}:is_builtin", loader=f"{_DATA}:scan_builtin"),
    Format("manifest", "a CSV file: image,mask[,label][,patient][,case], paths relative to it",
           detect=f"{__name__}:is_manifest", loader=f"{_DATA}:scan_manifest_dataset"),
    Format("cbis-ddsm", "CBIS-DDSM (TCIA) as downloaded: the folder holding "
           "mass_case_description_*.csv and the DICOM tree (mass rows only; needs the dicom "
           "extra)", detect=f"{_DATA}.cbis_ddsm:detect", loader=f"{_DATA}.cbis_ddsm:scan",
           extra="dicom"),
    Format("inbreast", "INbreast as given out by its authors: the folder holding AllDICOMs/, "
           "AllXML/ and INbreast.csv (Mass ROIs; labels from BI-RADS; needs the dicom extra)",
           detect=f"{_DATA}.inbreast:detect", loader=f"{_DATA}.inbreast:scan", extra="dicom"),
    Format("mini-mias", "mini-MIAS (Info.txt, mdb*.pgm): recognised and refused, its "
           "abnormalities are circles, not masks", detect=f"{_DATA}.mias:detect",
           refusal="this is mini-MIAS: its Info.txt gives each abnormality as a centre and a "
           "radius (a circle), not a pixel mask, and massbench will not score segmentations "
           "against circles; use a dataset with drawn masks (CBIS-DDSM, INbreast) or make "
           "masks with `segment`"),
    Format("course", "a course-format folder: <case>_resized.pgm beside <case>_mass_mask.pgm "
           "(PNG and TIFF too)", detect=f"{__name__}:is_folder",
           loader=f"{_DATA}:scan_course_dataset"),
)}

#: The names ``--format`` accepts.
FORMAT_NAMES = tuple(FORMATS)


def get_format(name: str) -> Format:
    """The registered format called ``name``.

    Raises
    ------
    ParameterError
        If there is none (the message lists the names, with a "did you mean").
    """
    if name not in FORMATS:
        raise ParameterError("format", "get_format", f"one of {', '.join(FORMAT_NAMES)}", name,
                             choices=FORMAT_NAMES)
    return FORMATS[name]


def split_spec(spec: str | os.PathLike) -> tuple[str | None, str]:
    """``(format name, path)`` of a data spec; the name is None unless written ``NAME:PATH``.

    Only a registered name counts as a prefix, so a Windows drive letter stays a path.
    """
    text = os.fspath(spec)
    name, sep, rest = text.partition(":")
    if sep and name in FORMATS and rest:
        return name, rest
    return None, text


def with_format(name: str | None, spec: str | os.PathLike) -> str:
    """The data spec that forces format ``name`` on ``spec`` (``spec`` itself if None)."""
    if name is None:
        return os.fspath(spec)
    get_format(name)
    return f"{name}:{split_spec(spec)[1]}"


def detect_format(path: str | os.PathLike) -> Format | None:
    """The first format of :data:`FORMATS` whose detector accepts ``path``, or None."""
    for fmt in FORMATS.values():
        if fmt.detects(Path(path)):
            return fmt
    return None


def scan(spec: str | os.PathLike, *, format: str | None = None,
         cache: str | os.PathLike | None = None, progress: bool | None = None) -> Scan:
    """Load a dataset in its format, reporting every problem instead of stopping.

    Parameters
    ----------
    spec : str or path-like
        ``phantom``, a path, or ``NAME:PATH`` to force format ``NAME``.
    format : str, optional
        Force this format (as ``NAME:PATH`` does).
    cache : str or path-like, optional
        Where an importer keeps its converted crops (default: see
        :func:`benchmark.ground.data.cache.cache_folder`).
    progress : bool, optional
        Show the conversion's progress bar (default: when stderr is a terminal).

    Returns
    -------
    Scan

    Raises
    ------
    InputError
        For a recognised but refused format (mini-MIAS), or a missing optional dependency.
    ParameterError
        For an unknown ``format``.
    """
    named, text = split_spec(spec)
    name = format or named
    path = Path(text)
    fmt = get_format(name) if name is not None else detect_format(path)
    if fmt is None or (fmt.name != "phantom" and not path.exists()):
        if not path.exists():
            problem = ("no such file or folder (built-in datasets: phantom; or give a course "
                       "folder, a manifest .csv or a public dataset's folder: `list` shows "
                       "the formats)")
        else:
            problem = ("expected a course-format folder, a manifest .csv file or a public "
                       "dataset's folder (`list` shows the formats)")
        return Scan(None, [{"file": text, "problem": problem}], format=name or "",
                    forced=name is not None)
    result = fmt.load(path, cache=cache, progress=progress)
    result.format, result.forced = fmt.name, name is not None
    return result


def is_builtin(path: Path) -> bool:
    """Whether ``path`` is the name of the built-in dataset (``phantom``)."""
    return os.fspath(path) == "phantom"


def is_manifest(path: Path) -> bool:
    """Whether ``path`` is a ``.csv`` file (a manifest)."""
    return path.suffix.lower() == ".csv" and path.is_file()


def is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder (the course format: the last format tried)."""
    return path.is_dir()


def _resolve(target: str):
    """The function a ``"module:function"`` string names."""
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)
