"""Short sentences about how each network reshapes the data, each citing the numbers behind it.

Computed from ``summaries.parquet`` (and ``distances.parquet`` where given) only, so a test can recompute
every number. Unless said otherwise a finding is about the ``test`` split, all labels together, the
mean over seeds of the rows without error, at the last snapshot epoch. Every number in ``Finding.numbers``
appears in ``Finding.text`` formatted with :func:`fmt` (three significant digits); ``Finding.where`` holds
the layers and epochs the sentence names, ``Finding.source`` the rows it reads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

PURE = 0.95


@dataclass(frozen=True)
class Finding:
    """One sentence, the model it is about (``"all"`` for a comparison) and the numbers it cites."""

    model: str
    text: str
    numbers: dict[str, float] = field(default_factory=dict)
    kind: str = ""
    where: dict[str, str | int] = field(default_factory=dict)
    source: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def fmt(value: float) -> str:
    """How a finding writes a number: three significant digits (``0.953``, ``12``, ``nan``)."""
    return f"{value:.3g}"


def topology_findings(
    summaries: pd.DataFrame,
    *,
    split: str = "test",
    distances: pd.DataFrame | None = None,
    models: list[str] | None = None,
) -> list[Finding]:
    """Findings per model, and a comparison of the models first.

    Parameters
    ----------
    summaries : the summaries table (one row per cloud and homology dimension)
    split : the split the findings are about (``train_test`` findings compare train with test)
    distances : the distances table; without it the distance findings are left out
    models : the order in which models are reported (default: as they appear in ``summaries``)

    Returns
    -------
    list of Finding: the comparison, then per model its last hidden layer, where the classes separate,
    how many principal directions remain, how much H1 is left, and (with distances) which step along
    depth changes the topology most, how far training moved the last hidden layer from the input, and
    how far train and test diagrams are apart.
    """
    rows = summaries[(summaries["split"] == split) & summaries["error"].fillna("").eq("")]
    order = [m for m in models or [] if m in set(rows["model"])]
    order += [str(m) for m in rows["model"].unique() if str(m) not in order]
    findings = _comparison(rows, split, order)
    for model in order:
        table = rows[rows["model"] == model]
        layer = _last_hidden_layer(table)
        if layer is None:
            continue
        first, last = int(table["epoch"].min()), int(table["epoch"].max())
        candidates = [
            _last_hidden(table, model, layer, first, last, split),
            _separation(table, model, last, split),
            _dimension(table, model, layer, first, last, split),
            _h1_left(table, model, layer, last, split),
        ]
        if distances is not None and not distances.empty:
            mine = distances[distances["model"] == model]
            candidates += [
                _largest_step(mine, model, last, split),
                _input_drift(mine, model, layer, first, last, split),
                _train_test(mine, model, last),
            ]
        findings += [f for f in candidates if f is not None]
    return findings


# --- one function per kind of finding --------------------------------------------------------------


def _comparison(rows: pd.DataFrame, split: str, models: list[str]) -> list[Finding]:
    """Class purity of each model's last hidden layer at its last epoch, side by side."""
    parts, numbers, where = [], {}, {}
    for model in models:
        table = rows[(rows["model"] == model) & (rows["dim"] == 0)]
        layer = _last_hidden_layer(table)
        if layer is None:
            continue
        last = int(table["epoch"].max())
        means = _layer_means(table, layer, last)
        numbers[f"purity_{model}"], numbers[f"baseline_{model}"] = means["purity"], means["baseline"]
        where[f"layer_{model}"], where[f"epoch_{model}"] = layer, last
        parts.append(f"'{model}' {fmt(means['purity'])} (chance {fmt(means['baseline'])}; {layer}, epoch {last})")
    if len(parts) < 2:
        return []
    text = "Class separation in the last hidden layer (purity of the single-linkage tree): " + ", ".join(parts) + "."
    source = f"summaries: split={split}, label=all, dim=0, class_purity and class_purity_baseline"
    return [Finding("all", text, numbers, "comparison", where, source)]


