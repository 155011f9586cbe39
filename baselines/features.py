"""Hand-crafted mass features: the course's 18 shape and intensity features plus GLCM texture.

Definitions (``d_i``: distance from the mass centroid to the i-th point of its outer contour,
traced by ``skimage.measure.find_contours`` at level 0.5):

==================  ===========================================================================
area                pixels of the mass (``regionprops.area``)
perimeter           ``regionprops.perimeter`` (pixels)
compactness         perimeter^2 / (4 pi area); 1 for a disk, larger for irregular outlines
nrl_mean, nrl_std   mean and std of the normalised radial length ``d_i / max(d)``
radial_entropy      Shannon entropy (bits) of the histogram of ``d_i / max(d)`` in 100 bins
zero_crossings      sign changes of ``d_i - mean(d)`` around the closed contour
major_axis,         ``regionprops.axis_major_length`` / ``axis_minor_length``
minor_axis
variation_mean,     mean and std of the variation ratio ``|d_i - mean(d)| / mean(d)``
variation_std
convexity           perimeter of the convex hull / perimeter (1 for convex shapes)
intensity_mean,     mean, std, excess kurtosis and skewness of the image inside the mass
intensity_std,
intensity_kurtosis,
intensity_skewness
margin_mean,        mean and std of the image within 2 px of the mass border, both sides
margin_std
glcm_*              ``graycoprops`` contrast, dissimilarity, homogeneity, energy, correlation,
                    ASM of the mass's bounding box quantised to 32 levels, averaged over
                    distances 1, 2 and angles 0, 45, 90, 135 degrees
==================  ===========================================================================

Shape features use the largest connected component of the mask; an empty mask gives NaN
features (the classifiers impute them).

The features fall in two groups (:data:`FEATURE_GROUPS`): ``shape`` reads the mask alone,
``intensity`` reads the image's grey levels inside or around the mask (intensity, margin and
GLCM texture); ``all`` is both. The diagnosis stage classifies each group apart, so that what
a mask's outline tells can be told from what the pixels it covers tell.

References
----------
.. [1] J. Kilday, F. Palmieri, M. D. Fox, "Classifying mammographic lesions using computerized
   image analysis", IEEE TMI 12 (1993) 664, doi:10.1109/42.251116.
.. [2] P. Delogu et al., Comput. Biol. Med. 37 (2007) 1479, doi:10.1016/j.compbiomed.2007.01.009.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from scipy import stats
from skimage.feature import graycomatrix, graycoprops
from skimage.measure import find_contours, label, regionprops
from sklearn.base import BaseEstimator, TransformerMixin

SHAPE_FEATURES = ("area", "perimeter", "compactness", "nrl_mean", "nrl_std", "radial_entropy",
                  "zero_crossings", "major_axis", "minor_axis", "variation_mean",
                  "variation_std", "convexity")
INTENSITY_FEATURES = ("intensity_mean", "intensity_std", "intensity_kurtosis",
                      "intensity_skewness", "margin_mean", "margin_std")
GLCM_PROPS = ("contrast", "dissimilarity", "homogeneity", "energy", "correlation", "ASM")
GLCM_FEATURES = tuple(f"glcm_{p}" for p in GLCM_PROPS)
FEATURE_NAMES = SHAPE_FEATURES + INTENSITY_FEATURES + GLCM_FEATURES
#: Feature group -> its features, in :data:`FEATURE_NAMES` order. ``shape`` and
#: ``intensity`` partition the features: ``shape`` reads the mask alone, ``intensity``
#: everything that reads the image's grey levels inside or around the mask (intensity,
#: margin, GLCM texture); ``all`` is every feature.
FEATURE_GROUPS = {"shape": SHAPE_FEATURES, "intensity": INTENSITY_FEATURES + GLCM_FEATURES,
                  "all": FEATURE_NAMES}
_GLCM_LEVELS = 32


def group_features(group: str, columns=None) -> list[str]:
    """The features of one group (:data:`FEATURE_GROUPS`), or those of them in ``columns``.

    Parameters
    ----------
    group : {'shape', 'intensity', 'all'}
    columns : sequence of str, optional
        A feature table's columns; the group's features among them are returned in their
        order (a table made without texture has no ``glcm_*`` column).

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        For an unknown group.

    Examples
    --------
    >>> group_features("intensity", ["case", "area", "intensity_mean", "margin_std"])
    ['intensity_mean', 'margin_std']
    """
    if group not in FEATURE_GROUPS:
        raise ValueError(f"The 'group' parameter of group_features must be one of "
                         f"{', '.join(FEATURE_GROUPS)}. Got {group!r} instead.")
    members = FEATURE_GROUPS[group]
    if columns is None:
        return list(members)
    return [c for c in columns if c in members]


def _largest_component(mask):
    labels = label(mask, connectivity=2)
    if labels.max() == 0:
        return None
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def shape_features(mask: np.ndarray) -> dict[str, float]:
    """The twelve shape features of a mask (see the module docstring)."""
    body = _largest_component(np.asarray(mask, dtype=bool))
    if body is None:
        return dict.fromkeys(SHAPE_FEATURES, np.nan)
    props = regionprops(body.astype(np.uint8))[0]
    contour = max(find_contours(np.pad(body, 1).astype(float), 0.5), key=len) - 1
    d = np.hypot(contour[:, 0] - props.centroid[0], contour[:, 1] - props.centroid[1])
    nrl = d / d.max()
    hist, _ = np.histogram(nrl, bins=100, range=(0, 1))
    p = hist[hist > 0] / hist.sum()
    centred = np.sign(d - d.mean())
    centred = centred[centred != 0]
    crossings = int(np.count_nonzero(centred != np.roll(centred, 1))) if centred.size else 0
    variation = np.abs(d - d.mean()) / d.mean()
    hull_perimeter = regionprops(props.image_convex.astype(np.uint8))[0].perimeter
    perimeter = props.perimeter
    return {
        "area": float(props.area),
        "perimeter": float(perimeter),
        "compactness": float(perimeter**2 / (4 * np.pi * props.area)),
        "nrl_mean": float(nrl.mean()),
        "nrl_std": float(nrl.std()),
        "radial_entropy": float(-(p * np.log2(p)).sum()),
        "zero_crossings": float(crossings),
        "major_axis": float(props.axis_major_length),
        "minor_axis": float(props.axis_minor_length),
        "variation_mean": float(variation.mean()),
        "variation_std": float(variation.std()),
        "convexity": float(hull_perimeter / perimeter) if perimeter > 0 else np.nan,
    }


def intensity_features(image: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Mass and margin intensity statistics (see the module docstring)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return dict.fromkeys(INTENSITY_FEATURES, np.nan)
    inside = np.asarray(image, dtype=np.float64)[mask]
    margin = ndi.binary_dilation(mask, iterations=2) & ~ndi.binary_erosion(mask, iterations=2)
    ring = np.asarray(image, dtype=np.float64)[margin]
    flat = np.ptp(inside) == 0
    return {
        "intensity_mean": float(inside.mean()),
        "intensity_std": float(inside.std()),
        "intensity_kurtosis": 0.0 if flat else float(stats.kurtosis(inside)),
        "intensity_skewness": 0.0 if flat else float(stats.skew(inside)),
        "margin_mean": float(ring.mean()),
        "margin_std": float(ring.std()),
    }


def glcm_features(image: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """GLCM texture of the mass's bounding box (see the module docstring)."""
    names = list(GLCM_FEATURES)
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return dict.fromkeys(names, np.nan)
    patch = np.asarray(image, dtype=np.float64)[rows.min() : rows.max() + 1,
                                                 cols.min() : cols.max() + 1]
    low, high = patch.min(), patch.max()
    scaled = (patch - low) / (high - low) if high > low else np.zeros_like(patch)
    quantised = np.minimum((scaled * _GLCM_LEVELS).astype(np.uint8), _GLCM_LEVELS - 1)
    glcm = graycomatrix(quantised, distances=[1, 2], angles=[0, np.pi / 4, np.pi / 2,
                                                             3 * np.pi / 4],
                        levels=_GLCM_LEVELS, symmetric=True, normed=True)
    out = {}
    for prop, name in zip(GLCM_PROPS, names, strict=True):
        values = graycoprops(glcm, prop)
        out[name] = float(np.nanmean(values)) if np.isfinite(values).any() else np.nan
    return out


