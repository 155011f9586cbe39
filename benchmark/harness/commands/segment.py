"""``python -m benchmark segment``: the batch, non-interactive ``run_segmentation.m``.

Raw crops are preprocessed the course's way and segmented with the ROI of ``ROIS.csv``
(columns ``case,row_min,row_max,col_min,col_max``, 0-based inclusive, on the preprocessed
grid); each case gives the course-format pair ``<case>_resized.pgm`` (the smoothed,
down-scaled image on its raw grey scale, ``uint8(im_resized)`` as the course writes it) and
``<case>_mass_mask.pgm`` ({0, 255}). Every row is checked before anything is computed.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from baselines.matlab import matlab_round
from baselines.preprocessing import course_preprocess
from baselines.registry import ALIASES, make_segmenter, rule_based_semi_automatic
from benchmark.ground.data import write_reference_statement
from benchmark.ground.data.course import IMAGE_TAG, MASK_TAG, course_paths
from benchmark.ground.data.imageio import IMAGE_SUFFIXES, read_image, write_pgm
from benchmark.ground.errors import InputError, ParameterError
from benchmark.ground.roi import ROI_COLUMNS, check_roi
from benchmark.ground.store import atomic_write_bytes


def read_rois(path: Path) -> list[tuple[int, str, tuple[int, int, int, int]]]:
    """Rows of ``ROIS.csv`` as (line number, case, rectangle); malformed rows are errors."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read the ROI file ({exc.strerror or exc})", path) from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in ROI_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; expected "
                         f"{','.join(ROI_COLUMNS)}", path)
    rows = []
    for line, row in enumerate(reader, start=2):
        try:
            rect = tuple(int(row[c]) for c in ROI_COLUMNS[1:])
        except (TypeError, ValueError):
            raise InputError(f"row {line}: row_min, row_max, col_min, col_max must be "
                             "integers", path) from None
        rows.append((line, row["case"].strip(), rect))
    if not rows:
        raise InputError("no rows", path)
    return rows


def _find_raw(raw_dir: Path, case: str) -> Path | None:
    for suffix in IMAGE_SUFFIXES:
        candidate = raw_dir / f"{case}{suffix}"
        if candidate.is_file():
            return candidate
    return None


#: The file beside each written pair that shows the ROI and the mask on the image.
OVERLAY_TAG = "_overlay"


def overlay_png(image: np.ndarray, mask: np.ndarray, roi) -> bytes:
    """A PNG of ``image`` with the ROI rectangle (blue) and the mask's outline (orange).

    Parameters
    ----------
    image : (M, N) ndarray of float in [0, 1]
    mask : (M, N) ndarray of bool
    roi : tuple of int
        ``(row_min, row_max, col_min, col_max)``, inclusive.

    Returns
    -------
    bytes
    """
    import io

    from PIL import Image
    from skimage.segmentation import find_boundaries

    grey = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    r0, r1, c0, c1 = roi
    box = np.zeros(mask.shape, dtype=bool)
    box[r0 : r1 + 1, [c0, c1]] = True
    box[[r0, r1], c0 : c1 + 1] = True
    rgb[box] = (0, 114, 178)
    rgb[find_boundaries(mask, mode="inner")] = (230, 159, 0)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def run_segment(raw_dir, rois_csv, out_dir, *, method: str = "radial") -> list[dict]:
    """Preprocess, segment and write every case of ``rois_csv``; return what was done.

    Each case gives ``<case>_resized.pgm``, ``<case>_mass_mask.pgm`` and
    ``<case>_overlay.png`` (the ROI and the mask's outline on the image, to check both).

    Returns
    -------
    list of dict
        Per case: ``case``, ``raw_shape`` and ``grid_shape`` (the preprocessed grid, the
        one the ROI is given on).

    Raises
    ------
    InputError
        Naming the ROI file and row for an unknown case or a rectangle outside the
        preprocessed image, or naming the image for an unreadable one; nothing is written.
    """
    raw_dir, rois_csv, out_dir = Path(raw_dir), Path(rois_csv), Path(out_dir)
    name = ALIASES.get(method, method)
    accepted = rule_based_semi_automatic()
    if name not in accepted:
        names = [a for a, target in ALIASES.items() if target in accepted] + accepted
        raise ParameterError("method", "run_segment", "a semi-automatic, rule-based method ("
                             f"{', '.join(names)})", method, choices=names)
    segmenter = make_segmenter(name)
    if not raw_dir.is_dir():
        raise InputError("not a folder", raw_dir)
    jobs = []
    seen = set()
    for line, case, rect in read_rois(rois_csv):
        where = f"{rois_csv}:{line}"
        if case in seen:
            raise InputError(f"duplicate case {case!r}", where)
        seen.add(case)
        raw_path = _find_raw(raw_dir, case)
        if raw_path is None:
            raise InputError(f"unknown case {case!r}: no {case} with a suffix of "
                             f"{', '.join(IMAGE_SUFFIXES)} in {raw_dir}",
                             where)
        raw, _ = read_image(raw_path)
        resized = course_preprocess(raw, normalise=False)
        try:
            check_roi(rect, resized.shape, where="ROI")
        except ValueError as exc:
            rows, cols = resized.shape
            raise InputError(f"{exc}: the ROI is on {case}'s preprocessed grid, {rows} x "
                             f"{cols} (its raw {raw.shape[0]} x {raw.shape[1]} crop smoothed "
                             f"and shrunk by {round(raw.shape[0] / rows)})", where) from None
        jobs.append((case, resized, rect, raw.shape))
    normalised = [resized / resized.max() if resized.max() > 0 else resized
                  for _, resized, _, _ in jobs]
    masks = segmenter.predict(normalised, rois=[rect for _, _, rect, _ in jobs])
    out_dir.mkdir(parents=True, exist_ok=True)
    for (case, resized, rect, _), image, mask in zip(jobs, normalised, masks, strict=True):
        image_path, mask_path = course_paths(out_dir, case)
        write_pgm(image_path, np.clip(matlab_round(resized), 0, 255).astype(np.uint8))
        write_pgm(mask_path, mask.astype(np.uint8) * 255)
        atomic_write_bytes(out_dir / f"{case}{OVERLAY_TAG}.png", overlay_png(image, mask, rect))
    # the folder says how its masks were made, so reports on it can say what scores mean
    write_reference_statement(out_dir, "semi-automatic", method=name,
                              made_by="python -m benchmark segment")
    return [{"case": case, "raw_shape": raw_shape, "grid_shape": resized.shape}
            for case, resized, _, raw_shape in jobs]


def cmd_segment(args) -> int:
    """Make a course-format reference folder from raw crops and their ROIs."""
    done = run_segment(args.raw_dir, args.rois, args.out, method=args.method)
    for item in done:
        (rows, cols), (raw_rows, raw_cols) = item["grid_shape"], item["raw_shape"]
        print(f"{item['case']}: preprocessed grid {rows} x {cols} (raw {raw_rows} x "
              f"{raw_cols}); wrote {item['case']}{IMAGE_TAG}.pgm, {item['case']}{MASK_TAG}.pgm, "
              f"{item['case']}{OVERLAY_TAG}.png")
    grids = sorted({"{} x {}".format(*item["grid_shape"]) for item in done})
    print(f"segmented {len(done)} case(s) with {args.method} into {args.out}; preprocessed "
          f"grid(s), on which the ROIs are given: {', '.join(grids)}")
    return 0
