"""Findings read from each cloud's summary numbers: how the models compare, where and from which epoch each
layer separates the classes, how many dimensions and loops a cloud has, and what a linear read-out recovers.

Read from the summaries table (and the linear probes table for ``probe_finding``); one function per kind of
finding, each returning a ``Finding`` (or ``None`` when the tables hold nothing to say it from).
``layertopo.analysis.findings.topology_findings`` calls them in the report's order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layertopo.analysis.evolution import SEPARATED, separation_onsets
from layertopo.analysis.finding_numbers import (
    Finding,
    cloud_rows,
    fmt,
    fmt_spread,
    last_hidden_layer,
    named,
    pair,
    seed_spread,
)


def comparison_findings(rows: pd.DataFrame, split: str, models: list[str]) -> list[Finding]:
    """Class separation above chance in each model's last hidden layer at its last epoch, side by side."""
    parts, numbers, where = [], {}, {}
    for model in models:
        table = rows[(rows["model"] == model) & (rows["dim"] == 0)]
        layer = last_hidden_layer(table)
        if layer is None:
            continue
        last = int(table["epoch"].max())
        at = cloud_rows(table, layer, last)
        above, purity, chance = (seed_spread(at, c) for c in ("purity_above_chance", "class_purity", "purity_chance"))
        numbers.update(named(f"above_{model}", above) | named(f"purity_{model}", purity))
        numbers.update(named(f"chance_{model}", chance))
        where[f"layer_{model}"], where[f"epoch_{model}"] = layer, last
        parts.append(
            f"'{model}' {fmt_spread(*above)} (purity {fmt_spread(*purity)}, chance {fmt_spread(*chance)}; "
            f"{layer}, epoch {last})"
        )
    if len(parts) < 2:
        return []
    text = (
        "Class separation in the last hidden layer, as purity of the single-linkage tree above chance "
        "(0 = shuffled labels, 1 = perfect split): " + ", ".join(parts) + "."
    )
    source = f"summaries: split={split}, label=all, dim=0, purity_above_chance, class_purity, purity_chance"
    return [Finding("all", text, numbers, "comparison", where, source)]


def last_hidden_finding(table: pd.DataFrame, model: str, layer: str, first: int, last: int, split: str) -> Finding:
    """Components and class separation of the last hidden layer at the last epoch (``split``), with the
    separation of the other splits beside it."""
    h0 = table[table["dim"] == 0]
    mine = h0[h0["split"] == split]
    b0_all = seed_spread(cloud_rows(mine, layer, last), "betti_significant")
    b0_class = seed_spread(cloud_rows(mine, layer, last, per_class=True), "betti_significant")
    end = seed_spread(cloud_rows(mine, layer, last), "purity_above_chance")
    start = seed_spread(cloud_rows(mine, layer, first), "purity_above_chance")
    others = {
        other: seed_spread(cloud_rows(h0[h0["split"] == other], layer, last), "purity_above_chance")
        for other in ("train", "all")
    }
    text = (
        f"'{model}', layer {layer}, epoch {last}: {fmt_spread(*b0_all)} significant H0 components for all "
        f"{split} points ({fmt_spread(*b0_class)} per class); class purity above chance {fmt_spread(*end)} "
        f"(train {fmt_spread(*others['train'])}, train+test {fmt_spread(*others['all'])}), against "
        f"{fmt_spread(*start)} at epoch {first}."
    )
    numbers = named("b0_all", b0_all) | named("b0_class", b0_class) | named("end", end) | named("start", start)
    numbers |= named("end_train", others["train"]) | named("end_all", others["all"])
    source = (
        f"summaries: dim=0, layer={layer}, label=all (b0, purity_above_chance; splits {split}, train, all) "
        "and each class (b0)"
    )
    return Finding(model, text, numbers, "last_hidden", {"layer": layer, "epoch": last, "first_epoch": first}, source)


