"""Every number of every finding, recomputed from summaries.parquet / distances.parquet with plain pandas."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest

from layertopo.analysis.findings import Finding, fmt, fmt_spread, topology_findings


@pytest.fixture(scope="module")
def tables(quick_run):
    summaries = pd.read_parquet(quick_run.run_dir / "summaries.parquet")
    distances = pd.read_parquet(quick_run.run_dir / "distances.parquet")
    return summaries, distances


def _ms(values: pd.Series) -> tuple[float, float]:
    """Mean and population standard deviation of per-seed values."""
    values = values.dropna()
    return float(values.mean()), float(values.std(ddof=0))


def _pair(name: str, values: pd.Series) -> dict[str, float]:
    mean, sd = _ms(values)
    return {name: mean, f"{name}_sd": sd}


def _expected(f: Finding, s: pd.DataFrame, d: pd.DataFrame) -> dict[str, float]:
    """The numbers of ``f``, recomputed from the test split (mean ± sd over seeds) independently of findings.py."""
    t = s[(s["split"] == "test") & (s["error"] == "")]
    w = f.where
    h0 = t[(t["model"] == f.model) & (t["dim"] == 0) & (t["label"] == "all")]
    if f.kind == "comparison":
        out = {}
        for model in ("good", "bad"):
            r = t.query(f"model == '{model}' and dim == 0 and label == 'all' and layer == 'hidden4' and epoch == 30")
            r = r.set_index("seed")
            out |= _pair(f"above_{model}", r["purity_above_chance"]) | _pair(f"purity_{model}", r["class_purity"])
            out |= _pair(f"chance_{model}", r["purity_chance"])
        return out
    if f.kind == "last_hidden":
        at = t[(t["model"] == f.model) & (t["dim"] == 0) & (t["layer"] == "hidden4")]
        end, start = at[at["epoch"] == 30], at[at["epoch"] == 0]
        per_class = end[end["label"] != "all"].groupby("seed")["betti_significant"].mean()
        return (
            _pair("b0_all", end[end["label"] == "all"]["betti_significant"])
            | _pair("b0_class", per_class)
            | _pair("end", end[end["label"] == "all"]["purity_above_chance"])
            | _pair("start", start[start["label"] == "all"]["purity_above_chance"])
        )
    if f.kind in ("separation", "no_separation"):
        at = h0[h0["epoch"] == 30]
        above = at.groupby("layer")["purity_above_chance"]
        if f.kind == "separation":
            order = h0.groupby("layer")["layer_index"].min().sort_values().index
            deeper = above.mean()[order[list(order).index(w["layer"]) :]]
            assert (deeper >= 0.9).all()
            return _pair("above", at[at["layer"] == w["layer"]]["purity_above_chance"])
        assert above.mean().idxmax() == w["layer"] and above.mean().iloc[-1] < 0.9
        return _pair("best", at[at["layer"] == w["layer"]]["purity_above_chance"])
    if f.kind == "dimension":
        def dims(layer, epoch):
            return h0[(h0["layer"] == layer) & (h0["epoch"] == epoch)]["pca_dims_95"]

        start = _pair("start", dims("hidden4", 0))
        return _pair("input", dims("input", 30)) | _pair("end", dims("hidden4", 30)) | start
    if f.kind in ("loops", "no_loops"):
        h1 = t[(t["model"] == f.model) & (t["dim"] == 1) & (t["label"] == "all")]
        out = {"clouds": float(len(h1)), "with_loops": float((h1["betti_significant"] > 0).sum())}
        if f.kind == "loops":
            cell = h1[(h1["layer"] == w["layer"]) & (h1["epoch"] == w["epoch"])]["betti_significant"]
            out |= _pair("most", cell)
        else:
            assert out["with_loops"] == 0
        return out
    m = d[d["model"] == f.model]
    if f.kind == "largest_step":
        r = m.query("kind == 'layer_to_next' and split == 'test' and epoch == 30")
        means = r.groupby(["dim", "layer", "other_layer"])["bottleneck"].mean()
        out = {}
        for dim in (0, 1):
            (layer, other), _ = means[dim].idxmax(), means[dim].max()
            assert w[f"h{dim}_pair"] == f"{layer} → {other}"
            cell = r[(r["dim"] == dim) & (r["layer"] == layer) & (r["other_layer"] == other)]["bottleneck"]
            out |= _pair(f"h{dim}", cell)
        return out
    if f.kind == "input_drift":
        r = m.query("kind == 'layer_to_input' and split == 'test' and dim == 0 and layer == 'hidden4'")
        return _pair("start", r[r["epoch"] == 0]["bottleneck"]) | _pair("end", r[r["epoch"] == 30]["bottleneck"])
    if f.kind == "train_test":
        r = m.query("kind == 'train_test' and epoch == 30")
        means = r.groupby(["dim", "layer"])["bottleneck"].mean()
        out = {}
        for dim in (0, 1):
            assert w[f"h{dim}_layer"] == means[dim].idxmax()
            out |= _pair(f"h{dim}", r[(r["dim"] == dim) & (r["layer"] == w[f"h{dim}_layer"])]["bottleneck"])
        return out
    raise AssertionError(f"unknown finding kind {f.kind}")


def test_every_finding_number_recomputes_from_the_tables(tables):
    summaries, distances = tables
    findings = topology_findings(summaries, distances=distances, models=["good", "bad"])
    kinds = [f.kind for f in findings]
    assert kinds[0] == "comparison" and kinds.count("last_hidden") == 2 and kinds.count("train_test") == 2
    assert len(findings) == 1 + 2 * 7
    for finding in findings:
        expected = _expected(finding, summaries, distances)
        assert set(expected) == set(finding.numbers), finding.kind
        for key, value in expected.items():
            assert np.isclose(finding.numbers[key], value, equal_nan=True), (finding.kind, key)
            if key.endswith("_sd"):
                mean = finding.numbers[key[:-3]]
                assert fmt_spread(mean, finding.numbers[key]) in finding.text, (finding.text, key)
            elif f"{key}_sd" not in finding.numbers:
                assert fmt(finding.numbers[key]) in finding.text, (finding.text, key)
        assert finding.source.startswith(("summaries:", "distances:"))


def test_findings_without_distances_skip_distance_kinds(tables):
    summaries, _ = tables
    kinds = {f.kind for f in topology_findings(summaries)}
    assert kinds.isdisjoint({"largest_step", "input_drift", "train_test"})
    assert {"comparison", "last_hidden", "dimension"} <= kinds and kinds & {"loops", "no_loops"}


def test_the_quick_run_claims_no_loop_and_no_separation_at_chance(tables):
    """Issue 14: no sentence about loops where none is significant, no separation claim at or below chance."""
    summaries, distances = tables
    test = summaries[(summaries["split"] == "test") & (summaries["error"] == "")]
    for finding in topology_findings(summaries, distances=distances, models=["good", "bad"]):
        h1 = test[(test["model"] == finding.model) & (test["dim"] == 1) & (test["label"] == "all")]
        if (h1["betti_significant"] == 0).all():
            assert finding.kind != "loops" and ("loop" not in finding.text or finding.kind == "no_loops")
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
    assert "'good' 0.95 ± 0.01 (purity 0.975 ± 0.005, chance 0.5 ± 0; hidden2, epoch 5)" in comparison.text
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


def test_rejected_rows_do_not_count():
    table = _toy_summaries()
    table.loc[(table["model"] == "good") & (table["layer"] == "hidden1"), "error"] = "rejected"
    separated = {(f.model, f.kind): f for f in topology_findings(table)}[("good", "separation")]
    assert separated.where["layer"] == "hidden2"
    assert separated.numbers == pytest.approx({"above": 0.95, "above_sd": 0.01})
