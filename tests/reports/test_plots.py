"""The report's figures: what they draw, read from the matplotlib figures, not the pixels."""

import base64
import struct

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from reports import plots


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(fig):
    """The visible, non-empty texts of a figure (titles, labels, ticks, legends, notes)."""
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def png_size(figure: plots.Figure) -> tuple[int, int]:
    data = base64.b64decode(figure.src.split(",", 1)[1])
    return struct.unpack(">II", data[16:24])


def distance_table(rng):
    """Method ``good`` near 3 px; ``failing`` has 3 empty masks scored at the diagonal (90)."""
    rows = [{"method": "good", "hd95": v, "empty_flag": False} for v in rng.uniform(1, 6, 30)]
    rows += [{"method": "failing", "hd95": v, "empty_flag": False}
             for v in rng.uniform(4, 12, 27)]
    rows += [{"method": "failing", "hd95": 90.0, "empty_flag": True}] * 3
    return pd.DataFrame(rows)


def test_distance_axis_leaves_out_empty_masks_and_counts_them():
    table = distance_table(np.random.default_rng(0))
    fig, alt = plots.distributions_figure(table, ["good", "failing"], "hd95", "HD95 (px)")
    ax = fig.axes[0]
    non_empty = table.loc[~table["empty_flag"], "hd95"]
    assert ax.get_xlim()[1] < 0.2 * 90  # the diagonal no longer stretches the axis
    assert ax.get_xlim()[1] >= np.percentile(non_empty, plots.DISTANCE_PERCENTILE)
    drawn = np.concatenate([c.get_offsets()[:, 0] for c in ax.collections
                            if len(c.get_offsets())])
    assert drawn.max() < 90
    beside = {t.get_text() for t in ax.texts}
    assert {"0", "3", "empty\nmasks"} <= beside
    assert "empty masks" in ax.get_xlabel()
    assert "failing 3" in alt and "left out" in alt


def test_values_beyond_the_distance_axis_are_drawn_at_its_end():
    table = distance_table(np.random.default_rng(1))
    table.loc[0, "hd95"] = 60.0  # one genuine, non-empty outlier
    fig, alt = plots.distributions_figure(table, ["good", "failing"], "hd95", "HD95 (px)")
    ax = fig.axes[0]
    right = ax.get_xlim()[1]
    assert right < 60
    edge = [c for c in ax.collections if len(c.get_offsets())
            and np.allclose(c.get_offsets()[:, 0], c.get_offsets()[0, 0])
            and c.get_offsets()[0, 0] > 0.9 * right]
    assert edge and len(edge[0].get_offsets()) == 1  # one triangle at the end of the axis
    assert "1 value beyond" in ax.get_xlabel() and "good 1" in alt


def test_dice_distributions_keep_every_case_and_no_empty_column():
    table = distance_table(np.random.default_rng(2)).assign(
        dice=lambda t: np.where(t["empty_flag"], 0.0, 0.8))
    fig, alt = plots.distributions_figure(table, ["good", "failing"], "dice", "Dice",
                                          floor="good", title="ROI given")
    ax = fig.axes[0]
    assert ax.get_xlim()[0] <= 0.0  # the empty masks' Dice of 0 is drawn
    assert not any("empty" in t.get_text() for t in ax.texts)
    assert "floor, good" in alt


def test_training_curves_have_whole_epochs_a_visible_zero_and_readable_text():
    epochs = 13
    histories = {fold: pd.DataFrame({"loss": np.linspace(1.6, 1.5, epochs),
                                     "val_loss": np.linspace(1.7, 1.52, epochs),
                                     "val_dice": np.zeros(epochs)})
                 for fold in (0, 1)}
    fig, alt = plots.training_curves_figure("cae", histories)
    fig.canvas.draw()
    left, right = fig.axes
    for ax in (left, right):
        low, high = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if low <= t <= high]
        assert ticks and all(float(t).is_integer() for t in ticks)
    assert right.get_ylim()[0] < 0  # a Dice of 0 is drawn above the axis line
    labels = [t.get_text() for t in left.get_yticklabels() if t.get_text()]
    assert len(labels) >= 2  # a narrow log range still has labelled ticks
    assert all(t.get_fontsize() >= plots.TEXT_PT for t in texts(fig))
    legend = fig.legends[0]
    assert {t.get_text() for t in legend.get_texts()} >= {"training loss", "fold 1"}
    # the legend is below the panels, over no data
    assert legend.get_window_extent().y1 <= min(ax.get_window_extent().y0 for ax in fig.axes)
    assert "folds 0, 1" in alt


