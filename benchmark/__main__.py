"""Entry point of ``python -m benchmark``."""

from __future__ import annotations

import signal
import sys

from benchmark.cli import main

if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):  # `python -m benchmark list | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
