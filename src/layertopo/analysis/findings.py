"""Short sentences about how topology differs between models, each citing the numbers behind it.

Computed from ``summaries.parquet`` only, so a test can recompute every number. Unless said
otherwise a finding is about the ``test`` split, all labels together, the mean over seeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

PURE = 0.95


@dataclass(frozen=True)
class Finding:
    model: str
    text: str
    numbers: dict[str, float] = field(default_factory=dict)


def topology_findings(summaries: pd.DataFrame, *, split: str = "test") -> list[Finding]:
    """Findings per model: class separation and components in the last hidden layer at the first and
    last snapshot epochs, and the first layer from which the classes are separated."""
    findings = []
    rows = summaries[(summaries["split"] == split) & (summaries["dim"] == 0) & summaries["error"].eq("")]
    for model, table in rows.groupby("model", sort=False):
        last_hidden = _last_hidden_layer(table)
        if last_hidden is None:
            continue
        first_epoch, last_epoch = int(table["epoch"].min()), int(table["epoch"].max())
        end = _layer_means(table, last_hidden, last_epoch)
        start = _layer_means(table, last_hidden, first_epoch)
        findings.append(
            Finding(
                str(model),
                f"'{model}', layer {last_hidden}, epoch {last_epoch}: {end['b0_all']:.1f} significant H0 "
                f"components for all {split} points ({end['b0_class']:.1f} per class on average, "
                f"{end['pca_dims']:.1f} principal directions hold 95% of the variance); the single-linkage "
                f"tree separates the classes with purity {end['purity']:.2f} (chance {end['baseline']:.2f}), "
                f"against {start['purity']:.2f} at epoch {first_epoch}.",
                {**{f"end_{k}": v for k, v in end.items()}, **{f"start_{k}": v for k, v in start.items()}},
            )
        )
        separated = _first_separating_layer(table, last_epoch)
        if separated is not None:
            layer, purity = separated
            findings.append(
                Finding(
                    str(model),
                    f"'{model}', epoch {last_epoch}: the classes are separated (purity >= {PURE}) from layer "
                    f"{layer} on (purity {purity:.2f} there).",
                    {"purity": purity},
                )
            )
        else:
            best = table[(table["epoch"] == last_epoch) & (table["label"] == "all")]
            best_purity = float(best.groupby("layer")["class_purity"].mean().max())
            findings.append(
                Finding(
                    str(model),
                    f"'{model}', epoch {last_epoch}: no layer separates the classes (best purity {best_purity:.2f}).",
                    {"best_purity": best_purity},
                )
            )
    return findings


def _last_hidden_layer(table: pd.DataFrame) -> str | None:
    hidden = table[table["layer"].str.startswith("hidden")]
    if hidden.empty:
        return None
    return str(hidden.sort_values("layer_index")["layer"].iloc[-1])


def _layer_means(table: pd.DataFrame, layer: str, epoch: int) -> dict[str, float]:
    at = table[(table["layer"] == layer) & (table["epoch"] == epoch)]
    everything = at[at["label"] == "all"]
    per_class = at[at["label"] != "all"]
    return {
        "b0_all": float(everything["betti_significant"].mean()),
        "b0_class": float(per_class["betti_significant"].mean()) if len(per_class) else np.nan,
        "purity": float(everything["class_purity"].mean()),
        "baseline": float(everything["class_purity_baseline"].mean()),
        "pca_dims": float(everything["pca_dims_95"].mean()),
    }


def _first_separating_layer(table: pd.DataFrame, epoch: int) -> tuple[str, float] | None:
    at = table[(table["epoch"] == epoch) & (table["label"] == "all")]
    purity = at.groupby(["layer_index", "layer"])["class_purity"].mean().sort_index()
    result = None
    for (_, layer), value in reversed(list(purity.items())):
        if value >= PURE:
            result = (str(layer), float(value))
        else:
            break
    return result
