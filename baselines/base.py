"""What every classical segmenter shares: the estimator contract and parameter tuning.

A segmenter follows the contract of :mod:`benchmark.ground.segmenter`: ``__init__`` stores
keyword parameters, declared with their allowed values in ``_parameter_constraints``
(scikit-learn's style) and validated once, at ``fit`` (or at ``predict`` for a rule-based
method used unfitted, like a function); ``fit(images, masks, *, rois=None, val=None)``
learns and sets attributes ending in ``_``; ``predict(images, *, rois=None)`` returns one
bool mask per image on the image's own grid.

:class:`TunedSegmenter` adds the tuning of free parameters on the training data (a small
grid search on mean Dice), recorded in ``best_params_``, ``tuned_params_`` and
``tuning_results_``. Every method, classical or deep, uses a fold's data the same way: it
learns on the training part and may use the validation part (``val``) for tuning and nothing
else. A learning method learns each candidate on the training part and scores it on the
validation part; no hold-out is carved anywhere else.
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
    #: A classical fit is deterministic for its parameters: one training seed says it all.
    stochastic = False
    tuning_grid: dict[str, list] = {}
    _parameter_constraints: dict = {}

    def _validate(self) -> None:
        """Check every parameter against ``_parameter_constraints``, then ``_check_params``."""
        self._validate_params()
        self._check_params()

    def _check_params(self) -> None:
        """Further checks of the parameters (none by default)."""

    def fit(self, images, masks, *, rois=None, val=None):
        """Learn on the training part; tune on the validation part.

        Parameters
        ----------
        images : sequence of (M, N) ndarray of float
            Training images (sizes may differ).
        masks : sequence of (M, N) ndarray of bool
            Their reference masks.
        rois : sequence of tuple or None, optional
            ROI rectangles (required when ``needs_roi``).
        val : tuple, optional
            The validation part, ``(images, masks)`` or ``(images, masks, rois)``: the cases
            tuning candidates are scored on. Without it, or with no case in it, they are
            scored on the training part itself (in-sample).

        Returns
        -------
        self
        """
        train, held = check_fit_inputs(images, masks, rois, val, needs_roi=self.needs_roi,
                                       owner=type(self).__name__)
        self._validate()
        start = time.perf_counter()
        self.best_params_, self.tuning_results_, model = self._tune(train, held)
        self.tuned_params_ = {k: self.best_params_[k] for k in self._grid()}
        self.model_ = model if model is not None else self._learn(
            train.images, train.masks, train.rois, self.best_params_)
        self.n_fit_ = len(train)
        self.n_tuning_ = len(held) if held is not None else 0
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

    def _tune(self, train: Part, held: Part | None) -> tuple[dict, list, object]:
        """The parameters, the tuning results and the model learned with them (None: none).

        Nothing to tune here; :class:`TunedSegmenter` searches its grid.
        """
        return self.get_params(), [], None

    def _learn(self, images, masks, rois, params):
        """Learn a model for one parameter combination (nothing for rule-based methods)."""
        return None

    def _segment(self, image, roi, params, model):  # pragma: no cover - abstract
        raise NotImplementedError


class TunedSegmenter(Segmenter):
    """A segmenter whose ``tuning_grid`` parameters are tuned by Dice on the validation part.

    Subclasses have the parameters ``tune`` (False: no search), ``max_tuning_cases`` (the
    cases the candidates are scored on: a seeded random subset of the validation part) and
    ``random_state``. A learning method (``learns``) learns each candidate on the training
    part; the best candidate's model is the fitted model. Subclasses' ``__init__`` pass
    these three on to ``TunedSegmenter.__init__``.
    """

    def __init__(self, *, tune=True, max_tuning_cases=40, random_state=0):
        self.tune = tune
        self.max_tuning_cases = max_tuning_cases
        self.random_state = random_state

    def _grid(self) -> dict:
        """The tuning grid, or an empty one when ``tune=False``."""
        return dict(self.tuning_grid) if self.tune else {}

    def _tune(self, train: Part, held: Part | None) -> tuple[dict, list, object]:
        base = self.get_params()
        grid = [base | combo for combo in ParameterGrid(self._grid())]
        if len(grid) < 2:  # one candidate: nothing to tune
            return base, [], None
        scored = held if held is not None and len(held) else train
        pick = np.arange(len(scored))
        limit = self.max_tuning_cases
        if limit is not None and len(pick) > limit:
            rng = np.random.default_rng(self.random_state)
            pick = np.sort(rng.choice(pick, limit, replace=False))
        means, best, best_model = [np.nan] * len(grid), None, None
        for group in self._candidate_groups(grid):
            models = [self._learn(train.images, train.masks, train.rois, grid[k])
                      for k in group]
            scores = np.full((len(group), len(pick)), np.nan)
            for j, i in enumerate(pick):
                masks = self._segment_candidates(scored.images[i], scored.rois[i],
                                                 [grid[k] for k in group], models)
                scores[:, j] = [dice_score(scored.masks[i], m) for m in masks]
            for row, (k, model) in enumerate(zip(group, models, strict=True)):
                finite = np.isfinite(scores[row])
                means[k] = float(np.mean(scores[row][finite])) if finite.any() else np.nan
                if best is None or _better(means[k], k, means[best], best):
                    best, best_model = k, model
        results = [{"params": {key: params[key] for key in self._grid()}, "mean_dice": mean}
                   for params, mean in zip(grid, means, strict=True)]
        return dict(grid[best]), results, best_model

    def _candidate_groups(self, grid: list[dict]) -> list[list[int]]:
        """Indices of the grid's candidates, in groups segmented together (one each here).

        A method whose candidates share work (an evolution that passes through every
        iteration count of the grid, say) groups them and segments a group at once in
        :meth:`_segment_candidates`.
        """
        return [[k] for k in range(len(grid))]

    def _segment_candidates(self, image, roi, candidates: list[dict], models: list) -> list:
        """The mask of each candidate of one group on one image (each on its own here)."""
        return [self._segment(image, roi, params, model)
                for params, model in zip(candidates, models, strict=True)]


def _better(mean: float, k: int, best_mean: float, best: int) -> bool:
    """Whether candidate ``k`` beats the best so far: a higher mean, or the first finite one.

    Ties keep the candidate that comes first in the grid, whatever order the groups ran in.
    """
    if not np.isfinite(mean):
        return False
    if not np.isfinite(best_mean):
        return True
    return mean > best_mean or (mean == best_mean and k < best)
