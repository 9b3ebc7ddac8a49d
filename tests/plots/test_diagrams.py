import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import layertopo
from layertopo.plots.diagrams import plot_barcode, plot_betti_curve, plot_diagrams

INF = np.inf
DGMS = [np.array([[0.0, 0.5], [0.0, 2.0], [0.0, INF]]), np.array([[1.0, 1.5], [0.5, 3.0]])]


def _axes(n: int = 2):
    return Figure().subplots(1, n)


def _points(ax) -> list[np.ndarray]:
    return [np.asarray(c.get_offsets()) for c in ax.collections]


def test_plot_diagrams_draws_on_the_given_axes_only_and_returns_it():
    axes = _axes()
    assert plot_diagrams(DGMS, ax=axes[1]) is axes[1]
    assert not axes[0].collections and not axes[0].lines
    h0, h1 = _points(axes[1])
    top = 3.0 * 1.1  # essential classes: 10 % above the largest finite death
    np.testing.assert_allclose(h0, [[0.0, 0.5], [0.0, 2.0], [0.0, top]])
    np.testing.assert_allclose(h1, DGMS[1])
    assert [t.get_text() for t in axes[1].get_legend().get_texts()] == ["H0", "H1"]


def test_significant_bars_are_drawn_large_and_counted_in_the_legend():
    ax = _axes(1)
    plot_diagrams(DGMS, ax=ax, significant={1: np.array([False, True])}, dims=[1])
    plain, marked = _points(ax)
    np.testing.assert_allclose(plain, [[1.0, 1.5]])
    np.testing.assert_allclose(marked, [[0.5, 3.0]])
    assert ax.collections[1].get_sizes()[0] == 5 * ax.collections[0].get_sizes()[0]
    assert "H1 significant (1)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_a_mask_of_the_wrong_length_is_a_clear_error():
    with pytest.raises(ValueError, match=r"significant\[0\]: expected a bool array of shape \(3,\)"):
        plot_diagrams(DGMS, ax=_axes(1), significant=[np.array([True])])


def test_empty_diagrams_say_no_data():
    ax = plot_diagrams([np.empty((0, 2)), None], ax=_axes(1), title="layer 3")
    assert [t.get_text() for t in ax.texts] == ["no data"] and ax.get_title() == "layer 3"


def test_barcode_draws_one_bar_per_class_longest_first_and_caps_each_dimension():
    ax = plot_barcode(DGMS, ax=_axes(1), max_bars=2)
    segments = [seg for c in ax.collections for seg in c.get_segments()]
    spans = [(float(s[0, 0]), float(s[1, 0])) for s in segments]
    top = 3.0 * 1.1
    # H0: the essential bar and the (0, 2) bar are the two longest; H1: both bars, longest on top
    assert spans == [(0.0, 2.0), (0.0, top), (1.0, 1.5), (0.5, 3.0)]
    assert [label.get_text() for label in ax.get_yticklabels()] == ["H0", "H1"]


def test_betti_curve_counts_the_classes_alive_at_each_scale():
    ax = plot_betti_curve(DGMS, ax=_axes(1), grid=np.array([0.0, 0.6, 1.2, 2.5, 10.0]))
    h0, h1 = (line.get_ydata() for line in ax.lines)
    np.testing.assert_array_equal(h0, [3, 2, 2, 1, 1])
    np.testing.assert_array_equal(h1, [0, 1, 2, 1, 0])


def test_without_ax_the_current_pyplot_axes_is_used():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        assert layertopo.plot_diagrams(DGMS) is ax
        assert len(ax.collections) == 2
    finally:
        plt.close(fig)


def test_persim_draws_our_diagrams_on_a_given_axes():
    persim = pytest.importorskip("persim")
    ax = _axes(1)
    persim.plot_diagrams(DGMS, ax=ax, show=False)
    assert len(ax.collections) == 2


def test_max_bars_zero_draws_no_bar_and_a_negative_one_is_refused():
    ax = plot_barcode(DGMS, ax=_axes(1), max_bars=0)
    assert not [seg for c in ax.collections for seg in c.get_segments()]
    with pytest.raises(ValueError, match="max_bars"):
        plot_barcode(DGMS, ax=_axes(1), max_bars=-1)


def test_the_training_figure_marks_each_snapshot_epoch_in_every_panel():
    """A dotted vertical line per snapshot epoch in each of the 2 x models panels, on that panel's own axes."""
    import pandas as pd

    from layertopo.plots.interactive import training_figure

    history = pd.DataFrame(
        [
            {"model": m, "seed": 0, "epoch": e, "split": s, "loss": 1.0 / (e + 1), "accuracy": 0.5 + e / 20}
            for m in ("a", "b")
            for e in range(6)
            for s in ("train", "test")
        ]
    )
    fig = training_figure(history, ["a", "b"], [0, 2, 5])
    lines = [(s.x0, s.xref, s.yref) for s in fig.layout.shapes if s.line.dash == "dot"]
    axes = [(f"x{k if k > 1 else ''}", f"y{k if k > 1 else ''} domain") for k in range(1, 5)]
    assert sorted(lines) == sorted((e, x, y) for e in (0, 2, 5) for x, y in axes)
    assert {ax.plotly_name for ax in fig.select_xaxes()} == {"xaxis", "xaxis2", "xaxis3", "xaxis4"}
