"""The report's "at a glance": per track the leader, what the tests found, the floor, the ceilings.

Per track (:func:`reports.leaderboards.track_section`): the method with the best mean Dice
with its patient-level 95 % CI, the runner-up and what the paired test of the two found (at
the unit where the noise is, Holm-corrected over the track's comparisons; when it finds
nothing, the smallest difference the run could have detected), the floor (the strongest of
the pixel-free predictors that ran) and where the best stands against it (one-sided test),
each deep model's resolution ceiling with the share of its gap to a perfect score that is
its input size, the lowest mean HD95 when it is another method, and the degenerate methods.
A run whose test parts hold few patients carries a small-sample warning; a smoke test (the
quick profile) shows p-values but claims no order. The same facts are written as plain text
(:func:`glance_text`) into ``RUN_DIR/summary.txt`` and printed at the end of ``run``.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from reports.format import fmt, fmt_p
from reports.stats import degenerate_note
from reports.wording import (
    ceiling_sentence,
    finding,
    floor_finding,
    floor_mark,
    significant,
    small_sample_warning,
)

#: The width the plain-text summary is wrapped at.
WIDTH = 96
#: The banner of a smoke-test (quick-profile) report.
QUICK_BANNER = ("Smoke test: this run used the quick profile (a small dataset, two folds, "
                "deep models trained for a few epochs at a tiny input size). Its scores check "
                "that the pipeline works end to end; they do not rank the methods. Run "
                "--profile standard (the default) for numbers to read.")
#: How the glance names a track's floor.
FLOOR_NOTE = "the strongest of the pixel-free predictors that ran"
#: How the glance introduces the deep models' ceilings.
CEILING_NOTE = ("Resolution ceilings (the reference masks sent through each model's own "
                "input size and back, scored as predictions)")


def _row(table: pd.DataFrame | None, method: str):
    if table is None or method not in set(table["method"]):
        return None
    return table.set_index("method").loc[method]


def _described(board: pd.DataFrame, method: str) -> dict:
    row = board.loc[method]
    return {"method": method, "dice": fmt(row["dice_mean"]),
            "ci": f"{fmt(row['dice_low'])}-{fmt(row['dice_high'])}"}


def hd95_sentence(track: dict, *, claims: bool = True) -> str | None:
    """The HD95 line: a claim only when the HD95 test against the Dice leader says so.

    Returns None when the Dice leader also has the lowest mean HD95 (or nothing ran).
    """
    table, ranked = track["tests"].get("hd95"), track["ranked"]
    if table is None or not len(table) or not ranked:
        return None
    leader, best = str(table["against"].iloc[0]), ranked[0]
    row = _row(table, best)
    if leader == best or row is None:
        return None
    p = fmt_p(row["p_holm"])
    if row["reason"]:
        return (f"Lowest mean HD95 of the ranked methods: {leader} (not tested against "
                f"{best}: {row['reason']}).")
    if claims and significant(row["p_holm"]):
        return (f"By HD95 the best is {leader} (p {p}, Holm, against {best}): the ranking "
                "depends on the metric.")
    if claims:
        return (f"Lowest mean HD95 of the ranked methods: {leader} (no difference from {best} "
                f"detected, p {p}, Holm).")
    return f"Lowest mean HD95 of the ranked methods: {leader} (against {best}: p {p}, Holm)."


def track_glance(track: dict, *, claims: bool = True) -> dict:
    """The at-a-glance facts of one track.

    Parameters
    ----------
    track : dict
        A track of :func:`reports.leaderboards.track_section`: its ``board`` (best mean
        Dice first), ``ranked`` methods (not floors), ``floor``, ``tests`` (the paired-test
        tables ``dice``, ``hd95``, ``floor``).
    claims : bool, default True
        False for a smoke test: p-values without a word of significance or order.
    """
    board, ranked, floor = track["board"], track["ranked"], track["floor"]
    info = {"name": track["name"], "key": track["key"], "floor": floor,
            "floor_dice": track["floor_dice"], "floors_ran": track["floors_ran"],
            "best": None, "runner_up": None, "claims": claims, "ceilings": [],
            "degenerate": [f"{m} ({degenerate_note(board.loc[m, 'n_empty'], board.loc[m, 'n_whole'], board.loc[m, 'n_cases'])})"  # noqa: E501
                           for m in board.index if board.loc[m, "degenerate"]],
            "hd95": hd95_sentence(track, claims=claims)}
    info["ceilings"] = [ceiling_sentence(m, board.loc[m, "ceiling_mean"],
                                         board.loc[m, "dice_mean"])
                        for m in ranked if np.isfinite(board.loc[m, "ceiling_mean"])]
    if not ranked:
        return info
    best = info["best"] = _described(board, ranked[0])
    if floor is not None:
        difference = board.loc[ranked[0], "dice_mean"] - board.loc[floor, "dice_mean"]
        row = _row(track["tests"].get("floor"), ranked[0])
        p_holm, mde, reason = ((row["p_holm"], row["mde"], row["reason"]) if row is not None
                               else (np.nan, np.nan, "not tested"))
        best.update({"vs_floor": f"{difference:+.3f}", "floor_p": fmt_p(p_holm),
                     "floor_mark": floor_mark(difference, p_holm, claims=claims),
                     "floor_finding": floor_finding(difference, p_holm, mde, reason,
                                                    claims=claims)})
        info["below_floor"] = track.get("below_floor", [])
    if len(ranked) > 1:
        runner = info["runner_up"] = _described(board, ranked[1])
        row = _row(track["tests"].get("dice"), ranked[1])
        if row is None:
            runner.update({"p": "–", "differ": False, "finding": "not tested"})
        else:
            runner.update({"p": fmt_p(row["p_holm"]),
                           "differ": claims and significant(row["p_holm"]),
                           "finding": finding(row["p_holm"], row["mde"], row["reason"],
                                              claims=claims)})
    return info


def verdict(track: dict) -> str:
    """The sentences on a track's leader, runner-up and floor, in plain words."""
    best, runner, claims = track["best"], track["runner_up"], track.get("claims", True)
    if best is None:
        return "only its floor ran."
    if claims and runner is None:  # nothing to be best among (evaluate's folder, say)
        text = (f"{best['method']}, the only method ranked, has a mean Dice of {best['dice']} "
                f"(95 % CI {best['ci']})")
    elif claims:
        text = f"{best['method']} has the best mean Dice, {best['dice']} (95 % CI {best['ci']})"
    else:
        text = (f"highest mean Dice (a smoke test, not a ranking): {best['method']}, "
                f"{best['dice']} (95 % CI {best['ci']})")
    if runner is not None:
        text += (f"; {'runner-up' if claims else 'next'} {runner['method']}, {runner['dice']} "
                 f"({runner['ci']}): {runner['finding']}")
    if track["floor"] is not None:
        text += (f". Floor ({FLOOR_NOTE}): {track['floor']} {track['floor_dice']}; "
                 f"{best['method']} is {best['floor_finding']}")
    return text + "."


