"""``list``: the registered methods (family, ROI or not, parameters) and datasets."""

from __future__ import annotations

from benchmark.ground.data import DATASETS
from benchmark.ground.errors import InputError
from benchmark.ground.formats import FORMATS
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
    print("datasets (--data PATH; formats detected in this order, --format NAME forces one):")
    for fmt in FORMATS.values():
        print(f"  {fmt.name:<12} {fmt.summary}")
        if fmt.name in DATASETS:  # a built-in dataset: what it holds
            print(f"  {'':<12} {DATASETS[fmt.name][0]}")
    return 0
