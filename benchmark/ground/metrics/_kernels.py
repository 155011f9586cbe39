"""Numba kernels of the segmentation metrics. Private: no validation here.

Every kernel takes C-contiguous arrays and scalars only; :mod:`benchmark.ground.metrics` checks and
converts the user's input and calls these. Each has a plain NumPy / SciPy twin in
``tests/naive.py``.
"""

import numpy as np
from numba import njit

_LOW_BYTES = np.uint64(0x00FF00FF00FF00FF)
_SUM_WORDS = np.uint64(0x0001000100010001)
_BLOCK = 255  # uint8 lanes of a uint64 accumulator overflow after 255 additions of 1


@njit(cache=True, nogil=True, inline="always")
def _byte_lane_sum(acc):
    """Sum of the eight bytes of a uint64 (each byte at most 255)."""
    pairs = (acc & _LOW_BYTES) + ((acc >> np.uint64(8)) & _LOW_BYTES)
    return np.int64((pairs * _SUM_WORDS) >> np.uint64(48))


@njit(cache=True, nogil=True)
def overlap_counts_words(a, b, out):
    """Per image: (|A and B|, |A|, |B|) of 0/1 byte masks viewed as uint64 words.

    ``a`` and ``b`` are (N, W) uint64 views of bool masks (8 pixels per word, each byte 0 or
    1); ``out`` is (N, 3) int64. Bytes are summed in SWAR fashion: up to 255 words are added
    lane-wise into one uint64 before the lanes are folded, so the inner loop is three
    vector additions and one AND per eight pixels and runs at memory speed.
    """
    n_images, n_words = a.shape
    for i in range(n_images):
        row_a = a[i]
        row_b = b[i]
        both = 0
        total_a = 0
        total_b = 0
        for block in range(n_words // _BLOCK + 1):
            start = block * _BLOCK
            count = min(_BLOCK, n_words - start)
            acc_both = np.uint64(0)
            acc_a = np.uint64(0)
            acc_b = np.uint64(0)
            # a counted loop from 0 (not range(start, stop)) is what LLVM vectorises
            for j in range(count):
                x = row_a[start + j]
                y = row_b[start + j]
                acc_both += x & y
                acc_a += x
                acc_b += y
            both += _byte_lane_sum(acc_both)
            total_a += _byte_lane_sum(acc_a)
            total_b += _byte_lane_sum(acc_b)
        out[i, 0] = both
        out[i, 1] = total_a
        out[i, 2] = total_b


@njit(cache=True, nogil=True)
def overlap_counts_bytes(a, b, out):
    """The same as :func:`overlap_counts_words` on (N, P) uint8 masks of any length."""
    n_images, n_pixels = a.shape
    for i in range(n_images):
        both = np.int64(0)  # typed, so that pure-Python runs (NUMBA_DISABLE_JIT) do not wrap
        total_a = np.int64(0)
        total_b = np.int64(0)
        for j in range(n_pixels):
            x = a[i, j]
            y = b[i, j]
            both += x & y
            total_a += x
            total_b += y
        out[i, 0] = both
        out[i, 1] = total_a
        out[i, 2] = total_b


@njit(cache=True, nogil=True)
def surface_points(mask, r0, r1, c0, c1):
    """Coordinates of the surface pixels of ``mask`` inside rows [r0, r1), cols [c0, c1).

    A surface pixel is a foreground pixel with a 4-neighbour that is background or lies
    outside the image (``mask XOR erosion(mask, cross)`` with a zero border, as SciPy's
    ``binary_erosion`` and medpy compute it). Returns an (K, 2) int64 array.
    """
    n_rows, n_cols = mask.shape
    count = 0
    buffer = np.empty(((r1 - r0) * (c1 - c0), 2), dtype=np.int64)
    for r in range(r0, r1):
        for c in range(c0, c1):
            if not mask[r, c]:
                continue
            if (r == 0 or c == 0 or r == n_rows - 1 or c == n_cols - 1
                    or not mask[r - 1, c] or not mask[r + 1, c]
                    or not mask[r, c - 1] or not mask[r, c + 1]):
                buffer[count, 0] = r
                buffer[count, 1] = c
                count += 1
    return buffer[:count]


@njit(cache=True, nogil=True)
def _edt_1d(f, n, d, v, z):
    """Felzenszwalb-Huttenlocher 1-D squared distance transform of ``f[:n]`` into ``d``."""
    k = 0
    v[0] = 0
    z[0] = -np.inf
    z[1] = np.inf
    for q in range(1, n):
        if f[q] == np.inf:
            continue
        if f[v[0]] == np.inf:  # no finite parabola yet: start the envelope here
            v[0] = q
            continue
        s = ((f[q] + q * q) - (f[v[k]] + v[k] * v[k])) / (2.0 * q - 2.0 * v[k])
        while s <= z[k]:
            k -= 1
            s = ((f[q] + q * q) - (f[v[k]] + v[k] * v[k])) / (2.0 * q - 2.0 * v[k])
        k += 1
        v[k] = q
        z[k] = s
        z[k + 1] = np.inf
    if f[v[0]] == np.inf:
        for q in range(n):
            d[q] = np.inf
        return
    k = 0
    for q in range(n):
        while z[k + 1] < q:
            k += 1
        d[q] = (q - v[k]) * (q - v[k]) + f[v[k]]


@njit(cache=True, nogil=True)
def squared_edt_to_points(points, r0, c0, n_rows, n_cols, row_scale, col_scale):
    """Squared Euclidean distance from every pixel of a window to the nearest of ``points``.

    The window has ``n_rows x n_cols`` pixels with origin (r0, c0); ``points`` are absolute
    (row, col) coordinates inside it. Distances are in units of (row_scale, col_scale): the
    separable Felzenszwalb-Huttenlocher algorithm runs along columns in pixel units, then
    along rows on the grid rescaled by the spacing ratio.
    """
    big = np.inf
    g = np.full((n_rows, n_cols), big)
    for k in range(points.shape[0]):
        g[points[k, 0] - r0, points[k, 1] - c0] = 0.0
    longest = max(n_rows, n_cols)
    f = np.empty(longest)
    d = np.empty(longest)
    v = np.empty(longest, dtype=np.int64)
    z = np.empty(longest + 1)
    # along rows (axis 0) in units of row_scale
    for c in range(n_cols):
        for r in range(n_rows):
            f[r] = g[r, c]
        _edt_1d(f, n_rows, d, v, z)
        for r in range(n_rows):
            g[r, c] = d[r] * row_scale * row_scale
    # along columns (axis 1): parabolas of width col_scale, i.e. work in units of col_scale
    inv = 1.0 / (col_scale * col_scale)
    for r in range(n_rows):
        for c in range(n_cols):
            f[c] = g[r, c] * inv
        _edt_1d(f, n_cols, d, v, z)
        for c in range(n_cols):
            g[r, c] = d[c] * col_scale * col_scale
    return g


@njit(cache=True, nogil=True)
def _directed_distances(src, dst, out, offset, r0, c0, n_rows, n_cols, sy, sx):
    """Write the distance from each point of ``src`` to the nearest of ``dst`` into ``out``.

    Brute force over the point pairs when that is cheaper than a distance transform of the
    window, the exact distance transform otherwise; both give the same exact distances.
    """
    if src.shape[0] * dst.shape[0] <= 4 * n_rows * n_cols:
        for i in range(src.shape[0]):
            best = np.inf
            for j in range(dst.shape[0]):
                dy = (src[i, 0] - dst[j, 0]) * sy
                dx = (src[i, 1] - dst[j, 1]) * sx
                dd = dy * dy + dx * dx
                if dd < best:
                    best = dd
            out[offset + i] = np.sqrt(best)
    else:
        g = squared_edt_to_points(dst, r0, c0, n_rows, n_cols, sy, sx)
        for i in range(src.shape[0]):
            out[offset + i] = np.sqrt(g[src[i, 0] - r0, src[i, 1] - c0])


@njit(cache=True, nogil=True)
def _percentile_linear(sorted_values, q):
    """NumPy's default ('linear') percentile of an already sorted 1-D array."""
    n = sorted_values.size
    position = q / 100.0 * (n - 1)
    lo = int(np.floor(position))
    hi = min(lo + 1, n - 1)
    t = position - lo
    a = sorted_values[lo]
    b = sorted_values[hi]
    diff = b - a
    # NumPy's _lerp: a + diff * t, computed from the upper end when t >= 0.5
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


@njit(cache=True, nogil=True)
def _bounding_box(mask):
    """(r0, r1, c0, c1) half-open box of the foreground, or (0, 0, 0, 0) when empty."""
    n_rows, n_cols = mask.shape
    r0, r1, c0, c1 = n_rows, -1, n_cols, -1
    for r in range(n_rows):
        for c in range(n_cols):
            if mask[r, c]:
                if r < r0:
                    r0 = r
                if r > r1:
                    r1 = r
                if c < c0:
                    c0 = c
                if c > c1:
                    c1 = c
    if r1 < 0:
        return 0, 0, 0, 0
    return r0, r1 + 1, c0, c1 + 1


@njit(cache=True, nogil=True)
def surface_distance_stats(a, b, sy, sx, out):
    """HD95 and ASSD of each pair of (N, H, W) bool masks with both masks non-empty.

    ``out`` is (N, 2) float64: column 0 the 95th percentile (linear interpolation) of the
    pooled directed surface distances, column 1 their mean. Pairs where a mask is empty are
    left untouched (the caller applies the empty-mask rules).
    """
    for i in range(a.shape[0]):
        ra0, ra1, ca0, ca1 = _bounding_box(a[i])
        rb0, rb1, cb0, cb1 = _bounding_box(b[i])
        if ra1 == 0 or rb1 == 0:
            continue
        pa = surface_points(a[i], ra0, ra1, ca0, ca1)
        pb = surface_points(b[i], rb0, rb1, cb0, cb1)
        r0, r1 = min(ra0, rb0), max(ra1, rb1)
        c0, c1 = min(ca0, cb0), max(ca1, cb1)
        pooled = np.empty(pa.shape[0] + pb.shape[0])
        _directed_distances(pa, pb, pooled, 0, r0, c0, r1 - r0, c1 - c0, sy, sx)
        _directed_distances(pb, pa, pooled, pa.shape[0], r0, c0, r1 - r0, c1 - c0, sy, sx)
        out[i, 1] = pooled.mean()
        pooled.sort()
        out[i, 0] = _percentile_linear(pooled, 95.0)
