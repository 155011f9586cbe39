"""The registry of deep models: name -> :class:`Model` entry, without importing Keras.

Each entry names its builder (a function of :mod:`deep.models`) as a lazy
``"module:function"`` string, so the command line and the harness read the model names, and
which of them also run in the ROI track, before any backend starts. ``deep.models`` builds
them (:func:`deep.models.build_model`), :class:`deep.training.DeepSegmenter` trains them.

Adding a model is its builder in :mod:`deep.models` (named blocks, arguments checked before
any layer) plus one line here (and its test).

Examples
--------
>>> list(MODELS)
['cae', 'unet_course', 'unet', 'attention_unet']
>>> roi_track_models()
['unet', 'attention_unet']
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.ground.registry import Entry


@dataclass(frozen=True)
class Model(Entry):
    """A deep model's entry.

    Parameters
    ----------
    target, description, params, on_request
        As :class:`~benchmark.ground.registry.Entry` (``target``: the builder,
        ``builder(input_size, **architecture) -> keras.Model``).
    roi_track : bool, default False
        Also registered as ``<name>_roi`` in the ROI track (the model sees the ROI crop and
        its mask is pasted back). Any model runs there through
        ``DeepSegmenter(use_roi=True)``; the registry's choice keeps the standard run within
        its 20-minute budget on two cores.
    """

    roi_track: bool = False


_MODELS = "deep.models"

#: Every deep model, in run order.
MODELS: dict[str, Model] = {
    "cae": Model(f"{_MODELS}:build_cae", "the course's convolutional auto-encoder"),
    "unet_course": Model(f"{_MODELS}:build_unet_course",
                         "the course's reduced U-Net (8/16/32, bridge 64)"),
    "unet": Model(f"{_MODELS}:build_unet",
                  "4-level U-Net with batch norm and dropout (Ronneberger 2015)",
                  roi_track=True),
    "attention_unet": Model(f"{_MODELS}:build_attention_unet",
                            "U-Net with additive attention gates (Oktay 2018)", roi_track=True),
}

#: The suffix of a deep model's ROI-track method name (``unet_roi``).
ROI_SUFFIX = "_roi"


def roi_track_models() -> list[str]:
    """The models that also run in the ROI track (``roi_track``), in run order."""
    return [name for name, entry in MODELS.items() if entry.roi_track]
