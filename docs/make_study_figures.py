"""The README's study figures: each study's curve figure, as its report draws it.

Usage: ``python docs/make_study_figures.py STUDY_DIR [STUDY_DIR ...]`` (complete study
folders, e.g. those of ``speed/bench_studies.py`` or of ``python -m benchmark study NAME
--out runs/study-NAME``). Writes ``docs/study_<name>.png`` for each and prints every
method's mean Dice and 95 % CI per level, the numbers the README quotes.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from reports.study import build_study, load_study, summarise  # noqa: E402


def main(folders: list[str]) -> None:
    """Write the figure of each study folder and print its summary table."""
    for folder in folders:
        context = build_study(folder)
        data = context["figure"].src.split(",", 1)[1]
        target = ROOT / "docs" / f"study_{context['study'].replace('-', '_')}.png"
        target.write_bytes(base64.b64decode(data))
        print(f"wrote {target}")
        _, table = load_study(folder)
        summary = summarise(table)
        for row in summary.itertuples():
            print(f"  {row.condition:<20} {row.level:<18} {row.method:<24} "
                  f"{row.n_train_cases:6.1f} {row.dice:.3f} [{row.low:.3f}, {row.high:.3f}]")
        for row in context["crossings"]:
            print(f"  {row['track']}: {row['deep']} vs {row['classical']}: {row['verdict']} "
                  f"(difference {row['first']} -> {row['last']}, p {row['p_last']})")


if __name__ == "__main__":
    main(sys.argv[1:])
