"""What the Python API returns: a run folder read back, with its report's numbers and figures.

:class:`Results` reads a complete run folder (or one ``evaluate`` wrote) through the report's
own reader (:func:`reports.rundata.load_run`) and gives, computed by the report's own
functions: ``.metrics`` (one row per method, fold, seed and case), ``.leaderboard()`` (the
numbers of the report's leaderboards: mean, median and patient-level CI of every metric, the
distance to the track's floor with its one-sided test, the resolution ceiling), ``.figure()``
(one of the report's figures, shown inline in Jupyter), ``.report`` (the page's path) and, in
Jupyter, a display of the glance and the leaderboards.
"""

from __future__ import annotations

import base64
import functools
import os
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.ground.errors import ParameterError
from benchmark.ground.store import REPORT_HTML
from reports.leaderboards import leaderboard_section, n_test_patients, smoke_test
from reports.rundata import RunData, load_run
from reports.stats import LEADERBOARD_METRICS, TRACKS

#: Track keys (what ``--track`` and the report's anchors say) -> the track's name.
TRACK_KEYS = {"roi": TRACKS[True], "automatic": TRACKS[False]}
#: The figures :meth:`Results.figure` shows, and what each is.
FIGURES = {
    "dice": "Dice per case of every method, per track (box and strip plot)",
    "hd95": "HD95 per case of every method, per track",
    "examples": "example crops with their reference outline",
    "gallery": "best, median and worst case of every method (both outlines)",
    "training": "training curves of the deep models",
    "roc": "ROC curves of the diagnosis stage, per classifier",
    "timings": "time per method",
}
#: The columns of :meth:`Results.leaderboard` (beside the index, ``method``).
LEADERBOARD_COLUMNS = (
    ["track", "rank", "family", "is_floor"]
    + [f"{m}_{s}" for m in LEADERBOARD_METRICS for s in ("mean", "median", "low", "high")]
    + ["vs_floor", "vs_floor_p", "floor_mark", "ceiling", "n_cases", "n_patients", "n_empty",
       "n_whole", "degenerate", "n_seeds", "dice_seed_sd"])


def _track_name(track: str | None) -> str | None:
    """The track's name for a key (``roi``, ``automatic``) or a name; None for every track."""
    if track is None:
        return None
    if track in TRACK_KEYS:
        return TRACK_KEYS[track]
    if track in TRACK_KEYS.values():
        return track
    raise ParameterError("track", "Results", f"one of {', '.join(TRACK_KEYS)} (or None)",
                         track, choices=TRACK_KEYS)


class Figures:
    """One or more of the report's figures, shown inline by Jupyter (PNG).

    Attributes
    ----------
    figures : list of reports.plots.Figure
        Each a PNG ``data:`` URI (``src``) and what it shows (``alt``).
    """

    def __init__(self, figures):
        self.figures = [f for f in figures if f is not None]

    def __len__(self) -> int:
        return len(self.figures)

    def png(self, index: int = 0) -> bytes:
        """The PNG bytes of one figure."""
        return base64.b64decode(self.figures[index].src.split(",", 1)[1])

    def save(self, path: str | os.PathLike, index: int = 0) -> Path:
        """Write one figure as a PNG file; return its path."""
        path = Path(path)
        path.write_bytes(self.png(index))
        return path

    def _repr_png_(self):
        return self.png() if len(self.figures) == 1 else None

    def _repr_html_(self) -> str:
        from reports.render import render

        return render("results_figures.html.j2", {"figures": self.figures})

    def __repr__(self) -> str:
        return f"<Figures: {'; '.join(f.alt for f in self.figures) or 'none'}>"


