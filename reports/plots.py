"""Figures of the report, drawn with matplotlib / seaborn and returned as embedded PNG data.

Every function returns a :class:`Figure` record (a ``data:`` URI and its alt text), so the
HTML file carries its figures and needs nothing else. Colours come from a colour-blind-safe
palette and every distinction that matters also has a line style or marker, so the figures
read in grey print.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

from reports.stats import mean_roc  # noqa: E402

DPI = 80
REFERENCE_STYLE = {"colors": "#0072B2", "linewidths": 1.4, "linestyles": "solid"}
PREDICTION_STYLE = {"colors": "#E69F00", "linewidths": 1.4, "linestyles": "dashed"}


@dataclass(frozen=True)
class Figure:
    """An embedded figure: a PNG ``data:`` URI and what it shows, in words."""

    src: str
    alt: str


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


def examples(items: list[tuple[str, np.ndarray, np.ndarray, str]]) -> Figure:
    """Example crops with their reference contour: (case, image, mask, caption) each."""
    n = len(items)
    fig, axes = plt.subplots(1, n, figsize=(2.0 * n, 2.3), squeeze=False)
    for ax, (_, image, mask, caption) in zip(axes[0], items, strict=True):
        ax.imshow(image, cmap="gray", vmin=0, vmax=255)
        _contour(ax, mask, image.shape, REFERENCE_STYLE)
        ax.set_title(caption, fontsize=8)
        ax.axis("off")
    names = ", ".join(f"{case} ({caption})" for case, _, _, caption in items)
    return _embed(fig, f"Example crops with the reference mask outlined: {names}.")


def distributions(metrics: pd.DataFrame, methods: list[str], metric: str, label: str, *,
                  floor: str | None = None, title: str | None = None) -> Figure:
    """Box plot with the cases as points, one row per method; the floor's mean as a line."""
    data = metrics[metrics["method"].isin(methods)]
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(methods) + 1.4))
    sns.boxplot(data=data, y="method", x=metric, order=methods, ax=ax, color="0.85",
                showfliers=False, linewidth=0.8)
    sns.stripplot(data=data, y="method", x=metric, order=methods, ax=ax, color="0.15",
                  size=2.2, alpha=0.55, jitter=0.25)
    ax.set_xlabel(label)
    ax.set_ylabel("")
    ax.grid(axis="x", color="0.9")
    floor_text = ""
    if floor is not None:
        level = float(data.loc[data["method"] == floor, metric].mean())
        if np.isfinite(level):
            ax.axvline(level, color="tab:red", linestyle="--", linewidth=1.1,
                       label=f"floor: {floor} mean {level:.3g}")
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, fontsize=8)
            floor_text = f" The dashed red line is the mean of the floor, {floor} ({level:.3g})."
    if title:
        ax.set_title(title, loc="right", fontsize=9)
    return _embed(fig, f"Box and strip plot of {label} per case for each method "
                       f"({', '.join(methods)}){f', track {title}' if title else ''}; the box "
                       "spans the quartiles, the line is the median, each dot a test case."
                       + floor_text)


def gallery_row(method: str, items: list[tuple[str, str, float, np.ndarray, np.ndarray,
                                              np.ndarray]]) -> Figure:
    """Best, median and worst case of a method: (rank, case, dice, image, reference, pred)."""
    fig, axes = plt.subplots(1, len(items), figsize=(2.2 * len(items), 2.4), squeeze=False)
    for ax, (rank, _, dice, image, reference, predicted) in zip(axes[0], items,
                                                                  strict=True):
        ax.imshow(image, cmap="gray", vmin=0, vmax=255)
        _contour(ax, reference, image.shape, REFERENCE_STYLE)
        _contour(ax, predicted, image.shape, PREDICTION_STYLE)
        ax.set_title(f"{rank}: Dice {dice:.2f}", fontsize=8)
        ax.axis("off")
    cases = "; ".join(f"{rank} case {case}, Dice {dice:.2f}" for rank, case, dice, *_ in items)
    return _embed(fig, f"{method}: reference outline solid blue, prediction dashed orange. "
                       f"{cases}.")


