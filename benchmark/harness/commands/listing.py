"""``list``: the registered methods (family, ROI or not, parameters), plug-ins and datasets.

The parameters shown are those a run of one profile gives each method (``--profile``, the
standard profile by default): the estimators come from
:func:`benchmark.harness.methods.make_method`, the one place that merges a profile's settings,
so ``list --profile quick`` shows the 32 px input of the quick run. ``list --methods A,B``
shows only those, and a plug-in among them (``FILE.py:Class``, ``module:Class``, an entry
point's name) is loaded and checked as a run would, then shown with its spec.
"""

from __future__ import annotations

from benchmark.ground.data import DATASETS
from benchmark.ground.errors import InputError
from benchmark.ground.formats import FORMATS
from benchmark.ground.splits import DEFAULT_SEED
from benchmark.harness import plugins
from benchmark.harness.methods import (
    all_methods,
    as_names,
    deep_models,
    is_deep,
    make_method,
    method_info,
)
from benchmark.harness.profiles import get_profile

#: The profile ``list`` shows without ``--profile``: the one ``run`` takes on a CPU.
DEFAULT_LIST_PROFILE = "standard"
#: DeepSegmenter parameters a cell sets for itself: not the profile's, so not shown.
_SET_BY_THE_CELL = ("model", "seed", "workdir", "use_roi")


def _parameters(values: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted(values.items())) or "no parameters"


def deep_settings(names, profile) -> tuple[dict, dict[str, dict]]:
    """The training settings the deep methods ``names`` get from ``profile``.

    Returns
    -------
    common : dict
        The settings every one of them has alike.
    own : dict of str to dict
        Per method, the settings that differ between them (an input size, model widths).
    """
    settings = {}
    for name in names:
        params = make_method(name, profile, seed=DEFAULT_SEED).get_params()
        settings[name] = {k: v for k, v in params.items() if k not in _SET_BY_THE_CELL}
    if not settings:
        return {}, {}
    first = next(iter(settings.values()))
    common = {k: v for k, v in first.items()
              if all(s.get(k, object()) == v for s in settings.values())}
    own = {name: {k: v for k, v in s.items() if k not in common}
           for name, s in settings.items()}
    return common, own


def _selected(args) -> tuple[dict, str | None]:
    """(name -> MethodInfo, a note) of the methods ``list`` shows."""
    given = getattr(args, "methods", None)
    if given is not None:
        names = as_names([n.strip() for n in given.split(",") if n.strip()])
        if any(is_deep(n) for n in names):
            deep_models()  # a bad backend said in one line
        return method_info(names), None
    try:
        deep_models()  # first: Keras' start-up notes muted, a bad backend said in one line
        return all_methods(), None
    except InputError as exc:  # keras installed without a backend, say
        return all_methods(deep=False), f"(deep models unavailable: {exc})"


def cmd_list(args) -> int:
    """Print the methods (every registered one, or ``--methods``) with one profile's settings.

    Without ``--methods``, the installed plug-ins' entry points and the datasets follow.
    """
    profile_name = getattr(args, "profile", None) or DEFAULT_LIST_PROFILE
    profile = get_profile(profile_name)
    methods, note = _selected(args)
    default = (", the default on a CPU; --profile NAME for another" if profile_name ==
               DEFAULT_LIST_PROFILE and getattr(args, "profile", None) is None else "")
    print(f"methods, with the settings of the {profile.name} profile{default} "
          f"(random_state: the run's --seed, default {DEFAULT_SEED}):")
    print(f"  {'name':<30} {'family':<10} {'ROI':<15} parameters")
    deep = [m.name for m in methods.values() if m.family == "deep" and not m.spec]
    common, own = deep_settings(deep, profile)
    for info in methods.values():
        roi = "semi-automatic" if info.needs_roi else "automatic"
        if info.spec:
            print(f"  {info.name:<30} {info.family:<10} {roi:<15} plug-in"
                  f"{', stochastic' if info.stochastic else ''}")
            print(f"  {'':<30} {info.description}")
            print(f"  {'':<30} {info.spec}")
            print(f"  {'':<30} {_parameters(info.parameters)}")
            continue
        if info.family == "deep":
            mine = own[info.name]
            widths = mine.get("model_kwargs") or common.get("model_kwargs") or {}
            architecture = {**info.architecture, **widths}
            if "input_size" in architecture:
                architecture["input_size"] = mine.get("input_size",
                                                      common.get("input_size"))
            print(f"  {info.name:<30} {info.family:<10} {roi:<15} early stopping on val loss")
            print(f"  {'':<30} {info.description}")
            print(f"  {'':<30} {_parameters(architecture)}")
            rest = {k: v for k, v in mine.items() if k not in ("model_kwargs", "input_size")}
            if rest:
                print(f"  {'':<30} also: {_parameters(rest)}")
            continue
        estimator = make_method(info.name, profile, seed=DEFAULT_SEED)
        print(f"  {info.name:<30} {info.family:<10} {roi:<15} tuned: "
              f"{', '.join(info.tuned) or '-'}")
        print(f"  {'':<30} {info.description}")
        print(f"  {'':<30} {_parameters(estimator.get_params())}")
    if deep:
        shown = {k: v for k, v in common.items() if k not in ("model_kwargs", "input_size")}
        print(f"  {'':<30} training of every deep model ({profile.name}): "
              f"{_parameters(shown)}")
    if note:
        print(f"  {note}")
    if getattr(args, "methods", None) is not None:
        return 0
    installed = plugins.entry_points()
    print(f"plug-ins installed (entry points {plugins.GROUP}; --methods NAME; "
          "--methods FILE.py:Class for a file):")
    for name, point in installed.items():
        print(f"  {name:<30} {point.value}")
    if not installed:
        print("  none")
    print("datasets (--data PATH; formats detected in this order, --format NAME forces one):")
    for fmt in FORMATS.values():
        print(f"  {fmt.name:<12} {fmt.summary}")
        if fmt.name in DATASETS:  # a built-in dataset: what it holds
            print(f"  {'':<12} {DATASETS[fmt.name][0]}")
    return 0
