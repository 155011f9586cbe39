"""Synthetic crops where the lesion is small, off-centre and not the brightest structure."""

import numpy as np
from scipy import ndimage as ndi

#: Where the lesions of :func:`distracted_crops` lie: centroid mean and spread (px), radius.
LESION_CENTRE, LESION_SPREAD, LESION_RADIUS = (18.0, 20.0), 2.5, (3.0, 5.0)
#: Where the decoy lies: the lesion's place mirrored through the centre of a 64 px crop.
DECOY_CENTRE = (46.0, 44.0)


def distracted_crops(rng, n, size=64, *, decoy=False):
    """``(images, masks)``, ``n`` of each: a faint small lesion off the centre, distractors.

    Each crop has textured background, a broad dense region at the centre brighter than the
    lesion, a bright band along the right border (a breast edge or a film border) and one
    small lesion (radius 3-5 px) whose centre is drawn around ``LESION_CENTRE``. With
    ``decoy``, a blob of the lesion's size but brighter sits around ``DECOY_CENTRE``, as far
    from the centre as the lesion: only where lesions lie tells them apart.
    """
    rows, cols = np.mgrid[:size, :size]
    images, masks = [], []
    for _ in range(n):
        centre = rng.normal(LESION_CENTRE, LESION_SPREAD)
        radius = rng.uniform(*LESION_RADIUS)
        mask = np.hypot(rows - centre[0], cols - centre[1]) <= radius
        texture = ndi.gaussian_filter(rng.normal(0, 1, (size, size)), 2.0)
        bumps = 0.16 * mask
        if decoy:
            place = rng.normal(DECOY_CENTRE, LESION_SPREAD)
            bumps = bumps + 0.24 * (np.hypot(rows - place[0], cols - place[1]) <= radius)
        image = (0.25 + 0.02 * texture / texture.std()
                 + 0.35 * np.exp(-np.hypot(rows - size / 2, cols - size / 2) ** 2 / 200)
                 + 0.45 * (cols >= size - 5) + ndi.gaussian_filter(bumps, 1.0))
        images.append(np.clip(image, 0, 1))
        masks.append(mask)
    return images, masks
