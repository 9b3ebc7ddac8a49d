"""A report rebuilt from unchanged inputs reuses its figures; a changed table draws them again."""

import re
import shutil

import pandas as pd

from layertopo.report import build as report_build
from layertopo.report import build_report
from layertopo.report.cache import STATIC_KEY, figure_inputs_key, static_figures_current
from layertopo.report.run_data import load_run


def _without_timing(html: str) -> str:
    return re.sub(r"built in [0-9.]+ s", "built in - s", html)


def test_a_rebuild_reuses_the_figures_until_an_input_changes(quick_run, tmp_path, monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(quick_run.run_dir, run, ignore=shutil.ignore_patterns("activations", "checkpoints", "figures"))
    calls = {"static": 0, "interactive": 0}
    draw_static, draw_interactive = report_build.save_static_figures, report_build.interactive_figures

    def counted_static(*args, **kwargs):
        calls["static"] += 1
        return draw_static(*args, **kwargs)

    def counted_interactive(*args, **kwargs):
        calls["interactive"] += 1
        return draw_interactive(*args, **kwargs)

    monkeypatch.setattr(report_build, "save_static_figures", counted_static)
    monkeypatch.setattr(report_build, "interactive_figures", counted_interactive)
    every_builder = report_build.static_figure_builders  # two static figures are enough to test the cache, and
    monkeypatch.setattr(  # drawing all of them took 20 s of the suite
        report_build, "static_figure_builders", lambda run: dict(list(every_builder(run).items())[:2])
    )

    first = build_report(run).read_text()
    assert calls == {"static": 1, "interactive": 1}
    assert (run / "figures" / STATIC_KEY).read_text().strip() == figure_inputs_key(load_run(run))
    png = (run / "figures" / "training_curves.png").stat().st_mtime_ns
    assert not (run / "figures" / "training_curves.svg").exists()

    second = build_report(run).read_text()
    assert calls == {"static": 1, "interactive": 1}  # nothing drawn again
    assert _without_timing(second) == _without_timing(first)
    assert (run / "figures" / "training_curves.png").stat().st_mtime_ns == png

    names = list(report_build.static_figure_builders(load_run(run)))
    key = figure_inputs_key(load_run(run))
    assert not static_figures_current(load_run(run), key, names, ("png", "svg"))  # --svg would draw them
    draw_static(str(run), ["architecture"], ("png", "svg"))
    svg = (run / "figures" / "architecture.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg

    key = figure_inputs_key(load_run(run))
    names = list(report_build.static_figure_builders(load_run(run)))
    assert static_figures_current(load_run(run), key, names)
    (run / "figures" / "architecture.png").unlink()  # a figure file gone: drawn again
    assert not static_figures_current(load_run(run), key, names)
    history = pd.read_parquet(run / "history.parquet")
    history.iloc[:-1].to_parquet(run / "history.parquet", index=False)  # one row fewer: another key
    assert figure_inputs_key(load_run(run)) != key
