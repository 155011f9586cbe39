"""Figures of the report, drawn with matplotlib / seaborn and returned as embedded PNG data.

Every public function returns a :class:`Figure` record (a ``data:`` URI and its alt text), so
the HTML file carries its figures and needs nothing else; its ``*_figure`` twin returns the
matplotlib figure and the alt text instead, for tests and other uses. Colours come from a
colour-blind-safe palette and every distinction that matters also has a line style or
marker, so the figures read in grey print. The PNGs are shown at their own size, and no text
is smaller than :data:`TEXT_PT` points at :data:`DPI` (about 12 screen pixels, 9 pt on the
page).
"""

from __future__ import annotations

import base64
import functools
import io
import math
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator, NullFormatter, NullLocator  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from benchmark.ground.metrics import METRICS  # noqa: E402
from reports.stats import mask_flag, mean_roc  # noqa: E402

DPI = 80
#: The smallest font of a figure and the size of its axis labels and titles, in points at
#: :data:`DPI`: 11 pt is 12 screen pixels.
TEXT_PT = 11
LABEL_PT = 12
#: The widest PNG (pixels) that the report's figure grid (gallery, training curves) shows
#: at its own size; a wider one would be scaled down, and its text with it.
GRID_WIDTH_PX = 580
#: The distance axes end at this percentile of the values of the masks that are not empty.
DISTANCE_PERCENTILE = 99
REFERENCE_STYLE = {"colors": "#0072B2", "linewidths": 1.4, "linestyles": "solid"}
PREDICTION_STYLE = {"colors": "#E69F00", "linewidths": 1.4, "linestyles": "dashed"}
VALIDATION_COLOUR = "#0072B2"
FLAG_COLOUR = "#a40000"
_RC = {"font.size": TEXT_PT, "axes.labelsize": LABEL_PT, "axes.titlesize": LABEL_PT,
       "xtick.labelsize": TEXT_PT, "ytick.labelsize": TEXT_PT, "legend.fontsize": TEXT_PT,
       "legend.title_fontsize": TEXT_PT, "figure.titlesize": LABEL_PT,
       "figure.labelsize": LABEL_PT}


@dataclass(frozen=True)
class Figure:
    """An embedded figure: a PNG ``data:`` URI and what it shows, in words."""

    src: str
    alt: str


def _readable(function):
    """Draw with the module's font sizes (a context: the global matplotlib state stays)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with plt.rc_context(_RC):
            return function(*args, **kwargs)
    return wrapper


def png_bytes(fig, dpi: int = DPI) -> bytes:
    """The PNG file of a matplotlib figure (closed afterwards)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight",
                metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _embed(fig, alt: str) -> Figure:
    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    return Figure(src=f"data:image/png;base64,{data}", alt=alt)


def _resize_mask(mask: np.ndarray, shape) -> np.ndarray:
    if mask.shape == tuple(shape):
        return mask
    from skimage.transform import resize

    return resize(mask.astype(float), shape, order=0, anti_aliasing=False) >= 0.5


def _contour(ax, mask, shape, style) -> None:
    mask = _resize_mask(np.asarray(mask, dtype=bool), shape)
    if mask.any() and not mask.all():
        ax.contour(mask.astype(float), levels=[0.5], **style)


@_readable
def examples(items: list[tuple[str, np.ndarray, np.ndarray, str]]) -> Figure:
    """Example crops with their reference contour: (case, image, mask, caption) each."""
    n = len(items)
    fig, axes = plt.subplots(1, n, figsize=(2.0 * n, 2.3), squeeze=False)
    for ax, (_, image, mask, caption) in zip(axes[0], items, strict=True):
        ax.imshow(image, cmap="gray", vmin=0, vmax=255)
        _contour(ax, mask, image.shape, REFERENCE_STYLE)
        ax.set_title(caption, fontsize=TEXT_PT)
        ax.axis("off")
    names = ", ".join(f"{case} ({caption})" for case, _, _, caption in items)
    return _embed(fig, f"Example crops with the reference mask outlined: {names}.")


