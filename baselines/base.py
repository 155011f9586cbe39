"""What every classical segmenter shares: the estimator contract and parameter tuning.

A segmenter follows the contract of :mod:`benchmark.ground.segmenter`: ``__init__`` stores
keyword parameters, declared with their allowed values in ``_parameter_constraints``
(scikit-learn's style) and validated once, at ``fit`` (or at ``predict`` for a rule-based
method used unfitted, like a function); ``fit(images, masks, *, rois=None, val=None)``
learns and sets attributes ending in ``_``; ``predict(images, *, rois=None)`` returns one
bool mask per image on the image's own grid.

:class:`TunedSegmenter` adds the tuning of free parameters on the training data (a small
grid search on mean Dice), recorded in ``best_params_``, ``tuned_params_`` and
``tuning_results_``. Classical methods fit on the training part and the validation part
together (``val`` is appended to the training data), and learning methods hold out a
seeded quarter of it for tuning.
"""

from __future__ import annotations

import time
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import ParameterGrid
from sklearn.utils._param_validation import Interval

from benchmark.ground.metrics import dice_score
from benchmark.ground.segmenter import Part, check_fit_inputs, check_part
from benchmark.ground.store import MODEL_JOBLIB, jsonable, write_joblib

#: Constraints of the tuning parameters every :class:`TunedSegmenter` has.
TUNING_CONSTRAINTS = {
    "tune": ["boolean"],
    "max_tuning_cases": [Interval(Integral, 1, None, closed="left"), None],
    "random_state": [Interval(Integral, 0, None, closed="left")],
}


class Segmenter(BaseEstimator):
    """Base class of the classical segmenters (rule-based, nothing to tune).

    Subclasses set ``needs_roi`` and ``_parameter_constraints`` and implement
    ``_segment(image, roi, params, model)``; learning segmenters also set ``learns = True``
    and override ``_learn(images, masks, rois, params)``, whose result is passed to
    ``_segment`` as ``model``. Checks that constraints cannot state go in ``_check_params``.
    """

    family = "classical"
    needs_roi = False
    #: Whether the method learns from the training masks (it cannot predict unfitted).
    learns = False
    #: The classical methods segment, and are timed, one image at a time.
    batch_predict = False
    tuning_grid: dict[str, list] = {}
    _parameter_constraints: dict = {}

    def _validate(self) -> None:
        """Check every parameter against ``_parameter_constraints``, then ``_check_params``."""
        self._validate_params()
        self._check_params()

    def _check_params(self) -> None:
        """Further checks of the parameters (none by default)."""

    def _fit_part(self, images, masks, rois, val) -> Part:
        """The data a classical method fits on: the training part and the validation part."""
        train, held = check_fit_inputs(images, masks, rois, val, needs_roi=self.needs_roi,
                                       owner=type(self).__name__)
        return train if held is None else train + held

    def fit(self, images, masks, *, rois=None, val=None):
        """Fit on the training part (and ``val``, appended to it).

        Parameters
        ----------
        images : sequence of (M, N) ndarray of float
            Training images (sizes may differ).
        masks : sequence of (M, N) ndarray of bool
            Their reference masks.
        rois : sequence of tuple or None, optional
            ROI rectangles (required when ``needs_roi``).
        val : tuple, optional
            The validation part, ``(images, masks)`` or ``(images, masks, rois)``.

        Returns
        -------
        self
        """
        part = self._fit_part(images, masks, rois, val)
        self._validate()
        start = time.perf_counter()
        self.best_params_, self.tuning_results_ = self._tune(part)
        self.tuned_params_ = {k: self.best_params_[k] for k in self._grid()}
        self.model_ = self._learn(part.images, part.masks, part.rois, self.best_params_)
        self.n_fit_ = len(part)
        self.fit_time_s_ = time.perf_counter() - start
        return self

    def predict(self, images, *, rois=None):
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
        part = check_part(images, rois=rois, needs_roi=self.needs_roi,
                          owner=type(self).__name__)
        if hasattr(self, "best_params_"):
            params, model = self.best_params_, self.model_
        elif self.learns:
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit first")
        else:  # rule-based methods run untuned with their given parameters, like a function
            self._validate()
            params, model = self.get_params(), None
        return [np.asarray(self._segment(im, roi, params, model), dtype=bool)
                for im, roi in zip(part.images, part.rois, strict=True)]

    def save(self, folder) -> str:
        """Write the fitted estimator to ``folder/model.joblib``; return the file name."""
        write_joblib(Path(folder) / MODEL_JOBLIB, self)
        return MODEL_JOBLIB

    def fit_record(self) -> dict:
        """The tuned parameters and the tuning results, JSON-ready."""
        return {"tuned_params": jsonable(self.tuned_params_),
                "tuning_results": jsonable(self.tuning_results_)}

    def _grid(self) -> dict:
        """The tuning grid (empty for rule-based methods)."""
        return {}

    def _tune(self, part: Part) -> tuple[dict, list]:
        """The parameters to fit with and the tuning results (nothing to tune here)."""
        return self.get_params(), []

    def _learn(self, images, masks, rois, params):
        """Learn a model for one parameter combination (nothing for rule-based methods)."""
        return None

    def _segment(self, image, roi, params, model):  # pragma: no cover - abstract
        raise NotImplementedError


class TunedSegmenter(Segmenter):
    """A segmenter whose ``tuning_grid`` parameters are tuned on the training data by Dice.

    Subclasses have the parameters ``tune`` (False: no search), ``max_tuning_cases`` (the
    cases the candidates are scored on: a seeded random subset) and ``random_state``.
    Learning methods (``learns``) learn each candidate on three quarters of the data and
    score it on the held-out quarter. Subclasses' ``__init__`` pass these three on to
    ``TunedSegmenter.__init__``.
    """

    def __init__(self, *, tune=True, max_tuning_cases=40, random_state=0):
        self.tune = tune
        self.max_tuning_cases = max_tuning_cases
        self.random_state = random_state

    def _grid(self) -> dict:
        """The tuning grid, or an empty one when ``tune=False``."""
        return dict(self.tuning_grid) if self.tune else {}

    def _tune(self, part: Part) -> tuple[dict, list]:
        images, masks, rois = part.images, part.masks, part.rois
        base = self.get_params()
        grid = [base | combo for combo in ParameterGrid(self._grid())] or [base]
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(len(images))
        if self.learns and len(grid) > 1 and len(images) >= 4:
            n_holdout = max(1, len(images) // 4)
            learn_idx, pick = np.sort(order[n_holdout:]), np.sort(order[:n_holdout])
        else:
            learn_idx, pick = np.arange(len(images)), np.arange(len(images))
        limit = self.max_tuning_cases
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
        return dict(grid[best]), results
