"""``robustness``: the phantom remade at other difficulty levels, the same lesions and masks.

Only the lesion contrast and the noise change between levels (the phantom's ``difficulty``:
contrast x (1.5 - d), noise x (0.5 + d)); the cases, patients, splits and ROI boxes are the
same. The models trained at the default difficulty are tested at every level ("trained at
default"), and each level is also run by itself ("matched"):
:class:`benchmark.harness.studies.crossed.CrossedStudy`.
"""

from __future__ import annotations

from dataclasses import replace

from benchmark.ground.data import make_phantom
from benchmark.ground.errors import InputError
from benchmark.harness.cells import CellTask
from benchmark.harness.profiles import Profile
from benchmark.harness.studies.base import STANDARD_AUTOMATIC, STANDARD_ROI, Level, Planned
from benchmark.harness.studies.crossed import CrossedStudy

#: The default level of the robustness study (the phantom's default difficulty).
DEFAULT_DIFFICULTY = 0.5


class Robustness(CrossedStudy):
    """Levels ``{"difficulty": d}``; each level's data is the phantom made at ``d``."""

    def reference(self) -> Level:
        """The phantom's default difficulty, :data:`DEFAULT_DIFFICULTY`."""
        return next(v for v in self.levels if v.params["difficulty"] == DEFAULT_DIFFICULTY)

    def datasets(self, data: str, prof: Profile) -> dict:
        """Level name -> the phantom at that level's difficulty (the same seed, lesions, masks).

        Raises
        ------
        InputError
            If ``data`` is not the phantom: a dataset folder has no difficulty knob.
        """
        if data != "phantom":
            raise InputError("the robustness study remakes the phantom at other difficulty "
                             "levels, which a dataset folder cannot do; leave --data out "
                             "(the phantom)", data)
        return {level.name: make_phantom(prof.phantom_cases, size=prof.phantom_size,
                                         difficulty=level.params["difficulty"])
                for level in self.levels}

    def test_elsewhere(self, task: CellTask, others: list[Planned],
                       datasets: dict) -> CellTask:
        """The same test cases with each other level's pixels."""
        ids = [c.id for c in task.test]
        return replace(task, shifted={p.level.name: tuple(datasets[p.level.name].subset(ids))
                                      for p in others})


ROBUSTNESS = Robustness(
    name="robustness",
    question="Which methods break first when the lesions get fainter and the noise stronger?",
    axis="phantom difficulty (0.5 = default; contrast x (1.5 - d), noise x (0.5 + d))",
    levels=tuple(Level(f"difficulty_{d:.2f}", {"difficulty": d}, d, f"difficulty {d:g}")
                 for d in (0.25, 0.50, 0.75, 1.00)),
    methods=(*STANDARD_ROI, *STANDARD_AUTOMATIC),
    description=(
        "The phantom is remade with the same seed at other difficulty levels: the same "
        "lesions, masks, patients, splits and boxes; only the lesion contrast (x (1.5 - d)) "
        "and the noise (x (0.5 + d)) change.",
        "Trained at default: each method is trained (tuned) at the default difficulty 0.5 and "
        "tested at every level, as a method meets images that are harder than its training "
        "set. Matched: trained and tested at each level. The floors read no pixel, so their "
        "lines are flat."))
