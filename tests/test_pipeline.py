"""The quick.yaml experiment end to end (tables, resume, report); determinism, the CLI and a diverging model on
tests/reliability/tiny.yaml, the smallest run that makes every kind of write."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from typer.testing import CliRunner

from layertopo.cli import app
from layertopo.pipeline import run_experiment
from layertopo.store import read_npz

TINY = Path(__file__).parent / "reliability" / "tiny.yaml"


def test_summaries_cover_every_key(quick_run, quick_config):
    s = quick_run.summaries
    models, seeds = set(quick_config.models), set(quick_config.training.seeds)
    layers = {"input", "hidden1", "hidden2", "hidden3", "hidden4", "logits"}
    assert set(s["model"]) == models and set(s["seed"]) == seeds
    assert set(s["epoch"]) == set(quick_config.capture.epochs)
    assert set(s["layer"]) == layers
    assert set(s["split"]) == {"train", "test", "all"} and set(s["label"]) == {"all", "0", "1"}
    assert set(s["dim"]) == {0, 1}
    assert set(s.loc[s["label"] != "all", "dim"]) == {0}  # per-class clouds: components only (class_maxdim 0)
    expected = len(models) * len(seeds) * len(quick_config.capture.epochs) * len(layers) * 3 * (2 + 1 + 1)
    assert len(s) == expected
    assert not s.duplicated(["model", "seed", "epoch", "layer", "split", "label", "dim"]).any()
    all_rows = s[(s["split"] == "all") & (s["label"] == "all")]
    assert (all_rows["n_input"] == quick_config.data.n_train + quick_config.data.n_test).all()
    assert (s["n_used"] <= quick_config.topology.max_points).all()
    assert (s["n_used"] <= s["n_input"]).all() and (s["error"] == "").all()
    assert s["betti_significant"].ge(0).all()


def test_stored_files_match_the_tables(quick_run):
    run = quick_run.run_dir
    history = pd.read_parquet(run / "history.parquet")
    assert {"model", "seed", "epoch", "split", "loss", "accuracy"} <= set(history.columns)
    dgms = read_npz(run / "diagrams" / "good" / "seed0" / "epoch0030.npz")
    row = quick_run.summaries.query(
        "model == 'good' and seed == 0 and epoch == 30 and layer == 'hidden4' and split == 'test' and label == 'all'"
    )
    for dim in (0, 1):
        dgm = dgms[f"hidden4__test__all__h{dim}"]
        assert len(dgm) == row[row["dim"] == dim]["n_bars"].item()
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["versions"]["torch"].startswith("2.13.0")
    verdicts = {v["model"]: v for v in manifest["verdicts"]}
    acc = history[(history["epoch"] == 30) & (history["split"] == "test")].groupby("model")["accuracy"].mean()
    assert np.isclose(verdicts["good"]["test_accuracy"], acc["good"])
    assert verdicts["good"]["test_accuracy"] > verdicts["narrow_first"]["test_accuracy"]
    html = (run / "report.html").read_text()
    assert f"{verdicts['good']['test_accuracy']:.3f}" in html and "Findings" in html
    assert (run / "figures" / "training_curves.png").stat().st_size > 1000
    assert not (run / "figures" / "topology_good.svg").exists()  # SVG only when asked (layertopo report --svg)


def test_distances_and_projections_tables(quick_run, quick_config):
    run = quick_run.run_dir
    distances = pd.read_parquet(run / "distances.parquet")
    kinds = {"layer_to_next", "layer_to_input", "train_test", "epoch_to_next", "noise_floor"}
    assert set(distances["kind"]) == kinds
    floor = distances[distances["kind"] == "noise_floor"]
    assert set(floor["dim"]) == {0} and set(floor["split"]) == {"train"}
    assert len(floor) == len(quick_config.models) * 2 * 4 * 6  # every training cloud, H0
    assert (floor["bottleneck"] > 0).all()
    assert set(distances["model"]) == set(quick_config.models) and set(distances["dim"]) == {0, 1}
    assert np.isfinite(distances["bottleneck"]).all()
    h0 = distances[distances["dim"] == 0]
    assert np.isfinite(h0["wasserstein"]).all() and distances.loc[distances["dim"] == 1, "wasserstein"].isna().all()
    slack = h0["bottleneck_tolerance"] + 1e-9  # W1 >= bottleneck, up to the bottleneck's tolerance
    assert (h0["wasserstein"] >= h0["bottleneck"] - slack).all()
    projections = pd.read_parquet(run / "projections.parquet")
    per_view = projections.groupby(["model", "seed", "epoch", "layer"]).size()
    assert per_view.nunique() == 1 and per_view.iloc[0] == 400
    assert len(per_view) == len(quick_config.models) * 2 * 4 * 6
    probes = pd.read_parquet(run / "probes.parquet")
    assert len(probes) == len(quick_config.models) * 2 * 4 * 6 and set(probes["split"]) == {"test"}
    last = probes[probes["epoch"] == 30].groupby(["model", "layer"])["radius_r2"].mean()
    assert last[("good", "hidden4")] > 0.7 and last[("narrow_first", "hidden1")] < 0.2  # a rank-3 projection
    assert last[("narrow_middle", "hidden3")] > 0.7  # its 3-unit bottleneck passes the radius on
    assert set(projections["split"]) == {"train", "test"} and set(projections["label"]) == {0, 1}


def test_this_process_and_two_workers_give_identical_runs(tiny_run, tiny_config, tmp_path):
    first, one = tiny_run, tiny_run.run_dir  # computed in one process (n_jobs: null)
    again = run_experiment(tiny_config, tmp_path / "two", build_report=False)  # tiny.yaml: execution.n_jobs 2
    for table in ("summaries.parquet", "distances.parquet", "probes.parquet"):
        assert (tmp_path / "two" / table).read_bytes() == (one / table).read_bytes(), table
    pd.testing.assert_frame_equal(again.history, first.history)
    part = "activations/narrow_first/seed1/epoch0003.npz"
    assert (tmp_path / "two" / part).read_bytes() == (one / part).read_bytes()
    part = "checkpoints/good/seed0/epoch0001.pt"
    a, b = (torch.load(run / part, weights_only=False) for run in (one, tmp_path / "two"))
    assert all(torch.equal(a["model"][key], b["model"][key]) for key in a["model"])
    assert torch.equal(a["data_order_rng"], b["data_order_rng"]) and a["history"] == b["history"]


def test_resume_skips_finished_units(quick_run, quick_config, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(quick_run.run_dir, copy)
    before = (copy / "activations" / "good" / "seed0" / "epoch0000.npz").stat().st_mtime_ns
    result = run_experiment(quick_config, copy, resume=True, build_report=False)
    assert (copy / "activations" / "good" / "seed0" / "epoch0000.npz").stat().st_mtime_ns == before
    assert result.manifest["timings"]["training"] < 5
    pd.testing.assert_frame_equal(result.summaries, quick_run.summaries)


def test_cli_run_and_report(tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli"
    result = runner.invoke(
        app,
        [
            "run",
            "--config",
            str(TINY),
            "--out",
            str(out),
            "--set",
            "training.seeds=[0]",
            "--set",
            "capture.epochs=[0,3]",
            "--set",
            "capture.layers=[input,hidden1,logits]",
            "--set",
            "capture.splits=[test]",
        ],
    )
    assert result.exit_code == 0, result.output
    s = pd.read_parquet(out / "summaries.parquet")
    assert set(s["layer"]) == {"input", "hidden1", "logits"} and set(s["split"]) == {"test"}
    (out / "report.html").unlink()
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    assert (out / "report.html").exists()


def test_cli_rejects_bad_config_before_any_work(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--out",
            str(tmp_path / "x"),
            "--set",
            "capture.layers=[hidden9]",
            "--set",
            "training.epochs=1",
            "--set",
            "capture.epochs=[0]",
        ],
    )
    assert result.exit_code == 2
    assert "hidden9" in result.output and "valid names" in result.output
    result = CliRunner().invoke(app, ["run", "--out", str(tmp_path / "y"), "--set", "training.lr=-0.1"])
    assert result.exit_code == 2 and "lr" in result.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_a_diverging_model_is_recorded_and_the_others_go_on(tmp_path):
    from layertopo.config import load_config

    config = load_config(
        TINY,
        [
            "models.wild={widths: [16, 16], optimizer: sgd, lr: 1.0e+30}",
            "training.seeds=[0]",
            "training.epochs=6",
            "capture.epochs=[0, 3, 6]",
            "capture.splits=[test]",
        ],
    )
    result = run_experiment(config, tmp_path / "run", build_report=True)
    runs = result.manifest["runs"]
    assert runs["wild/0"]["status"] == "diverged" and runs["good/0"]["status"] == "finished"
    wild = result.history[result.history["model"] == "wild"]
    assert wild["epoch"].max() < 6 and wild["epoch"].min() == 0  # epochs before the bad step are kept
    assert set(result.summaries[result.summaries["model"] == "wild"]["epoch"]) == {0}
    assert set(result.summaries[result.summaries["model"] == "good"]["epoch"]) == {0, 3, 6}
    verdicts = {v["model"]: v for v in result.manifest["verdicts"]}
    assert verdicts["wild"]["diverged_seeds"] == 1 and "diverged" in verdicts["wild"]["sentence"]
    assert "diverged" in (tmp_path / "run" / "report.html").read_text()
