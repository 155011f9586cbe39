"""``python -m benchmark segment``: the batch, non-interactive ``run_segmentation.m``.

Raw crops are preprocessed the course's way and segmented with the ROI of ``ROIS.csv``
(columns ``case,row_min,row_max,col_min,col_max``, 0-based inclusive, on the preprocessed
grid); each case gives the course-format pair ``<case>_resized.pgm`` (the smoothed,
down-scaled image on its raw grey scale, ``uint8(im_resized)`` as the course writes it) and
``<case>_mass_mask.pgm`` ({0, 255}). Every row is checked before anything is computed, and a
folder that already holds course-format files (a user's masks, say) is refused unless
``overwrite`` is given. :func:`run_preview` writes the preprocessed grids alone, before any box
exists, so that the boxes can be drawn on exactly the grid they are given on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from baselines.matlab import matlab_round
from baselines.preprocessing import course_preprocess
from baselines.registry import ALIASES, make_segmenter, rule_based_semi_automatic
from benchmark.ground.data import REFERENCE_FILE, write_reference_statement
from benchmark.ground.data.course import IMAGE_TAG, MASK_TAG, course_name, course_paths
from benchmark.ground.data.imageio import (
    IMAGE_SUFFIXES,
    JPEG_REFUSED,
    JPEG_SUFFIXES,
    encode_pgm,
    read_image,
    write_pgm,
)
from benchmark.ground.data.manifest import read_table
from benchmark.ground.errors import InputError, ParameterError
from benchmark.ground.roi import ROI_COLUMNS, check_roi
from benchmark.ground.store import atomic_write_bytes

#: How many names a line that lists cases shows before "and N more".
SHOWN = 5


def read_rois(path: Path) -> list[tuple[int, str, tuple[int, int, int, int]]]:
    """Rows of ``ROIS.csv`` as (line number, case, rectangle); malformed rows are errors.

    The separator (``,``, ``;`` or a tab) is read from the header line.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the ROI file ({getattr(exc, 'strerror', None) or exc})",
                         path) from None
    columns, table = read_table(text)
    missing = [c for c in ROI_COLUMNS if c not in columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; expected "
                         f"{','.join(ROI_COLUMNS)} (separated by commas, ';' or tabs)", path)
    rows = []
    for line, row in enumerate(table, start=2):
        try:
            rect = tuple(int(row[c]) for c in ROI_COLUMNS[1:])
        except (TypeError, ValueError):
            raise InputError(f"row {line}: row_min, row_max, col_min, col_max must be "
                             "integers", path) from None
        rows.append((line, row["case"], rect))
    if not rows:
        raise InputError("no rows", path)
    return rows