class Results:
    """A complete run folder, read back: metrics, leaderboards, figures, the report.

    Parameters
    ----------
    path : path-like
        A complete run folder (``run``, :func:`benchmark.run`) or a folder written by
        ``evaluate``.

    Raises
    ------
    InputError
        If the folder is missing, is not a run folder or its run is not complete.
    """

    def __init__(self, path: str | os.PathLike):
        self._run: RunData = load_run(path)
        self.path = self._run.path.resolve()

    def __repr__(self) -> str:
        return (f"<massbench Results {self.path}: {len(self.methods)} method(s), "
                f"{len(self._run.splits['folds'])} fold(s)>")

    @property
    def methods(self) -> list[str]:
        """The methods of the run, in run order."""
        return self._run.methods

    @property
    def record(self) -> dict:
        """The folder's ``run.json`` (settings, dataset, environment, timings)."""
        return self._run.record

    @property
    def metrics(self) -> pd.DataFrame:
        """One row per (method, fold, seed, case): every metric, label, timings (a copy)."""
        return self._run.metrics.copy()

    @property
    def report(self) -> Path:
        """The path of the folder's ``report.html``."""
        return self.path / REPORT_HTML

    @property
    def seed(self) -> int:
        """The run's seed (of its splits, its methods and its report's bootstrap)."""
        return int(self._run.record["settings"].get("seed", 0))

    @functools.cached_property
    def _board(self) -> dict:
        """The report's leaderboard section, without its figures."""
        return leaderboard_section(self._run, self.seed, figures=False)

    @functools.cached_property
    def _glance(self) -> dict:
        from reports.glance import glance_section

        glance = glance_section(self._board["tracks"], smoke_test=smoke_test(self.record),
                                n_test_patients=n_test_patients(self._run))
        glance["notes"] = list(self.record.get("notes", []))
        return glance

    @property
    def summary(self) -> str:
        """The report's "at a glance", as plain text (``summary.txt``)."""
        from reports.glance import glance_text

        return glance_text(self._glance, self.report)

    def leaderboard(self, track: str | None = None) -> pd.DataFrame:
        """The numbers of the report's leaderboards, best mean Dice first in each track.

        Parameters
        ----------
        track : {"roi", "automatic"}, optional
            One track (also by its name, ``"ROI given"``); default every track, the
            ROI-given one first.

        Returns
        -------
        DataFrame
            Index ``method``; columns :data:`LEADERBOARD_COLUMNS`: ``track`` (its key),
            ``rank`` in the track (as the report ranks: a floor has none, ``<NA>``),
            ``family``, ``is_floor`` (the track's floor, the strongest pixel-free predictor),
            ``<metric>_mean``, ``_median``, ``_low``, ``_high`` (the patient-level 95 % CI) of
            Dice, Jaccard, HD95 and ASSD, ``vs_floor`` (mean Dice
            minus the floor's) and ``vs_floor_p`` (Holm-corrected p of the one-sided test
            above the floor), ``floor_mark`` (above / not shown above / below the floor),
            ``ceiling`` (mean Dice of the resolution ceiling; NaN for methods without one),
            the counts (cases, patients, empty and whole-crop masks), ``degenerate``,
            ``n_seeds`` and ``dice_seed_sd``.
        """
        wanted = _track_name(track)
        frames = []
        for section in self._board["tracks"]:
            if wanted is not None and section["name"] != wanted:
                continue
            frames.append(_track_frame(section))
        if not frames:
            return pd.DataFrame(columns=LEADERBOARD_COLUMNS).rename_axis("method")
        return pd.concat(frames)

    def figure(self, name: str = "dice", *, track: str | None = None,
               method: str | None = None) -> Figures:
        """One of the report's figures, shown inline in Jupyter.

        Parameters
        ----------
        name : str, default "dice"
            One of :data:`FIGURES`: ``dice``, ``hd95`` (per track), ``examples``,
            ``gallery``, ``training`` (per method), ``roc`` (per classifier), ``timings``.
        track : {"roi", "automatic"}, optional
            For ``dice`` and ``hd95``: one track (default every track).
        method : str, optional
            For ``gallery`` and ``training``: one method (default every method).

        Returns
        -------
        Figures
        """
        if name not in FIGURES:
            raise ParameterError("name", "Results.figure", f"one of {', '.join(FIGURES)}",
                                 name, choices=FIGURES)
        if method is not None and method not in self.methods:
            raise ParameterError("method", "Results.figure", "a method of the run ("
                                 f"{', '.join(self.methods)})", method, choices=self.methods)
        return Figures(self._figures(name, _track_name(track), method))

    def _figures(self, name: str, track: str | None, method: str | None) -> list:
        from reports import structure
        from reports.diagnosis import diagnosis_section

        run = self._run
        if name in ("dice", "hd95"):
            board = self._figure_board
            return [t["figures"][0 if name == "dice" else 1] for t in board["tracks"]
                    if track is None or t["name"] == track]
        if name == "examples":
            return [structure.dataset_section(run)["figure"]]
        if name == "gallery":
            order = [m for m in self._board["order"] if method in (None, m)]
            return [s["figure"] for s in structure.gallery_section(run, order)]
        if name == "training":
            return [c["figure"] for c in structure.training_section(run)["curves"]
                    if method in (None, c["method"])]
        if name == "roc":
            return [f["figure"] for f in diagnosis_section(run).get("figures", [])]
        return [structure.timing_section(run)["figure"]]

    @functools.cached_property
    def _figure_board(self) -> dict:
        return leaderboard_section(self._run, self.seed)

    def _repr_html_(self) -> str:
        from reports.render import render

        record = self.record
        context = {"path": str(self.path), "report": str(self.report),
                   "report_exists": self.report.is_file(), "glance": self._glance,
                   "tracks": self._board["tracks"], "n_methods": len(self.methods),
                   "n_folds": len(self._run.splits["folds"]),
                   "profile": record["settings"].get("profile") or "none (evaluate)",
                   "dataset": record["dataset"]["name"],
                   "n_cases": record["dataset"]["n_cases"]}
        return render("results.html.j2", context)


def _track_frame(section: dict) -> pd.DataFrame:
    """One track of the report's leaderboard section as numbers (its rows, its board)."""
    board, floor = section["board"], section["floor"]
    tests = section["tests"].get("floor")
    p_holm = (tests.set_index("method")["p_holm"] if tests is not None
              else pd.Series(dtype=float))
    floor_mean = board.loc[floor, "dice_mean"] if floor is not None else np.nan
    marks = {r["method"]: r["floor_mark"] for r in section["rows"]}
    frame = board.copy()
    frame.insert(0, "track", section["key"])
    # the report's ranks: a floor carries none (the line the ranks are read against)
    frame.insert(1, "rank", pd.array([r["rank"] if r["rank"] != "" else None
                                      for r in section["rows"]], dtype="Int64"))
    frame.insert(2, "family", [r["family"] for r in section["rows"]])
    frame.insert(3, "is_floor", [m == floor for m in board.index])
    frame["vs_floor"] = [board.loc[m, "dice_mean"] - floor_mean if m != floor else np.nan
                         for m in board.index]
    frame["vs_floor_p"] = [float(p_holm.get(m, np.nan)) for m in board.index]
    frame["floor_mark"] = [marks.get(m, "") for m in board.index]
    frame["ceiling"] = board["ceiling_mean"]
    frame.index.name = "method"
    return frame[LEADERBOARD_COLUMNS]