def test_training_curves_fit_the_report_grid():
    histories = {fold: pd.DataFrame({"loss": np.geomspace(3, 0.1, 30),
                                     "val_loss": np.geomspace(9, 0.2, 30),
                                     "val_dice": np.linspace(0.1, 0.9, 30)})
                 for fold in range(5)}
    width, _ = png_size(plots.training_curves("attention_unet_roi", histories))
    assert width <= plots.GRID_WIDTH_PX  # shown at its own size, its text not shrunk


def roc_scores(sources, rng):
    rows = []
    for source in sources:
        for fold in range(3):
            for i in range(20):
                label = i % 2
                rows.append({"classifier": "svm_rbf", "mask_source": source, "fold": fold,
                             "case": f"c{i}", "label": label,
                             "score": label + rng.normal(0, 0.8)})
    return pd.DataFrame(rows)


def test_roc_panels_are_large_with_plain_titles_and_readable_labels():
    sources = ["reference", "otsu", "geodesic_active_contour_auto", "unet", "cae"]
    fig, alt = plots.roc_panels_figure(roc_scores(sources, np.random.default_rng(3)),
                                       "svm_rbf", sources)
    fig.canvas.draw()
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == len(sources)
    titles = [ax.get_title() for ax in panels]
    assert titles[:2] == ["Reference masks", "Masks of otsu"]
    assert titles[2] == "Masks of\ngeodesic_active_contour_auto"
    widths = [ax.get_window_extent().width / fig.dpi * plots.DPI for ax in panels]
    assert min(widths) >= 200  # pixels in the embedded PNG
    assert len({round(ax.get_position().y0, 3) for ax in panels}) == 2  # 4 per row
    assert all(t.get_fontsize() >= plots.TEXT_PT for t in texts(fig))
    assert sum(t.get_text().startswith("AUC ") for t in texts(fig)) == len(sources)
    # the panel above an empty slot shows its x tick labels
    assert any(t.get_visible() and t.get_text() for t in panels[3].get_xticklabels())
    assert "reference masks AUC" in alt and "masks of cae AUC" in alt


def test_roc_panels_keep_the_call_of_the_diagnosis_section():
    sources = ["reference", "otsu"]
    figure = plots.roc_panels(roc_scores(sources, np.random.default_rng(4)), "svm_rbf",
                              sources)
    assert figure.src.startswith("data:image/png;base64,") and "svm_rbf" in figure.alt


def gallery_items(predictions):
    image = np.full((40, 40), 120, np.uint8)
    reference = np.zeros((40, 40), bool)
    reference[12:28, 12:28] = True
    return [(rank, f"case{k}", 0.0, image, reference, p)
            for k, (rank, p) in enumerate(zip(("best", "median", "worst"), predictions,
                                              strict=True))]


def test_gallery_says_empty_prediction_and_whole_crop():
    empty = np.zeros((40, 40), bool)
    whole = np.ones((40, 40), bool)
    whole[0, :10] = False
    fine = np.zeros((40, 40), bool)
    fine[10:30, 10:30] = True
    fig, alt = plots.gallery_row_figure("cae", gallery_items([fine, empty, whole]))
    labels = [[t.get_text() for t in ax.texts] for ax in fig.axes]
    assert labels == [[], ["empty prediction"], ["whole crop"]]
    assert "case1, Dice 0.00 (empty prediction)" in alt and "(whole crop)" in alt
    width, _ = png_size(plots.gallery_row("cae", gallery_items([fine, empty, whole])))
    assert width <= plots.GRID_WIDTH_PX


def test_compare_dice_puts_the_runs_side_by_side_by_track():
    rows = []
    for run, shift in (("a (tensorflow)", 0.0), ("b (torch)", 0.01)):
        for method, track, mean in (("unet_roi", "ROI given", 0.9), ("otsu", "ROI given", 0.6),
                                    ("cae", "automatic", 0.8)):
            rows.append({"method": method, "track": track, "run": run, "mean": mean + shift,
                         "low": mean + shift - 0.02, "high": mean + shift + 0.02})
    fig, alt = plots.compare_dice_figure(pd.DataFrame(rows), ["a (tensorflow)", "b (torch)"])
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Track: ROI given", "unet_roi", "otsu", "Track: automatic", "cae"]
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["a (tensorflow)", "b (torch)"]
    # one marker per method and run, the second run's beside the first's
    lines = [container.lines[0] for container in ax.containers]
    assert len(lines) == 2
    x = [np.asarray(line.get_xdata(), dtype=float) for line in lines]
    np.testing.assert_allclose(x[1] - x[0], 0.01)
    y = [np.asarray(line.get_ydata(), dtype=float) for line in lines]
    assert (y[1] > y[0]).all() and (y[1] - y[0] < 0.5).all()  # beside, on the same row
    assert all(t.get_fontsize() >= plots.TEXT_PT for t in texts(fig))
    assert "otsu: a (tensorflow) 0.600, b (torch) 0.610" in alt
