"""Missing or empty data: a figure shows a marked gap ("no data", NaN cells) and the report is still written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from report_helpers import decode

from layertopo.plots import interactive, static
from layertopo.plots.drilldown import drilldown_data
from layertopo.plots.tables import summary_grid
from layertopo.report.run_data import load_run


def _no_data_in_column(fig: dict, column: int, n_columns: int = 3) -> int:
    """How many "no data" notes sit in the subplots of ``column`` (0 = left) of a figure with one column per model."""
    count = 0
    for note in fig["layout"]["annotations"]:
        if note["text"] == "no data":
            axis = fig["layout"]["xaxis" + note["xref"].split()[0][1:]]
            count += int(np.floor(axis["domain"][0] * n_columns + 1e-6)) == column
    return count


def test_damaged_run_still_builds_without_failed_figures(damaged_report):
    assert not [w for w in damaged_report.warnings if "could not be built" in w]
    assert "Incomplete run folder" in damaged_report.html
    assert "projections.parquet is missing" in damaged_report.html
    for name in ("topology_narrow_first", "train_test", "projections", "diagrams", "training_curves"):
        assert (damaged_report.run_dir / "figures" / f"{name}.png").stat().st_size > 5_000


def test_rejected_model_is_a_gap_in_the_heatmaps(damaged_report):
    fig = damaged_report.figure("topology_heatmaps")
    shown = [t for t in fig["data"] if t.get("visible") is True]
    bad = [t for t in shown if t["name"] == "narrow_first"]
    good = [t for t in shown if t["name"] == "good"]
    assert len(bad) == 5 and all(np.isnan(decode(t["z"])).all() for t in bad)
    assert all(all(v == "no data" for row in t["text"] for v in row) for t in bad)
    assert _no_data_in_column(fig, 1) == 5  # one per quantity of narrow_first (the second column)
    assert _no_data_in_column(fig, 0) == 0 and _no_data_in_column(fig, 2) == 0
    b0 = good[0]
    row, col = b0["y"].index("hidden2"), b0["x"].index("15")
    z = decode(b0["z"])
    assert np.isnan(z[row, col]) and b0["text"][row][col] == "no data"
    assert np.isfinite(np.delete(z.ravel(), row * z.shape[1] + col)).all()


def test_missing_distances_and_projections_are_gaps(damaged_report):
    fig = damaged_report.figure("train_test")
    assert all(np.isnan(decode(t["z"])).all() for t in fig["data"])
    assert sum(a["text"] == "no data" for a in fig["layout"]["annotations"]) == 3  # every model, shown view
    data = damaged_report.drilldown()
    assert data["proj"] == {} and not any(key.startswith("narrow_first|") for key in data["dgm"])
    assert all(data["info"][k]["error"] for k in data["info"] if k.startswith("narrow_first|"))
    training = damaged_report.figure("training")
    no_data = sum(a["text"] == "no data" for a in training["layout"]["annotations"])
    assert no_data == 2  # narrow_first: accuracy and loss


def test_static_twins_mark_the_gaps(damaged_report):
    run = load_run(damaged_report.run_dir)
    fig = static.topology_heatmaps(run.summaries, "narrow_first", layers=run.layers["narrow_first"], epochs=run.epochs)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts.count("no data") == 5
    fig = static.topology_heatmaps(run.summaries, "good", layers=run.layers["good"], epochs=run.epochs)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts.count("no data") == 5  # the dropped hidden2 / epoch 15 cell, in each of the five panels
    fig = static.projection_grid(run.projections, run.models, layer="hidden4", seed=0, epochs=run.epochs)
    assert [t.get_text() for ax in fig.axes for t in ax.texts].count("no data") == 3 * 4  # models x epochs


def test_summary_grid_fills_missing_cells_with_nan():
    table = pd.DataFrame(
        {
            "model": "m", "seed": [0, 1, 0, 1], "epoch": [0, 0, 5, 5], "layer": "input", "split": "test",
            "label": "all", "dim": 0, "betti_significant": [1.0, 3.0, 2.0, np.nan], "error": ["", "", "", "rejected"],
        }
    )  # fmt: skip
    grid = summary_grid(
        table, model="m", column="betti_significant", dim=0, split="test", label="all",
        layers=["input", "hidden1"], epochs=[0, 5, 9],
    )  # fmt: skip
    np.testing.assert_array_equal(grid.mean, [[2.0, 2.0, np.nan], [np.nan] * 3])
    np.testing.assert_array_equal(grid.low[0, :2], [1.0, 2.0])
    np.testing.assert_array_equal(grid.count, [[2, 1, 0], [0, 0, 0]])


@pytest.mark.parametrize("builder", ["topology_heatmap_figure", "depth_profile_figure"])
def test_interactive_figures_of_an_empty_table_say_no_data(builder):
    empty = pd.DataFrame(columns=["model", "seed", "epoch", "layer", "layer_index", "split", "label", "dim", "error"])
    layers = {"good": ["input", "hidden1"]}
    fig = getattr(interactive, builder)(empty, ["good"], layers, [0, 5])
    notes = [a.text for a in fig.layout.annotations if a.text == "no data"]
    assert len(notes) == 5


def test_empty_distances_and_history_say_no_data():
    empty = pd.DataFrame(columns=["model", "seed", "kind", "dim", "epoch", "layer", "split", "bottleneck"])
    fig = interactive.transformation_figure(empty, ["a", "b"], {"a": ["input"], "b": ["input"]}, [0])
    assert sum(a.text == "no data" for a in fig.layout.annotations) == 3 * 2
    history = pd.DataFrame(columns=["model", "seed", "epoch", "split", "loss", "accuracy"])
    fig = interactive.training_figure(history, ["a"], [0])
    assert sum(a.text == "no data" for a in fig.layout.annotations) == 2
    fig = static.training_curves(history, models=["a"])
    assert [t.get_text() for ax in fig.axes for t in ax.texts].count("no data") == 2
    fig = static.diagram_grid({}, ["a"], layer="hidden1", seed=0, epochs=[0, 5])
    assert [t.get_text() for ax in fig.axes for t in ax.texts].count("no data") == 2


def test_drilldown_keeps_the_longest_bars_and_the_total():
    rng = np.random.default_rng(0)
    births = np.zeros(1000)
    deaths = rng.uniform(0, 1, 1000)
    dgm = np.column_stack([births, deaths])
    dgm[-1, 1] = np.inf
    arrays = {"hidden1__test__all__h0": dgm, "hidden1__test__0__h0": dgm}
    data = drilldown_data(pd.DataFrame(), {("m", 0, 5): arrays}, pd.DataFrame(columns=["label"]), cap=100)
    bars = data["dgm"]["m|0|5|hidden1|test"]["h0"]
    assert bars["n"] == 1000 and bars["inf"] == [0.0] and len(bars["d"]) == 100
    np.testing.assert_allclose(bars["d"], np.sort(deaths[:-1])[::-1][:100], atol=1e-4)
    assert list(data["dgm"]) == ["m|0|5|hidden1|test"]  # per-class diagrams are left out
    assert data["options"]["m"] == {"seeds": [0], "epochs": [5], "layers": ["hidden1"], "splits": ["test"]}


def test_a_failing_figure_becomes_a_note_and_a_warning():
    from layertopo.report.build import _failed_matplotlib, _failed_plotly, _guarded

    def broken():
        raise ValueError("bad table")

    with pytest.warns(RuntimeWarning, match="figure 'x' could not be built: ValueError: bad table"):
        fig = _guarded("x", broken, _failed_plotly)
    assert "bad table" in fig.layout.annotations[0].text
    with pytest.warns(RuntimeWarning):
        fig = _guarded("y", broken, _failed_matplotlib)
    assert "bad table" in fig.texts[0].get_text()
    assert _guarded("z", lambda: 42, _failed_plotly) == 42
