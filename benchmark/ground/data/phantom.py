"""A synthetic mammogram-crop generator with exact masks: the built-in dataset (phantom 3.0).

Phantom 3.0 is calibrated on the development half of the course's large sample of real mass
crops (95 crops of 125 px, ``../shared/data/course_large_sample``), measured with the same
estimators on both sides (:mod:`benchmark.ground.data.appearance`; the real numbers quoted
below are that half's median and 5-95 % range). Lengths are fractions of the crop's side, so
they scale with ``size`` (default 128 px, the real crops' 125 rounded to a power of two).
Each crop holds one mass in a breast seen as the course's crops show it:

- **lesion size**: equivalent diameter log-normal, median 0.121 of the side, log-SD 0.55,
  capped at 0.34, never under 5 px (real: 14.6 px of 125, 5.7-36.5 px, the smallest 4.7);
- **lesion position**: three crops in five centred on the lesion (offset Rayleigh, SD 0.016 of
  the side), the others off-centre, uniform in 0.04-0.34 (real offset: median 0.031, p95
  0.295, 45 % beyond 0.04), always whole in the crop and inside the breast;
- **breast edge** (88 % of the crops): the skin line is an arc (radius 1-4 sides) at a drawn
  distance and direction, moved out where the lesion would cross it; the compressed
  thickness falls to zero over 0.08-0.3 sides inside it, air beyond it (real: 85 % of the
  crops show air, a median 21 % of the crop);
- **fibroglandular tissue**: smooth dense patches (a softly thresholded 1/f^4 field pulled
  towards the breast's interior) over 0-75 % of the crop, 0.1-1.3 fat levels brighter than
  fat, so in part of the crops the lesion is not the brightest structure (real: share of the
  background darker than the lesion's median 0.93, p5 0.62); on it power-law texture with
  spectrum 1/f^beta, beta 1.8-2.6, stronger in dense tissue (the crop's fitted beta is then
  about 3.3; real 3.1, 2.6-3.8; Burgess et al. [1]_: real mammograms 1.5-3.5), and short
  thin bright curvilinear fibres;
- **other bright structures**, none on the lesion: satellite blobs (Poisson, mean 1.5, SD
  1-4 px at 128, 0.5-2 times the lesion's contrast), calcification-like specks (three crops in
  ten), a pectoral-like bright region beyond a line on the side away from the skin (one in
  eight), a bright film-edge or label band along a border (one in eight, brighter than
  anything else), so the lesion holds the crop's brightest pixels in only part of the crops;
- **benign masses**: round or oval, barely perturbed, with a sharp margin;
- **malignant masses**: irregular, ``r(theta) = R exp(sum_n a_n cos n theta + b_n sin n
  theta)`` with ``a_n, b_n ~ N(0, C n^-nu)`` (after de Sisternes et al. [2]_), an ill-defined
  margin (Gaussian blur up to a quarter of the radius) and spicules radiating beyond the body
  (not in the mask);
- **contrast**: the mass adds 0.5 fat levels at the median size and contrast, growing as the
  diameter^0.6 (a bigger mass is thicker along the beam; real small lesions are the faintest),
  with a class-dependent factor and a log-normal spread (log-SD 0.2); one latitude factor per
  crop (log-SD 0.4) scales every structure's contrast against fat together, as the real
  crops' lesion contrast and texture rise together; so the local contrast over the image
  maximum is about 0.15 (real 0.04-0.34) and the CNR against the surrounding ring about 2
  (real 0.6-4.7);
- a detector PSF (Gaussian blur, 0.5-0.9 px at 128) and quantum-like noise (variance
  proportional to the signal);
- **exposure**: no scaling to the maximum: the crop's maximum is drawn, a third of the crops
  saturated (peak 1-1.25 times full scale, clipped) and the others a clipped normal around
  0.6 of full scale (real: median 186 of 255, 32 % at 255), then quantised to 8 bits.

The ``difficulty`` (default 0.5) multiplies the mass's contrast by ``1.5 - difficulty`` and the
noise by ``0.5 + difficulty``. The classes overlap as clinical ones do: every class-dependent
property (irregularity, spicules, margin blur, elongation, size, contrast) is drawn from
overlapping distributions through one latent aggressiveness (:func:`_lesion`), so
reference-mask features separate benign from malignant at ROC AUC about 0.72-0.85 (the
course's real table: about 0.75-0.8), never one property alone. Patients have one or two
views of the same lesion (rotated, rescaled, on another background and place), about 40 %
malignant like the course's 73 of 177.

The mask is the exact mass body before blur and noise: the pixel centres inside ``r(theta)``
(their 4-connected piece at the centre), the very pixels the mass's signal is drawn on. It is
one piece, never the fragments of the course's semi-automatic references (43 % of the real
masks have more than one 4-connected component, pieces touching at corners: an artefact of
their outlining algorithm, which the phantom does not copy, since it would favour the
methods that share it). Images hold 8-bit levels (k / 255), as the course's
``<case>_resized.pgm`` files do, so a dataset generated in memory equals the same dataset
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

from benchmark.ground.data import _tissue
from benchmark.ground.data._tissue import power_law_field as _power_law_field
from benchmark.ground.data.course import course_paths
from benchmark.ground.data.imageio import write_pgm
from benchmark.ground.data.records import Case, Dataset
from benchmark.ground.errors import ParameterError
from benchmark.ground.store import read_json, write_json

#: Bumped whenever the generator's output changes for a given seed.
PHANTOM_VERSION = "3.0"
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
#: Equivalent diameter of the lesion body (fraction of the side): log-normal median, log-SD,
#: cap; and the least diameter in pixels whatever the size.
LESION_DIAMETER = (0.121, 0.55, 0.34)
MIN_DIAMETER_PX = 5.0
#: Share of the crops that show the breast's edge (the skin line).
EDGE_SHARE = 0.88
#: Lesion position: share centred, the centred offsets' Rayleigh SD, the others' range.
CENTRED_SHARE, CENTRED_SD, OFF_CENTRE = 0.6, 0.016, (0.04, 0.34)
#: The mass's added signal over the fat level: log-normal median and log-SD.
LESION_CONTRAST = (0.50, 0.2)
#: Exponent of the contrast's growth with the diameter (a mass's projected thickness).
SIZE_CONTRAST = 0.6
#: Log-SD of the crop's latitude, the factor on the contrast of all its structures.
LATITUDE_SD = 0.4
#: Range of the background's power-law exponent, and of the detector PSF's sigma (px at 128).
BACKGROUND_BETA = (1.8, 2.6)
PSF_SIGMA = (0.5, 0.9)
#: Quantum-like noise SD at the fat level (before the exposure), at difficulty 0.5.
NOISE_SD = (0.007, 0.02)
#: Share of saturated crops; the others' maximum: mean and SD of a normal clipped to
#: 0.18-0.98 (of full scale).
SATURATED_SHARE, EXPOSURE = 0.32, (0.60, 0.18)
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
    as they do in clinical masses (an irregular mass tends to be ill-defined too). Size and
    contrast map their quantiles through log-normal laws (:data:`LESION_DIAMETER`,
    :data:`LESION_CONTRAST`), so over both classes they follow the real crops' spread.
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
    aspect = 1.0 - 0.4 * q["elongation"]
    median, log_sd, cap = LESION_DIAMETER
    diameter = min(median * np.exp(log_sd * special.ndtri(q["size"])), cap)
    contrast_median, contrast_sd = LESION_CONTRAST
    return LesionParams(
        malignant=malignant,
        radius=diameter / 2 / np.sqrt(aspect),  # the ellipse's area is the disk's
        aspect=aspect,
        orientation=rng.uniform(0, np.pi),
        a=rng.normal(0, 1, n.size) * std,
        b=rng.normal(0, 1, n.size) * std,
        contrast=contrast_median * (0.7 + 0.6 * q["density"]) * (diameter / median) ** SIZE_CONTRAST
        * np.exp(contrast_sd * rng.standard_normal()),
        margin_blur=0.04 + 0.22 * q["blur"],
        spicule_angles=rng.uniform(0, 2 * np.pi, n_spicules),
        spicule_lengths=rng.uniform(0.4, 1.3, n_spicules),
    )


def _boundary_radius(lesion: LesionParams, theta: np.ndarray, rotation: float,
                     radius_px: float) -> np.ndarray:
    """The lesion's radius r(theta) in pixels for a view rotated as given."""
    t = theta - rotation
    # sum_n a_n cos(n t) + b_n sin(n t), with exp(i n t) by repeated products (exact, fast)
    z = np.exp(1j * t)
    power = np.ones_like(z)
    log_r = np.zeros(np.shape(t))
    for a_n, b_n in zip(lesion.a, lesion.b, strict=True):
        power = power * z
        log_r += a_n * power.real + b_n * power.imag
    # an ellipse of axes (1, aspect) at the lesion's orientation, then the perturbation
    u = t - lesion.orientation
    ellipse = lesion.aspect / np.sqrt((lesion.aspect * np.cos(u)) ** 2 + np.sin(u) ** 2)
    return radius_px * ellipse * np.exp(log_r)