def _empty_mask_cases(data: pd.DataFrame) -> pd.Series:
    """Rows whose surface distances are the image diagonal: exactly one of the masks empty.

    ``empty_flag`` may be a share of training seeds (a seed-averaged row): any share counts,
    since the average then holds a diagonal.
    """
    if "empty_flag" in data:
        return data["empty_flag"].astype(float).fillna(0) > 0
    return pd.Series(False, index=data.index)


@_readable
def distributions_figure(metrics: pd.DataFrame, methods: list[str], metric: str, label: str,
                         *, floor: str | None = None, title: str | None = None):
    """The figure of :func:`distributions` and its alt text: (matplotlib Figure, str)."""
    data = metrics[metrics["method"].isin(methods)]
    distance = metric in METRICS and not METRICS[metric].higher_is_better
    empty = _empty_mask_cases(data) if distance else pd.Series(False, index=data.index)
    n_empty = {m: int(empty[data["method"] == m].sum()) for m in methods}
    shown = data[~empty]
    values = shown[metric].to_numpy(float)
    values = values[np.isfinite(values)]
    limit = (max(float(np.percentile(values, DISTANCE_PERCENTILE)), 1.0)
             if distance and values.size else None)
    beyond = shown[shown[metric] > limit] if limit is not None else shown.iloc[:0]
    inside = shown.drop(beyond.index)
    fig, ax = plt.subplots(figsize=(7.5, 0.36 * len(methods) + 1.6))
    if shown[metric].notna().any():  # (a track whose every mask is empty has no box)
        sns.boxplot(data=shown, y="method", x=metric, order=methods, ax=ax, color="0.85",
                    showfliers=False, linewidth=0.8)
        sns.stripplot(data=inside, y="method", x=metric, order=methods, ax=ax, color="0.15",
                      size=2.6, alpha=0.55, jitter=0.25)
    ax.set_yticks(range(len(methods)), methods)
    ax.set_ylim(len(methods) - 0.5, -0.5)
    ax.set_ylabel("")
    ax.grid(axis="x", color="0.9")
    notes = []
    if limit is not None:
        ax.set_xlim(-0.02 * limit, 1.04 * limit)
        if len(beyond):  # drawn at the axis' end, as triangles pointing beyond it
            rows = [methods.index(m) for m in beyond["method"]]
            ax.scatter(np.full(len(rows), limit), rows, marker=">", s=30, color="0.15",
                       zorder=3, clip_on=False)
            notes.append(f"{len(beyond)} value{'s' if len(beyond) > 1 else ''} beyond "
                         f"{limit:.3g} at the edge (\u25b8)")
    if any(n_empty.values()):
        # the empty masks' count in a column beside the panel, one per method
        beside = blended_transform_factory(ax.transAxes, ax.transData)
        for row, method in enumerate(methods):
            ax.text(1.02, row, str(n_empty[method]), transform=beside, ha="left",
                    va="center", color=FLAG_COLOUR if n_empty[method] else "0.4")
        ax.text(1.02, 1.0, "empty\nmasks", transform=ax.transAxes, ha="left", va="bottom",
                color=FLAG_COLOUR)
        notes.insert(0, "empty masks (scored at the image diagonal) not drawn, counted "
                        "at right")
    ax.set_xlabel(label + "".join(f"\n{n}" for n in notes))
    floor_text = ""
    if floor is not None:
        level = float(shown.loc[shown["method"] == floor, metric].mean())
        if np.isfinite(level) and (limit is None or level <= limit):
            ax.axvline(level, color="tab:red", linestyle="--", linewidth=1.1,
                       label=f"floor: {floor} mean {level:.3g}")
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False,
                      borderaxespad=0.2)
            floor_text = (f" The dashed red line is the mean of the floor, {floor} "
                          f"({level:.3g}{', masks not empty' if n_empty.get(floor) else ''}).")
    if title:
        ax.set_title(title, loc="right" if floor is not None else "center", fontsize=TEXT_PT)
    alt = (f"Box and strip plot of {label} per case for each method ({', '.join(methods)})"
           f"{f', track {title}' if title else ''}; the box spans the quartiles, the line is "
           "the median, each dot a test case." + floor_text)
    if any(n_empty.values()):
        alt += (" Cases with an empty predicted mask, whose distance is the image diagonal, "
                "are left out of the plot and counted beside it: " + ", ".join(
                    f"{m} {n}" for m, n in n_empty.items() if n) + ".")
    if len(beyond):
        alt += (f" The axis ends at {limit:.3g} (the {DISTANCE_PERCENTILE}th percentile of the "
                f"other cases); {len(beyond)} larger values are drawn at its end: " + ", ".join(
                    f"{m} {n}" for m, n in beyond["method"].value_counts(sort=False).items())
                + ".")
    return fig, alt


