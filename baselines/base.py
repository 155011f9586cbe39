"""What every classical segmenter shares: the estimator interface and parameter tuning.

A segmenter is a scikit-learn estimator: ``__init__`` stores keyword parameters,
``fit(images, masks, rois=None)`` tunes the free parameters on the training part (a small
grid search on mean Dice) and records them in ``best_params_``, and
``predict(images, rois=None)`` returns one bool mask per image on the image's own grid.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import ParameterGrid

from benchmark.metrics import dice_score
from benchmark.roi import check_roi


class Segmenter(BaseEstimator):
    """Base class of the classical segmenters.

    Subclasses set ``needs_roi`` and ``tuning_grid`` (parameter name -> candidate values)
    and implement ``_segment(image, roi, params, model)``; learning segmenters also set
    ``learns = True`` and override ``_learn(images, masks, rois, params)``, whose result is
    passed to ``_segment`` as ``model``.
    """

    family = "classical"
    needs_roi = False
    #: Learning segmenters are tuned on a held-out quarter of the training part.
    learns = False
    tuning_grid: dict[str, list] = {}

    def _check_inputs(self, images, rois, *, masks=None):
        images = [np.asarray(im, dtype=np.float64) for im in images]
        for i, im in enumerate(images):
            if im.ndim != 2:
                raise ValueError(f"image {i} must be 2-D, got shape {im.shape}")
        if masks is not None:
            masks = [np.asarray(m, dtype=bool) for m in masks]
            if len(masks) != len(images):
                raise ValueError(f"got {len(images)} images but {len(masks)} masks")
            for i, (im, m) in enumerate(zip(images, masks, strict=True)):
                if m.shape != im.shape:
                    raise ValueError(f"mask {i} has shape {m.shape}, image {im.shape}")
        if rois is None:
            if self.needs_roi:
                raise ValueError(f"{type(self).__name__} is semi-automatic: pass one ROI "
                                 "rectangle (row_min, row_max, col_min, col_max) per image")
            rois = [None] * len(images)
        else:
            rois = list(rois)
            if len(rois) != len(images):
                raise ValueError(f"got {len(images)} images but {len(rois)} ROIs")
            rois = [None if r is None else check_roi(r, im.shape, where=f"roi {i}")
                    for i, (r, im) in enumerate(zip(rois, images, strict=True))]
        return images, rois, masks

    def fit(self, images, masks, rois=None):
        """Tune the free parameters on the training part by mean Dice.

        Parameters
        ----------
        images : sequence of (M, N) ndarray of float
            Training images (sizes may differ).
        masks : sequence of (M, N) ndarray of bool
            Their reference masks.
        rois : sequence of tuple or None, optional
            ROI rectangles (required when ``needs_roi``).

        Returns
        -------
        self
        """
        images, rois, masks = self._check_inputs(images, rois, masks=masks)
        start = time.perf_counter()
        base = self.get_params()
        grid = [base | combo for combo in ParameterGrid(self._grid())] or [base]
        rng = np.random.default_rng(getattr(self, "random_state", 0) or 0)
        order = rng.permutation(len(images))
        if self.learns and len(grid) > 1 and len(images) >= 4:
            n_holdout = max(1, len(images) // 4)
            learn_idx, pick = np.sort(order[n_holdout:]), np.sort(order[:n_holdout])
        else:
            learn_idx, pick = np.arange(len(images)), np.arange(len(images))
        limit = getattr(self, "max_tuning_cases", None)
        if limit is not None and len(pick) > limit:
            pick = np.sort(rng.choice(pick, limit, replace=False))
        results = []
        for params in grid if len(grid) > 1 else []:  # one candidate: nothing to tune
            model = self._learn([images[i] for i in learn_idx], [masks[i] for i in learn_idx],
                                [rois[i] for i in learn_idx], params)
            preds = [self._segment(images[i], rois[i], params, model) for i in pick]
            scores = [dice_score(masks[i], p) for i, p in zip(pick, preds, strict=True)]
            results.append({"params": {k: params[k] for k in self._grid()},
                            "mean_dice": float(np.nanmean(scores))})
        best = int(np.argmax([r["mean_dice"] for r in results])) if results else 0
        self.best_params_ = dict(grid[best])
        self.tuned_params_ = {k: grid[best][k] for k in self._grid()}
        self.tuning_results_ = results
        self.model_ = self._learn(images, masks, rois, self.best_params_)
        self.fit_time_s_ = time.perf_counter() - start
        return self

    def predict(self, images, rois=None):
        """Segment each image.

        Parameters
        ----------
        images : sequence of (M, N) ndarray of float
        rois : sequence of tuple or None, optional
            ROI rectangles (required when ``needs_roi``).

        Returns
        -------
        list of (M, N) ndarray of bool
        """
        images, rois, _ = self._check_inputs(images, rois)
        params = getattr(self, "best_params_", None)
        if params is None:
            if self.learns:
                raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit "
                                 "first")
            # rule-based methods run untuned with their given parameters, like a function
            params = self.get_params()
        model = getattr(self, "model_", None)
        return [np.asarray(self._segment(im, roi, params, model), dtype=bool)
                for im, roi in zip(images, rois, strict=True)]

    def _grid(self) -> dict:
        """The tuning grid, or an empty one when ``tune=False``."""
        return dict(self.tuning_grid) if getattr(self, "tune", True) else {}

    def _learn(self, images, masks, rois, params):
        """Learn a model for one parameter combination (nothing for rule-based methods)."""
        return None

    def _segment(self, image, roi, params, model):  # pragma: no cover - abstract
        raise NotImplementedError
