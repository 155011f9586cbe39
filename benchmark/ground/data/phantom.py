"""A synthetic mammogram-crop generator with exact masks: the built-in dataset.

Each crop holds one mass on a structured background:

- background: power-law noise with a 1/f^beta power spectrum, beta about 3 (Burgess et al.
  2001; real mammograms measure 1.5-3.5), thin bright curvilinear fibres, and in some crops
  a dark region beyond a skin line at one side;
- benign masses: round or oval, barely perturbed, with a sharp margin (a quarter of them
  lobulated);
- malignant masses: irregular, ``r(theta) = R exp(sum_n a_n cos n theta + b_n sin n theta)``
  with ``a_n, b_n ~ N(0, C n^-nu)`` (after de Sisternes et al., Med Phys 42 (2015) 3098),
  an ill-defined blurred margin and spicules radiating beyond the body (not in the mask); a
  fifth of them nearly circumscribed with few spicules, so the classes overlap;
- a detector PSF (Gaussian blur) and quantum-like noise (variance proportional to signal);
- patients with one or two views of the same lesion (rotated, rescaled, on another
  background), about 40 % malignant.

The mask is the exact mass body (pixel centres inside ``r(theta)``) before blur and noise.
Images are normalised by their maximum and quantised to 8 bits, as the course's
``<case>_resized.pgm`` files are, so a dataset generated in memory equals the same dataset
written with :func:`write_course_folder` and read back.

References
----------
.. [1] A. E. Burgess, F. L. Jacobson, P. F. Judy, "Human observer detection experiments with
   mammograms and power-law noise", Med. Phys. 28 (2001) 419, doi:10.1118/1.1355308.
.. [2] L. de Sisternes et al., "A computational model to generate simulated three-dimensional
   breast masses", Med. Phys. 42 (2015) 1098, doi:10.1118/1.4905232.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from scipy import special

from benchmark.ground.data.course import course_paths
from benchmark.ground.data.imageio import write_pgm
from benchmark.ground.data.records import Case, Dataset
from benchmark.ground.errors import ParameterError
from benchmark.ground.store import read_json, write_json

#: Bumped whenever the generator's output changes for a given seed.
PHANTOM_VERSION = "2.0"
#: How a dataset names this generator (``Dataset.generator``, recorded by every run).
GENERATOR = f"massbench phantom {PHANTOM_VERSION}"
#: The file beside a written phantom's images that records how it was made.
PHANTOM_FILE = "phantom.json"
DEFAULT_CASES = 180
DEFAULT_SEED = 0
DEFAULT_SIZE = 128
MALIGNANT_FRACTION = 0.4
TWO_VIEW_FRACTION = 0.5
_N_HARMONICS = 24
#: Range of the background's power-law exponent, and of the detector PSF's sigma (px at 128).
BACKGROUND_BETA = (1.9, 2.6)
PSF_SIGMA = (0.5, 0.8)
#: Distance between the classes' mean latent aggressiveness (in units of its spread).
CLASS_SHIFT = 2.4
#: How much of each property comes from the lesion's aggressiveness (0: none, 1: all).
PROPERTY_WEIGHTS = {"irregularity": 0.5, "spicules": 0.5, "blur": 0.5, "elongation": 0.3,
                    "size": 0.3, "density": 0.45}


@dataclass(frozen=True)
class LesionParams:
    """The lesion of one patient, shared by its views (lengths in units of the crop size)."""

    malignant: bool
    radius: float
    aspect: float
    orientation: float
    a: np.ndarray
    b: np.ndarray
    contrast: float
    margin_blur: float
    spicule_angles: np.ndarray
    spicule_lengths: np.ndarray


def _power_law_field(rng: np.random.Generator, size: int, beta: float) -> np.ndarray:
    """Zero-mean, unit-variance Gaussian noise with power spectrum 1/f^beta."""
    n = 2 * size  # generate on a larger grid and crop, so the field is not periodic
    fy = np.fft.fftfreq(n)[:, None]
    fx = np.fft.rfftfreq(n)[None, :]
    f = np.hypot(fy, fx)
    f[0, 0] = np.inf
    amplitude = f ** (-beta / 2)
    spectrum = (rng.standard_normal(amplitude.shape) + 1j * rng.standard_normal(amplitude.shape))
    field = np.fft.irfft2(spectrum * amplitude, s=(n, n))[:size, :size]
    field -= field.mean()
    return field / field.std()


def _splat_path(shape, points: np.ndarray, weights: np.ndarray, sigma: float) -> np.ndarray:
    """Deposit weighted points bilinearly on a grid and blur them into a line of width sigma."""
    out = np.zeros(shape)
    r, c = points[:, 0], points[:, 1]
    r0, c0 = np.floor(r).astype(int), np.floor(c).astype(int)
    fr, fc = r - r0, c - c0
    for dr, dc, w in ((0, 0, (1 - fr) * (1 - fc)), (1, 0, fr * (1 - fc)),
                      (0, 1, (1 - fr) * fc), (1, 1, fr * fc)):
        rr, cc = r0 + dr, c0 + dc
        ok = (rr >= 0) & (rr < shape[0]) & (cc >= 0) & (cc < shape[1])
        np.add.at(out, (rr[ok], cc[ok]), (w * weights)[ok])
    # a line of unit linear density blurred by sigma has peak 1 / (sqrt(2 pi) sigma)
    return ndi.gaussian_filter(out, sigma) * (np.sqrt(2 * np.pi) * sigma)


def _fibres(rng: np.random.Generator, size: int) -> np.ndarray:
    """Thin bright curvilinear structures (ducts, vessels, ligaments), roughly aligned."""
    layer = np.zeros((size, size))
    main_direction = rng.uniform(0, np.pi)
    for _ in range(rng.poisson(14)):
        length = rng.uniform(0.3, 1.2) * size
        steps = int(length / 0.5)
        turn = np.cumsum(rng.normal(0, 0.04, steps))
        angle = main_direction + rng.normal(0, 0.35) + turn
        start = rng.uniform(-0.1, 1.1, 2) * size
        path = start + np.cumsum(0.5 * np.stack([np.sin(angle), np.cos(angle)], 1), axis=0)
        sigma = rng.uniform(0.5, 1.1) * size / 128
        layer += rng.uniform(0.03, 0.10) * _splat_path(layer.shape, path,
                                                       np.full(steps, 0.5), sigma)
    return layer


def _skin_region(rng: np.random.Generator, size: int) -> np.ndarray:
    """Weight in [0, 1]: 1 inside the breast, falling to 0 beyond a skin line at one side."""
    rows, cols = np.mgrid[0:size, 0:size] / size
    side = rng.integers(4)
    coord = (cols, 1 - cols, rows, 1 - rows)[side]
    other = (rows, rows, cols, cols)[side]
    edge = rng.uniform(0.80, 0.95) + rng.uniform(-0.08, 0.08) * (other - 0.5) ** 2 * 4
    return 1 / (1 + np.exp((coord - edge) * size / 0.8))


def _quantile(rng: np.random.Generator, aggressiveness: float, weight: float) -> float:
    """A property's own draw in (0, 1): its share ``weight`` of the lesion's aggressiveness.

    ``z = weight * aggressiveness + sqrt(1 - weight^2) * N(0, 1)``, standardised by its
    marginal spread over both classes and mapped through the normal CDF, so that over the
    whole phantom every property's quantile is about uniform and the classes overlap in it.
    """
    z = weight * aggressiveness + np.sqrt(1 - weight**2) * rng.standard_normal()
    spread = np.sqrt(weight**2 * (1 + CLASS_SHIFT**2 / 4) + 1 - weight**2)
    return float(special.ndtr(z / spread))


def _lesion(rng: np.random.Generator, malignant: bool) -> LesionParams:
    """Draw one lesion's shape, margin, spicules, size and contrast.

    Every class-dependent property comes from one latent *aggressiveness*, drawn from
    ``N(+-CLASS_SHIFT / 2, 1)`` (malignant +, benign -), plus noise of its own
    (:func:`_quantile`; the weights are in :data:`PROPERTY_WEIGHTS`): the classes overlap
    in each property, as clinical masses do (some benign masses are irregular or
    ill-defined, many malignant ones round and circumscribed), and properties go together
    as they do in clinical masses (an irregular mass tends to be ill-defined too).
    """
    aggressiveness = rng.normal(CLASS_SHIFT / 2 * (1 if malignant else -1), 1.0)
    q = {name: _quantile(rng, aggressiveness, weight)
         for name, weight in PROPERTY_WEIGHTS.items()}
    n = np.arange(1, _N_HARMONICS + 1)
    # shape irregularity C, log-uniform over 0.001-0.1 in quantile, and its spectrum: the
    # more irregular, the flatter (more small-scale lobulation)
    c = 10 ** (-3 + 1.8 * q["irregularity"])
    nu = 3.4 - 1.2 * q["irregularity"] + rng.normal(0, 0.15)
    std = np.sqrt(c * n ** (-nu))
    std[0] = 0.0  # n = 1 only shifts the shape; the centre stays where it is drawn
    # spicules: none below a quantile of 0.55, then up to 14
    n_spicules = int(np.floor(max(0.0, q["spicules"] - 0.55) / 0.45 * 15))
    return LesionParams(
        malignant=malignant,
        radius=0.10 + 0.12 * q["size"],
        aspect=1.0 - 0.4 * q["elongation"],
        orientation=rng.uniform(0, np.pi),
        a=rng.normal(0, 1, n.size) * std,
        b=rng.normal(0, 1, n.size) * std,
        contrast=0.30 + 0.20 * q["density"],
        margin_blur=0.4 + 2.4 * q["blur"],
        spicule_angles=rng.uniform(0, 2 * np.pi, n_spicules),
        spicule_lengths=rng.uniform(0.4, 1.3, n_spicules),
    )


def _boundary_radius(lesion: LesionParams, theta: np.ndarray, rotation: float,
                     scale: float, size: int) -> np.ndarray:
    """The lesion's radius r(theta) in pixels for a view rotated and scaled as given."""
    t = theta - rotation
    n = np.arange(1, _N_HARMONICS + 1)
    phase = t[..., None] * n
    log_r = (np.cos(phase) @ lesion.a) + (np.sin(phase) @ lesion.b)
    # an ellipse of axes (1, aspect) at the lesion's orientation, then the perturbation
    u = t - lesion.orientation
    ellipse = lesion.aspect / np.sqrt((lesion.aspect * np.cos(u)) ** 2 + np.sin(u) ** 2)
    return lesion.radius * size * scale * ellipse * np.exp(log_r)


