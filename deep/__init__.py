"""Deep segmentation models on Keras 3: the course's CAE and U-Net, a U-Net, an attention U-Net.

Models are built by functions from named blocks with ``keras.layers`` and ``keras.ops`` only
(:mod:`deep.models`), trained by :class:`deep.training.DeepSegmenter` (the estimator interface
shared with the classical methods), and run on whichever Keras backend ``KERAS_BACKEND``
selects. The one place that asks a backend which device it has is :mod:`deep.device`.
"""
