"""The one place that asks the Keras backend which device it computes on.

Everything else in ``deep`` uses ``keras.layers`` and ``keras.ops`` only; this helper is the
clearly separated exception that imports the backend library to name the device, to make
runs reproducible (TensorFlow's deterministic ops) and to switch on mixed precision.
"""

from __future__ import annotations

import os

import keras


def backend_name() -> str:
    """The Keras backend in use (``tensorflow``, ``jax`` or ``torch``)."""
    return keras.backend.backend()


def describe_device() -> str:
    """A short name of the device the backend computes on, e.g. ``cpu`` or ``gpu:NVIDIA H100``.

    Returns
    -------
    str
    """
    backend = backend_name()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return f"gpu:{details.get('device_name', gpus[0].name)}"
        elif backend == "jax":
            import jax

            device = jax.devices()[0]
            if device.platform != "cpu":
                return f"{device.platform}:{getattr(device, 'device_kind', device)}"
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return f"gpu:{torch.cuda.get_device_name(0)}"
    except Exception as exc:  # noqa: BLE001 - naming the device must never stop a run
        return f"unknown ({type(exc).__name__})"
    return "cpu"


def has_gpu() -> bool:
    """Whether the backend computes on an accelerator."""
    return not describe_device().startswith(("cpu", "unknown"))


def make_deterministic(seed: int) -> None:
    """Seed Python, NumPy and the backend; ask TensorFlow for deterministic kernels.

    Parameters
    ----------
    seed : int
    """
    keras.utils.set_random_seed(seed)
    if backend_name() == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.experimental.enable_op_determinism()
        except (AttributeError, RuntimeError):
            pass
    elif backend_name() == "torch":
        import torch

        torch.use_deterministic_algorithms(True, warn_only=True)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def limit_backend_threads(threads: int) -> None:
    """Keep the backend's own thread pool to ``threads`` (what a parallel worker may use).

    TensorFlow and JAX read the environment variables a worker sets before they start;
    PyTorch's pool is set here.
    """
    if backend_name() == "torch":
        import torch

        torch.set_num_threads(threads)


def set_mixed_precision(enabled: bool) -> str:
    """Use ``mixed_float16`` on a GPU when asked; float32 otherwise. Returns the policy name."""
    policy = "mixed_float16" if enabled and has_gpu() else "float32"
    keras.mixed_precision.set_dtype_policy(policy)
    return policy