def _spicules(rng: np.random.Generator, lesion: LesionParams, centre: np.ndarray,
               rotation: float, scale: float, size: int) -> np.ndarray:
    """Spicules: thin lines leaving the margin, tapering, gently curved, partly faded.

    Each starts just inside the body's outline, runs outwards with a slowly drifting
    direction, thins to nothing, fades in and out along its length and is blurred by its
    own width; none is part of the mask.
    """
    shape = (size, size)
    layer = np.zeros(shape)
    n_points = 80
    for angle, length in zip(lesion.spicule_angles + rotation, lesion.spicule_lengths,
                             strict=True):
        r0 = _boundary_radius(lesion, np.array([angle]), rotation, scale, size)[0]
        t = np.linspace(0.85 * r0, r0 + length * lesion.radius * size * scale * 1.4, n_points)
        drift = angle + np.cumsum(rng.normal(0, 0.012, n_points))
        points = np.stack([centre[0] + t * np.sin(drift), centre[1] + t * np.cos(drift)], 1)
        fade = ndi.gaussian_filter1d(rng.random(n_points), 8)
        fade = 0.35 + 0.65 * (fade - fade.min()) / max(np.ptp(fade), 1e-9)
        weights = np.linspace(1.0, 0.0, n_points) ** 1.3 * fade * (t[1] - t[0])
        width = rng.uniform(0.45, 1.1) * size / 128
        layer += rng.uniform(0.5, 0.8) * _splat_path(shape, points, weights, width)
    return layer


