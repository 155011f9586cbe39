"""mini-MIAS, recognised so that it can be refused: its references are circles, not masks.

mini-MIAS (``Info.txt`` or the README of ``all-mias/``, beside ``mdb001.pgm`` ...
``mdb322.pgm``) gives each abnormality as a centre and the radius of an enclosing circle.
A circle is not a segmentation: scoring methods against it would measure how round their
masks are. The format registry therefore lists mini-MIAS with a refusal
(:data:`benchmark.ground.formats.FORMATS`), and ``data`` or ``run`` on such a folder says so
in one line (exit 2) instead of importing circles as references.
"""

from __future__ import annotations

import re
from pathlib import Path

#: A mini-MIAS film: ``mdb001.pgm`` ... ``mdb322.pgm``.
FILM = re.compile(r"^mdb\d{3}\.pgm$", re.IGNORECASE)


def detect(path: Path) -> bool:
    """Whether ``path`` holds mini-MIAS films (in it or in an ``all-mias/`` folder).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "mdb001.pgm").write_bytes(b"P5 1 1 255 ")
    >>> detect(folder), detect(folder / "mdb001.pgm")
    (True, False)
    """
    if not path.is_dir():
        return False
    for folder in (path, path / "all-mias"):
        if folder.is_dir() and any(FILM.match(p.name) for p in folder.iterdir()):
            return True
    return False
