"""Entry point of ``python -m benchmark``."""

from __future__ import annotations

import os
import signal
import sys

# TensorFlow's C++ log (start-up notes, a harmless tf.data attribute warning) would bury
# the progress lines; Python errors still show
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmark.harness.cli import main  # noqa: E402

if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):  # `python -m benchmark list | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
