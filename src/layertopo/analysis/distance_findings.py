"""Findings about how the diagrams move: along depth, away from the input, between train and test, and
between snapshots against the accuracy.

Read from the distances table (with the summaries for ``margin_finding`` and the training history for
``settling_finding``); one function per kind of finding, each returning a ``Finding`` or ``None`` when the
tables hold nothing to say it from. ``layertopo.analysis.findings.topology_findings`` calls them only when
the distances table is given.
"""

from __future__ import annotations

import pandas as pd

from layertopo.analysis.evolution import margins, settling
from layertopo.analysis.finding_numbers import Finding, fmt, fmt_spread, named, pair, seed_spread


def largest_step_finding(distances: pd.DataFrame, model: str, last: int, split: str) -> Finding | None:
    """The consecutive-layer step whose diagrams differ most (mean bottleneck distance), per dimension."""
    rows = distances[(distances["kind"] == "layer_to_next") & (distances["split"] == split)]
    rows = rows[rows["epoch"] == last].dropna(subset=["bottleneck"])
    if rows.empty:
        return None
    grouped = rows.groupby(["dim", "layer", "other_layer"])["bottleneck"]
    means, sds = grouped.mean(), grouped.std(ddof=0)
    numbers, where, parts = {}, {"epoch": last}, []
    for dim in sorted(int(d) for d in rows["dim"].unique()):
        layer, other = means.loc[dim].idxmax()
        value = (float(means.loc[(dim, layer, other)]), float(sds.loc[(dim, layer, other)]))
        numbers |= named(f"h{dim}", value)
        where[f"h{dim}_pair"] = f"{layer} → {other}"
        parts.append(f"in H{dim} {layer} → {other} ({fmt_spread(*value)})")
    text = (
        f"'{model}', epoch {last}: the step along depth that changes the {split} diagrams most "
        f"(bottleneck distance, RMS-scaled) is " + "; ".join(parts) + "."
    )
    source = f"distances: kind=layer_to_next, split={split}, epoch={last}, bottleneck"
    return Finding(model, text, numbers, "largest_step", where, source)


def input_drift_finding(
    distances: pd.DataFrame, model: str, layer: str, first: int, last: int, split: str
) -> Finding | None:
    """How far the last hidden layer's H0 diagram is from the input's, before and after training."""
    rows = distances[
        (distances["kind"] == "layer_to_input")
        & (distances["split"] == split)
        & (distances["layer"] == layer)
        & (distances["dim"] == 0)
    ]
    if rows.empty:
        return None
    start = seed_spread(rows[rows["epoch"] == first], "bottleneck")
    end = seed_spread(rows[rows["epoch"] == last], "bottleneck")
    text = (
        f"'{model}': the H0 diagram of {layer} lies at bottleneck distance {fmt_spread(*start)} from the input's at "
        f"epoch {first} and {fmt_spread(*end)} at epoch {last}."
    )
    source = f"distances: kind=layer_to_input, split={split}, dim=0, layer={layer}, bottleneck"
    where = {"layer": layer, "epoch": last, "first_epoch": first}
    return Finding(model, text, named("start", start) | named("end", end), "input_drift", where, source)


def margin_finding(
    summaries: pd.DataFrame, distances: pd.DataFrame, model: str, layer: str, last: int
) -> Finding | None:
    """Closest points of different classes on train and test, and the train-test H0 distance against the floor."""
    table = margins(summaries)
    cell = table[(table["model"] == model) & (table["layer"] == layer) & (table["epoch"] == last)]
    here = distances[(distances["layer"] == layer) & (distances["epoch"] == last) & (distances["dim"] == 0)]
    tt, floor = here[here["kind"] == "train_test"], here[here["kind"] == "noise_floor"]
    if cell.empty or "train" not in cell or "test" not in cell or tt.empty or floor.empty:
        return None
    train, test = seed_spread(cell, "train"), seed_spread(cell, "test")
    distance = seed_spread(tt, "bottleneck")
    noise = seed_spread(floor, "bottleneck")
    beyond = distance[0] > noise[0]
    verdict = "beyond the noise floor" if beyond else "within the noise floor: as close as two halves of one set"
    text = (
        f"'{model}', {layer}, epoch {last}: the closest points of different classes are {fmt_spread(*train)} RMS "
        f"radii apart on train and {fmt_spread(*test)} on test; the train and test H0 diagrams are "
        f"{fmt_spread(*distance)} apart (bottleneck, RMS-scaled), {verdict} ({fmt_spread(*noise)}, two random "
        "halves of the training set)."
    )
    numbers = named("train", train) | named("test", test) | named("distance", distance) | named("floor", noise)
    source = (
        f"summaries: label=all, dim=0, layer={layer}, class_margin / rms_radius (train, test); distances: "
        f"kind=train_test and noise_floor, dim=0, layer={layer}, epoch={last}"
    )
    return Finding(model, text, numbers, "margin", {"layer": layer, "epoch": last}, source)


def settling_finding(distances: pd.DataFrame, history: pd.DataFrame, model: str, layer: str) -> Finding | None:
    """When the last hidden layer's H0 diagram stops moving between snapshots, against the accuracy."""
    table = settling(distances, history)
    mine = table[(table["model"] == model) & (table["layer"] == layer)]
    if mine.empty or mine["floor"].isna().all():
        return None
    settled = mine["settled"].dropna()
    reached = seed_spread(mine, "accuracy_epoch")
    numbers = named("floor", seed_spread(mine, "floor")) | named("accuracy", reached)
    numbers |= {"settled_seeds": float(len(settled)), "seeds": float(len(mine))}
    floor = fmt_spread(*pair(numbers, "floor"))
    if len(settled):
        when = (float(settled.mean()), float(settled.std(ddof=0)))
        numbers |= named("settled", when)
        order = "after" if when[0] > reached[0] else ("before" if when[0] < reached[0] else "as")
        head = (
            f"from epoch {fmt_spread(*when)} ({fmt(numbers['settled_seeds'])} of {fmt(numbers['seeds'])} seeds) every "
            f"step to the next snapshot moves it less than the noise floor ({floor})"
        )
        tail = f"the shape settles {order} the accuracy"
    else:
        head = f"its last step still moves it more than the noise floor ({floor})"
        tail = "the shape has not settled"
    text = (
        f"'{model}', {layer} (test split, H0): {head}; the test accuracy made 90% of its gain by epoch "
        f"{fmt_spread(*reached)}: {tail}."
    )
    source = f"distances: kind=epoch_to_next and noise_floor, dim=0, layer={layer}; history: test accuracy"
    return Finding(model, text, numbers, "settling", {"layer": layer}, source)
