"""Every example runs with small settings and gives the numbers it promises."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look the module up by name
    spec.loader.exec_module(module)
    return module


def test_canonical_experiment_writes_a_run_with_tables(tmp_path):
    example = load_example("canonical_experiment")
    numbers = example.main(tmp_path / "run", overrides=example.SMOKE, report=False)
    models = {"good", "narrow_first", "narrow_middle"}
    assert set(numbers["test_accuracy"]) == models
    accuracy = numbers["test_accuracy"]
    assert accuracy["good"] > 0.8 and accuracy["narrow_first"] < accuracy["good"] - 0.1  # a narrow first layer fails
    assert set(numbers["purity_above_chance"]) == models
    summaries = pd.read_parquet(numbers["run_dir"] / "summaries.parquet")
    assert sorted(summaries["epoch"].unique()) == [0, 25]
    assert set(summaries["split"]) == {"test"}


def test_digits_mlp_class_structure_emerges_in_the_last_hidden_layer(tmp_path):
    example = load_example("digits_mlp")
    numbers = example.main(epochs=10, every=5, n_monitor=200, max_points=200, log_dir=tmp_path, per_class=False)
    purity = numbers["purity"]
    assert sorted(purity) == [0, 5, 10]
    assert numbers["test_accuracy"] > 0.9
    # at initialisation the merge tree of the last hidden layer chains the classes together (purity near the
    # majority fraction, ~0.15); trained, it separates them far better (~0.45 with these settings)
    assert purity[10] > purity[0] + 0.15, purity
    history = numbers["history"]
    assert set(history["layer"]) == {"input", "relu1", "relu2"}
    assert list(tmp_path.glob("events.out.tfevents.*"))


def test_digits_cnn_analysis_layer_by_layer():
    example = load_example("digits_cnn")
    numbers = example.main(epochs=8, n_analyze=200, max_points=120)
    assert numbers["test_accuracy"] > 0.85
    assert list(numbers["purity"]) == example.LAYERS
    assert all(b0 >= 1 for b0 in numbers["b0"].values())
    assert numbers["purity"]["fc1"] > numbers["purity"]["conv1"]
    distances = numbers["distances"].to_numpy()
    np.testing.assert_array_equal(np.diag(distances), 0.0)
    np.testing.assert_allclose(distances, distances.T)
    rows = numbers["analysis"].summaries
    assert rows.query("layer == 'conv1'")["n_input"].iloc[0] == 200


def test_digits_pipeline_tells_digits_apart_by_the_loops_of_their_ink():
    example = load_example("digits_pipeline")
    clouds, labels = example.ink_clouds(per_digit=15)
    assert len(clouds) == 45 and all(c.shape[1] == 2 for c in clouds)
    assert example.main(per_digit=15) > 0.7  # chance 0.33


def test_lightning_digits_logs_topology_beside_the_loss_in_one_event_file(tmp_path):
    pytest.importorskip("lightning")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    example = load_example("lightning_digits")
    numbers = example.main(tmp_path / "tb", epochs=2, every=1, n_monitor=150)
    files = list((tmp_path / "tb").rglob("events.out.tfevents.*"))
    assert len(files) == 1  # the trainer's own file: no second writer
    events = EventAccumulator(str(files[0])).Reload()
    steps_per_epoch = 1257 // 64 + 1  # 70 % of 1,797 digits in batches of 64
    purity = events.Scalars("topology/net.3/class_purity")
    assert [e.step for e in purity] == [0, steps_per_epoch, 2 * steps_per_epoch]
    assert {e.step for e in events.Scalars("train_loss")} <= set(range(1, 2 * steps_per_epoch + 1))
    assert set(events.Tags()["images"]) == {"diagrams/net.1", "diagrams/net.3"}
    history = numbers["history"]
    logged = history[(history["layer"] == "net.3") & (history["label"] == "all") & (history["dim"] == 0)]
    assert list(logged["global_step"]) == [0, steps_per_epoch, 2 * steps_per_epoch]
    np.testing.assert_allclose([e.value for e in purity], logged["class_purity"], rtol=1e-6)
    assert numbers["test_accuracy"] > 0.5  # two epochs: about 0.7 (chance 0.1)


@pytest.mark.parametrize(
    "name", ["canonical_experiment", "digits_mlp", "digits_cnn", "digits_pipeline", "lightning_digits"]
)
def test_examples_guard_their_main_for_spawned_workers(name):
    text = (EXAMPLES / f"{name}.py").read_text()
    assert 'if __name__ == "__main__":' in text and "def main(" in text


def test_default_results_reads_the_readme_table_from_a_run(quick_run):
    table = load_example("default_results").results_table(quick_run.run_dir).splitlines()
    assert table[0] == "| | `good` | `narrow_first` | `narrow_middle` |" and len(table) == 2 + 8
    cells = {line.split(" | ")[0][2:]: line.strip("| ").split(" | ")[1:] for line in table[2:]}
    verdicts = {v["model"]: v for v in quick_run.manifest["verdicts"]}
    test = cells["test accuracy, epoch 30 (Bayes 0.970)"]
    assert test[0] == f"{verdicts['good']['test_accuracy']:.3f} ± {verdicts['good']['test_accuracy_std']:.3f}"
    assert cells["ceiling of the narrow first layer"] == ["-", f"{verdicts['narrow_first']['ceiling']:.3f}", "-"]
    radius = cells["radius R² of the narrowest hidden layer"]
    assert radius[1].endswith("(hidden1, 3 units)") and radius[2].endswith("(hidden3, 3 units)")
    s = quick_run.summaries
    at = s[(s["model"] == "good") & (s["epoch"] == 30) & (s["layer"] == "hidden4") & (s["dim"] == 0)]
    purity = at[(at["split"] == "test") & (at["label"] == "all")]["purity_above_chance"]
    assert cells["hidden4, test: class purity above chance (0 chance, 1 separated)"][0] == (
        f"{purity.mean():.2f} ± {purity.std(ddof=0):.2f}"
    )