def glance_section(tracks: list[dict], *, smoke_test: bool = False,
                   n_test_patients: int | None = None) -> dict:
    """Everything the at-a-glance block shows.

    Parameters
    ----------
    tracks : list of dict
        The tracks of :func:`reports.leaderboards.leaderboard_section`.
    smoke_test : bool, default False
        A run whose scores do not rank (:func:`reports.leaderboards.smoke_test`): the
        banner, and no claim of significance or order.
    n_test_patients : int, optional
        Patients in all the test parts; below
        :data:`reports.wording.SMALL_SAMPLE_PATIENTS` the block warns.
    """
    entries = []
    for track in tracks:
        entry = track_glance(track, claims=not smoke_test)
        entry["verdict"] = verdict(entry)
        entries.append(entry)
    return {"tracks": entries, "banner": QUICK_BANNER if smoke_test else None,
            "claims": not smoke_test, "ceiling_note": CEILING_NOTE,
            "small_sample": (small_sample_warning(n_test_patients)
                             if n_test_patients is not None else None)}


def glance_text(glance: dict, report_path) -> str:
    """The at-a-glance block as plain text (``summary.txt``, the end of ``run``)."""
    lines = ["At a glance (mean Dice over every test case, patient-level 95 % CI):"]

    def add(text, first="    "):
        nonlocal lines
        lines += textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent="    ")

    if glance["banner"]:
        lines.append("  NOTE: quick profile: a smoke test, these scores do not rank methods.")
    if glance.get("small_sample"):
        add(f"WARNING: {glance['small_sample']}", "  ")
    for note in glance.get("notes", []):
        add(f"NOTE: {note}", "  ")
    for track in glance["tracks"]:
        add(f"Track {track['name']}: {verdict(track)}", "  ")
        if track["ceilings"]:
            add(f"{CEILING_NOTE}: {'; '.join(track['ceilings'])}.")
        if track.get("hd95"):
            add(track["hd95"])
        if track["degenerate"]:
            add(f"Degenerate output: {'; '.join(track['degenerate'])}.")
    lines.append(f"  Report: {report_path}")
    return "\n".join(lines)


__all__ = ["CEILING_NOTE", "FLOOR_NOTE", "QUICK_BANNER", "glance_section", "glance_text",
           "hd95_sentence", "track_glance", "verdict"]
