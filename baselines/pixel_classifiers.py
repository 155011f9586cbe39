"""Per-pixel classifiers: multiscale features with a random forest or a linear SVM.

Features are scikit-image's ``multiscale_basic_features`` (intensity, edges and texture at
Gaussian scales 1-8 px). Training samples up to ``pixels_per_image`` pixels of every training
image, half inside the mass and half outside. A prediction keeps the connected component
nearest to the crop's automatic seed, with holes filled. Fully automatic: no ROI.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from skimage.feature import multiscale_basic_features
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import Interval

from baselines.base import TUNING_CONSTRAINTS, TunedSegmenter
from baselines.seeds import auto_seed, seed_component


def pixel_features(image: np.ndarray) -> np.ndarray:
    """(M, N, F) multiscale intensity, edge and texture features of an image."""
    return multiscale_basic_features(np.asarray(image, dtype=np.float64), intensity=True,
                                     edges=True, texture=True, sigma_min=1, sigma_max=8,
                                     num_sigma=4)


class _PixelClassifier(TunedSegmenter):
    learns = True

    def _sample(self, images, masks, rng):
        xs, ys = [], []
        for image, mask in zip(images, masks, strict=True):
            feats = self._features(image)
            half = self.pixels_per_image // 2
            for value in (True, False):
                where = np.flatnonzero(mask.ravel() == value)
                if where.size == 0:
                    continue
                take = rng.choice(where, min(half, where.size), replace=False)
                xs.append(feats.reshape(-1, feats.shape[-1])[take])
                ys.append(np.full(take.size, value))
        return np.concatenate(xs), np.concatenate(ys)

    def _features(self, image):
        """Features of an image; during ``fit`` each training image is computed once."""
        cache = self.__dict__.get("_feature_cache")
        if cache is None:  # predict: nothing to reuse, and nothing kept on the estimator
            return pixel_features(image)
        if id(image) not in cache:
            cache[id(image)] = (image, pixel_features(image))  # the image is kept alive too
        return cache[id(image)][1]

    def fit(self, images, masks, *, rois=None, val=None):
        """Learn on the training part (features cached across the tuning grid)."""
        self._feature_cache = {}
        try:
            return super().fit(images, masks, rois=rois, val=val)
        finally:
            del self._feature_cache

    def _learn(self, images, masks, rois, params):
        rng = np.random.default_rng(params["random_state"])
        x, y = self._sample(images, masks, rng)
        model = self._make_model(params)
        model.fit(x, y)
        return model

    def _segment(self, image, roi, params, model):
        feats = self._features(image)
        flat = feats.reshape(-1, feats.shape[-1])
        pred = self._decide(model, flat).reshape(image.shape)
        return seed_component(pred, auto_seed(image), fill="before", nearest=True)


class PixelRandomForest(_PixelClassifier):
    """Random forest on per-pixel multiscale features (fully automatic).

    Parameters
    ----------
    n_estimators : int, default 60
    max_depth : int, default 12
        Tuned over (8, 16) on the validation part.
    pixels_per_image : int, default 400
        Pixels sampled per training image (half mass, half background).
    tune : bool, default True
    max_tuning_cases : int, default 30
    random_state : int, default 0
    """

    tuning_grid = {"max_depth": [8, 16]}
    _parameter_constraints = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "pixels_per_image": [Interval(Integral, 2, None, closed="left")],
        **TUNING_CONSTRAINTS,
    }

    def __init__(self, *, n_estimators=60, max_depth=12, pixels_per_image=400, tune=True,
                 max_tuning_cases=30, random_state=0):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.pixels_per_image = pixels_per_image
        super().__init__(tune=tune, max_tuning_cases=max_tuning_cases,
                         random_state=random_state)

    def _make_model(self, params):
        return RandomForestClassifier(n_estimators=params["n_estimators"],
                                      max_depth=params["max_depth"], n_jobs=1,
                                      random_state=params["random_state"])

    def _decide(self, model, flat):
        return model.predict_proba(flat)[:, 1] >= 0.5


class PixelLinearSVM(_PixelClassifier):
    """Linear SVM (standardised features) on per-pixel multiscale features (automatic).

    Parameters
    ----------
    C : float, default 0.1
        Regularisation; tuned over (0.01, 0.1, 1) on the validation part.
    pixels_per_image : int, default 400
    tune : bool, default True
    max_tuning_cases : int, default 30
    random_state : int, default 0
    """

    tuning_grid = {"C": [0.01, 0.1, 1.0]}
    _parameter_constraints = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "pixels_per_image": [Interval(Integral, 2, None, closed="left")],
        **TUNING_CONSTRAINTS,
    }

    def __init__(self, *, C=0.1, pixels_per_image=400, tune=True, max_tuning_cases=30,
                 random_state=0):
        self.C = C
        self.pixels_per_image = pixels_per_image
        super().__init__(tune=tune, max_tuning_cases=max_tuning_cases,
                         random_state=random_state)

    def _make_model(self, params):
        return make_pipeline(StandardScaler(), LinearSVC(C=params["C"], dual="auto",
                                                         max_iter=5000,
                                                         random_state=params["random_state"]))

    def _decide(self, model, flat):
        return model.decision_function(flat) > 0
