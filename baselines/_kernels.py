"""Numba kernels of the classical segmenters. Private: no validation here."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def grow_region(image, allowed, seed_row, seed_col, tolerance, adaptive, spread,
                connectivity, out):
    """Seeded region growing by breadth-first search; writes the region into ``out``.

    A 4- or 8-connected neighbour joins when ``allowed`` is true there and its value lies
    within the acceptance band: ``[s - tolerance, s + tolerance]`` around the seed value
    ``s`` (fixed mode, as ``skimage.segmentation.flood``), or ``mean +- (tolerance + spread
    * std)`` of the region grown so far (adaptive mode; mean and std updated with every
    pixel, Welford's algorithm). Returns the number of pixels in the region.
    """
    n_rows, n_cols = image.shape
    if connectivity == 4:
        d_row = np.array([-1, 1, 0, 0])
        d_col = np.array([0, 0, -1, 1])
    else:
        d_row = np.array([-1, -1, -1, 0, 0, 1, 1, 1])
        d_col = np.array([-1, 0, 1, -1, 1, -1, 0, 1])
    queue = np.empty(n_rows * n_cols, dtype=np.int64)
    seed_value = image[seed_row, seed_col]
    low = seed_value - tolerance
    high = seed_value + tolerance
    mean = seed_value
    m2 = 0.0
    count = 1
    out[seed_row, seed_col] = True
    queue[0] = seed_row * n_cols + seed_col
    head = 0
    tail = 1
    while head < tail:
        flat = queue[head]
        head += 1
        row = flat // n_cols
        col = flat - row * n_cols
        for k in range(d_row.size):
            r = row + d_row[k]
            c = col + d_col[k]
            if r < 0 or r >= n_rows or c < 0 or c >= n_cols:
                continue
            if out[r, c] or not allowed[r, c]:
                continue
            value = image[r, c]
            if adaptive:
                band = tolerance + spread * np.sqrt(m2 / count)
                if abs(value - mean) > band:
                    continue
                count += 1
                delta = value - mean
                mean += delta / count
                m2 += delta * (value - mean)
            elif value < low or value > high:
                continue
            else:
                count += 1
            out[r, c] = True
            queue[tail] = r * n_cols + c
            tail += 1
    return count


@njit(cache=True, nogil=True)
def flood_spans(image, allowed, restrict, seed_row, seed_col, tolerance, connectivity, out):
    """Fixed-band region growing by scanline spans: the same region as BFS, faster.

    A popped pixel is widened into the whole run of acceptable pixels of its row; then one
    pixel per run of acceptable pixels in the rows above and below (the span widened by one
    pixel on each side for 8-connectivity) is pushed. Rows are read through row views, so
    the scans are sequential in memory. ``allowed`` is consulted only when ``restrict``.
    Returns the number of pixels filled.
    """
    n_rows, n_cols = image.shape
    if restrict and not allowed[seed_row, seed_col]:
        return 0
    seed_value = image[seed_row, seed_col]
    low = seed_value - tolerance
    high = seed_value + tolerance
    # each pixel is pushed at most twice (from the span above and the span below)
    capacity = 2 * n_rows * n_cols + 4
    stack_r = np.empty(capacity, dtype=np.int32)
    stack_c = np.empty(capacity, dtype=np.int32)
    stack_r[0] = seed_row
    stack_c[0] = seed_col
    top = 1
    count = 0
    extra = 1 if connectivity == 8 else 0
    while top > 0:
        top -= 1
        r = stack_r[top]
        c = stack_c[top]
        row_out = out[r]
        if row_out[c]:
            continue
        row_img = image[r]
        row_ok = allowed[r] if restrict else allowed[0]
        left = c
        while (left > 0 and not row_out[left - 1] and low <= row_img[left - 1] <= high
               and (not restrict or row_ok[left - 1])):
            left -= 1
        right = c
        while (right < n_cols - 1 and not row_out[right + 1]
               and low <= row_img[right + 1] <= high and (not restrict or row_ok[right + 1])):
            right += 1
        row_out[left : right + 1] = True
        count += right - left + 1
        lo = max(left - extra, 0)
        hi = min(right + extra, n_cols - 1)
        for nr in (r - 1, r + 1):
            if nr < 0 or nr >= n_rows:
                continue
            next_img = image[nr]
            next_out = out[nr]
            next_ok = allowed[nr] if restrict else allowed[0]
            in_run = False
            for x in range(lo, hi + 1):
                if (not next_out[x] and low <= next_img[x] <= high
                        and (not restrict or next_ok[x])):
                    if not in_run:
                        stack_r[top] = nr
                        stack_c[top] = x
                        top += 1
                        in_run = True
                else:
                    in_run = False
    return count
