import inspect
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from layertopo.cli import app
from layertopo.data.naitzat import NAITZAT_BETTI, NAITZAT_DATASETS
from layertopo.studies.naitzat import NaitzatConfig, load_naitzat_config, run_naitzat

TINY = {
    "datasets": {"D-I": {"n_per_part": [40, 1500], "widths": [12, 12], "epochs": 40, "lr": 0.01}},
    "activations": ["relu", "tanh"],
    "seeds": [0],
    "k": 14,
    "scale": 3,
    "execution": {"n_jobs": None, "time_limit": 120},
    "well_trained": 0.6,
}


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("naitzat")
    config_path = folder / "tiny.yaml"
    config_path.write_text(yaml.safe_dump(TINY))
    out = folder / "study"
    result = CliRunner().invoke(app, ["naitzat", "--config", str(config_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return config_path, out, result.output


def test_every_layer_and_class_has_betti_numbers(tiny_study):
    _, out, output = tiny_study
    betti = pd.read_parquet(out / "betti.parquet")
    # 2 activations x 1 seed x (input + 2 hidden layers) x 2 classes x H0, H1 (D-I is planar)
    assert len(betti) == 2 * 3 * 2 * 2
    assert set(betti["layer"]) == {"input", "hidden1", "hidden2"}
    assert (betti["error"] == "").all() and (betti["k"] == 14).all() and (betti["scale"] == 3).all()
    inputs = betti[betti["depth"] == 0].pivot_table(index=["activation", "class"], columns="dim", values="betti")
    assert [tuple(row) for row in inputs.loc["relu"].to_numpy()] == [NAITZAT_BETTI["D-I"][0], NAITZAT_BETTI["D-I"][1]]
    assert (inputs.loc["relu"].to_numpy() == inputs.loc["tanh"].to_numpy()).all()  # the input is computed once
    assert (
        betti[betti["layer"] == "hidden1"]["n_points"].to_numpy() == betti[betti["depth"] == 0]["n_points"].to_numpy()
    ).all()
    assert "Input Betti numbers per class" in output  # the CLI prints results.md


def test_summary_counts_what_the_table_shows(tiny_study):
    _, out, _ = tiny_study
    summary = json.loads((out / "summary.json").read_text())
    d1 = summary["datasets"]["D-I"]
    assert d1["input"]["a"] == {"measured": [9, 0], "true": [9, 0]}
    assert d1["n_points"] == {"a": 360, "b": 1500}
    training = pd.read_parquet(out / "training.parquet")
    betti = pd.read_parquet(out / "betti.parquet")
    for activation, entry in d1["activations"].items():
        run = training[training["activation"] == activation].iloc[0]
        assert entry["runs"] == 1 and entry["well_trained"] == int(run["train_accuracy"] >= 0.6)
        if entry["well_trained"]:
            rows = betti[(betti["activation"] == activation)]
            totals = rows.groupby("depth")["betti"].sum().tolist()
            assert entry["mean_total_by_depth"] == totals
            last = rows[rows["depth"] == 2].pivot_table(index="class", columns="dim", values="betti")
            trivial = {c: float(tuple(last.loc[c]) == (1, 0)) for c in ("a", "b")}
            assert entry["trivial_fraction"]["a"] == trivial["a"] and entry["trivial_fraction"]["b"] == trivial["b"]
            assert entry["connected_fraction"] == {c: float(last.loc[c][0] == 1) for c in ("a", "b")}
    assert (out / "betti_by_layer.png").stat().st_size > 10_000
    assert "| D-I | relu |" in (out / "results.md").read_text()


def test_a_second_run_resumes_without_recomputing(tiny_study):
    config_path, out, _ = tiny_study
    models = sorted((out / "models").iterdir())
    stamps = [p.stat().st_mtime_ns for p in models]
    parts = [p.stat().st_mtime_ns for p in sorted((out / "betti").iterdir())]
    before = (out / "summary.json").read_text()
    run_naitzat(load_naitzat_config(config_path), out)
    assert [p.stat().st_mtime_ns for p in models] == stamps
    assert [p.stat().st_mtime_ns for p in sorted((out / "betti").iterdir())] == parts
    assert (out / "summary.json").read_text() == before


def test_a_different_config_in_the_same_folder_is_refused(tiny_study):
    _, out, _ = tiny_study
    changed = NaitzatConfig.model_validate({**TINY, "seeds": [0, 1]})
    with pytest.raises(ValueError, match="different configuration"):
        run_naitzat(changed, out)


def test_config_checks_the_sizes_of_each_dataset(tmp_path):
    with pytest.raises(ValueError, match="D-I.n_per_part must be a pair"):
        NaitzatConfig.model_validate({**TINY, "datasets": {"D-I": {**TINY["datasets"]["D-I"], "n_per_part": 40}}})
    with pytest.raises(ValueError, match="D-II.n_per_part must be one integer"):
        NaitzatConfig.model_validate({**TINY, "datasets": {"D-II": {**TINY["datasets"]["D-I"]}}})
    with pytest.raises(FileNotFoundError, match="configs/naitzat.yaml"):
        load_naitzat_config(tmp_path / "missing.yaml")


def test_the_shipped_config_is_valid():
    config = load_naitzat_config(Path(__file__).resolve().parents[2] / "configs" / "naitzat.yaml")
    assert set(config.datasets) == {"D-I", "D-II", "D-III"} and config.activations == ["relu", "tanh"]
    assert all(len(d.widths) == 9 for d in config.datasets.values())
    # the CI variant (tests/data/test_naitzat.py) draws the generators' default sizes: the study's sizes
    for name, spec in config.datasets.items():
        default = inspect.signature(NAITZAT_DATASETS[name]).parameters["n_per_part"].default
        assert spec.n_per_part == default
    assert (config.k, config.scale) == (14, 3)


def test_two_training_processes_give_the_same_models(tiny_study, tmp_path):
    import torch

    _, out, _ = tiny_study
    parallel = NaitzatConfig.model_validate({**TINY, "execution": {"n_jobs": 2, "time_limit": 120}})
    run_naitzat(parallel, tmp_path / "parallel")
    for activation in ("relu", "tanh"):
        name = f"D-I-{activation}-seed0.pt"
        one = torch.load(out / "models" / name, weights_only=True)
        two = torch.load(tmp_path / "parallel" / "models" / name, weights_only=True)
        assert one.keys() == two.keys() and all(torch.equal(one[key], two[key]) for key in one)
    assert (tmp_path / "parallel" / "summary.json").read_text() == (out / "summary.json").read_text()


def test_simplification_speed_is_read_off_the_mean_totals():
    import numpy as np

    from layertopo.studies.naitzat_results import _simplification

    assert _simplification(np.array([20.0, 20, 12, 8, 4])) == {"half_depth": 3, "relative_total": 0.55}
    assert _simplification(np.array([4.0, 4, 3])) == {"half_depth": None, "relative_total": 0.875}
    assert _simplification(np.array([4.0])) == {"half_depth": None, "relative_total": None}