def distributions(metrics: pd.DataFrame, methods: list[str], metric: str, label: str, *,
                  floor: str | None = None, title: str | None = None) -> Figure:
    """Box plot with the cases as points, one row per method; the floor's mean as a line.

    For a distance (HD95, ASSD), the cases whose predicted mask is empty (``empty_flag``:
    their distance is the image diagonal) are not drawn but counted in a column beside the
    panel, and the axis ends at the :data:`DISTANCE_PERCENTILE` th percentile of the other
    cases, the few values beyond it drawn as triangles at its end: one failure no longer
    squeezes every other method against the left edge.

    Parameters
    ----------
    metrics : DataFrame
        One row per (method, case), with columns ``method``, ``metric`` and, for the
        distances, ``empty_flag`` (bool, or the share of training seeds).
    methods : list of str
        The rows, top to bottom.
    metric, label : str
        The column drawn and its axis label.
    floor : str, optional
        A method whose mean is drawn as a dashed line.
    title : str, optional
        The track's name, above the panel.
    """
    return _embed(*distributions_figure(metrics, methods, metric, label, floor=floor,
                                        title=title))


@_readable
def gallery_row_figure(method: str, items: list[tuple[str, str, float, np.ndarray, np.ndarray,
                                                      np.ndarray]]):
    """The figure of :func:`gallery_row` and its alt text: (matplotlib Figure, str)."""
    fig, axes = plt.subplots(1, len(items), figsize=(2.2 * len(items), 2.5), squeeze=False)
    described = []
    for ax, (rank, case, dice, image, reference, predicted) in zip(axes[0], items,
                                                                     strict=True):
        ax.imshow(image, cmap="gray", vmin=0, vmax=255)
        _contour(ax, reference, image.shape, REFERENCE_STYLE)
        _contour(ax, predicted, image.shape, PREDICTION_STYLE)
        ax.set_title(f"{rank}: Dice {dice:.2f}", fontsize=TEXT_PT)
        ax.axis("off")
        flag = mask_flag(predicted)
        if flag:  # nothing (or only the crop's edge) to see: say what the prediction was
            ax.text(0.5, 0.04, flag, transform=ax.transAxes, ha="center", va="bottom",
                    fontsize=TEXT_PT, fontweight="bold", color=FLAG_COLOUR,
                    bbox={"boxstyle": "round,pad=0.25", "facecolor": "white",
                          "edgecolor": FLAG_COLOUR, "alpha": 0.9})
        described.append(f"{rank} case {case}, Dice {dice:.2f}" + (f" ({flag})" if flag
                                                                   else ""))
    return fig, (f"{method}: reference outline solid blue, prediction dashed orange. "
                 f"{'; '.join(described)}.")


def gallery_row(method: str, items: list[tuple[str, str, float, np.ndarray, np.ndarray,
                                              np.ndarray]]) -> Figure:
    """Best, median and worst case of a method: (rank, case, dice, image, reference, pred).

    A panel whose prediction is empty, or covers at least :data:`WHOLE_CROP` of the crop,
    says so in a label ("empty prediction", "whole crop"): there is no outline to see.
    """
    return _embed(*gallery_row_figure(method, items))


