"""Every number of every finding, recomputed from summaries.parquet / distances.parquet with plain pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from layertopo.analysis.findings import Finding, fmt, topology_findings


@pytest.fixture(scope="module")
def tables(quick_run):
    summaries = pd.read_parquet(quick_run.run_dir / "summaries.parquet")
    distances = pd.read_parquet(quick_run.run_dir / "distances.parquet")
    return summaries, distances


def _expected(f: Finding, s: pd.DataFrame, d: pd.DataFrame) -> dict[str, float]:
    """The numbers of ``f``, recomputed from the test split (mean over seeds) independently of findings.py."""
    t = s[(s["split"] == "test") & (s["error"] == "")]
    w = f.where
    h0 = t[(t["model"] == f.model) & (t["dim"] == 0) & (t["label"] == "all")]
    if f.kind == "comparison":
        out = {}
        for model in ("good", "bad"):
            r = t.query(f"model == '{model}' and dim == 0 and label == 'all' and layer == 'hidden4' and epoch == 30")
            out[f"purity_{model}"] = r["class_purity"].mean()
            out[f"baseline_{model}"] = r["class_purity_baseline"].mean()
        return out
    if f.kind == "last_hidden":
        at = t[(t["model"] == f.model) & (t["dim"] == 0) & (t["layer"] == "hidden4")]
        end, start = at[at["epoch"] == 30], at[at["epoch"] == 0]
        return {
            "end_b0_all": end[end["label"] == "all"]["betti_significant"].mean(),
            "end_b0_class": end[end["label"] != "all"]["betti_significant"].mean(),
            "end_purity": end[end["label"] == "all"]["class_purity"].mean(),
            "end_baseline": end[end["label"] == "all"]["class_purity_baseline"].mean(),
            "start_purity": start[start["label"] == "all"]["class_purity"].mean(),
        }
    if f.kind in ("separation", "no_separation"):
        purity = h0[h0["epoch"] == 30].groupby("layer")["class_purity"].mean()
        if f.kind == "separation":
            order = h0.groupby("layer")["layer_index"].min().sort_values().index
            deeper = purity[order[list(order).index(w["layer"]) :]]
            assert (deeper >= 0.95).all()
            return {"purity": purity[w["layer"]]}
        assert purity.iloc[-1] < 0.95 or purity.idxmax() == w["layer"]
        return {"best_purity": purity.max()}
    if f.kind == "dimension":
        dims = h0.groupby(["layer", "epoch"])["pca_dims_95"].mean()
        return {"input": dims[("input", 30)], "end": dims[("hidden4", 30)], "start": dims[("hidden4", 0)]}
    if f.kind == "h1_left":
        h1 = t[(t["model"] == f.model) & (t["dim"] == 1) & (t["label"] == "all") & (t["epoch"] == 30)]
        rel = (h1["total_persistence"] / h1["rms_radius"]).groupby(h1["layer"]).mean()
        b1 = h1[h1["layer"] == "hidden4"]["betti_significant"].mean()
        return {"input": rel["input"], "end": rel["hidden4"], "b1": b1}
    m = d[d["model"] == f.model]
    if f.kind == "largest_step":
        r = m.query("kind == 'layer_to_next' and split == 'test' and epoch == 30")
        means = r.groupby(["dim", "layer", "other_layer"])["bottleneck"].mean()
        out = {}
        for dim in (0, 1):
            (layer, other), value = means[dim].idxmax(), means[dim].max()
            assert w[f"h{dim}_pair"] == f"{layer} → {other}"
            out[f"h{dim}"] = value
        return out
    if f.kind == "input_drift":
        r = m.query("kind == 'layer_to_input' and split == 'test' and dim == 0 and layer == 'hidden4'")
        return {"start": r[r["epoch"] == 0]["bottleneck"].mean(), "end": r[r["epoch"] == 30]["bottleneck"].mean()}
    if f.kind == "train_test":
        r = m.query("kind == 'train_test' and epoch == 30")
        means = r.groupby(["dim", "layer"])["bottleneck"].mean()
        out = {}
        for dim in (0, 1):
            assert w[f"h{dim}_layer"] == means[dim].idxmax()
            out[f"h{dim}"] = means[dim].max()
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
            assert fmt(finding.numbers[key]) in finding.text, (finding.text, key)
        assert finding.source.startswith(("summaries:", "distances:"))


def test_findings_without_distances_skip_distance_kinds(tables):
    summaries, _ = tables
    kinds = {f.kind for f in topology_findings(summaries)}
    assert kinds.isdisjoint({"largest_step", "input_drift", "train_test"})
    assert {"comparison", "last_hidden", "dimension", "h1_left"} <= kinds


def _toy_summaries() -> pd.DataFrame:
    """Two models, one seed, two epochs, three layers; purity 1.0 from hidden1 on for 'good' at epoch 5."""
    rows = []
    purity = {("good", 5): [0.6, 1.0, 0.98], ("good", 0): [0.6, 0.7, 0.6], ("bad", 5): [0.6, 0.55, 0.5]}
    purity[("bad", 0)] = [0.6, 0.6, 0.6]
    for (model, epoch), values in purity.items():
        for index, (layer, value) in enumerate(zip(("input", "hidden1", "hidden2"), values, strict=True)):
            for label in ("all", "0", "1"):
                for dim in (0, 1):
                    rows.append(
                        dict(model=model, seed=0, epoch=epoch, layer=layer, layer_index=index, split="test",
                             label=label, dim=dim, betti_significant=2 if label == "all" and dim == 0 else 1 - dim,
                             class_purity=value if (label == "all" and dim == 0) else np.nan,
                             class_purity_baseline=0.5, pca_dims_95=3 - index, total_persistence=2.0 * (3 - index),
                             rms_radius=2.0, error="")
                    )  # fmt: skip
    return pd.DataFrame(rows)


def test_findings_on_a_table_with_known_answers():
    findings = {(f.model, f.kind): f for f in topology_findings(_toy_summaries(), models=["good", "bad"])}
    comparison = findings[("all", "comparison")]
    assert comparison.numbers == {"purity_good": 0.98, "baseline_good": 0.5, "purity_bad": 0.5, "baseline_bad": 0.5}
    assert "'good' 0.98 (chance 0.5; hidden2, epoch 5), 'bad' 0.5" in comparison.text
    separated = findings[("good", "separation")]
    assert separated.where["layer"] == "hidden1" and separated.numbers == {"purity": 1.0}
    assert "from layer hidden1 on (purity 1 there)" in separated.text
    assert findings[("bad", "no_separation")].numbers == {"best_purity": 0.6}
    assert findings[("good", "dimension")].numbers == {"input": 3.0, "end": 1.0, "start": 1.0}
    assert findings[("good", "h1_left")].numbers == {"input": 3.0, "end": 1.0, "b1": 0.0}
    assert findings[("good", "last_hidden")].numbers["end_b0_all"] == 2.0


def test_rejected_rows_do_not_count():
    table = _toy_summaries()
    table.loc[(table["model"] == "good") & (table["layer"] == "hidden1"), "error"] = "rejected"
    separated = {(f.model, f.kind): f for f in topology_findings(table)}[("good", "separation")]
    assert separated.where["layer"] == "hidden2" and separated.numbers == {"purity": 0.98}