def separation_finding(table: pd.DataFrame, model: str, last: int, split: str, bayes: float | None = None) -> Finding:
    """Where (from which layer on) the classes are separated at the last epoch, or the best layer if none is."""
    h0 = table[(table["dim"] == 0) & (table["epoch"] == last) & (table["label"] == "all")]
    source = f"summaries: split={split}, label=all, dim=0, epoch={last}, purity_above_chance"
    by_layer = h0.groupby(["layer_index", "layer"])["purity_above_chance"]
    means = by_layer.mean().sort_index()
    sds = by_layer.std(ddof=0).sort_index()
    separated = _first_separating_layer(means)
    if separated is not None:
        key = means.index[[str(layer) for _, layer in means.index].index(separated)]
        value = (float(means[key]), float(sds[key]))
        text = (
            f"'{model}', epoch {last}: the classes are separated (purity above chance >= {SEPARATED}) from layer "
            f"{separated} on ({fmt_spread(*value)} there)."
        )
        return Finding(model, text, named("above", value), "separation", {"layer": separated, "epoch": last}, source)
    if not means.notna().any():
        return Finding(model, f"'{model}', epoch {last}: no class purity recorded.", {}, "no_separation", {}, source)
    key = means.idxmax()
    best = (float(means[key]), float(sds[key]))
    verdict = "no better than chance" if best[0] <= 0 else f"below the separated level ({SEPARATED})"
    text = (
        f"'{model}', epoch {last}: no layer separates the classes; the best purity above chance is "
        f"{fmt_spread(*best)} (at {key[1]}), {verdict}."
    )
    numbers = named("best", best)
    if bayes is not None and np.isfinite(bayes) and 0.5 < bayes < 1:
        reachable = (bayes - 0.5) / 0.5  # two balanced classes: purity of the Bayes partition, above chance 0.5
        numbers["reachable"] = reachable
        text = text[:-1] + (
            f"; the classes overlap (Bayes accuracy {fmt(bayes)}), so even a tree cut exactly at the Bayes "
            f"boundary would score about {fmt(reachable)}."
        )
    return Finding(model, text, numbers, "no_separation", {"layer": str(key[1]), "epoch": last}, source)


def dimension_finding(table: pd.DataFrame, model: str, layer: str, first: int, last: int, split: str) -> Finding | None:
    """How many principal directions hold 95% of the variance at the input and at the last hidden layer."""
    h0 = table[(table["dim"] == 0) & (table["label"] == "all")]
    inputs = h0[h0["layer_index"] == h0["layer_index"].min()]
    if inputs.empty:
        return None
    input_layer = str(inputs["layer"].iloc[0])
    given = seed_spread(cloud_rows(h0, input_layer, last), "pca_dims_95")
    end = seed_spread(cloud_rows(h0, layer, last), "pca_dims_95")
    start = seed_spread(cloud_rows(h0, layer, first), "pca_dims_95")
    text = (
        f"'{model}', epoch {last}: the {split} cloud needs {fmt_spread(*given)} principal directions for 95% of its "
        f"variance at {input_layer} and {fmt_spread(*end)} at {layer} ({fmt_spread(*start)} at epoch {first})."
    )
    where = {"layer": layer, "input_layer": input_layer, "epoch": last, "first_epoch": first}
    source = f"summaries: split={split}, label=all, dim=0, pca_dims_95"
    numbers = named("input", given) | named("end", end) | named("start", start)
    return Finding(model, text, numbers, "dimension", where, source)


def loops_finding(table: pd.DataFrame, model: str, split: str) -> Finding | None:
    """Whether any cloud of the model has a significant H1 class, and where the most are."""
    h1 = table[(table["dim"] == 1) & (table["label"] == "all")]
    if h1.empty:
        return None
    with_loops = h1[h1["betti_significant"] > 0]
    source = f"summaries: split={split}, label=all, dim=1, betti_significant"
    numbers = {"clouds": float(len(h1)), "with_loops": float(len(with_loops))}
    if with_loops.empty:
        text = (
            f"'{model}': 0 of its {len(h1)} {split} clouds (every layer, epoch and seed) has a significant loop (H1); "
            "its H1 bars are sampling noise and are not interpreted."
        )
        return Finding(model, text, numbers, "no_loops", {}, source)
    by_cell = h1.groupby(["layer", "epoch"])["betti_significant"]
    (layer, epoch) = by_cell.mean().idxmax()
    most = (float(by_cell.mean()[(layer, epoch)]), float(by_cell.std(ddof=0)[(layer, epoch)]))
    text = (
        f"'{model}': {len(with_loops)} of its {len(h1)} {split} clouds have significant loops (H1); the most at "
        f"{layer}, epoch {epoch}: {fmt_spread(*most)} loops."
    )
    numbers |= named("most", most)
    return Finding(model, text, numbers, "loops", {"layer": str(layer), "epoch": int(epoch)}, source)


