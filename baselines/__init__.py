"""The classical computer-aided-diagnosis pipeline of the course.

- :mod:`baselines.preprocessing`: the course's preprocessing of raw crops;
- segmenters, each a scikit-learn estimator on the contract of
  :mod:`benchmark.ground.segmenter`: region growing and the Otsu floor
  (:mod:`~baselines.region_growing`), morphological active contours
  (:mod:`~baselines.active_contours`), the radial max-variance algorithm of the course
  (:mod:`~baselines.radial`), per-pixel classifiers (:mod:`~baselines.pixel_classifiers`);
  their registry :data:`baselines.registry.SEGMENTERS`;
- :mod:`baselines.features`: the mass features, and :mod:`baselines.classifiers`: the SVM and
  random forest that classify them.

The package stands on the ground of ``benchmark`` only (``benchmark.ground``).
"""