def _spicules(rng: np.random.Generator, lesion: LesionParams, centre: np.ndarray,
              rotation: float, radius_px: float, size: int) -> np.ndarray:
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
        r0 = _boundary_radius(lesion, np.array([angle]), rotation, radius_px)[0]
        t = np.linspace(0.85 * r0, r0 + length * radius_px * 1.4, n_points)
        drift = angle + np.cumsum(rng.normal(0, 0.012, n_points))
        points = np.stack([centre[0] + t * np.sin(drift), centre[1] + t * np.cos(drift)], 1)
        fade = ndi.gaussian_filter1d(rng.random(n_points), 8)
        fade = 0.35 + 0.65 * (fade - fade.min()) / max(np.ptp(fade), 1e-9)
        weights = np.linspace(1.0, 0.0, n_points) ** 1.3 * fade * (t[1] - t[0])
        width = rng.uniform(0.45, 1.0) * size / 128
        layer += rng.uniform(0.5, 0.8) * _tissue.splat_path(shape, points, weights, width)
    return layer


def _lesion_centre(rng: np.random.Generator, size: int, extent: float) -> np.ndarray:
    """Where the lesion's centre goes: centred in most crops, off-centre in the others.

    The offset shrinks where needed so that the lesion (``extent`` px from its centre) stays
    whole inside the crop, one pixel from its border.
    """
    if rng.random() < CENTRED_SHARE:
        offset = CENTRED_SD * np.sqrt(-2 * np.log(1 - rng.random()))
    else:
        offset = rng.uniform(*OFF_CENTRE)
    angle = rng.uniform(0, 2 * np.pi)
    direction = np.array([np.sin(angle), np.cos(angle)])
    room = (size - 1) / 2 - extent - 1
    reach = max(abs(direction[0]), abs(direction[1]))
    offset_px = min(offset * size, max(room, 0) / reach)
    return (size - 1) / 2 + offset_px * direction


