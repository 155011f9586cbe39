"""What a run records of where it ran: package versions and the machine."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

#: The packages whose versions shape the results.
PACKAGES = ("massbench", "numpy", "scipy", "numba", "scikit-image", "scikit-learn", "pandas",
            "joblib", "keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib", "torch",
            "dask", "distributed")


def now() -> str:
    """The current UTC time, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    """Installed versions of the packages that shape the results (and Python's)."""
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    found["python"] = platform.python_version()
    return found


def machine() -> dict:
    """The machine the run's main process ran on: CPU model, cores, platform, host."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "host": platform.node()}