def _log_ticks(ax, values) -> None:
    """Labelled ticks on a log y axis, wherever the values lie (not only at decades)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if not values.size:
        return
    low, high = float(values.min()), float(values.max())
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    ticks = []
    for subs in ((1,), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        ticks = [s * 10.0 ** e for e in decades for s in subs
                 if low <= s * 10.0 ** e <= high]
        if len(ticks) >= 3:
            break
    if len(ticks) < 3:  # a narrow range, where a log axis is nearly linear: linear ticks
        ticks = [t for t in MaxNLocator(nbins=4).tick_values(low, high) if low <= t <= high]
    ax.set_yticks(ticks, [f"{t:.4g}" for t in ticks])
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())


@_readable
def training_curves_figure(method: str, histories: dict[int, pd.DataFrame]):
    """The figure of :func:`training_curves` and its alt text: (matplotlib Figure, str)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.0, 3.4), layout="constrained")
    styles = ["-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1))]
    restarted, losses, folds = [], [], []
    for i, (fold, history) in enumerate(sorted(histories.items())):
        if "attempt" in history and history["attempt"].nunique() > 1:
            restarted.append(fold)
            kept = (history["kept"].astype(bool) if "kept" in history and
                    history["kept"].astype(bool).any()
                    else history["attempt"] == history["attempt"].max())
            history = history[kept]
        epochs = np.arange(1, len(history) + 1)
        style = styles[i % len(styles)]
        folds.append(Line2D([], [], color="0.25", linestyle=style, label=f"fold {fold}"))
        left.plot(epochs, history["loss"], linestyle=style, color="0.25")
        losses.append(history["loss"])
        if "val_loss" in history:
            left.plot(epochs, history["val_loss"], linestyle=style, color=VALIDATION_COLOUR)
            losses.append(history["val_loss"])
        if "val_dice" in history:
            right.plot(epochs, history["val_dice"], linestyle=style, color="0.25")
    # log scale: the first epochs' validation loss of the batch-normalised U-Nets is 10x the
    # rest, and would flatten every later epoch on a linear axis
    left.set(xlabel="epoch", ylabel="loss (BCE + Dice), log", yscale="log")
    _log_ticks(left, np.concatenate([np.asarray(v, dtype=float) for v in losses]))
    # a little room below 0: a validation Dice of 0 (a collapsed model) is a visible line,
    # not the axis
    right.set(xlabel="epoch", ylabel="validation Dice", ylim=(-0.05, 1.05))
    for ax in (left, right):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
        ax.grid(color="0.9")
    fig.suptitle(method)
    kinds = [Line2D([], [], color="0.25", label="training loss"),
             Line2D([], [], color=VALIDATION_COLOUR, label="validation loss")]
    fig.legend(handles=kinds + folds, loc="outside lower center", ncol=4, frameon=False,
               columnspacing=1.2, handlelength=2.2)
    note = (f" Folds {', '.join(map(str, restarted))} collapsed and were restarted; the "
            f"attempt kept is drawn." if restarted else "")
    return fig, (f"Training curves of {method}: training loss (grey) and validation "
                 f"loss (blue) on the left, validation Dice on the right, per epoch for "
                 f"folds {', '.join(map(str, histories))}, one line style per fold.{note}")


def training_curves(method: str, histories: dict[int, pd.DataFrame]) -> Figure:
    """Training and validation loss, and validation Dice, per epoch, one line style per fold.

    A history with several attempts (a collapsed training restarted) is drawn from the
    attempt whose model was kept (its ``kept`` column; the last attempt in older runs). The
    epoch axis has whole-number ticks; the legend (loss kinds, folds) sits below the panels.
    """
    return _embed(*training_curves_figure(method, histories))


def draw_roc(ax, curves, *, folds: bool = True, label: str | None = None,
             linestyle: str = "-", diagonal: bool = True) -> None:
    """ROC curves on ``ax``: each fold thin grey (``folds``), their mean and a +-1 SD band.

    Parameters
    ----------
    ax : matplotlib Axes
    curves : sequence of (fpr, tpr) pairs
        One ROC curve per fold (``sklearn.metrics.roc_curve``).
    folds : bool, default True
        Draw every fold's curve too.
    label : str, optional
        Legend label of the mean curve.
    linestyle : str, default "-"
    diagonal : bool, default True
        Draw the chance diagonal (once per axes: pass False for the further curves).
    """
    if folds:
        for fpr, tpr in curves:
            ax.plot(fpr, tpr, color="0.6", linewidth=0.7)
    if len(curves):
        grid, mean, sd = mean_roc(curves)
        ax.fill_between(grid, np.clip(mean - sd, 0, 1), np.clip(mean + sd, 0, 1),
                        color="0.8", alpha=0.6, linewidth=0)
        ax.plot(grid, mean, color="black", linewidth=1.6, linestyle=linestyle, label=label)
    if diagonal:
        ax.plot([0, 1], [0, 1], color="0.5", linestyle=":", linewidth=0.8)


def source_title(source: str) -> str:
    """A mask source in words: 'Reference masks', 'Masks of otsu'."""
    return "Reference masks" if source == "reference" else f"Masks of {source}"


@_readable
def roc_panels_figure(scores: pd.DataFrame, classifier: str, sources: list[str], *,
                      columns: int = 4):
    """The figure of :func:`roc_panels` and its alt text: (matplotlib Figure, str)."""
    from sklearn.metrics import auc, roc_curve

    n_cols = max(1, min(columns, len(sources)))
    n_rows = -(-len(sources) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.2 * n_cols + 0.6, 3.2 * n_rows + 0.9),
                             squeeze=False, sharex=True, sharey=True, layout="constrained")
    described = []
    for k, (ax, source) in enumerate(zip(axes.flat, sources, strict=False)):
        part = scores[(scores["classifier"] == classifier) & (scores["mask_source"] == source)]
        curves = [roc_curve(fold["label"], fold["score"])[:2]
                  for _, fold in part.groupby("fold") if fold["label"].nunique() == 2]
        draw_roc(ax, curves)
        title = source_title(source)
        # a long method name on a line of its own: titles stay within their panel
        ax.set_title(title.replace(" of ", " of\n") if len(title) > 24 else title)
        ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), xticks=[0, 0.5, 1], yticks=[0, 0.5, 1])
        ax.set_aspect("equal")
        if k + n_cols >= len(sources):  # no panel below: this one shows the x ticks
            ax.xaxis.set_tick_params(labelbottom=True)
        if curves:
            areas = [auc(fpr, tpr) for fpr, tpr in curves]
            spread = f" ± {np.std(areas, ddof=1):.2f}" if len(areas) > 1 else ""
            ax.text(0.97, 0.04, f"AUC {np.mean(areas):.2f}{spread}", transform=ax.transAxes,
                    ha="right", va="bottom",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1})
            described.append(f"{source_title(source).lower()} AUC {np.mean(areas):.2f}")
        else:
            described.append(f"{source_title(source).lower()} (no fold with both classes)")
    for ax in list(axes.flat)[len(sources):]:
        ax.axis("off")
    fig.supxlabel("false positive rate (1 - specificity)")
    fig.supylabel("true positive rate (sensitivity)")
    fig.legend(handles=[Line2D([], [], color="0.6", linewidth=0.7, label="each fold"),
                        Line2D([], [], color="black", linewidth=1.6, label="mean over folds"),
                        Patch(facecolor="0.8", alpha=0.6, label="\u00b11 SD"),
                        Line2D([], [], color="0.5", linestyle=":", label="chance")],
               loc="outside upper center", ncol=4, frameon=False)
    return fig, (f"ROC curves of the {classifier} classifier for each mask source, one panel "
                 f"each: each fold thin grey, their mean black, the grey band +-1 standard "
                 f"deviation, the diagonal dotted; mean AUC over folds: "
                 f"{'; '.join(described)}.")


