"""Short sentences about how each network reshapes the data, each citing the numbers behind it.

Computed from ``summaries.parquet`` (and ``distances.parquet`` where given) only, so a test can recompute
every number. Unless said otherwise a finding is about the ``test`` split, all labels together, the rows
without error, at the last snapshot epoch. Every number is a mean over seeds quoted with its standard
deviation over seeds (``numbers[name]`` and ``numbers[name + "_sd"]``, written ``mean ± sd`` with
:func:`fmt`); ``Finding.where`` holds the layers and epochs the sentence names, ``Finding.source`` the rows
it reads.

What a finding may claim is bounded by the evidence:

* class separation is the purity of the single-linkage tree *above chance*
  (``purity_above_chance``: 0 is what shuffled labels give, 1 a perfect split); "separated" needs at least
  ``SEPARATED`` (0.9) from that layer on, and a score at or below chance is said to be so;
* loops are discussed only where a significant H1 class exists; otherwise the finding says there is none.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

#: purity above chance from which a layer counts as separating the classes
SEPARATED = 0.9


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


def fmt_spread(mean: float, sd: float) -> str:
    """A mean over seeds with its standard deviation: ``0.953 ± 0.01``."""
    return f"{fmt(mean)} ± {fmt(sd)}"


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
    how many principal directions remain, whether any loop is significant, and (with distances) which step
    along depth changes the topology most, how far training moved the last hidden layer from the input, and
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
            _loops(table, model, split),
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
    """Class separation above chance in each model's last hidden layer at its last epoch, side by side."""
    parts, numbers, where = [], {}, {}
    for model in models:
        table = rows[(rows["model"] == model) & (rows["dim"] == 0)]
        layer = _last_hidden_layer(table)
        if layer is None:
            continue
        last = int(table["epoch"].max())
        at = _cloud_rows(table, layer, last)
        above, purity, chance = (_spread(at, c) for c in ("purity_above_chance", "class_purity", "purity_chance"))
        numbers.update(_named(f"above_{model}", above) | _named(f"purity_{model}", purity))
        numbers.update(_named(f"chance_{model}", chance))
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


def _last_hidden(table: pd.DataFrame, model: str, layer: str, first: int, last: int, split: str) -> Finding:
    h0 = table[table["dim"] == 0]
    b0_all = _spread(_cloud_rows(h0, layer, last), "betti_significant")
    b0_class = _spread(_cloud_rows(h0, layer, last, per_class=True), "betti_significant")
    end = _spread(_cloud_rows(h0, layer, last), "purity_above_chance")
    start = _spread(_cloud_rows(h0, layer, first), "purity_above_chance")
    text = (
        f"'{model}', layer {layer}, epoch {last}: {fmt_spread(*b0_all)} significant H0 components for all "
        f"{split} points ({fmt_spread(*b0_class)} per class); class purity above chance {fmt_spread(*end)}, "
        f"against {fmt_spread(*start)} at epoch {first}."
    )
    numbers = _named("b0_all", b0_all) | _named("b0_class", b0_class) | _named("end", end) | _named("start", start)
    source = (
        f"summaries: split={split}, dim=0, layer={layer}, label=all (b0, purity_above_chance) and each class (b0)"
    )
    return Finding(model, text, numbers, "last_hidden", {"layer": layer, "epoch": last, "first_epoch": first}, source)


def _separation(table: pd.DataFrame, model: str, last: int, split: str) -> Finding:
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
        return Finding(model, text, _named("above", value), "separation", {"layer": separated, "epoch": last}, source)
    if not means.notna().any():
        return Finding(model, f"'{model}', epoch {last}: no class purity recorded.", {}, "no_separation", {}, source)
    key = means.idxmax()
    best = (float(means[key]), float(sds[key]))
    verdict = "no better than chance" if best[0] <= 0 else "below the separated level"
    text = (
        f"'{model}', epoch {last}: no layer separates the classes; the best purity above chance is "
        f"{fmt_spread(*best)} (at {key[1]}), {verdict}."
    )
    return Finding(model, text, _named("best", best), "no_separation", {"layer": str(key[1]), "epoch": last}, source)