def _last_hidden(table: pd.DataFrame, model: str, layer: str, first: int, last: int, split: str) -> Finding:
    end = _layer_means(table[table["dim"] == 0], layer, last)
    start = _layer_means(table[table["dim"] == 0], layer, first)
    text = (
        f"'{model}', layer {layer}, epoch {last}: {fmt(end['b0_all'])} significant H0 components for all "
        f"{split} points ({fmt(end['b0_class'])} per class on average); the single-linkage tree separates the "
        f"classes with purity {fmt(end['purity'])} (chance {fmt(end['baseline'])}), against "
        f"{fmt(start['purity'])} at epoch {first}."
    )
    numbers = {
        "end_b0_all": end["b0_all"],
        "end_b0_class": end["b0_class"],
        "end_purity": end["purity"],
        "end_baseline": end["baseline"],
        "start_purity": start["purity"],
    }
    source = f"summaries: split={split}, dim=0, layer={layer}, label=all (b0, purity) and 0/1 (b0 per class)"
    return Finding(model, text, numbers, "last_hidden", {"layer": layer, "epoch": last, "first_epoch": first}, source)


def _separation(table: pd.DataFrame, model: str, last: int, split: str) -> Finding:
    h0 = table[table["dim"] == 0]
    source = f"summaries: split={split}, label=all, dim=0, epoch={last}, class_purity"
    separated = _first_separating_layer(h0, last)
    if separated is not None:
        layer, purity = separated
        text = (
            f"'{model}', epoch {last}: the classes are separated (purity >= {PURE}) from layer {layer} on "
            f"(purity {fmt(purity)} there)."
        )
        return Finding(model, text, {"purity": purity}, "separation", {"layer": layer, "epoch": last}, source)
    at = h0[(h0["epoch"] == last) & (h0["label"] == "all")]
    purity = at.groupby("layer")["class_purity"].mean()
    layer, best = (str(purity.idxmax()), float(purity.max())) if purity.notna().any() else ("none", np.nan)
    text = f"'{model}', epoch {last}: no layer separates the classes (best purity {fmt(best)}, at {layer})."
    return Finding(model, text, {"best_purity": best}, "no_separation", {"layer": layer, "epoch": last}, source)


def _dimension(table: pd.DataFrame, model: str, layer: str, first: int, last: int, split: str) -> Finding | None:
    h0 = table[(table["dim"] == 0) & (table["label"] == "all")]
    inputs = h0[h0["layer_index"] == h0["layer_index"].min()]
    if inputs.empty:
        return None
    input_layer = str(inputs["layer"].iloc[0])
    start = float(h0[(h0["layer"] == layer) & (h0["epoch"] == first)]["pca_dims_95"].mean())
    end = float(h0[(h0["layer"] == layer) & (h0["epoch"] == last)]["pca_dims_95"].mean())
    given = float(inputs[inputs["epoch"] == last]["pca_dims_95"].mean())
    text = (
        f"'{model}', epoch {last}: the {split} cloud needs {fmt(given)} principal directions for 95% of its variance "
        f"at {input_layer} and {fmt(end)} at {layer} ({fmt(start)} at epoch {first})."
    )
    where = {"layer": layer, "input_layer": input_layer, "epoch": last, "first_epoch": first}
    source = f"summaries: split={split}, label=all, dim=0, pca_dims_95"
    return Finding(model, text, {"input": given, "end": end, "start": start}, "dimension", where, source)


def _h1_left(table: pd.DataFrame, model: str, layer: str, last: int, split: str) -> Finding | None:
    """H1 total persistence in units of the cloud's RMS radius, at the input and the last hidden layer."""
    h1 = table[(table["dim"] == 1) & (table["label"] == "all") & (table["epoch"] == last)]
    h1 = h1.assign(relative=h1["total_persistence"] / h1["rms_radius"])
    inputs = h1[h1["layer_index"] == h1["layer_index"].min()]
    if inputs.empty:
        return None
    input_layer = str(inputs["layer"].iloc[0])
    given, end = float(inputs["relative"].mean()), float(h1[h1["layer"] == layer]["relative"].mean())
    b1 = float(h1[h1["layer"] == layer]["betti_significant"].mean())
    text = (
        f"'{model}', epoch {last}: H1 total persistence, in units of the cloud's RMS radius, is {fmt(given)} at "
        f"{input_layer} and {fmt(end)} at {layer}, where {fmt(b1)} significant loops remain."
    )
    source = f"summaries: split={split}, label=all, dim=1, total_persistence / rms_radius, betti_significant"
    where = {"layer": layer, "input_layer": input_layer, "epoch": last}
    return Finding(model, text, {"input": given, "end": end, "b1": b1}, "h1_left", where, source)