def raw_crops(raw_dir: Path) -> dict[str, Path]:
    """Case -> file of every raw crop in ``raw_dir`` (one image per case, named after it).

    JPEG files are listed too (:func:`_find_raw` refuses them, saying why).
    """
    crops = {}
    for path in sorted(raw_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES + JPEG_SUFFIXES:
            crops.setdefault(path.name[: -len(path.suffix)], path)
    return crops


def _find_raw(raw_dir: Path, case: str) -> Path | None:
    for suffix in IMAGE_SUFFIXES:
        candidate = raw_dir / f"{case}{suffix}"
        if candidate.is_file():
            return candidate
    for suffix in JPEG_SUFFIXES:
        candidate = raw_dir / f"{case}{suffix}"
        if candidate.is_file():
            raise InputError(JPEG_REFUSED, candidate)
    return None


def _listed(names: list[str]) -> str:
    """``a, b, c`` or ``a, b, c, d, e and 7 more``."""
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def crops_left_out(raw_dir, cases) -> list[str]:
    """The raw crops of ``raw_dir`` that ``cases`` (the ROI file's) leave out, sorted."""
    given = set(cases)
    return [case for case in raw_crops(Path(raw_dir)) if case not in given]


def _check_out(out_dir: Path, raw_dir: Path, *, grid_of, overwrite: bool,
               masks: bool) -> None:
    """Refuse an ``--out`` whose course-format files would be replaced or mixed with ours.

    Every mask of the course format is in the way, and ``reference.json`` when ``masks`` are
    written; so is every course-format image unless ``grid_of(case)`` gives its very bytes
    (a grid :func:`run_preview` wrote from the same raw crop). ``grid_of`` None: images are
    not looked at yet (the first, quick check). Nothing is in the way with ``overwrite``.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("exists and is not a folder; choose another --out", out_dir)
    if out_dir.resolve() == raw_dir.resolve():
        raise InputError("--out is RAW_DIR itself: the written files would mix with the raw "
                         "crops; choose another folder", out_dir)
    if overwrite or not out_dir.is_dir():
        return
    in_the_way = []
    for path in sorted(out_dir.iterdir()):
        parsed = course_name(path)
        if path.name == REFERENCE_FILE and masks:
            in_the_way.append(path)
        elif parsed is not None and parsed[1] == "mask":
            in_the_way.append(path)
        elif parsed is not None and grid_of is not None:
            mine = grid_of(parsed[0]) if path.suffix == ".pgm" else None
            if mine is None or path.read_bytes() != mine:
                in_the_way.append(path)
    if in_the_way:
        more = (f" (and {len(in_the_way) - 1} more course-format file"
                f"{'s' if len(in_the_way) > 2 else ''})" if len(in_the_way) > 1 else "")
        raise InputError(f"--out already holds this file{more}, which segment would replace "
                         "or mix with its own; choose a new or empty folder, or give "
                         "--overwrite to replace them", in_the_way[0])


def _grids(raw_dir: Path, known: dict[str, bytes]):
    """``case -> _resized.pgm bytes``: ``known`` ones, else the raw crop's (None: no crop)."""
    cache = dict(known)

    def grid_of(case: str) -> bytes | None:
        if case not in cache:
            try:
                path = _find_raw(raw_dir, case)
                cache[case] = _preprocess(path)[2] if path is not None else None
            except InputError:  # an unreadable crop made no grid
                cache[case] = None
        return cache[case]

    return grid_of


def _preprocess(raw_path: Path) -> tuple[np.ndarray, tuple[int, int], bytes]:
    """(preprocessed grid on the raw grey scale, raw shape, its ``_resized.pgm`` bytes)."""
    raw, _ = read_image(raw_path)
    resized = course_preprocess(raw, normalise=False)
    grid = encode_pgm(np.clip(matlab_round(resized), 0, 255).astype(np.uint8))
    return resized, raw.shape, grid


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


def run_segment(raw_dir, rois_csv, out_dir, *, method: str = "radial",
                overwrite: bool = False) -> list[dict]:
    """Preprocess, segment and write every case of ``rois_csv``; return what was done.

    Each case gives ``<case>_resized.pgm``, ``<case>_mass_mask.pgm`` and
    ``<case>_overlay.png`` (the ROI and the mask's outline on the image, to check both).
    Raw crops that ``rois_csv`` does not name are not segmented
    (:func:`crops_left_out` lists them).

    Parameters
    ----------
    raw_dir, rois_csv, out_dir : path-like
    method : str, default "radial"
        A semi-automatic, rule-based method.
    overwrite : bool, default False
        Replace the course-format files and ``reference.json`` that ``out_dir`` holds;
        without it such a folder is refused (a ``<case>_resized.pgm`` identical to the one
        written, as :func:`run_preview` leaves, is not in the way).

    Returns
    -------
    list of dict
        Per case: ``case``, ``raw_shape``, ``grid_shape`` (the preprocessed grid, the
        one the ROI is given on) and ``empty`` (whether the mask came out empty).

    Raises
    ------
    InputError
        Naming the ROI file and row for an unknown case or a rectangle outside the
        preprocessed image, naming the image for an unreadable one (or a JPEG), or naming
        the first file of ``out_dir`` in the way; nothing is written.
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
    _check_out(out_dir, raw_dir, grid_of=None, overwrite=overwrite, masks=True)  # quick
    jobs, grids = [], {}
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
        resized, raw_shape, grids[case] = _preprocess(raw_path)
        try:
            check_roi(rect, resized.shape, where="ROI")
        except ValueError as exc:
            rows, cols = resized.shape
            raise InputError(f"{exc}: the ROI is on {case}'s preprocessed grid, {rows} x "
                             f"{cols} (its raw {raw_shape[0]} x {raw_shape[1]} crop smoothed "
                             f"and shrunk by {round(raw_shape[0] / rows)}; --preview writes "
                             "that grid)", where) from None
        jobs.append((case, resized, rect, raw_shape))
    _check_out(out_dir, raw_dir, grid_of=_grids(raw_dir, grids), overwrite=overwrite,
               masks=True)
    normalised = [resized / resized.max() if resized.max() > 0 else resized
                  for _, resized, _, _ in jobs]
    masks = segmenter.predict(normalised, rois=[rect for _, _, rect, _ in jobs])
    out_dir.mkdir(parents=True, exist_ok=True)
    for (case, _, rect, _), image, mask in zip(jobs, normalised, masks, strict=True):
        image_path, mask_path = course_paths(out_dir, case)
        atomic_write_bytes(image_path, grids[case])
        write_pgm(mask_path, mask.astype(np.uint8) * 255)
        atomic_write_bytes(out_dir / f"{case}{OVERLAY_TAG}.png", overlay_png(image, mask, rect))
    # the folder says how its masks were made, so reports on it can say what scores mean
    write_reference_statement(out_dir, "semi-automatic", method=name,
                              made_by="python -m benchmark segment")
    return [{"case": case, "raw_shape": raw_shape, "grid_shape": resized.shape,
             "empty": not mask.any()}
            for (case, resized, _, raw_shape), mask in zip(jobs, masks, strict=True)]


def run_preview(raw_dir, out_dir, *, overwrite: bool = False) -> list[dict]:
    """Write the preprocessed grid of every raw crop, ``<case>_resized.pgm``, and no mask.

    The grid is the one ``ROIS.csv`` boxes are given on (0-based, inclusive rows and
    columns): the raw crop smoothed and shrunk by 8, so a 512 px crop becomes 65 x 65.
    :func:`run_segment` into the same folder keeps these files (they are identical).

    Parameters
    ----------
    raw_dir, out_dir : path-like
    overwrite : bool, default False
        Replace course-format files that ``out_dir`` holds (refused otherwise).

    Returns
    -------
    list of dict
        Per case: ``case``, ``raw_shape`` and ``grid_shape``.

    Raises
    ------
    InputError
        For a folder without crops, an unreadable crop or a JPEG, or ``out_dir`` holding
        other course-format files; nothing is written.
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise InputError("not a folder", raw_dir)
    _check_out(out_dir, raw_dir, grid_of=None, overwrite=overwrite, masks=False)
    crops = raw_crops(raw_dir)
    if not crops:
        raise InputError(f"no raw crops here (one image per case: <case>"
                         f"{', '.join(IMAGE_SUFFIXES)})", raw_dir)
    done, grids = [], {}
    for case, path in crops.items():
        if path.suffix.lower() in JPEG_SUFFIXES:
            raise InputError(JPEG_REFUSED, path)
        resized, raw_shape, grids[case] = _preprocess(path)
        done.append({"case": case, "raw_shape": raw_shape, "grid_shape": resized.shape})
    _check_out(out_dir, raw_dir, grid_of=grids.get, overwrite=overwrite, masks=False)
    out_dir.mkdir(parents=True, exist_ok=True)
    for case, grid in grids.items():
        atomic_write_bytes(course_paths(out_dir, case)[0], grid)
    return done


def _grid(item: dict) -> str:
    (rows, cols), (raw_rows, raw_cols) = item["grid_shape"], item["raw_shape"]
    return f"preprocessed grid {rows} x {cols} (raw {raw_rows} x {raw_cols})"


def cmd_segment(args) -> int:
    """Make a course-format reference folder from raw crops and their ROIs (or preview)."""
    import sys

    from benchmark.harness.commands import PROG

    if args.preview:
        done = run_preview(args.raw_dir, args.out, overwrite=args.overwrite)
        for item in done:
            print(f"{item['case']}: {_grid(item)}; wrote {item['case']}{IMAGE_TAG}.pgm")
        grids = sorted({"{} x {}".format(*item["grid_shape"]) for item in done})
        print(f"wrote the preprocessed grid of {len(done)} crop(s) into {args.out} "
              f"({', '.join(grids)}): draw each box on its <case>{IMAGE_TAG}.pgm (0-based, "
              "inclusive rows and columns), list them in a ROI file (case,row_min,row_max,"
              "col_min,col_max) and run segment with --rois")
        return 0
    if args.rois is None:
        raise InputError("segment needs --rois ROIS.csv (or --preview to write the grids the "
                         "boxes are drawn on)")
    done = run_segment(args.raw_dir, args.rois, args.out, method=args.method,
                       overwrite=args.overwrite)
    for item in done:
        print(f"{item['case']}: {_grid(item)}; wrote {item['case']}{IMAGE_TAG}.pgm, "
              f"{item['case']}{MASK_TAG}.pgm, {item['case']}{OVERLAY_TAG}.png")
    grids = sorted({"{} x {}".format(*item["grid_shape"]) for item in done})
    print(f"segmented {len(done)} case(s) with {args.method} into {args.out}; preprocessed "
          f"grid(s), on which the ROIs are given: {', '.join(grids)}")
    empty = [item["case"] for item in done if item["empty"]]
    if empty:
        print(f"{PROG} segment: the mask of {len(empty)} case(s) came out empty: "
              f"{_listed(empty)}; look at their <case>{OVERLAY_TAG}.png in {args.out} and "
              "redraw the box: `data` and `run` refuse an empty reference mask", file=sys.stderr)
    left_out = crops_left_out(args.raw_dir, [item["case"] for item in done])
    if left_out:
        grids = [c for c in left_out if course_paths(args.out, c)[0].is_file()]
        lone = (f"; {len(grids)} of them have a grid but no mask in {args.out} (from "
                "--preview): add their boxes or delete those grids" if grids else "")
        print(f"{PROG} segment: {len(left_out)} crop(s) of {args.raw_dir} have no row in "
              f"{args.rois} and were not segmented: {_listed(left_out)}{lone}",
              file=sys.stderr)
    return 0
