"""The report file of the quick run: self-contained, every section, the numbers of the tables."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
from report_helpers import decode

from layertopo.analysis import run_verdicts
from layertopo.report.build import SECTIONS

# Plotly's bundled JavaScript carries URL string literals (map tile servers, licence and logo links, the
# SVG/XLink namespaces) in code paths this report never takes (no map or geo traces, no logo: displaylogo is
# off). The rule is therefore: outside the embedded plotly bundle, no URL at all (so none in any src/href
# attribute, no <link>, no <script src>, no remote CSS); the bundle is embedded exactly once; and
# (tests/report/test_report_browser.py) loading the page requests nothing but the file itself and leaves no
# http(s) src/href in the rendered DOM.
URL = re.compile(r"https?://", re.I)
ATTRIBUTE_URL = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def _without_plotly_bundle(html: str) -> str:
    from plotly.offline import get_plotlyjs

    bundle = get_plotlyjs()
    assert html.count(bundle) == 1, "plotly's JavaScript must be embedded exactly once"
    return html.replace(bundle, "")


def test_report_is_self_contained(quick_report):
    html = quick_report.html
    rest = _without_plotly_bundle(html)
    assert not URL.search(rest), URL.findall(rest)[:5]
    assert not ATTRIBUTE_URL.search(rest)  # not even protocol-relative //host links
    assert "<link" not in rest.lower()
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", rest, re.I)  # no remote CSS resource
    assert html.count("<script>") == 2  # the plotly bundle and the report's own script
    assert len(html) < 15_000_000


def test_every_section_has_its_heading(quick_report):
    for section_id, title in SECTIONS:
        match = re.search(rf'<section id="{section_id}">\s*<h2>(.*?)</h2>', quick_report.html)
        assert match and match[1] == title


def test_verdicts_and_per_seed_numbers_match_history(quick_report):
    history = pd.read_parquet(quick_report.run_dir / "history.parquet")
    manifest = json.loads((quick_report.run_dir / "manifest.json").read_text())
    verdicts = {v.model: v for v in run_verdicts(history, manifest)}
    assert set(verdicts) == {"good", "narrow_first", "narrow_middle"}
    last = history[history["epoch"] == history["epoch"].max()]
    text = quick_report.text
    for model, verdict in verdicts.items():
        test_acc = last[(last["model"] == model) & (last["split"] == "test")]["accuracy"]
        assert np.isclose(verdict.test_accuracy, test_acc.mean())
        assert f"{test_acc.mean():.3f} ± {test_acc.std(ddof=0):.3f}" in text
        assert verdict.sentence in text
        for seed, value in zip(last[last["model"] == model]["seed"], test_acc, strict=False):
            assert f"<td>{seed}</td>" in quick_report.html and f"{value:.4f}" in text


def test_heatmap_cells_are_the_mean_over_seeds(quick_report):
    summaries = pd.read_parquet(quick_report.run_dir / "summaries.parquet")
    fig = quick_report.figure("topology_heatmaps")
    shown = [t for t in fig["data"] if t.get("visible") is True]
    assert len(shown) == 5 * 3  # five quantities x three models in the default view (test split, label all)
    good_b0 = shown[0]
    assert good_b0["name"] == "good" and good_b0["y"][0] == "input"
    rows = summaries.query("model == 'good' and split == 'test' and label == 'all' and dim == 0")
    expected = rows.pivot_table(index="layer", columns="epoch", values="betti_significant", aggfunc="mean")
    expected = expected.reindex(index=good_b0["y"], columns=[int(e) for e in good_b0["x"]])
    np.testing.assert_allclose(decode(good_b0["z"]), expected.to_numpy(dtype=float))
    purity = [t for t in shown if t["coloraxis"] == "coloraxis5" and t["name"] == "narrow_first"][0]
    rows = summaries.query("model == 'narrow_first' and split == 'test' and label == 'all' and dim == 0")
    expected = rows.groupby(["layer", "epoch"])["purity_above_chance"].mean()
    assert np.isclose(decode(purity["z"])[-1, -1], expected[("logits", 30)])


def test_dropdown_shows_exactly_one_view(quick_report):
    fig = quick_report.figure("depth_profiles")
    menu = fig["layout"]["updatemenus"][0]
    labels = [b["label"] for b in menu["buttons"]]
    assert len(labels) == 9 and labels[menu["active"]] == "test · label all"
    for button in menu["buttons"]:
        visible = np.array(button["args"][0]["visible"])
        assert visible.sum() == 5 * 3 * 4  # quantities x models x snapshot epochs
    assert sum(t.get("visible") is True for t in fig["data"]) == 5 * 3 * 4


def test_distance_figures_match_the_distances_table(quick_report):
    distances = pd.read_parquet(quick_report.run_dir / "distances.parquet")
    fig = quick_report.figure("train_test")
    shown = [t for t in fig["data"] if t.get("visible") is True]
    assert [t["name"] for t in shown] == ["good", "narrow_first", "narrow_middle"]
    rows = distances.query("kind == 'train_test' and model == 'narrow_first' and dim == 0")
    expected = rows.groupby(["layer", "epoch"])["bottleneck"].mean()
    assert np.isclose(decode(shown[1]["z"])[2, 1], expected[(shown[1]["y"][2], int(shown[1]["x"][1]))])
    fig = quick_report.figure("transformation")
    first = next(t for t in fig["data"] if t.get("visible") is True)
    assert first["x"][0] == "input → hidden1" and first["name"] == "0"
    rows = distances.query("kind == 'layer_to_next' and model == 'good' and dim == 0 and split == 'test'")
    assert np.isclose(decode(first["y"])[0], rows.query("epoch == 0 and layer == 'input'")["bottleneck"].mean())


def test_drilldown_data_covers_every_view(quick_report, quick_config):
    data = quick_report.drilldown()
    assert data["options"]["models"] == ["good", "narrow_first", "narrow_middle"]
    options = data["options"]["good"]
    assert options["epochs"] == quick_config.capture.epochs and options["seeds"] == quick_config.training.seeds
    assert options["layers"] == ["input", "hidden1", "hidden2", "hidden3", "hidden4", "logits"]
    assert len(data["proj"]) == 3 * 2 * 4 * 6 and all(len(v["x"]) == 400 for v in data["proj"].values())
    projections = pd.read_parquet(quick_report.run_dir / "projections.parquet")
    view = projections.query("model == 'narrow_first' and seed == 1 and epoch == 15 and layer == 'hidden3'")
    view = view.sort_values("point")
    np.testing.assert_allclose(
        data["proj"]["narrow_first|1|15|hidden3"]["x"], view["pc1"], rtol=0, atol=1e-3 * view["pc1"].abs().max()
    )
    dgm = data["dgm"]["good|0|30|hidden4|test"]
    summaries = pd.read_parquet(quick_report.run_dir / "summaries.parquet")
    row = summaries.query("model == 'good' and seed == 0 and epoch == 30 and layer == 'hidden4' and split == 'test'")
    assert dgm["h0"]["n"] == row.query("label == 'all' and dim == 0")["n_bars"].item()
    assert len(dgm["h0"]["b"]) + len(dgm["h0"]["inf"]) == min(dgm["h0"]["n"], data["cap"] + len(dgm["h0"]["inf"]))
    info = data["info"]["good|0|30|hidden4|test"]
    assert info["betti_significant_h1"] == row.query("label == 'all' and dim == 1")["betti_significant"].item()


def test_static_twins_are_written(quick_report):
    names = ["architecture", "training_curves", "topology_good", "topology_narrow_first", "topology_narrow_middle",
             "depth_profiles", "transformation", "train_test", "projections", "diagrams", "evolution", "betti_curves",
             "significant_diagrams", "noise_floor", "projections_good", "projections_narrow_first",
             "projections_narrow_middle"]  # fmt: skip
    for name in names:
        png = (quick_report.run_dir / "figures" / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_findings_in_the_report_are_the_analysis_findings(quick_report):
    from layertopo.analysis import topology_findings

    summaries = pd.read_parquet(quick_report.run_dir / "summaries.parquet")
    distances = pd.read_parquet(quick_report.run_dir / "distances.parquet")
    history = pd.read_parquet(quick_report.run_dir / "history.parquet")
    probes = pd.read_parquet(quick_report.run_dir / "probes.parquet")
    bayes = json.loads((quick_report.run_dir / "manifest.json").read_text())["data"]["bayes_accuracy"]
    findings = topology_findings(
        summaries,
        distances=distances,
        models=["good", "narrow_first", "narrow_middle"],
        history=history,
        probes=probes,
        bayes=bayes,
    )
    section = quick_report.text.split('<section id="findings">')[1]
    assert len(findings) >= 15
    for finding in findings:
        assert finding.text in section
    assert json.dumps(findings[0].numbers)  # plain floats


def test_header_and_number_formatting():
    from layertopo.report.texts import number, run_status

    assert run_status({"status": "running", "verdicts": [{"model": "good"}]}).startswith("finished")
    assert run_status({"status": "running"}) == "running" and run_status({}) == "unknown"
    assert number(0.99849, ".3f") == "0.998" and number(float("nan")) == "–" and number(None) == "–"
    assert number(float("inf")) == "–" and number(3, ".1f") == "3.0"


def test_pipeline_built_report_says_the_run_finished(quick_report):
    assert "Run status: finished" in quick_report.text  # the pipeline marks the run finished before the report
    assert "could not be built" not in quick_report.html  # no figure fell back to an error note