def onset_finding(table: pd.DataFrame, model: str, layer: str) -> Finding | None:
    """From which snapshot the last hidden layer separates the classes for good, on each split."""
    onsets = separation_onsets(table)
    onsets = onsets[(onsets["model"] == model) & (onsets["layer"] == layer)]
    if onsets.empty:
        return None
    numbers, parts = {}, []
    for split in ("test", "train", "all"):
        mine = onsets[onsets["split"] == split]
        if mine.empty:
            continue
        separated = mine["onset"].dropna()
        numbers[f"seeds_{split}"] = float(len(separated))
        numbers[f"of_{split}"] = float(len(mine))
        name = "train+test" if split == "all" else split
        if len(separated):
            numbers |= named(f"onset_{split}", (float(separated.mean()), float(separated.std(ddof=0))))
            parts.append(
                f"{name}: from epoch {fmt_spread(*pair(numbers, f'onset_{split}'))} "
                f"({fmt(numbers[f'seeds_{split}'])} of {fmt(numbers[f'of_{split}'])} seeds)"
            )
        else:
            parts.append(f"{name}: in {fmt(0.0)} of {fmt(numbers[f'of_{split}'])} seeds")
    text = (
        f"'{model}', layer {layer}: the classes stay separated (purity above chance >= {SEPARATED} at every "
        "later snapshot) " + "; ".join(parts) + "."
    )
    source = f"summaries: label=all, dim=0, layer={layer}, purity_above_chance by epoch, every split"
    return Finding(model, text, numbers, "onset", {"layer": layer}, source)


def probe_finding(probes: pd.DataFrame, model: str, first: int, last: int) -> Finding | None:
    """What a linear read-out recovers of the input radius at each layer, and at the narrowest hidden layer."""
    at_last = probes[probes["epoch"] == last]
    if at_last.empty:
        return None
    order = at_last.groupby("layer")["layer_index"].min().sort_values().index
    numbers, parts = {}, []
    for layer in order:
        value = seed_spread(at_last[at_last["layer"] == layer], "radius_r2")
        numbers |= named(f"r2_{layer}", value)
        parts.append(f"{layer} {fmt_spread(*value)}")
    text = f"'{model}', epoch {last}: R² of a linear read-out of the input radius (test split): " + ", ".join(parts)
    where: dict[str, str | int] = {"epoch": last}
    hidden = at_last[at_last["layer"].str.startswith("hidden")]
    widths = hidden.groupby("layer")["width"].min()
    if len(widths) and widths.min() < widths.max():
        narrow = str(widths.idxmin())
        start = seed_spread(probes[(probes["epoch"] == first) & (probes["layer"] == narrow)], "radius_r2")
        numbers |= named("narrow_start", start)
        where["narrow_layer"] = narrow
        text += (
            f"; its narrowest layer {narrow} ({int(widths.min())} units) reads {fmt_spread(*start)} at epoch {first}"
        )
    source = "probes: split=test, radius_r2 (ridge read-out of the input norm, 3-fold cross-validated)"
    return Finding(model, text + ".", numbers, "probe", where, source)


def _first_separating_layer(means: pd.Series) -> str | None:
    """The shallowest layer from which every deeper layer has mean purity above chance >= SEPARATED."""
    result = None
    for (_, layer), value in reversed(list(means.items())):
        if value >= SEPARATED:
            result = str(layer)
        else:
            break
    return result
