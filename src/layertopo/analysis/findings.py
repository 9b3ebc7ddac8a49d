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

from layertopo.analysis.evolution import SEPARATED, margins, separation_onsets, settling  # noqa: E402


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
    """A mean over seeds with its standard deviation to as many decimals: ``0.953 ± 0.010``, ``40 ± 14``."""
    text = fmt(mean)
    if not np.isfinite(sd) or "e" in text or not np.isfinite(mean):
        return f"{text} ± {fmt(sd)}"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return f"{text} ± {sd:.{decimals}f}"


def topology_findings(
    summaries: pd.DataFrame,
    *,
    split: str = "test",
    distances: pd.DataFrame | None = None,
    models: list[str] | None = None,
    history: pd.DataFrame | None = None,
    probes: pd.DataFrame | None = None,
    bayes: float | None = None,
) -> list[Finding]:
    """Findings per model, and a comparison of the models first.

    Parameters
    ----------
    summaries : the summaries table (one row per cloud and homology dimension)
    split : the split the findings are about (``margin`` compares train with test, ``onset`` reads every split)
    distances : the distances table; without it the distance findings are left out
    models : the order in which models are reported (default: as they appear in ``summaries``)
    history : the training history; with distances, it places the settling of the shape against the accuracy
    probes : the linear probes table (``probes.parquet``); without it the ``probe`` finding is left out
    bayes : the Bayes accuracy of the data; below 1 the classes overlap, and a finding that no layer separates
        them says how far the overlap lets purity go (a tree cut exactly at the Bayes boundary)

    Returns
    -------
    list of Finding: the comparison, then per model its last hidden layer, where and from which epoch the
    classes separate (every split), how many principal directions remain, whether any loop is significant,
    what a linear read-out recovers layer by layer, and (with distances) which step along depth changes the
    H0 diagram most, how far training moved the last hidden layer from the input, when the last hidden layer
    stops changing against the accuracy, and how train and test differ against the noise floor.
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
        everything = summaries[(summaries["model"] == model) & summaries["error"].fillna("").eq("")]
        loops = bool((table[table["dim"] == 1]["betti_significant"] > 0).any())
        candidates = [
            _last_hidden(everything, model, layer, first, last, split),
            _separation(table, model, last, split, bayes),
            _onset(everything, model, layer),
            _dimension(table, model, layer, first, last, split),
            _loops(table, model, split),
        ]
        if probes is not None and not probes.empty:
            candidates.append(_probe(probes[probes["model"] == model], model, first, last))
        if distances is not None and not distances.empty:
            mine = distances[(distances["model"] == model) & (distances["dim"].isin([0, 1] if loops else [0]))]
            candidates += [
                _largest_step(mine, model, last, split),
                _input_drift(mine, model, layer, first, last, split),
                _margin(everything, mine, model, layer, last),
            ]
            if history is not None and not history.empty:
                candidates.append(_settling(mine, history[history["model"] == model], model, layer))
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
    """Components and class separation of the last hidden layer at the last epoch (``split``), with the
    separation of the other splits beside it."""
    h0 = table[table["dim"] == 0]
    mine = h0[h0["split"] == split]
    b0_all = _spread(_cloud_rows(mine, layer, last), "betti_significant")
    b0_class = _spread(_cloud_rows(mine, layer, last, per_class=True), "betti_significant")
    end = _spread(_cloud_rows(mine, layer, last), "purity_above_chance")
    start = _spread(_cloud_rows(mine, layer, first), "purity_above_chance")
    others = {
        other: _spread(_cloud_rows(h0[h0["split"] == other], layer, last), "purity_above_chance")
        for other in ("train", "all")
    }
    text = (
        f"'{model}', layer {layer}, epoch {last}: {fmt_spread(*b0_all)} significant H0 components for all "
        f"{split} points ({fmt_spread(*b0_class)} per class); class purity above chance {fmt_spread(*end)} "
        f"(train {fmt_spread(*others['train'])}, train+test {fmt_spread(*others['all'])}), against "
        f"{fmt_spread(*start)} at epoch {first}."
    )
    numbers = _named("b0_all", b0_all) | _named("b0_class", b0_class) | _named("end", end) | _named("start", start)
    numbers |= _named("end_train", others["train"]) | _named("end_all", others["all"])
    source = (
        f"summaries: dim=0, layer={layer}, label=all (b0, purity_above_chance; splits {split}, train, all) "
        "and each class (b0)"
    )
    return Finding(model, text, numbers, "last_hidden", {"layer": layer, "epoch": last, "first_epoch": first}, source)


def _separation(table: pd.DataFrame, model: str, last: int, split: str, bayes: float | None = None) -> Finding:
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
    verdict = "no better than chance" if best[0] <= 0 else f"below the separated level ({SEPARATED})"
    text = (
        f"'{model}', epoch {last}: no layer separates the classes; the best purity above chance is "
        f"{fmt_spread(*best)} (at {key[1]}), {verdict}."
    )
    numbers = _named("best", best)
    if bayes is not None and np.isfinite(bayes) and 0.5 < bayes < 1:
        reachable = (bayes - 0.5) / 0.5  # two balanced classes: purity of the Bayes partition, above chance 0.5
        numbers["reachable"] = reachable
        text = text[:-1] + (
            f"; the classes overlap (Bayes accuracy {fmt(bayes)}), so even a tree cut exactly at the Bayes "
            f"boundary would score about {fmt(reachable)}."
        )
    return Finding(model, text, numbers, "no_separation", {"layer": str(key[1]), "epoch": last}, source)


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


def _onset(table: pd.DataFrame, model: str, layer: str) -> Finding | None:
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
            numbers |= _named(f"onset_{split}", (float(separated.mean()), float(separated.std(ddof=0))))
            parts.append(
                f"{name}: from epoch {fmt_spread(*_pair(numbers, f'onset_{split}'))} "
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


def _probe(probes: pd.DataFrame, model: str, first: int, last: int) -> Finding | None:
    """What a linear read-out recovers of the input radius at each layer, and at the narrowest hidden layer."""
    at_last = probes[probes["epoch"] == last]
    if at_last.empty:
        return None
    order = at_last.groupby("layer")["layer_index"].min().sort_values().index
    numbers, parts = {}, []
    for layer in order:
        value = _spread(at_last[at_last["layer"] == layer], "radius_r2")
        numbers |= _named(f"r2_{layer}", value)
        parts.append(f"{layer} {fmt_spread(*value)}")
    text = f"'{model}', epoch {last}: R² of a linear read-out of the input radius (test split): " + ", ".join(parts)
    where: dict[str, str | int] = {"epoch": last}
    hidden = at_last[at_last["layer"].str.startswith("hidden")]
    widths = hidden.groupby("layer")["width"].min()
    if len(widths) and widths.min() < widths.max():
        narrow = str(widths.idxmin())
        start = _spread(probes[(probes["epoch"] == first) & (probes["layer"] == narrow)], "radius_r2")
        numbers |= _named("narrow_start", start)
        where["narrow_layer"] = narrow
        text += (
            f"; its narrowest layer {narrow} ({int(widths.min())} units) reads {fmt_spread(*start)} at epoch {first}"
        )
    source = "probes: split=test, radius_r2 (ridge read-out of the input norm, 3-fold cross-validated)"
    return Finding(model, text + ".", numbers, "probe", where, source)


def _margin(summaries: pd.DataFrame, distances: pd.DataFrame, model: str, layer: str, last: int) -> Finding | None:
    """Closest points of different classes on train and test, and the train-test H0 distance against the floor."""
    table = margins(summaries)
    cell = table[(table["model"] == model) & (table["layer"] == layer) & (table["epoch"] == last)]
    here = distances[(distances["layer"] == layer) & (distances["epoch"] == last) & (distances["dim"] == 0)]
    tt, floor = here[here["kind"] == "train_test"], here[here["kind"] == "noise_floor"]
    if cell.empty or "train" not in cell or "test" not in cell or tt.empty or floor.empty:
        return None
    train, test = _spread(cell, "train"), _spread(cell, "test")
    distance = _spread(tt, "bottleneck")
    noise = _spread(floor, "bottleneck")
    beyond = distance[0] > noise[0]
    verdict = "beyond the noise floor" if beyond else "within the noise floor: as close as two halves of one set"
    text = (
        f"'{model}', {layer}, epoch {last}: the closest points of different classes are {fmt_spread(*train)} RMS "
        f"radii apart on train and {fmt_spread(*test)} on test; the train and test H0 diagrams are "
        f"{fmt_spread(*distance)} apart (bottleneck, RMS-scaled), {verdict} ({fmt_spread(*noise)}, two random "
        "halves of the training set)."
    )
    numbers = _named("train", train) | _named("test", test) | _named("distance", distance) | _named("floor", noise)
    source = (
        f"summaries: label=all, dim=0, layer={layer}, class_margin / rms_radius (train, test); distances: "
        f"kind=train_test and noise_floor, dim=0, layer={layer}, epoch={last}"
    )
    return Finding(model, text, numbers, "margin", {"layer": layer, "epoch": last}, source)


def _settling(distances: pd.DataFrame, history: pd.DataFrame, model: str, layer: str) -> Finding | None:
    """When the last hidden layer's H0 diagram stops moving between snapshots, against the accuracy."""
    table = settling(distances, history)
    mine = table[(table["model"] == model) & (table["layer"] == layer)]
    if mine.empty or mine["floor"].isna().all():
        return None
    settled = mine["settled"].dropna()
    reached = _spread(mine, "accuracy_epoch")
    numbers = _named("floor", _spread(mine, "floor")) | _named("accuracy", reached)
    numbers |= {"settled_seeds": float(len(settled)), "seeds": float(len(mine))}
    floor = fmt_spread(*_pair(numbers, "floor"))
    if len(settled):
        when = (float(settled.mean()), float(settled.std(ddof=0)))
        numbers |= _named("settled", when)
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


def _pair(numbers: dict[str, float], name: str) -> tuple[float, float]:
    return numbers[name], numbers[f"{name}_sd"]


def _first_separating_layer(means: pd.Series) -> str | None:
    """The shallowest layer from which every deeper layer has mean purity above chance >= SEPARATED."""
    result = None
    for (_, layer), value in reversed(list(means.items())):
        if value >= SEPARATED:
            result = str(layer)
        else:
            break
    return result
