"""``list``: the registered methods (family, ROI or not, parameters) and datasets."""

from __future__ import annotations

from benchmark.ground.data import DATASETS
from benchmark.ground.data.course import IMAGE_TAG, MASK_TAG
from benchmark.ground.errors import InputError
from benchmark.harness.methods import all_methods


def _parameters(values: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted(values.items())) or "no parameters"


def cmd_list(args) -> int:
    """Print every method of the registries, then the datasets."""
    try:
        methods, note = all_methods(), None
    except InputError as exc:  # keras installed without a backend, say
        methods, note = all_methods(deep=False), f"(deep models unavailable: {exc})"
    print("methods:")
    print(f"  {'name':<30} {'family':<10} {'ROI':<15} parameters")
    deep = [m for m in methods.values() if m.family == "deep"]
    for info in methods.values():
        roi = "semi-automatic" if info.needs_roi else "automatic"
        if info.family == "deep":
            print(f"  {info.name:<30} {info.family:<10} {roi:<15} early stopping on val Dice")
            print(f"  {'':<30} {info.description}")
            print(f"  {'':<30} {_parameters(info.architecture)}")
            continue
        print(f"  {info.name:<30} {info.family:<10} {roi:<15} tuned: "
              f"{', '.join(info.tuned) or '-'}")
        print(f"  {'':<30} {info.description}")
        print(f"  {'':<30} {_parameters(info.parameters)}")
    if deep:
        print(f"  {'':<30} training: {_parameters(deep[0].parameters)}")
    if note:
        print(f"  {note}")
    print("datasets:")
    for name, (description, _) in DATASETS.items():
        print(f"  {name:<12} {description}")
    print(f"  FOLDER       a course-format folder: a pair per case, e.g. 0001p1_1_1{IMAGE_TAG}.pgm "
          f"and 0001p1_1_1{MASK_TAG}.pgm")
    print("  FILE.csv     a manifest: image,mask[,label][,patient][,case]")
    return 0
