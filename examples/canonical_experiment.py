"""The canonical experiment from Python: three networks on two slightly overlapping spherical shells - one wide
everywhere, one whose first hidden layer is too narrow (it cannot learn), one narrow in the middle (it can) -
trained side by side and analysed layer by layer (docs/experiment.md).

    python examples/canonical_experiment.py            # configs/quick.yaml as it is, into runs/quick-example
    python examples/canonical_experiment.py --smoke    # a few seconds

The run folder holds the tidy tables (``summaries.parquet``, ``history.parquet``, ...) and ``report.html``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import layertopo

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "quick.yaml"

#: a smaller, faster variant of quick.yaml (for tests and a first look)
SMOKE = [
    "data.n_train=400",
    "data.n_test=200",
    "training.epochs=25",
    "training.seeds=[0]",
    "capture.epochs=[0,25]",
    "capture.splits=[test]",
    "topology.max_points=80",
    "execution.n_jobs=null",
]


def main(out_dir: str | Path = "runs/quick-example", overrides: list[str] | None = None, report: bool = True) -> dict:
    """Run configs/quick.yaml (with ``overrides`` such as ``"training.epochs=10"``) into ``out_dir``.

    Returns
    -------
    dict with ``run_dir``, ``test_accuracy`` (model -> accuracy at the last epoch, mean over seeds) and
    ``purity_above_chance`` (model -> class purity above chance of the last hidden layer's test cloud at the
    last snapshot: 0 = what shuffled labels give, 1 = the classes fully apart).
    """
    config = layertopo.load_config(CONFIG, overrides=overrides)
    result = layertopo.run_experiment(config, out_dir, build_report=report)
    history = result.history
    last = history[(history["epoch"] == history["epoch"].max()) & (history["split"] == "test")]
    rows = result.summaries
    hidden = rows[rows["layer"].str.startswith("hidden")]
    last_hidden = hidden[hidden["layer_index"] == hidden["layer_index"].max()]
    at_end = last_hidden[
        (last_hidden["epoch"] == last_hidden["epoch"].max())
        & (last_hidden["split"] == "test")
        & (last_hidden["label"] == "all")
        & (last_hidden["dim"] == 0)
    ]
    return {
        "run_dir": result.run_dir,
        "test_accuracy": last.groupby("model")["accuracy"].mean().to_dict(),
        "purity_above_chance": at_end.groupby("model")["purity_above_chance"].mean().to_dict(),
    }


if __name__ == "__main__":
    numbers = main(overrides=SMOKE if "--smoke" in sys.argv else None)
    print(f"run folder: {numbers['run_dir']}")
    for model, accuracy in numbers["test_accuracy"].items():
        print(
            f"{model}: test accuracy {accuracy:.3f}, class purity above chance in the last hidden layer "
            f"{numbers['purity_above_chance'][model]:.2f}"
        )
