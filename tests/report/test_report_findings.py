"""Every number of every finding, recomputed from summaries.parquet / distances.parquet with plain pandas."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest

from layertopo.analysis.findings import Finding, fmt, fmt_spread, topology_findings

MODELS = ["good", "narrow_first", "narrow_middle"]
LAST, FIRST, LAYER = 30, 0, "hidden4"


@pytest.fixture(scope="module")
def tables(quick_run):
    run = quick_run.run_dir
    return tuple(pd.read_parquet(run / f"{name}.parquet") for name in ("summaries", "distances", "history", "probes"))


def _ms(values: pd.Series) -> tuple[float, float]:
    """Mean and population standard deviation of per-seed values."""
    values = values.dropna()
    return float(values.mean()), float(values.std(ddof=0))


def _pair(name: str, values: pd.Series) -> dict[str, float]:
    mean, sd = _ms(values)
    return {name: mean, f"{name}_sd": sd}


def _h0(s: pd.DataFrame, model: str, split: str, layer: str, epoch: int) -> pd.DataFrame:
    ok = s[(s["error"] == "") & (s["dim"] == 0) & (s["model"] == model) & (s["split"] == split)]
    return ok[(ok["layer"] == layer) & (ok["epoch"] == epoch)]


def _first_epoch_for_good(values: pd.Series, threshold: float) -> float:
    """Brute force: the smallest epoch e such that every value from e on is >= threshold."""
    epochs = sorted(values.index)
    for e in epochs:
        if all(values[x] >= threshold for x in epochs if x >= e):
            return float(e)
    return np.nan


def _expected(f: Finding, s: pd.DataFrame, d: pd.DataFrame, h: pd.DataFrame, p: pd.DataFrame) -> dict[str, float]:
    """The numbers of ``f``, recomputed from the tables (mean ± sd over seeds) independently of findings.py."""
    w, m = f.where, f.model
    if f.kind == "comparison":
        out = {}
        for model in MODELS:
            r = _h0(s, model, "test", LAYER, LAST).query("label == 'all'")
            out |= _pair(f"above_{model}", r["purity_above_chance"]) | _pair(f"purity_{model}", r["class_purity"])
            out |= _pair(f"chance_{model}", r["purity_chance"])
        return out
    if f.kind == "last_hidden":
        end, start = _h0(s, m, "test", LAYER, LAST), _h0(s, m, "test", LAYER, FIRST)
        per_class = end[end["label"] != "all"].groupby("seed")["betti_significant"].mean()
        out = _pair("b0_all", end[end["label"] == "all"]["betti_significant"]) | _pair("b0_class", per_class)
        out |= _pair("end", end[end["label"] == "all"]["purity_above_chance"])
        out |= _pair("start", start[start["label"] == "all"]["purity_above_chance"])
        for split in ("train", "all"):
            other = _h0(s, m, split, LAYER, LAST).query("label == 'all'")
            out |= _pair(f"end_{split}", other["purity_above_chance"])
        return out
    if f.kind in ("separation", "no_separation"):
        at = s[(s["error"] == "") & (s["model"] == m) & (s["dim"] == 0) & (s["split"] == "test")]
        at = at[(at["label"] == "all") & (at["epoch"] == LAST)]
        means = at.groupby("layer")["purity_above_chance"].mean()
        if f.kind == "separation":
            order = at.groupby("layer")["layer_index"].min().sort_values().index
            assert (means[order[list(order).index(w["layer"]) :]] >= 0.9).all()
            return _pair("above", at[at["layer"] == w["layer"]]["purity_above_chance"])
        assert means.idxmax() == w["layer"] and means.max() < 0.9
        return _pair("best", at[at["layer"] == w["layer"]]["purity_above_chance"]) | {"reachable": 0.94}
    if f.kind == "onset":
        out = {}
        for split in ("test", "train", "all"):
            rows = s[(s["error"] == "") & (s["model"] == m) & (s["dim"] == 0) & (s["label"] == "all")]
            rows = rows[(rows["split"] == split) & (rows["layer"] == LAYER)]
            onsets = [
                _first_epoch_for_good(seed_rows.set_index("epoch")["purity_above_chance"], 0.9)
                for _, seed_rows in rows.groupby("seed")
            ]
            found = pd.Series(onsets).dropna()
            out[f"seeds_{split}"], out[f"of_{split}"] = float(len(found)), float(len(onsets))
            if len(found):
                out |= _pair(f"onset_{split}", found)
        return out
    if f.kind == "dimension":

        def dims(layer, epoch):
            return _h0(s, m, "test", layer, epoch).query("label == 'all'")["pca_dims_95"]

        start = _pair("start", dims(LAYER, FIRST))
        return _pair("input", dims("input", LAST)) | _pair("end", dims(LAYER, LAST)) | start
    if f.kind in ("loops", "no_loops"):
        h1 = s[(s["error"] == "") & (s["model"] == m) & (s["dim"] == 1) & (s["label"] == "all")]
        h1 = h1[h1["split"] == "test"]
        out = {"clouds": float(len(h1)), "with_loops": float((h1["betti_significant"] > 0).sum())}
        if f.kind == "loops":
            out |= _pair("most", h1[(h1["layer"] == w["layer"]) & (h1["epoch"] == w["epoch"])]["betti_significant"])
        else:
            assert out["with_loops"] == 0
        return out
    if f.kind == "probe":
        at = p[(p["model"] == m) & (p["epoch"] == LAST)]
        out = {}
        for layer in at.sort_values("layer_index")["layer"].unique():
            out |= _pair(f"r2_{layer}", at[at["layer"] == layer]["radius_r2"])
        if "narrow_layer" in w:
            start = p[(p["model"] == m) & (p["epoch"] == FIRST) & (p["layer"] == w["narrow_layer"])]
            out |= _pair("narrow_start", start["radius_r2"])
        return out
    mine = d[(d["model"] == m) & (d["dim"] == 0)]
    if f.kind == "largest_step":
        r = mine.query("kind == 'layer_to_next' and split == 'test' and epoch == @LAST")
        means = r.groupby(["layer", "other_layer"])["bottleneck"].mean()
        layer, other = means.idxmax()
        assert w["h0_pair"] == f"{layer} → {other}"
        out = _pair("h0", r[(r["layer"] == layer) & (r["other_layer"] == other)]["bottleneck"])
        if "h1" in f.numbers:
            r1 = d[(d["model"] == m) & (d["dim"] == 1)].query("kind == 'layer_to_next' and split == 'test'")
            r1 = r1[r1["epoch"] == LAST]
            layer, other = r1.groupby(["layer", "other_layer"])["bottleneck"].mean().idxmax()
            out |= _pair("h1", r1[(r1["layer"] == layer) & (r1["other_layer"] == other)]["bottleneck"])
        return out
    if f.kind == "input_drift":
        r = mine.query("kind == 'layer_to_input' and split == 'test' and layer == @LAYER")
        return _pair("start", r[r["epoch"] == FIRST]["bottleneck"]) | _pair("end", r[r["epoch"] == LAST]["bottleneck"])
    if f.kind == "margin":
        rows = s[(s["error"] == "") & (s["model"] == m) & (s["dim"] == 0) & (s["label"] == "all")]
        rows = rows[(rows["layer"] == LAYER) & (rows["epoch"] == LAST)]
        out = {}
        for split in ("train", "test"):
            here = rows[rows["split"] == split]
            out |= _pair(split, (here["class_margin"] / here["rms_radius"]).set_axis(here["seed"]))
        here = mine[(mine["layer"] == LAYER) & (mine["epoch"] == LAST)]
        out |= _pair("distance", here[here["kind"] == "train_test"]["bottleneck"])
        out |= _pair("floor", here[here["kind"] == "noise_floor"]["bottleneck"])
        assert ("beyond the noise floor" in f.text) == (out["distance"] > out["floor"])
        return out
    if f.kind == "settling":
        out, settled, reached = {}, [], []
        floors = []
        for seed in sorted(mine["seed"].unique()):
            steps = mine.query("kind == 'epoch_to_next' and split == 'test' and layer == @LAYER and seed == @seed")
            floor = mine.query("kind == 'noise_floor' and layer == @LAYER and seed == @seed")["bottleneck"].median()
            floors.append(floor)
            below = steps.set_index("epoch")["bottleneck"] < floor
            settled.append(_first_epoch_for_good(below.astype(float), 1.0))
            acc = h[(h["model"] == m) & (h["seed"] == seed) & (h["split"] == "test")].set_index("epoch")["accuracy"]
            target = acc.iloc[0] + 0.9 * (acc.iloc[-1] - acc.iloc[0])
            reached.append(float(acc[acc >= target].index.min()))
        out = _pair("floor", pd.Series(floors)) | _pair("accuracy", pd.Series(reached))
        found = pd.Series(settled).dropna()
        out |= {"settled_seeds": float(len(found)), "seeds": float(len(settled))}
        if len(found):
            out |= _pair("settled", found)
        return out
    raise AssertionError(f"unknown finding kind {f.kind}")


def test_every_finding_number_recomputes_from_the_tables(tables):
    summaries, distances, history, probes = tables
    findings = topology_findings(
        summaries, distances=distances, models=MODELS, history=history, probes=probes, bayes=0.97
    )  # the quick run's data: shells with a 6 % halo, Bayes accuracy 0.970 (tests/data/test_bayes.py)
    kinds = [f.kind for f in findings]
    assert kinds[0] == "comparison" and kinds.count("last_hidden") == 3 and kinds.count("onset") == 3
    assert {"probe", "margin", "settling", "largest_step", "input_drift", "dimension"} <= set(kinds)
    assert "train_test" not in kinds  # replaced by the margin finding, read against the noise floor
    for finding in findings:
        expected = _expected(finding, summaries, distances, history, probes)
        assert set(expected) == set(finding.numbers), finding.kind
        for key, value in expected.items():
            assert np.isclose(finding.numbers[key], value, equal_nan=True), (finding.kind, key)
            if key.endswith("_sd"):
                mean = finding.numbers[key[:-3]]
                assert fmt_spread(mean, finding.numbers[key]) in finding.text, (finding.text, key)
            elif f"{key}_sd" not in finding.numbers:
                assert fmt(finding.numbers[key]) in finding.text, (finding.text, key)
        assert finding.source.startswith(("summaries:", "distances:", "probes:"))


def test_findings_without_distances_skip_distance_kinds(tables):
    summaries = tables[0]
    kinds = {f.kind for f in topology_findings(summaries)}
    assert kinds.isdisjoint({"largest_step", "input_drift", "margin", "settling", "probe"})
    assert {"comparison", "last_hidden", "dimension", "onset"} <= kinds and kinds & {"loops", "no_loops"}


def test_the_quick_run_claims_no_loop_and_no_separation_at_chance(tables):
    """Issue 14: no sentence about loops where none is significant, no separation claim at or below chance."""
    summaries, distances, history, probes = tables
    test = summaries[(summaries["split"] == "test") & (summaries["error"] == "")]
    findings = topology_findings(summaries, distances=distances, models=MODELS, history=history, probes=probes)
    for finding in findings:
        h1 = test[(test["model"] == finding.model) & (test["dim"] == 1) & (test["label"] == "all")]
        if (h1["betti_significant"] == 0).all():
            assert finding.kind != "loops" and ("loop" not in finding.text or finding.kind == "no_loops")
            assert "H1" not in finding.text or finding.kind == "no_loops"  # no H1 distances quoted either
        if finding.kind == "separation":
            assert finding.numbers["above"] >= 0.9
        if finding.kind == "no_separation" and finding.numbers["best"] <= 0:
            assert "no better than chance" in finding.text


def _toy_summaries() -> pd.DataFrame:
    """Two models, two seeds, two epochs, three layers; purity above chance from hidden1 on for 'good' at epoch 5.

    Seed 1 has each purity 0.02 lower than seed 0; chance is 0.5 everywhere; one significant loop in 'bad'
    at hidden1, epoch 5, seed 0.
    """
    rows = []
    above = {("good", 5): [0.1, 1.0, 0.96], ("good", 0): [0.1, 0.2, 0.1], ("bad", 5): [0.1, 0.04, -0.02]}
    above[("bad", 0)] = [0.1, 0.1, 0.1]
    for (model, epoch), values in above.items():
        for index, (layer, value) in enumerate(zip(("input", "hidden1", "hidden2"), values, strict=True)):
            for seed, label, dim in product((0, 1), ("all", "0", "1"), (0, 1)):
                h0_all = label == "all" and dim == 0
                score = value - 0.02 * seed
                loop = int(model == "bad" and layer == "hidden1" and epoch == 5 and seed == 0 and dim == 1)
                rows.append(
                    dict(model=model, seed=seed, epoch=epoch, layer=layer, layer_index=index, split="test",
                         label=label, dim=dim, betti_significant=(2 if h0_all else 1 - dim) + loop,
                         purity_above_chance=score if h0_all else np.nan,
                         class_purity=0.5 + score / 2 if h0_all else np.nan, purity_chance=0.5 if h0_all else np.nan,
                         pca_dims_95=3 - index, total_persistence=2.0 * (3 - index), rms_radius=2.0, error="")
                )  # fmt: skip
    return pd.DataFrame(rows)


def test_findings_on_a_table_with_known_answers():
    findings = {(f.model, f.kind): f for f in topology_findings(_toy_summaries(), models=["good", "bad"])}
    comparison = findings[("all", "comparison")]
    assert comparison.numbers["above_good"] == pytest.approx(0.95)
    assert comparison.numbers["above_good_sd"] == pytest.approx(0.01)
    assert comparison.numbers["chance_bad"] == 0.5 and comparison.numbers["above_bad"] == pytest.approx(-0.03)
    assert "'good' 0.95 ± 0.01 (purity 0.975 ± 0.005, chance 0.5 ± 0.0; hidden2, epoch 5)" in comparison.text
    separated = findings[("good", "separation")]
    assert separated.where["layer"] == "hidden1"
    assert separated.numbers == pytest.approx({"above": 0.99, "above_sd": 0.01})
    assert "from layer hidden1 on (0.99 ± 0.01 there)" in separated.text
    stuck = findings[("bad", "no_separation")]
    assert stuck.numbers == pytest.approx({"best": 0.09, "best_sd": 0.01}) and stuck.where["layer"] == "input"
    assert "below the separated level" in stuck.text
    assert findings[("good", "dimension")].numbers == {
        "input": 3.0, "input_sd": 0.0, "end": 1.0, "end_sd": 0.0, "start": 1.0, "start_sd": 0.0
    }  # fmt: skip
    assert findings[("good", "no_loops")].numbers == {"clouds": 12.0, "with_loops": 0.0}
    assert "0 of its 12 test clouds" in findings[("good", "no_loops")].text
    loops = findings[("bad", "loops")]
    assert loops.where == {"layer": "hidden1", "epoch": 5} and loops.numbers["most"] == 0.5
    assert findings[("good", "last_hidden")].numbers["b0_all"] == 2.0


def test_a_model_at_chance_is_said_to_be_at_chance():
    table = _toy_summaries()
    table.loc[table["model"] == "bad", "purity_above_chance"] = -0.01
    stuck = {(f.model, f.kind): f for f in topology_findings(table)}[("bad", "no_separation")]
    assert "no better than chance" in stuck.text and "separated (" not in stuck.text


def test_with_overlapping_classes_the_reachable_purity_is_said():
    table = _toy_summaries()
    table.loc[table["model"] == "bad", "purity_above_chance"] = 0.5
    findings = {(f.model, f.kind): f for f in topology_findings(table, bayes=0.97)}
    stuck = findings[("bad", "no_separation")]
    assert stuck.numbers["reachable"] == pytest.approx(0.94) and stuck.numbers["best"] == pytest.approx(0.5)
    assert "below the separated level (0.9)" in stuck.text and "Bayes accuracy 0.97" in stuck.text
    assert "would score about 0.94" in stuck.text
    separable = {(f.model, f.kind): f for f in topology_findings(table, bayes=1.0)}[("bad", "no_separation")]
    assert "reachable" not in separable.numbers and "Bayes" not in separable.text


def test_spreads_are_written_to_the_decimals_of_their_mean():
    assert fmt_spread(0.761, 0.0168) == "0.761 ± 0.017"
    assert fmt_spread(40.0, 14.14) == "40 ± 14"
    assert fmt_spread(1.0, 0.0) == "1 ± 0"
    assert fmt_spread(0.5, float("nan")) == "0.5 ± nan"


def test_rejected_rows_do_not_count():
    table = _toy_summaries()
    table.loc[(table["model"] == "good") & (table["layer"] == "hidden1"), "error"] = "rejected"
    separated = {(f.model, f.kind): f for f in topology_findings(table)}[("good", "separation")]
    assert separated.where["layer"] == "hidden2"
    assert separated.numbers == pytest.approx({"above": 0.95, "above_sd": 0.01})
