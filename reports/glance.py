"""The report's "at a glance": which method won each track, by how much, and over what floor.

Per track (:data:`reports.stats.TRACKS`): the best method by mean Dice with its patient-level
95 % CI, the runner-up, whether the two differ (the paired test of the leaderboard,
Holm-corrected over the track's comparisons), the floor and how far the best is above it,
the methods flagged as degenerate, and the best method by HD95 when it is another one. The
same facts are written as plain text (:func:`glance_text`) into ``RUN_DIR/summary.txt`` and
printed at the end of ``run``.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from reports.format import fmt
from reports.stats import degenerate_note

#: The width the plain-text summary is wrapped at.
WIDTH = 96
#: The banner of a quick-profile report.
QUICK_BANNER = ("Smoke test: this run used the quick profile (a small dataset, two folds, "
                "deep models trained for a few epochs at a tiny input size). Its scores check "
                "that the pipeline works end to end; they do not rank the methods. Run "
                "--profile standard (the default) for numbers to read.")


def _pair_p(tests: list[dict], method: str) -> tuple[str, bool]:
    """The Holm-corrected p of ``method`` in a track's Dice tests, and its significance."""
    for test in tests:
        if test["key"] != "dice":
            continue
        for row in test["rows"]:
            if row["method"] == method:
                return row["p_holm"], row["significant"]
    return "–", False


def track_glance(track: dict, board: pd.DataFrame, hd95_best: str | None) -> dict:
    """The at-a-glance facts of one track.

    Parameters
    ----------
    track : dict
        A track of :func:`reports.structure.leaderboard_section` (its rows and tests).
    board : DataFrame
        The track's :func:`reports.stats.leaderboard` (best mean Dice first).
    hd95_best : str or None
        The method with the lowest mean HD95 among the track's non-floor methods.
    """
    floor = track["floor"]
    ranked = [m for m in board.index if m != floor]
    info = {"name": track["name"], "key": track["key"], "floor": floor,
            "floor_dice": track["floor_dice"], "best": None, "runner_up": None,
            "degenerate": [f"{m} ({degenerate_note(board.loc[m, 'n_empty'], board.loc[m, 'n_whole'], board.loc[m, 'n_cases'])})"  # noqa: E501
                           for m in board.index if board.loc[m, "degenerate"]],
            "hd95_best": hd95_best if ranked and hd95_best not in (None, ranked[0]) else None}
    if not ranked:
        return info

    def described(method):
        row = board.loc[method]
        return {"method": method, "dice": fmt(row["dice_mean"]),
                "ci": f"{fmt(row['dice_low'])}-{fmt(row['dice_high'])}"}

    best = ranked[0]
    info["best"] = described(best)
    rows = {r["method"]: r for r in track["rows"]}
    if floor is not None:
        row = rows[best]
        info["best"]["vs_floor"] = row["floor_difference"]
        info["best"]["floor_p"] = row.get("floor_p", "–")
        info["best"]["above_floor"] = not row["below_floor"]
        info["below_floor"] = [m for m in ranked if rows[m]["below_floor"]]
    if len(ranked) > 1:
        runner = ranked[1]
        info["runner_up"] = described(runner)
        # the leaderboard's tests are against the track's best method, floor included;
        # when the floor is the best the pair is tested here against it instead
        p_text, significant = _pair_p(track["tests"], runner) if track["tests"] and \
            track["tests"][0]["best"] == best else ("–", None)
        info["runner_up"]["p"] = p_text
        info["runner_up"]["differ"] = significant
    return info


def verdict(track: dict) -> str:
    """One sentence on a track's winner, in plain words."""
    best, runner = track["best"], track["runner_up"]
    if best is None:
        return f"Track {track['name']}: only its floor ran."
    text = (f"{best['method']} has the best mean Dice, {best['dice']} "
            f"(95 % CI {best['ci']})")
    if runner is not None:
        if runner["differ"] is None:
            how = "not tested against each other here (the floor leads the track)"
        elif runner["differ"]:
            how = f"a significant difference (p {runner['p']}, Holm)"
        else:
            how = f"not significantly different (p {runner['p']}, Holm): a tie on this data"
        text += f"; runner-up {runner['method']}, {runner['dice']} ({runner['ci']}), {how}"
    if track["floor"] is not None:
        if best.get("above_floor"):
            text += (f". Floor {track['floor']} {track['floor_dice']}: the best is above it "
                     f"by {best['vs_floor']} (p {best['floor_p']})")
        else:
            text += (f". Floor {track['floor']} {track['floor_dice']}: the best is NOT "
                     f"significantly above it")
    return text + "."


def glance_section(tracks: list[dict], boards: dict[str, pd.DataFrame],
                   hd95_best: dict[str, str | None], *, profile: str) -> dict:
    """Everything the at-a-glance block shows: one entry per track and the quick banner."""
    entries = []
    for track in tracks:
        entry = track_glance(track, boards[track["name"]], hd95_best.get(track["name"]))
        entry["verdict"] = verdict(entry)
        entries.append(entry)
    return {"tracks": entries, "banner": QUICK_BANNER if profile == "quick" else None}


def hd95_leader(board: pd.DataFrame, floor: str | None) -> str | None:
    """The non-floor method with the lowest mean HD95 (None when none has one)."""
    values = board["hd95_mean"].drop(index=[floor] if floor else [], errors="ignore")
    values = values[np.isfinite(values)]
    return None if values.empty else str(values.idxmin())


def glance_text(glance: dict, report_path) -> str:
    """The at-a-glance block as plain text (``summary.txt``, the end of ``run``)."""
    lines = ["At a glance (mean Dice over every test case, patient-level 95 % CI):"]
    if glance["banner"]:
        lines.append("  NOTE: quick profile: a smoke test, these scores do not rank methods.")
    for track in glance["tracks"]:
        lines += textwrap.wrap(f"Track {track['name']}: {verdict(track)}", WIDTH,
                               initial_indent="  ", subsequent_indent="    ")
        if track.get("hd95_best"):
            lines += textwrap.wrap(f"By HD95 the best is {track['hd95_best']}: the ranking "
                                   "depends on the metric.", WIDTH, initial_indent="    ",
                                   subsequent_indent="    ")
        if track["degenerate"]:
            lines += textwrap.wrap(f"Degenerate output: {'; '.join(track['degenerate'])}.",
                                   WIDTH, initial_indent="    ", subsequent_indent="    ")
    lines.append(f"  Report: {report_path}")
    return "\n".join(lines)


__all__ = ["QUICK_BANNER", "glance_section", "glance_text", "hd95_leader", "verdict"]