def training_curves(method: str, histories: dict[int, pd.DataFrame]) -> Figure:
    """Training and validation loss, and validation Dice, per epoch, one line style per fold.

    A history with several attempts (a collapsed training restarted) is drawn from the
    attempt whose model was kept (its ``kept`` column; the last attempt in older runs).
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(7, 2.4))
    styles = ["-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1))]
    restarted = []
    for i, (fold, history) in enumerate(sorted(histories.items())):
        if "attempt" in history and history["attempt"].nunique() > 1:
            restarted.append(fold)
            kept = (history["kept"].astype(bool) if "kept" in history and
                    history["kept"].astype(bool).any()
                    else history["attempt"] == history["attempt"].max())
            history = history[kept]
        epochs = np.arange(1, len(history) + 1)
        style = styles[i % len(styles)]
        left.plot(epochs, history["loss"], linestyle=style, color="0.2", label=f"fold {fold}")
        if "val_loss" in history:
            left.plot(epochs, history["val_loss"], linestyle=style, color="tab:blue")
        if "val_dice" in history:
            right.plot(epochs, history["val_dice"], linestyle=style, color="0.2",
                       label=f"fold {fold}")
    # log scale: the first epochs' validation loss of the batch-normalised U-Nets is 10x the
    # rest, and would flatten every later epoch on a linear axis
    left.set(xlabel="epoch", ylabel="loss (BCE + Dice)", title=method, yscale="log")
    right.set(xlabel="epoch", ylabel="validation Dice", ylim=(0, 1))
    right.legend(fontsize=7, frameon=False)
    left.yaxis.set_minor_formatter(NullFormatter())  # decades only
    for ax in (left, right):
        ax.grid(color="0.9")
    fig.subplots_adjust(wspace=0.45)  # the right panel's label clear of the left panel
    note = (f" Folds {', '.join(map(str, restarted))} collapsed and were restarted; the "
            f"attempt kept is drawn." if restarted else "")
    return _embed(fig, f"Training curves of {method}: training loss (grey) and validation "
                       f"loss (blue) on the left, validation Dice on the right, per epoch for "
                       f"folds {', '.join(map(str, histories))}.{note}")


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


def roc_panels(scores: pd.DataFrame, classifier: str, sources: list[str]) -> Figure:
    """ROC curves per fold (thin), their mean (thick) and +-1 SD band, one panel per source."""
    from sklearn.metrics import roc_curve

    n_cols = min(5, len(sources))
    n_rows = -(-len(sources) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.2 * n_cols, 2.3 * n_rows),
                             squeeze=False, sharex=True, sharey=True)
    for ax, source in zip(axes.flat, sources, strict=False):
        part = scores[(scores["classifier"] == classifier) & (scores["mask_source"] == source)]
        curves = [roc_curve(fold["label"], fold["score"])[:2]
                  for _, fold in part.groupby("fold") if fold["label"].nunique() == 2]
        draw_roc(ax, curves)
        ax.set_title(source, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(sources):]:
        ax.axis("off")
    fig.supxlabel("false positive rate", fontsize=8)
    fig.supylabel("true positive rate", fontsize=8)
    return _embed(fig, f"ROC curves of the {classifier} classifier for each mask source "
                       f"({', '.join(sources)}): each fold thin grey, their mean black, the "
                       "grey band +-1 standard deviation, the diagonal dotted.")


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


def timings(table: pd.DataFrame) -> Figure:
    """Total time per method (fit + predict over all folds), log scale."""
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * len(table) + 1.0))
    ax.barh(table.index, table["total_s"], color="0.5", edgecolor="black", linewidth=0.5)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("total time over all folds, seconds (log scale)")
    ax.grid(axis="x", color="0.9")
    return _embed(fig, "Bar chart of the total fit and predict time of every method over all "
                       "folds, on a log scale.")


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
