"""Slow, obviously-correct NumPy / SciPy twins of the Numba kernels."""

import numpy as np
from scipy import ndimage as ndi


def overlap_counts(a, b):
    """(|A and B|, |A|, |B|) per image of (N, H, W) bool masks."""
    axes = (1, 2)
    return np.stack([(a & b).sum(axis=axes), a.sum(axis=axes), b.sum(axis=axes)], axis=1)


def surface(mask):
    """mask XOR its erosion by a 4-connected cross (zero border)."""
    cross = ndi.generate_binary_structure(2, 1)
    return mask ^ ndi.binary_erosion(mask, structure=cross, border_value=0)


def directed_surface_distances(a, b, spacing=(1.0, 1.0)):
    """Distances from each surface pixel of ``a`` to the nearest surface pixel of ``b``."""
    dt = ndi.distance_transform_edt(~surface(b), sampling=spacing)
    return dt[surface(a)]


def hd95_assd(a, b, spacing=(1.0, 1.0)):
    """HD95 and ASSD of two non-empty 2-D masks by pooling both directed distance sets."""
    pooled = np.concatenate([directed_surface_distances(a, b, spacing),
                             directed_surface_distances(b, a, spacing)])
    return np.percentile(pooled, 95), pooled.mean()


def squared_edt_to_points(points, shape, spacing=(1.0, 1.0)):
    """Squared distance from every pixel of ``shape`` to the nearest of ``points``."""
    features = np.ones(shape, bool)
    features[points[:, 0], points[:, 1]] = False
    return ndi.distance_transform_edt(features, sampling=spacing) ** 2
