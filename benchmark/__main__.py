"""Entry point of ``python -m benchmark`` and of the ``massbench`` console script.

Exit codes (also in ``--help``): 0 success, 1 internal error, 2 bad input or usage,
130 interrupted (Ctrl-C, even while the modules are still being imported).
"""

from __future__ import annotations

import os
import signal
import sys

#: The exit code of a command interrupted with Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130


def main() -> int:
    """Run the command line with the process set up for it; returns the exit code."""
    # TensorFlow's C++ log (start-up notes, a harmless tf.data attribute warning) would bury
    # the progress lines; Python errors still show
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # and what TensorFlow's C++ writes whatever that says (absl's note, oneDNN's) when this
    # process imports it (the backend check, `list`): filtered as in the workers
    from benchmark.harness.executors import quiet_worker

    quiet_worker()
    if hasattr(signal, "SIGPIPE"):  # `python -m benchmark list | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        from benchmark.harness.cli import main as cli_main

        return cli_main()
    except KeyboardInterrupt:  # before the command line's own handler is in place
        print("interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