def _dimension(table: pd.DataFrame, model: str, layer: str, first: int, last: int, split: str) -> Finding | None:
    h0 = table[(table["dim"] == 0) & (table["label"] == "all")]
    inputs = h0[h0["layer_index"] == h0["layer_index"].min()]
    if inputs.empty:
        return None
    input_layer = str(inputs["layer"].iloc[0])
    given = _spread(_cloud_rows(h0, input_layer, last), "pca_dims_95")
    end = _spread(_cloud_rows(h0, layer, last), "pca_dims_95")
    start = _spread(_cloud_rows(h0, layer, first), "pca_dims_95")
    text = (
        f"'{model}', epoch {last}: the {split} cloud needs {fmt_spread(*given)} principal directions for 95% of its "
        f"variance at {input_layer} and {fmt_spread(*end)} at {layer} ({fmt_spread(*start)} at epoch {first})."
    )
    where = {"layer": layer, "input_layer": input_layer, "epoch": last, "first_epoch": first}
    source = f"summaries: split={split}, label=all, dim=0, pca_dims_95"
    numbers = _named("input", given) | _named("end", end) | _named("start", start)
    return Finding(model, text, numbers, "dimension", where, source)


def _loops(table: pd.DataFrame, model: str, split: str) -> Finding | None:
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
    numbers |= _named("most", most)
    return Finding(model, text, numbers, "loops", {"layer": str(layer), "epoch": int(epoch)}, source)


def _largest_step(distances: pd.DataFrame, model: str, last: int, split: str) -> Finding | None:
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
        numbers |= _named(f"h{dim}", value)
        where[f"h{dim}_pair"] = f"{layer} → {other}"
        parts.append(f"in H{dim} {layer} → {other} ({fmt_spread(*value)})")
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
    start = _spread(rows[rows["epoch"] == first], "bottleneck")
    end = _spread(rows[rows["epoch"] == last], "bottleneck")
    text = (
        f"'{model}': the H0 diagram of {layer} lies at bottleneck distance {fmt_spread(*start)} from the input's at "
        f"epoch {first} and {fmt_spread(*end)} at epoch {last}."
    )
    source = f"distances: kind=layer_to_input, split={split}, dim=0, layer={layer}, bottleneck"
    where = {"layer": layer, "epoch": last, "first_epoch": first}
    return Finding(model, text, _named("start", start) | _named("end", end), "input_drift", where, source)


def _train_test(distances: pd.DataFrame, model: str, last: int) -> Finding | None:
    """The layer where train and test diagrams differ most at the last epoch, per dimension."""
    rows = distances[(distances["kind"] == "train_test") & (distances["epoch"] == last)]
    rows = rows.dropna(subset=["bottleneck"])
    if rows.empty:
        return None
    grouped = rows.groupby(["dim", "layer"])["bottleneck"]
    means, sds = grouped.mean(), grouped.std(ddof=0)
    numbers, where, parts = {}, {"epoch": last}, []
    for dim in sorted(int(d) for d in rows["dim"].unique()):
        layer = str(means.loc[dim].idxmax())
        value = (float(means.loc[(dim, layer)]), float(sds.loc[(dim, layer)]))
        numbers |= _named(f"h{dim}", value)
        where[f"h{dim}_layer"] = layer
        parts.append(f"H{dim} {fmt_spread(*value)} at {layer}")
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


def _cloud_rows(table: pd.DataFrame, layer: str, epoch: int, *, per_class: bool = False) -> pd.DataFrame:
    """Rows of one layer at one epoch: label ``all``, or (``per_class``) every class."""
    at = table[(table["layer"] == layer) & (table["epoch"] == epoch)]
    return at[at["label"] != "all"] if per_class else at[at["label"] == "all"]


def _spread(rows: pd.DataFrame, column: str) -> tuple[float, float]:
    """Mean and standard deviation over seeds of ``column`` (each seed's rows averaged first)."""
    per_seed = rows.groupby("seed")[column].mean().dropna()
    if per_seed.empty:
        return np.nan, np.nan
    return float(per_seed.mean()), float(per_seed.std(ddof=0))


def _named(name: str, value: tuple[float, float]) -> dict[str, float]:
    return {name: value[0], f"{name}_sd": value[1]}


def _first_separating_layer(means: pd.Series) -> str | None:
    """The shallowest layer from which every deeper layer has mean purity above chance >= SEPARATED."""
    result = None
    for (_, layer), value in reversed(list(means.items())):
        if value >= SEPARATED:
            result = str(layer)
        else:
            break
    return result