def _exposure(rng: np.random.Generator) -> float:
    """The crop's maximum on the 8-bit scale (1 = 255): saturated, or below full scale."""
    if rng.random() < SATURATED_SHARE:
        return rng.uniform(1.0, 1.25)  # saturated
    return float(np.clip(rng.normal(*EXPOSURE), 0.18, 0.98))


def _place(rng: np.random.Generator, lesion: LesionParams, size: int, rotation: float,
           scale: float):
    """The lesion's radius and reach (px), its centre, and its exact mask on the grid."""
    radius_px = max(lesion.radius * size * scale, MIN_DIAMETER_PX / 2 / np.sqrt(lesion.aspect))
    theta_grid = np.linspace(0, 2 * np.pi, 256, endpoint=False)
    extent = float(_boundary_radius(lesion, theta_grid, rotation, radius_px).max())
    centre = _lesion_centre(rng, size, extent)
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    dy, dx = rows - centre[0], cols - centre[1]
    dist = np.hypot(dy, dx)
    r_theta = _boundary_radius(lesion, np.arctan2(dy, dx), rotation, radius_px)
    # pixel centres inside r(theta); a lobe thinner than a pixel can leave a few of them
    # touching the body only at a corner, so the body is the 4-connected piece at its centre
    labels, _ = ndi.label(dist < r_theta)
    body = labels[tuple(np.round(centre).astype(int))]
    if body == 0:  # the nearest pixel centre fell outside a tiny, irregular body
        body = int(np.argmax(np.bincount(labels.ravel())[1:])) + 1
    mask = labels == body
    return radius_px, extent, centre, dist, r_theta, mask


def _anatomy(rng: np.random.Generator, size: int, centre: np.ndarray, extent: float):
    """The breast (its skin line) and its structure over the fat level: dense, texture, fibres."""
    breast = _tissue.breast(rng, size, centre, extent,
                            skin_distance=(-0.15, 0.55) if rng.random() < EDGE_SHARE else None,
                            curvature_radius=(1.0, 4.0), falloff=(0.08, 0.3),
                            margin=(0.01, 0.08))
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    depth = breast.depth(rows, cols)
    dense = _tissue.dense_tissue(rng, size, depth, rng.uniform(0.0, 0.75))
    texture = _power_law_field(rng, size, rng.uniform(*BACKGROUND_BETA))
    structure = (rng.uniform(0.1, 1.3) * dense
                 + rng.uniform(0.08, 0.22) * texture * (0.6 + 0.8 * dense)
                 + _tissue.fibres(rng, size, rng.uniform(0.1, 0.3)))
    return breast, depth, structure


