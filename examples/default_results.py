"""The README's results table, read from a finished run folder (the default experiment's layout).

    python examples/default_results.py runs/default

Every number comes from the run's own tables: ``manifest.json`` (verdicts, Bayes accuracy, ceilings),
``summaries.parquet`` (the last hidden layer's significant components and class purity above chance) and
``probes.parquet`` (the radius read-out); mean ± standard deviation over seeds at the last epoch.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def spread(values: pd.Series, decimals: int = 3) -> str:
    """``mean ± sd`` over seeds (population sd)."""
    x = np.asarray(values, dtype=float)
    return f"{x.mean():.{decimals}f} ± {x.std(ddof=0):.{decimals}f}"


def narrowest_layer(widths: dict[str, int]) -> str:
    """The narrowest hidden layer (the first one on ties), from layer -> width."""
    hidden = [layer for layer in widths if layer.startswith("hidden")]
    return min(hidden, key=lambda layer: widths[layer])


def results_table(run: str | Path) -> str:
    """The markdown table: one column per model, one row per quantity."""
    run = Path(run)
    manifest = json.loads((run / "manifest.json").read_text())
    summaries = pd.read_parquet(run / "summaries.parquet")
    probes = pd.read_parquet(run / "probes.parquet")
    verdicts = {v["model"]: v for v in manifest["verdicts"]}
    bayes = manifest["data"]["bayes_accuracy"]
    last = int(summaries["epoch"].max())
    hidden = summaries.loc[summaries["layer"].str.startswith("hidden"), ["layer_index", "layer"]]
    layer = str(hidden.sort_values("layer_index")["layer"].iloc[-1])  # the last hidden layer
    rows: dict[str, list[str]] = {
        f"test accuracy, epoch {last} (Bayes {bayes:.3f})": [],
        f"train accuracy, epoch {last}": [],
        "test accuracy at the validation-chosen epoch": [],
        "ceiling of the narrow first layer": [],
        f"{layer} (test cloud): significant components, all points / per class": [],
        f"{layer}, test: class purity above chance (0 chance, 1 separated)": [],
        f"{layer}, train+test: class purity above chance": [],
        "radius R² of the narrowest hidden layer": [],
    }
    cells = list(rows.values())
    for model, v in verdicts.items():
        cells[0].append(f"{v['test_accuracy']:.3f} ± {v['test_accuracy_std']:.3f}")
        cells[1].append(f"{v['train_accuracy']:.3f} ± {v['train_accuracy_std']:.3f}")
        cells[2].append(f"{v['selected_test_accuracy']:.3f} ± {v['selected_test_accuracy_std']:.3f}")
        cells[3].append(f"{v['ceiling']:.3f}" if np.isfinite(v["ceiling"]) else "-")
        h0 = summaries[(summaries["model"] == model) & (summaries["epoch"] == last) & (summaries["dim"] == 0)]
        h0 = h0[h0["layer"] == layer]
        test_all = h0[(h0["split"] == "test") & (h0["label"] == "all")]
        per_class = h0[(h0["split"] == "test") & (h0["label"] != "all")].groupby("seed")["betti_significant"].mean()
        cells[4].append(f"{spread(test_all['betti_significant'], 1)} / {spread(per_class, 1)}")
        cells[5].append(spread(test_all["purity_above_chance"], 2))
        both = h0[(h0["split"] == "all") & (h0["label"] == "all")]
        cells[6].append(spread(both["purity_above_chance"], 2))
        mine = probes[(probes["model"] == model) & (probes["epoch"] == last)]
        widths = dict(zip(mine["layer"], mine["width"], strict=False))
        narrow = narrowest_layer(widths)
        cells[7].append(f"{spread(mine[mine['layer'] == narrow]['radius_r2'], 2)} ({narrow}, {widths[narrow]} units)")
    header = "| | " + " | ".join(f"`{m}`" for m in verdicts) + " |"
    lines = [header, "|---|" + "---|" * len(verdicts)]
    lines += [f"| {name} | " + " | ".join(values) + " |" for name, values in rows.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(results_table(sys.argv[1] if len(sys.argv) > 1 else "runs/default"))