def _render_view(rng: np.random.Generator, lesion: LesionParams, size: int,
                 difficulty: float, rotation: float, scale: float):
    """Render one crop and its exact mask."""
    shape = (size, size)
    beta = rng.uniform(*BACKGROUND_BETA)
    tissue = 0.38 + 0.09 * _power_law_field(rng, size, beta)
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    tissue += rng.uniform(-0.08, 0.08) * ((rows - size / 2) / size)  # slow density gradient
    tissue += _fibres(rng, size)

    centre = size / 2 + rng.normal(0, 0.05 * size, 2)
    dy, dx = rows - centre[0], cols - centre[1]
    dist, theta = np.hypot(dy, dx), np.arctan2(dy, dx)
    r_theta = _boundary_radius(lesion, theta, rotation, scale, size)
    mask = dist < r_theta

    rho = np.clip(dist / r_theta, 0, 1)
    texture = 1 + 0.12 * _power_law_field(rng, size, 2.5)
    body = np.where(mask, (0.55 + 0.45 * np.sqrt(1 - rho**2)) * texture, 0.0)
    contrast = lesion.contrast * (1.5 - difficulty) * rng.uniform(0.9, 1.1)
    mass = ndi.gaussian_filter(body, lesion.margin_blur * size / 128) * contrast

    if lesion.spicule_angles.size:
        mass += _spicules(rng, lesion, centre, rotation, scale, size) * contrast
    image = tissue + mass
    if rng.random() < 0.35:
        skin = _skin_region(rng, size)
        keep = ndi.binary_dilation(mask, iterations=max(2, size // 20))
        if not np.any(keep & (skin < 0.5)):  # never cut the lesion with the skin line
            image = image * skin + 0.02 * (1 - skin)
    image = ndi.gaussian_filter(image, rng.uniform(*PSF_SIGMA) * size / 128)  # detector PSF
    image = np.clip(image, 0.005, None)
    noise_scale = rng.uniform(0.008, 0.02) * (0.5 + difficulty)
    image = image + rng.standard_normal(shape) * noise_scale * np.sqrt(image)
    image = np.clip(image, 0, None)
    image = np.round(image / image.max() * 255).astype(np.uint8)
    return image, mask


def _case_id(patient: int, view: int, malignant: bool) -> str:
    """Course-style id: four-digit patient, view number, class digit (1 malignant, 2 benign)."""
    return f"{patient:04d}p1_{view}_{1 if malignant else 2}"


@dataclass(frozen=True)
class PhantomConfig:
    """What determines a phantom dataset; stored beside the written files."""

    n_cases: int = DEFAULT_CASES
    seed: int = DEFAULT_SEED
    size: int = DEFAULT_SIZE
    difficulty: float = 0.5
    version: str = PHANTOM_VERSION


def check_phantom_settings(n_cases, seed, size, difficulty) -> None:
    """Raise :class:`ParameterError` for settings :func:`make_phantom` cannot use."""
    for name, value, low in (("n_cases", n_cases, 1), ("seed", seed, 0), ("size", size, 32)):
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
            raise ParameterError(name, "make_phantom", f"an int >= {low}", value)
    if not isinstance(difficulty, int | float) or not 0 <= difficulty <= 1:
        raise ParameterError("difficulty", "make_phantom", "a number in [0, 1]", difficulty)


def make_phantom(n_cases: int = DEFAULT_CASES, *, seed: int = DEFAULT_SEED,
                 size: int = DEFAULT_SIZE, difficulty: float = 0.5) -> Dataset:
    """Generate the synthetic dataset in memory.

    Parameters
    ----------
    n_cases : int, default 180
        Number of crops (views); patients have one or two views each.
    seed : int, default 0
        Seed; the same seed gives the same pixels, masks, ids and labels.
    size : int, default 128
        Side of the square crops in pixels (lengths scale with it).
    difficulty : float in [0, 1], default 0.5
        Scales mass contrast down and noise up.

    Returns
    -------
    Dataset
        Named ``phantom``, reference masks ``exact``.

    Examples
    --------
    >>> ds = make_phantom(4, seed=1, size=64)
    >>> len(ds), ds[0].image.shape
    (4, (64, 64))
    """
    check_phantom_settings(n_cases, seed, size, difficulty)
    config = PhantomConfig(int(n_cases), int(seed), int(size), float(difficulty))
    cases: list[Case] = []
    patient = 0
    while len(cases) < n_cases:
        patient += 1
        rng = np.random.default_rng([seed, patient])
        malignant = bool(rng.random() < MALIGNANT_FRACTION)
        n_views = min(2 if rng.random() < TWO_VIEW_FRACTION else 1, n_cases - len(cases))
        lesion = _lesion(rng, malignant)
        for view in range(1, n_views + 1):
            view_rng = np.random.default_rng([seed, patient, view])
            rotation = 0.0 if view == 1 else view_rng.uniform(-0.6, 0.6)
            scale = 1.0 if view == 1 else view_rng.uniform(0.88, 1.12)
            pixels, mask = _render_view(view_rng, lesion, size, difficulty, rotation, scale)
            cases.append(Case(
                id=_case_id(patient, view, malignant),
                image=(pixels.astype(np.float64) / 255).astype(np.float32),
                mask=mask,
                label=int(malignant),
                patient=f"{patient:04d}",
                source=f"phantom:{PHANTOM_VERSION}",
            ))
    return Dataset(name="phantom", cases=tuple(cases),
                   source=f"phantom v{PHANTOM_VERSION} " + json.dumps(asdict(config)),
                   reference="exact", generator=GENERATOR)


def write_course_folder(dataset: Dataset, out: str | os.PathLike,
                        config: PhantomConfig | None = None) -> list[Path]:
    """Write a dataset in the course format: ``<case>_resized.pgm``, ``<case>_mass_mask.pgm``.

    Parameters
    ----------
    dataset : Dataset
        Images must hold 8-bit grey levels (k / 255), as phantom images do.
    out : str or path-like
        Folder; created if needed. Every file is written atomically.
    config : PhantomConfig, optional
        Written to ``phantom.json`` beside the images (version, seed, size, ...).

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for case in dataset:
        pixels = np.round(case.image.astype(np.float64) * 255).astype(np.uint8)
        image_path, mask_path = course_paths(out, case.id)
        for path, array in ((image_path, pixels), (mask_path, case.mask.astype(np.uint8) * 255)):
            write_pgm(path, array)
            written.append(path)
    if config is not None:
        meta = asdict(config) | {"generator": "massbench phantom",
                                 "labels": "last digit of the id: 1 malignant, 2 benign",
                                 "patient": "first four characters of the id"}
        path = out / PHANTOM_FILE
        write_json(path, meta, indent=2)
        written.append(path)
    return written


def read_phantom_record(folder: str | os.PathLike) -> dict | None:
    """The settings recorded in a folder's ``phantom.json``, or None if it has none.

    An unreadable record counts as none: the folder is then not a phantom this package
    wrote.
    """
    path = Path(folder) / PHANTOM_FILE
    if not path.is_file():
        return None
    try:
        record = read_json(path)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None