def _mass(rng: np.random.Generator, lesion: LesionParams, placed, rotation: float,
          size: int) -> np.ndarray:
    """The mass's signal for unit contrast: textured body, blurred margin, spicules."""
    radius_px, _, centre, dist, r_theta, mask = placed
    rho = np.clip(dist / r_theta, 0, 1)
    body = np.where(mask, (0.55 + 0.45 * np.sqrt(1 - rho**2))
                    * (1 + 0.12 * _power_law_field(rng, size, 2.5)), 0.0)
    mass = ndi.gaussian_filter(body, lesion.margin_blur * radius_px)
    if lesion.spicule_angles.size:
        mass += _spicules(rng, lesion, centre, rotation, radius_px, size)
    return mass


def _other_structures(rng: np.random.Generator, size: int, breast, depth: np.ndarray,
                      centre: np.ndarray, extent: float, contrast: float) -> np.ndarray:
    """Satellite blobs, calcification-like specks and a pectoral-like region, off the lesion."""
    px = size / 128
    inside = depth > 3 * px
    layer = contrast * rng.uniform(0.5, 2.0) * _tissue.blobs(
        rng, size, inside, centre, extent, rng.poisson(1.5), (1.0 * px, 4.0 * px))
    if rng.random() < 0.3:
        layer += rng.uniform(1.5, 4.0) * _tissue.blobs(
            rng, size, inside, centre, extent, 1 + rng.poisson(3), (0.4 * px, 0.7 * px))
    if rng.random() < 0.125:  # beyond a line on the side away from the skin
        skin = (np.arctan2(*((size - 1) / 2 - breast.centre)) if np.isfinite(breast.radius)
                else rng.uniform(0, 2 * np.pi))
        normal = skin + np.pi + rng.uniform(-0.6, 0.6)
        lesion_beyond = (centre - (size - 1) / 2) @ np.array([np.sin(normal), np.cos(normal)])
        offset = max(rng.uniform(0.15, 0.45) * size, lesion_beyond + extent + 4 * px)
        layer += rng.uniform(0.4, 1.1) * _tissue.half_plane(size, normal, offset, 1.5 * px)
    return layer


def _expose(rng: np.random.Generator, image: np.ndarray, size: int, difficulty: float,
            noise_sd: float) -> np.ndarray:
    """Detector PSF, quantum-like noise, the drawn exposure, 8-bit quantisation."""
    image = ndi.gaussian_filter(image, rng.uniform(*PSF_SIGMA) * size / 128)
    image = np.clip(image, 0.0, None)
    noise = noise_sd * (0.5 + difficulty)
    image = image + rng.standard_normal(image.shape) * noise * np.sqrt(image + 0.01)
    image = np.clip(image, 0, None) * (_exposure(rng) / image.max())
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)


def _render_view(rng: np.random.Generator, lesion: LesionParams, size: int,
                 difficulty: float, rotation: float, scale: float):
    """Render one crop (8-bit levels) and its exact mask."""
    placed = _place(rng, lesion, size, rotation, scale)
    _, extent, centre, _, _, mask = placed
    breast, depth, structure = _anatomy(rng, size, centre, extent)
    contrast = lesion.contrast * (1.5 - difficulty) * rng.uniform(0.9, 1.1)
    structure += contrast * _mass(rng, lesion, placed, rotation, size)
    structure += _other_structures(rng, size, breast, depth, centre, extent, contrast)
    # the crop's latitude, one factor on every structure's contrast against fat (level 1),
    # then the thickness falling to the skin line and the air beyond it
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    thickness = breast.thickness(rows, cols)
    air = rng.uniform(0.0, 0.05)
    image = (1.0 + np.exp(rng.normal(0, LATITUDE_SD)) * structure) * thickness
    image += air * (1 - thickness)
    if rng.random() < 0.12:  # the film's edge or a label along a border
        band = _tissue.film_edge(rng, size, centre, extent)
        if band is not None:
            image = (image * (1 - band[1]) + air * band[1]
                     + rng.uniform(1.0, 1.8) * image.max() * band[0])
    return _expose(rng, image, size, difficulty, rng.uniform(*NOISE_SD)), mask


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