def _largest_step(distances: pd.DataFrame, model: str, last: int, split: str) -> Finding | None:
    """The consecutive-layer step whose diagrams differ most (mean bottleneck distance), per dimension."""
    rows = distances[(distances["kind"] == "layer_to_next") & (distances["split"] == split)]
    rows = rows[rows["epoch"] == last].dropna(subset=["bottleneck"])
    if rows.empty:
        return None
    means = rows.groupby(["dim", "layer", "other_layer"])["bottleneck"].mean()
    numbers, where, parts = {}, {"epoch": last}, []
    for dim in sorted(int(d) for d in rows["dim"].unique()):
        (layer, other), value = means.loc[dim].idxmax(), float(means.loc[dim].max())
        numbers[f"h{dim}"], where[f"h{dim}_pair"] = value, f"{layer} → {other}"
        parts.append(f"in H{dim} {layer} → {other} ({fmt(value)})")
    text = (
        f"'{model}', epoch {last}: the step along depth that changes the {split} diagrams most "
        f"(bottleneck distance, RMS-scaled) is " + "; ".join(parts) + "."
    )
    source = f"distances: kind=layer_to_next, split={split}, epoch={last}, bottleneck"
    return Finding(model, text, numbers, "largest_step", where, source)


def _input_drift(distances: pd.DataFrame, model: str, layer: str, first: int, last: int, split: str) -> Finding | None:
    """How far the last hidden layer's H0 diagram is from the input's, before and after training."""
    rows = distances[
        (distances["kind"] == "layer_to_input")
        & (distances["split"] == split)
        & (distances["layer"] == layer)
        & (distances["dim"] == 0)
    ]
    if rows.empty:
        return None
    start = float(rows[rows["epoch"] == first]["bottleneck"].mean())
    end = float(rows[rows["epoch"] == last]["bottleneck"].mean())
    text = (
        f"'{model}': the H0 diagram of {layer} lies at bottleneck distance {fmt(start)} from the input's at epoch "
        f"{first} and {fmt(end)} at epoch {last}."
    )
    source = f"distances: kind=layer_to_input, split={split}, dim=0, layer={layer}, bottleneck"
    where = {"layer": layer, "epoch": last, "first_epoch": first}
    return Finding(model, text, {"start": start, "end": end}, "input_drift", where, source)


def _train_test(distances: pd.DataFrame, model: str, last: int) -> Finding | None:
    """The layer where train and test diagrams differ most at the last epoch, per dimension."""
    rows = distances[(distances["kind"] == "train_test") & (distances["epoch"] == last)]
    rows = rows.dropna(subset=["bottleneck"])
    if rows.empty:
        return None
    means = rows.groupby(["dim", "layer"])["bottleneck"].mean()
    numbers, where, parts = {}, {"epoch": last}, []
    for dim in sorted(int(d) for d in rows["dim"].unique()):
        layer, value = str(means.loc[dim].idxmax()), float(means.loc[dim].max())
        numbers[f"h{dim}"], where[f"h{dim}_layer"] = value, layer
        parts.append(f"H{dim} {fmt(value)} at {layer}")
    text = (
        f"'{model}', epoch {last}: the train and test diagrams are at most this far apart (bottleneck, "
        f"RMS-scaled): " + "; ".join(parts) + "."
    )
    source = f"distances: kind=train_test, epoch={last}, bottleneck"
    return Finding(model, text, numbers, "train_test", where, source)


# --- helpers ------------------------------------------------------------------------------------------


def _last_hidden_layer(table: pd.DataFrame) -> str | None:
    hidden = table[table["layer"].str.startswith("hidden")]
    if hidden.empty:
        return None
    return str(hidden.sort_values("layer_index")["layer"].iloc[-1])


def _layer_means(table: pd.DataFrame, layer: str, epoch: int) -> dict[str, float]:
    """Means over seeds of one layer's H0 rows at one epoch (``table`` holds dim 0 rows)."""
    at = table[(table["layer"] == layer) & (table["epoch"] == epoch) & (table["dim"] == 0)]
    everything = at[at["label"] == "all"]
    per_class = at[at["label"] != "all"]
    return {
        "b0_all": float(everything["betti_significant"].mean()),
        "b0_class": float(per_class["betti_significant"].mean()) if len(per_class) else np.nan,
        "purity": float(everything["class_purity"].mean()),
        "baseline": float(everything["class_purity_baseline"].mean()),
    }


def _first_separating_layer(table: pd.DataFrame, epoch: int) -> tuple[str, float] | None:
    """The shallowest layer from which every deeper layer has mean purity >= PURE (None if the last has not)."""
    at = table[(table["epoch"] == epoch) & (table["label"] == "all")]
    purity = at.groupby(["layer_index", "layer"])["class_purity"].mean().sort_index()
    result = None
    for (_, layer), value in reversed(list(purity.items())):
        if value >= PURE:
            result = (str(layer), float(value))
        else:
            break
    return result