def roc_panels(scores: pd.DataFrame, classifier: str, sources: list[str], *,
               columns: int = 4) -> Figure:
    """ROC curves per fold (thin), their mean (thick) and +-1 SD band, one panel per source.

    Parameters
    ----------
    scores : DataFrame
        The run's classification scores: ``classifier, mask_source, fold, label, score``.
    classifier : str
    sources : list of str
        Mask sources, one panel each (``reference`` is titled "Reference masks", a method
        "Masks of <method>"), row by row.
    columns : int, default 4
        Panels per row (about 250 pixels each).
    """
    return _embed(*roc_panels_figure(scores, classifier, sources, columns=columns))


def roc_comparison(curves: dict[str, list]) -> plt.Figure:
    """Mean ROC of each classifier with a +-1 SD band over folds (``classify``'s roc.png).

    Parameters
    ----------
    curves : dict of str to list of (fpr, tpr)
        Classifier name -> one ROC curve per fold and repeat.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(5, 5))
    for k, (style, (name, own)) in enumerate(zip(["-", "--", ":"], curves.items(),
                                                 strict=False)):
        draw_roc(ax, own, folds=False, label=name, linestyle=style, diagonal=k == 0)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    ax.set_title("ROC, mean and +-1 SD over folds")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


@_readable
def timings(table: pd.DataFrame) -> Figure:
    """Total time per method (fit + predict over all folds), log scale."""
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(table) + 1.0))
    ax.barh(table.index, table["total_s"], color="0.5", edgecolor="black", linewidth=0.5)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("total time over all folds, seconds (log scale)")
    ax.grid(axis="x", color="0.9")
    return _embed(fig, "Bar chart of the total fit and predict time of every method over all "
                       "folds, on a log scale: " + ", ".join(
                           f"{m} {s:.3g} s" for m, s in table["total_s"].items()) + ".")


#: Colours of the runs of a comparison (the colour-blind palette, look-alikes apart).
_RUN_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#1a1a1a", "#56B4E9")


@_readable
def compare_dice_figure(table: pd.DataFrame, labels: list[str]):
    """The figure of :func:`compare_dice` and its alt text: (matplotlib Figure, str)."""
    methods = list(dict.fromkeys(table["method"]))
    tracks = list(dict.fromkeys(table["track"]))
    rows, headers, y = {}, {}, 0  # method -> its row; track -> its header row
    for track in tracks:
        headers[track] = y
        y += 1
        for method in dict.fromkeys(table.loc[table["track"] == track, "method"]):
            rows[method] = y
            y += 1
    n = len(labels)
    offsets = np.linspace(-0.22, 0.22, n) if n > 1 else np.zeros(1)
    fig, ax = plt.subplots(figsize=(9.0, 0.34 * y * max(1.0, 0.55 * n) + 1.4),
                           layout="constrained")
    for i, label in enumerate(labels):
        part = table[table["run"] == label].set_index("method").reindex(methods)
        ys = np.array([rows[m] for m in methods]) + offsets[i]
        error = np.vstack([part["mean"] - part["low"], part["high"] - part["mean"]])
        ax.errorbar(part["mean"], ys, xerr=np.clip(np.nan_to_num(error), 0, None),
                    color=_RUN_COLOURS[i % len(_RUN_COLOURS)], marker=_MARKERS[i % len(_MARKERS)],
                    markersize=6, linestyle="none", capsize=2.5, linewidth=1.2, label=label)
    ticks = sorted([*rows.values(), *headers.values()])
    names = {**{v: k for k, v in rows.items()}, **{v: f"Track: {k}" for k, v in headers.items()}}
    ax.set_yticks(ticks, [names[t] for t in ticks])
    for tick, position in zip(ax.get_yticklabels(), ticks, strict=True):
        if position in headers.values():
            tick.set_fontweight("bold")
    for position in list(headers.values())[1:]:
        ax.axhline(position - 0.5, color="0.6", linewidth=0.8)
    ax.set_ylim(y - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="0.9")
    ax.set_xlabel("mean Dice over the test cases (95 % CI over patients)")
    fig.legend(loc="outside upper center", ncol=min(n, 3), frameon=False)
    described = []
    for method in methods:
        part = table[table["method"] == method].set_index("run")
        described.append(f"{method}: " + ", ".join(
            f"{label} {part.loc[label, 'mean']:.3f}" for label in labels if label in part.index))
    return fig, ("Dot plot of the mean Dice of every method in each run, side by side (one "
                 "colour and marker per run, bars the 95 % patient-level bootstrap interval), "
                 "methods grouped by track: " + "; ".join(described) + ".")


def compare_dice(table: pd.DataFrame, labels: list[str]) -> Figure:
    """Mean Dice with its 95 % CI of every method in each compared run, side by side.

    Parameters
    ----------
    table : DataFrame
        One row per (method, run): ``method, track, run, mean, low, high``; the methods'
        order is the rows' (grouped by track, each track in its first appearance's order).
    labels : list of str
        The runs (values of ``run``), one colour and marker each, in legend order.
    """
    return _embed(*compare_dice_figure(table, labels))


#: Markers of the study curves (with the palette's colours, each method stays apart in grey).
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")


def study_curves(panels: list[tuple[str, pd.DataFrame]], *, axis: str, log_x: bool = False,
                 ticks: dict | None = None, alt_intro: str = "") -> Figure:
    """Mean Dice with its 95 % CI against a study's level, one line per method per panel.

    Parameters
    ----------
    panels : list of (str, DataFrame)
        A title and rows with ``method, family, x, dice, low, high`` each. Floors (family
        ``floor``) are drawn dashed grey without markers.
    axis : str
        The x axis's label.
    log_x : bool, default False
        A logarithmic x axis (training-set sizes).
    ticks : dict, optional
        x value -> tick label (default: the values themselves).
    """
    n = len(panels)
    columns = min(n, 2)
    rows = -(-n // columns)
    width = 7.4 if columns > 1 else 9.0
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, 4.2 * rows),
                             squeeze=False, sharey=True)
    # the colour-blind palette, black added, in an order that keeps its look-alikes (two
    # oranges, two blues) apart and leaves out its grey (the floors' colour)
    cb = sns.color_palette("colorblind", 10)
    palette = [cb[0], cb[1], cb[2], cb[4], (0.1, 0.1, 0.1), cb[9], cb[5], cb[3], cb[8]]
    described = []
    for ax, (title, part) in zip(axes.flat, panels, strict=False):
        # one colour and marker per method within a panel (a method keeps them across the
        # panels of one track, whose methods are the same)
        own = [m for m in dict.fromkeys(part["method"])
               if part.loc[part["method"] == m, "family"].iloc[0] != "floor"]
        style = {m: (palette[i % len(palette)], _MARKERS[i % len(_MARKERS)])
                 for i, m in enumerate(own)}
        for method, line in part.groupby("method", sort=False):
            line = line.sort_values("x")
            if line["family"].iloc[0] == "floor":
                ax.plot(line["x"], line["dice"], color="0.45", linestyle="--", linewidth=1.3,
                        label=f"{method} (floor)")
            else:
                colour, marker = style[method]
                error = np.vstack([line["dice"] - line["low"], line["high"] - line["dice"]])
                ax.errorbar(line["x"], line["dice"], yerr=np.clip(error, 0, None),
                            color=colour, marker=marker, markersize=5, linewidth=1.4,
                            capsize=3, label=method)
            described.append(f"{method} ({title}): " + ", ".join(
                f"{d:.2f} at {x:g}" for x, d in zip(line["x"], line["dice"], strict=True)))
        if log_x:
            ax.set_xscale("log")
            sizes = sorted(part["x"].unique())
            ax.set_xticks(sizes)
            ax.set_xticklabels([f"{t:.0f}" for t in sizes])
            ax.xaxis.set_minor_formatter(NullFormatter())
        else:
            ax.set_xticks(sorted(part["x"].unique()))
        if ticks:
            ax.set_xticklabels([ticks.get(t, f"{t:g}") for t in ax.get_xticks()])
        ax.set_title(title, fontsize=11)
        ax.set_xlabel(axis, fontsize=10)
        ax.grid(color="0.9")
        ax.tick_params(labelsize=9)
        # beside the panel, never over a curve
        ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("mean Dice (95 % CI over patients)", fontsize=10)
    fig.tight_layout()
    return _embed(fig, f"{alt_intro}. " + "; ".join(described) + ".")