class MassFeatures(TransformerMixin, BaseEstimator):
    """Features of (image, mask) pairs as a scikit-learn transformer.

    ``transform`` takes a sequence of ``(image, mask)`` pairs and returns an
    ``(n_pairs, 24)`` array whose columns are :data:`FEATURE_NAMES`.

    Parameters
    ----------
    texture : bool, default True
        Include the six GLCM features.

    Examples
    --------
    >>> import numpy as np
    >>> rows, cols = np.mgrid[:64, :64]
    >>> disk = (rows - 32) ** 2 + (cols - 32) ** 2 <= 15 ** 2
    >>> x = MassFeatures().fit_transform([(disk * 0.8 + 0.1, disk)])
    >>> x.shape
    (1, 24)
    """

    def __init__(self, *, texture=True):
        self.texture = texture

    def fit(self, X, y=None):
        """Nothing to learn; records the number of features."""
        self.n_features_out_ = len(self.get_feature_names_out())
        return self

    def get_feature_names_out(self, input_features=None):
        """The feature names, in column order."""
        names = FEATURE_NAMES if self.texture else SHAPE_FEATURES + INTENSITY_FEATURES
        return np.array(names, dtype=object)

    def transform(self, X):
        """Compute the features of every (image, mask) pair."""
        rows = []
        for image, mask in X:
            image = np.asarray(image, dtype=np.float64)
            mask = np.asarray(mask, dtype=bool)
            if image.shape != mask.shape or image.ndim != 2:
                raise ValueError(f"each pair needs a 2-D image and a mask of its shape; got "
                                 f"{image.shape} and {mask.shape}")
            values = shape_features(mask) | intensity_features(image, mask)
            if self.texture:
                values |= glcm_features(image, mask)
            rows.append([values[n] for n in self.get_feature_names_out()])
        return np.array(rows, dtype=np.float64).reshape(len(rows), -1)
