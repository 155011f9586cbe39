"""Progress of a run: a bar on a terminal, plain log lines otherwise, nothing with ``--quiet``.

Everything goes to stderr, so stdout carries only the run's result (where it was written).
"""

from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Report cells done of total, the method and fold at hand, elapsed and remaining time.

    Parameters
    ----------
    total : int
        Cells in the run.
    done : int
        Cells already complete (a resumed run).
    mode : {"bar", "log", "quiet"}
        ``bar`` draws a tqdm bar (a terminal), ``log`` writes one line per event.
    stream : file-like, default sys.stderr
    """

    def __init__(self, total: int, done: int = 0, *, mode: str = "log", stream=None):
        self.total, self.done, self.mode = total, done, mode
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()
        self._ran = 0  # cells run (not skipped) by this process, for the remaining time
        self._bar = None
        if mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=done, unit="cell", file=self.stream,
                             dynamic_ncols=True, smoothing=0.1,
                             bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} cells "
                                        "[{elapsed}<{remaining}]")

    @classmethod
    def choose(cls, total: int, done: int = 0, *, quiet: bool = False, stream=None):
        """A bar when the stream is a terminal, log lines when not, silence when ``quiet``."""
        stream = stream if stream is not None else sys.stderr
        mode = "quiet" if quiet else ("bar" if getattr(stream, "isatty", lambda: False)()
                                      else "log")
        return cls(total, done, mode=mode, stream=stream)

    def message(self, text: str) -> None:
        """A line of its own (a stage starting, a note)."""
        if self.mode == "quiet":
            return
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def starting(self, method: str, fold: int | str) -> None:
        """A cell is about to run."""
        if self._bar is not None:
            self._bar.set_description_str(f"{method} fold {fold}")
        elif self.mode == "log":
            self.message(f"[{self.done}/{self.total}] {method} fold {fold}: running "
                         f"(elapsed {_clock(time.perf_counter() - self.start)})")

    def finished(self, method: str, fold: int | str, seconds: float) -> None:
        """A cell has completed."""
        self.done += 1
        self._ran += 1
        if self._bar is not None:
            self._bar.set_description_str(f"{method} fold {fold}")
            self._bar.update(1)
        elif self.mode == "log":
            elapsed = time.perf_counter() - self.start
            left = self.total - self.done
            remaining = f", about {_clock(elapsed / self._ran * left)} left" if left else ""
            self.message(f"[{self.done}/{self.total}] {method} fold {fold}: done in "
                         f"{seconds:.1f} s (elapsed {_clock(elapsed)}{remaining})")

    def close(self) -> None:
        """Finish the bar."""
        if self._bar is not None:
            self._bar.close()
