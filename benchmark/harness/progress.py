"""Progress of a run: a bar on a terminal or in a notebook, plain lines otherwise, or nothing.

Inside a Jupyter kernel (the Python API in a notebook, :func:`in_notebook`) the bar is a
notebook progress bar (``tqdm.auto``: a widget where ipywidgets is installed, a text bar
otherwise). Everything goes to stderr, so stdout carries only the run's result (where it was
written).
The time left is estimated cell by cell from the run's own history: a cell still to run is
expected to take as long as the finished cells of its method, on average; while its method
has none, as long as those of its family (or the profile's ``first_cell_s`` guess), and the
estimate is
said to be rough. Deep cells take tens of times longer than classical ones and run last, so
the elapsed time per cell would badly underestimate what is left.
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict

#: Narrowest terminal a bar is drawn on; a terminal that reports fewer columns (0 when it
#: cannot tell) gets plain log lines.
MIN_BAR_COLUMNS = 40


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (Jupyter, JupyterLab, Colab, nbclient).

    The test ``tqdm.auto`` makes: IPython is imported and its shell runs under a kernel app.

    Examples
    --------
    >>> in_notebook()  # a doctest runs outside any kernel
    False
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
        return shell is not None and "IPKernelApp" in shell.config
    except Exception:  # noqa: BLE001 - an IPython without a usable shell is not a notebook
        return False


def _columns(stream) -> int:
    """The width of the terminal behind ``stream``, 0 when it cannot be told."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 0


class Progress:
    """Report cells done of total, the method and fold at hand, elapsed and remaining time.

    Parameters
    ----------
    total : int
        Cells in the run.
    done : int
        Cells already complete (a resumed run).
    mode : {"bar", "notebook", "log", "quiet"}
        ``bar`` draws a tqdm bar (a terminal), ``notebook`` a notebook bar (``tqdm.auto``),
        ``log`` writes one line per event.
    stream : file-like, default sys.stderr
    pending : list of str, optional
        The method of every cell still to run (one entry per cell); without it the time
        left is the elapsed time per finished cell times the cells left.
    families : dict of str to str, optional
        Method -> family (``classical``, ``deep``), for the estimate of a method with no
        finished cell yet.
    jobs : int, default 1
        Cells that run at the same time.
    first_cell_s : dict, optional
        Family -> seconds a cell is expected to take while its family has no finished cell
        (the profile's :attr:`~benchmark.harness.profiles.Profile.first_cell_s`; the first
        finished cell replaces the guess).
    """

    def __init__(self, total: int, done: int = 0, *, mode: str = "log", stream=None,
                 pending: list[str] | None = None, families: dict | None = None,
                 jobs: int = 1, first_cell_s: dict | None = None):
        self.total, self.done, self.mode = total, done, mode
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()
        self._ran = 0  # cells run (not skipped) by this process, for the remaining time
        self._left = None if pending is None else defaultdict(int)
        for method in pending or ():
            self._left[method] += 1
        self._families = dict(families or {})
        self._jobs = max(1, int(jobs))
        self._first = dict(first_cell_s or {})
        self._seconds = defaultdict(list)  # method -> seconds of its finished cells
        self._bar = None
        if mode == "notebook":
            import warnings

            with warnings.catch_warnings():  # no ipywidgets: tqdm.auto's text bar, said once
                warnings.simplefilter("ignore")
                from tqdm.auto import tqdm

            self._bar = tqdm(total=total, initial=done, unit="cell", smoothing=0.1,
                             desc="massbench")
        elif mode == "bar":
            from tqdm import tqdm

            columns = _columns(self.stream)
            self._bar = tqdm(total=total, initial=done, unit="cell", file=self.stream,
                             ncols=max(columns, MIN_BAR_COLUMNS), smoothing=0.1,
                             dynamic_ncols=columns >= MIN_BAR_COLUMNS,
                             bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} cells "
                                        "[{elapsed}{postfix}]")

    @classmethod
    def choose(cls, total: int, done: int = 0, *, quiet: bool = False, stream=None,
               **estimate):
        """A bar on a terminal or in a notebook, log lines elsewhere, silence when ``quiet``.

        A terminal that reports fewer than :data:`MIN_BAR_COLUMNS` columns (0 when it cannot
        tell) gets log lines too; a Jupyter kernel (:func:`in_notebook`) gets a notebook bar.
        ``estimate``: the ``pending``, ``families`` and ``jobs`` of :class:`Progress`.
        """
        stream = stream if stream is not None else sys.stderr
        terminal = getattr(stream, "isatty", lambda: False)()
        if quiet:
            mode = "quiet"
        elif in_notebook():
            mode = "notebook"
        elif terminal and _columns(stream) >= MIN_BAR_COLUMNS:
            mode = "bar"
        else:
            mode = "log"
        return cls(total, done, mode=mode, stream=stream, **estimate)

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

    def remaining(self) -> tuple[float, bool] | None:
        """Seconds left and whether the estimate is rough; None before any cell finished.

        A cell to run counts the mean time of its method's finished cells; with none, of
        its family's (or ``first_cell_s``, or all finished cells') and the estimate is
        rough. The sum is shared out over the ``jobs`` cells that run at once.
        """
        if not self._ran:
            return None
        if self._left is None:  # no plan: the elapsed time per cell
            elapsed = time.perf_counter() - self.start
            return elapsed / self._ran * (self.total - self.done), True
        everything = [s for seconds in self._seconds.values() for s in seconds]
        by_family = defaultdict(list)
        for method, seconds in self._seconds.items():
            by_family[self._families.get(method)].extend(seconds)
        work, rough = 0.0, False
        for method, count in self._left.items():
            if count <= 0:
                continue
            if self._seconds.get(method):
                mean = sum(self._seconds[method]) / len(self._seconds[method])
            else:
                rough = True
                family = self._families.get(method)
                history = by_family.get(family) or []
                if history:
                    mean = sum(history) / len(history)
                elif family in self._first:
                    mean = self._first[family]
                else:
                    mean = sum(everything) / len(everything)
            work += mean * count
        left = sum(max(0, c) for c in self._left.values())
        return work / max(1, min(self._jobs, left)), rough

    def _remaining_text(self) -> str:
        estimate = self.remaining()
        if estimate is None or self.done >= self.total:
            return ""
        seconds, rough = estimate
        return f"about {_clock(seconds)} left{' (rough)' if rough else ''}"

    def finished(self, method: str, fold: int | str, seconds: float) -> None:
        """A cell has completed in ``seconds`` (its own time, without a worker's start-up)."""
        self.done += 1
        self._ran += 1
        self._seconds[method].append(float(seconds))
        if self._left is not None:
            self._left[method] -= 1
        if self._bar is not None:
            self._bar.set_description_str(f"{method} fold {fold}")
            left = self._remaining_text()
            self._bar.set_postfix_str(left, refresh=False)
            self._bar.update(1)
        elif self.mode == "log":
            elapsed = time.perf_counter() - self.start
            left = self._remaining_text()
            left = f", {left}" if left else ""
            self.message(f"[{self.done}/{self.total}] {method} fold {fold}: done in "
                         f"{seconds:.1f} s (elapsed {_clock(elapsed)}{left})")

    def close(self) -> None:
        """Finish the bar."""
        if self._bar is not None:
            self._bar.close()
