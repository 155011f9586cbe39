"""The in-memory data model: an immutable :class:`Case` and a :class:`Dataset` of cases."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

#: How a dataset's reference masks were made; the report states what agreement means.
REFERENCE_KINDS = ("exact", "manual", "semi-automatic", "unknown")


@dataclass(frozen=True, eq=False)
class Case:
    """One mammogram crop holding one mass.

    Parameters
    ----------
    id : str
        Unique case identifier (in the course format, the file name without its suffix).
    image : (M, N) ndarray of float32
        Grey levels in [0, 1]. Stored read-only.
    mask : (M, N) ndarray of bool
        Reference mass mask, same shape as ``image``. Stored read-only.
    label : int or None
        1 malignant, 0 benign, None unknown.
    patient : str
        Patient identifier; cases of one patient never fall in different parts of a split.
    source : str
        Where the case came from (a file path, or ``phantom:<version>``).
    """

    id: str
    image: np.ndarray
    mask: np.ndarray
    label: int | None
    patient: str
    source: str = ""

    def __post_init__(self):
        image = np.array(self.image, dtype=np.float32, copy=True)
        mask = np.array(self.mask, dtype=bool, copy=True)
        if image.ndim != 2:
            raise ValueError(f"case {self.id!r}: image must be 2-D, got shape {image.shape}")
        if mask.shape != image.shape:
            raise ValueError(
                f"case {self.id!r}: mask shape {mask.shape} differs from image shape {image.shape}"
            )
        if self.label not in (None, 0, 1):
            raise ValueError(f"case {self.id!r}: label must be 0, 1 or None, got {self.label!r}")
        image.flags.writeable = False
        mask.flags.writeable = False
        object.__setattr__(self, "image", image)
        object.__setattr__(self, "mask", mask)
        object.__setattr__(self, "label", None if self.label is None else int(self.label))

    @property
    def shape(self) -> tuple[int, int]:
        """The image's (rows, columns)."""
        return self.image.shape


@dataclass(frozen=True, eq=False)
class Dataset:
    """An ordered, immutable collection of cases with unique ids.

    Parameters
    ----------
    name : str
        Short name shown in reports.
    cases : tuple of Case
        The cases, in a fixed order.
    source : str
        Folder, manifest or generator the cases came from.
    reference : {"exact", "manual", "semi-automatic", "unknown"}
        How the reference masks were made; with "semi-automatic", scores measure agreement
        with that algorithm, not clinical truth.
    generator : str
        What generated the cases, with its version (``massbench phantom 2.0``); empty for
        data that was not generated.
    patients_from, labels_from : str
        How the loader derived each case's patient and label (``"first four characters of
        the case id (course naming)"``, ``"the manifest's patient column"``, ...); empty when
        not said. ``python -m benchmark data`` shows them.
    reference_algorithm : str
        The registered method that shares the algorithm the reference masks were (or are
        assumed to have been) made with (``"radial_maxvar"`` for the course's reference
        sets); its agreement with them is partly by construction, and the report flags it.
        Empty when none.
    reference_algorithm_from : str
        Why the loader names that method (stated in ``reference.json``, or assumed).
    """

    name: str
    cases: tuple[Case, ...]
    source: str = ""
    reference: str = "unknown"
    generator: str = ""
    patients_from: str = ""
    labels_from: str = ""
    reference_algorithm: str = ""
    reference_algorithm_from: str = ""
    _index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        cases = tuple(self.cases)
        if self.reference not in REFERENCE_KINDS:
            raise ValueError(
                f"reference must be one of {REFERENCE_KINDS}, got {self.reference!r}"
            )
        counts = Counter(c.id for c in cases)
        duplicated = sorted(i for i, n in counts.items() if n > 1)
        if duplicated:
            raise ValueError(f"duplicate case ids: {', '.join(duplicated[:5])}")
        object.__setattr__(self, "cases", cases)
        object.__setattr__(self, "_index", {c.id: c for c in cases})

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def __getitem__(self, key: int | str) -> Case:
        if isinstance(key, str):
            return self._index[key]
        return self.cases[key]

    def __contains__(self, case_id: object) -> bool:
        return case_id in self._index

    def record(self) -> dict:
        """What a run folder's ``run.json`` keeps of the dataset (``dataset``)."""
        return {"name": self.name, "source": self.source, "reference": self.reference,
                "reference_algorithm": self.reference_algorithm,
                "reference_algorithm_from": self.reference_algorithm_from,
                "generator": self.generator, "labels_from": self.labels_from,
                "patients_from": self.patients_from, "n_cases": len(self),
                "n_patients": len({c.patient for c in self}), "fingerprint": self.fingerprint}

    @property
    def ids(self) -> list[str]:
        """Case ids in dataset order."""
        return [c.id for c in self.cases]

    def subset(self, ids) -> list[Case]:
        """The cases with the given ids, in the order given."""
        return [self._index[i] for i in ids]

    @cached_property
    def fingerprint(self) -> str:
        """A content hash: ids, patients, labels, shapes and every pixel of images and masks.

        Two datasets with the same fingerprint hold the same cases, whatever their order on
        disk; any changed pixel, label or id changes it.
        """
        digest = hashlib.sha256()
        for case in sorted(self.cases, key=lambda c: c.id):
            meta = f"{case.id}\0{case.patient}\0{case.label}\0{case.shape[0]}x{case.shape[1]}\0"
            digest.update(meta.encode("utf-8"))
            digest.update(np.ascontiguousarray(case.image, dtype="<f4").tobytes())
            digest.update(np.packbits(case.mask).tobytes())
        return digest.hexdigest()[:16]
