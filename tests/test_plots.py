"""compare's figures: one panel per run against "none", epochs counted from 1 with whole-number
ticks, and what happens with one seed, early-stopped seeds and no "none" run."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from tinyreg.experiments import plots


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def seeds(offset, count=3, epochs=8):
    """`count` per-seed curve dicts whose values are known numbers (offset + seed + epoch / 10)."""
    return [{"val_loss": [offset + s + e / 10 for e in range(1, epochs + 1)],
             "val_accuracy": [0.5 + e / 100 for e in range(1, epochs + 1)]}
            for s in range(count)]  # fmt: skip


def line(ax, label):
    (found,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return found


def shown_epoch_labels(fig):
    fig.canvas.draw()
    labels = [t.get_text() for ax in fig.axes for t in ax.get_xticklabels() if t.get_text()]
    assert labels, "no epoch tick labels drawn"
    return [int(text) for text in labels]  # whole numbers only: "2.5" or "−1" fail here


def test_one_panel_per_run_each_against_the_baseline_data():
    curves = {"none": seeds(1.0), "l1": seeds(2.0), "dropout": seeds(3.0), "all": seeds(4.0)}
    fig = plots.curves_over_seeds(curves)
    assert [ax.get_title() for ax in fig.axes] == ["l1", "dropout", "all"]
    # none over seeds 0, 1, 2: 1 + mean(0, 1, 2) + epoch / 10 = 2 + epoch / 10
    for ax, own in zip(fig.axes, (3.0, 4.0, 5.0), strict=True):
        base = line(ax, "none")
        np.testing.assert_allclose(base.get_xdata(), np.arange(1, 9))
        np.testing.assert_allclose(base.get_ydata(), 2.0 + np.arange(1, 9) / 10)
        np.testing.assert_allclose(line(ax, ax.get_title()).get_ydata(),
                                   own + np.arange(1, 9) / 10)  # fmt: skip
        assert base.get_color() == line(fig.axes[0], "none").get_color()
        assert base.get_color() != line(ax, ax.get_title()).get_color()
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 2  # two bands
    assert len({ax.get_ylim() for ax in fig.axes}) == 1  # one y range for every panel
    assert len([ax.get_legend() for ax in fig.axes if ax.get_legend()]) == 1  # a legend once


@pytest.mark.parametrize("epochs", [1, 3, 6, 13, 150])
def test_epoch_ticks_are_whole_numbers_from_1(epochs):
    fig = plots.curves_over_seeds(
        {"none": seeds(1.0, epochs=epochs), "l2": seeds(2.0, epochs=epochs)}
    )
    ticks = shown_epoch_labels(fig)
    assert min(ticks) == 1 and max(ticks) <= epochs
    low, high = fig.axes[0].get_xlim()
    assert 0 < low <= 1 and epochs <= high < epochs + 1


def test_one_seed_draws_no_band():
    fig = plots.curves_over_seeds({"none": seeds(1.0, count=1), "l1": seeds(2.0, count=1)})
    (ax,) = fig.axes
    assert not ax.collections
    np.testing.assert_allclose(line(ax, "none").get_ydata(), 1.0 + np.arange(1, 9) / 10)


def test_without_none_each_panel_shows_its_run_alone_and_says_so():
    fig = plots.curves_over_seeds({"l1": seeds(2.0), "l2": seeds(3.0)}, metric="val_accuracy")
    assert [ax.get_title() for ax in fig.axes] == ["l1", "l2"]
    assert all(len(ax.get_lines()) == 1 for ax in fig.axes)
    assert 'no "none" run' in fig._suptitle.get_text()
    assert fig.axes[0].get_yscale() == "linear"  # accuracy; a loss is drawn on a log axis
    np.testing.assert_allclose(line(fig.axes[1], "l2").get_ydata(), 0.5 + np.arange(1, 9) / 100)


def test_only_none_gets_its_own_panel():
    fig = plots.curves_over_seeds({"none": seeds(1.0)})
    assert [ax.get_title() for ax in fig.axes] == ["none"]
    assert fig.axes[0].get_yscale() == "log"


def test_a_run_is_drawn_up_to_the_epoch_half_of_its_seeds_reached():
    stopped = [{"val_loss": [1.0, 1.0, 1.0]}, {"val_loss": [2.0] * 5}, {"val_loss": [4.0] * 8}]
    fig = plots.curves_over_seeds({"none": seeds(1.0), "early_stopping": stopped})
    drawn = line(fig.axes[0], "early_stopping")
    np.testing.assert_allclose(drawn.get_xdata(), [1, 2, 3, 4, 5])
    np.testing.assert_allclose(
        drawn.get_ydata(), [7 / 3] * 3 + [3.0] * 2
    )  # the seeds that got there


def test_more_runs_fill_a_grid_and_every_column_keeps_its_epoch_labels():
    curves = {"none": seeds(1.0), **{f"r{k}": seeds(1.0 + k) for k in range(5)}}
    fig = plots.curves_over_seeds(curves)  # 5 panels: 3 columns, 2 rows, one cell removed
    assert len(fig.axes) == 5
    fig.canvas.draw()
    labelled = [ax.get_title() for ax in fig.axes
                if any(t.get_text() for t in ax.get_xticklabels())]  # fmt: skip
    assert labelled == ["r2", "r3", "r4"]  # the bottom panel of each column


def test_bad_curves_name_the_function_and_the_problem():
    with pytest.raises(ValueError, match="curves_over_seeds: curves must map"):
        plots.curves_over_seeds({})
    with pytest.raises(ValueError, match="curves_over_seeds: curves must map"):
        plots.curves_over_seeds({"none": []})
    with pytest.raises(ValueError, match="'val_loss' is not in the curves of \\['l1'\\]"):
        plots.curves_over_seeds({"none": seeds(1.0), "l1": [{"loss": [1.0]}]})


def test_sparsity_curves_count_epochs_from_1_in_whole_numbers(tmp_path):
    fig = plots.sparsity_curves({"l1_prox": [[0.0, 0.1, 0.2, 0.3, 0.3]] * 2, "l2": [[0.0] * 5]})
    assert shown_epoch_labels(fig) == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(line(fig.axes[0], "l1_prox").get_xdata(), [1, 2, 3, 4, 5])


def test_a_path_saves_the_figure(tmp_path):
    plots.curves_over_seeds({"none": seeds(1.0), "l1": seeds(2.0)}, path=tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
