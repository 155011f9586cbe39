"""Run profiles: how much data, how many folds and how much training a run spends.

``standard`` (the default on a CPU) is the benchmark: the default phantom or the given data,
five folds, classical methods tuned on their validation part, deep models trained to early
stopping or their epoch cap; it is sized so that ``run --all`` (one worker per core) takes
under 20 minutes on a 2-core CPU: classical tuning scores every validation case per candidate;
automatic deep models predict on an 80 px grid and train on 48 px windows of it for at most 30
epochs, ROI-track models at 32 px for at most 20, batches of 8, the 4-level U-Nets at half
width.
``full`` is the one for a GPU: 128 px, full-width U-Nets, up to 200 epochs, three training
seeds, mixed precision; ``run`` takes it by default when the Keras backend sees a GPU.
``quick`` checks the whole pipeline end to end in under two minutes: a small phantom (or the
given data), two folds, a short training of narrow models at a small input size (a folder of
about 10 MB). All three are fixed here so
that two runs of one profile are comparable and a run folder records which one made it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from benchmark.ground.errors import ParameterError


@dataclass(frozen=True)
class Profile:
    """The settings one profile fixes.

    Parameters
    ----------
    name : str
    n_folds : int
        Folds when ``--folds`` is not given.
    phantom_cases, phantom_size : int
        The phantom made when ``--data phantom``.
    classical : dict
        Parameters given to every classical segmenter that has them (e.g. how many training
        cases its tuning looks at).
    deep : dict
        Parameters of :class:`deep.training.DeepSegmenter` (input size, epochs, patience, ...).
    deep_per_model : dict
        Model name -> extra ``DeepSegmenter`` parameters for that model only (e.g. the
        ``model_kwargs`` of its builder).
    tune_forest : bool
        Whether the diagnosis stage tunes the random forest (the SVM is always tuned).
    seeds : int
        Training seeds of every deep cell when ``--seeds`` is not given.
    smoke_test : bool
        The profile checks that the pipeline runs end to end; its scores do not rank the
        methods (the report says so and claims no finding).
    for_accelerator : bool
        Sized for a GPU: ``run`` takes it by default when the Keras backend sees one, with one
        worker (the deep models share the accelerator).
    first_cell_s : dict
        Family -> seconds a cell of that family is expected to take before one has finished
        (the progress' first estimate of the time left).
    """

    name: str
    n_folds: int
    phantom_cases: int
    phantom_size: int
    classical: dict = field(default_factory=dict)
    deep: dict = field(default_factory=dict)
    deep_per_model: dict = field(default_factory=dict)
    tune_forest: bool = False
    seeds: int = 1
    smoke_test: bool = False
    for_accelerator: bool = False
    first_cell_s: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The profile as plain JSON-ready data (recorded in ``run.json``)."""
        return asdict(self)


PROFILES = {
    "quick": Profile(
        name="quick", n_folds=2, phantom_cases=40, phantom_size=64,
        classical={"max_tuning_cases": 8},
        # three epochs say nothing of a collapse: no restarts (they would triple the time)
        deep={"input_size": 32, "epochs": 3, "patience": 3, "min_epochs": 0,
              "batch_size": 8, "run_eagerly": True, "max_restarts": 0},
        # a smoke test, not a score: the 4-level U-Nets (and their ROI-track forms) at a
        # quarter of their default widths keep a run folder small (each saved model about
        # 0.5 MB instead of 8 MB at full width)
        deep_per_model={name: {"model_kwargs": {"widths": (4, 8, 16, 32), "bridge": 64}}
                        for name in ("unet", "attention_unet")},
        smoke_test=True, first_cell_s={"deep": 15.0},
    ),
    "standard": Profile(
        name="standard", n_folds=5, phantom_cases=180, phantom_size=128,
        # the classical methods score their candidates on the whole validation part, as the
        # deep models stop on it (the snakes evolve once per group of iteration counts)
        classical={"max_tuning_cases": None, "pixels_per_image": 200},
        # early stopping watches the validation loss from epoch 8 with patience 5, the
        # learning rate halves after 3 epochs without a lower loss; a model whose
        # validation soft and thresholded Dice are both near 0 from epoch 8 on is restarted
        # (the thresholded Dice alone had stopped CAE folds that sat at Dice 0 for their
        # first ten epochs; the soft Dice alone stopped, on the course's small lesions, U-Nets
        # at validation Dice 0.1-0.3 whose soft Dice stayed under 0.05: folds 1 and 3 of the
        # development half, all four automatic models, twice restarted and cut at epoch 8)
        # batches of 8 at twice the default learning rate: twice the optimizer steps per
        # epoch for the same compute; on fold 0 the half-width unet scored Dice 0.937 after
        # 20 epochs (0.886 with batches of 16 at 1e-3; 0.951 trained for 150 epochs)
        # The automatic models predict on an 80 px grid and train on 48 px windows of it, a
        # third placed on the lesion (patch-based training, as nnU-Net): on the course's
        # development half their resolution ceiling is 0.984 at 80 px (0.936 at 48, 0.967 at
        # 64, 0.979 at 72, which a 4-level U-Net cannot take), while a training step costs
        # what it cost at 48 px. Fold 0 of the development half, half-width unet, one seed:
        # at 48 px on the whole grid, Dice 0.256 after 20 epochs (0.236 at its plateau, epoch
        # 37); on 48 px windows of the 80 px grid 0.09 after 20 epochs, 0.316 after 60 (the
        # validation Dice 0.19 at epoch 20, 0.35 at 30, 0.50 at 60: a finer grid needs more
        # epochs), so the automatic models get 30 epochs, what the 20-minute budget holds.
        # The ROI-track models stay at 32 px (ceiling 0.998, the crop being sized from the
        # box) on the whole crop, 20 epochs. The 4-level U-Nets at half width everywhere.
        deep={"input_size": 80, "patch_size": 48, "epochs": 30, "patience": 5, "min_epochs": 8,
              "lr_patience": 3, "batch_size": 8, "learning_rate": 2e-3},
        deep_per_model={
            **{name: {"model_kwargs": {"widths": (8, 16, 32, 64), "bridge": 128}}
               for name in ("unet", "attention_unet")},
            **{name: {"input_size": 32, "patch_size": None, "epochs": 20}
               for name in ("unet_roi", "attention_unet_roi")}},
        first_cell_s={"deep": 60.0},
    ),
    # the settings of the course notebook's long training, for an accelerator: 128 px,
    # the U-Nets at full width, up to 200 epochs (early stopping on the plateau), three
    # training seeds, mixed precision where a GPU is present
    "full": Profile(
        name="full", n_folds=5, phantom_cases=180, phantom_size=128,
        classical={},  # the library defaults: tuning scores every validation case
        deep={"input_size": 128, "epochs": 200, "patience": 20, "min_epochs": 20,
              "batch_size": 16, "mixed_precision": True},
        deep_per_model={name: {"input_size": 64} for name in ("unet_roi",
                                                              "attention_unet_roi")},
        tune_forest=True, seeds=3, for_accelerator=True, first_cell_s={"deep": 600.0},
    ),
}


#: The profile ``run`` takes on a CPU, and the one it takes when the backend sees a GPU.
DEFAULT_PROFILE = "standard"
ACCELERATOR_PROFILE = next(p.name for p in PROFILES.values() if p.for_accelerator)


def check_seeds(seeds) -> None:
    """Raise :class:`ParameterError` unless ``seeds`` is an int >= 1."""
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
        raise ParameterError("seeds", "run_benchmark", "an int >= 1", seeds)


def get_profile(name: str) -> Profile:
    """The profile called ``name``.

    Raises
    ------
    ParameterError
        For a name not in :data:`PROFILES`.
    """
    if name not in PROFILES:
        raise ParameterError("profile", "get_profile", f"one of {', '.join(PROFILES)}", name)
    return PROFILES[name]
