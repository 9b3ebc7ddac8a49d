"""The runner of a run's units: a unit is finished when it is marked and its files can be read; a resume
computes only the others (the distance stage included: before issue 16 a resume recomputed every distance)."""

import json
import os
import shutil
import signal

import pandas as pd
import pytest

from layertopo.pipeline import run_experiment
from layertopo.stages import distances
from layertopo.stages.units import Unit, computed_in_parts, pending, run_units
from layertopo.store import RunStore, readable, write_parquet


def test_a_unit_is_pending_until_marked_with_every_output_readable(tmp_path):
    store = RunStore(tmp_path)
    units = [Unit("distances", "good", 0), Unit("topology", "good", 0, 5)]
    assert [u.mark for u in units] == ["distances/good/0", "topology/good/0/5"]
    outputs = {units[0]: [tmp_path / "a.parquet"], units[1]: [tmp_path / "b.parquet", tmp_path / "b.json"]}
    write_parquet(tmp_path / "a.parquet", pd.DataFrame({"x": [1]}))
    assert pending(store, units, outputs.get) == units  # written but not marked
    store.mark_done(units[0].mark)
    store.mark_done(units[1].mark)
    assert pending(store, units, outputs.get) == [units[1]]  # marked, but b's files are missing
    write_parquet(tmp_path / "b.parquet", pd.DataFrame({"x": [2]}))
    (tmp_path / "b.json").write_text('{"half": ')
    assert not readable(tmp_path / "b.json") and pending(store, units, outputs.get) == [units[1]]
    (tmp_path / "b.json").write_text(json.dumps({"whole": True}))
    assert pending(store, units, outputs.get) == []


def test_run_units_saves_and_marks_each_unit_as_it_completes_and_reports_progress(tmp_path):
    store = RunStore(tmp_path)
    units = [Unit("probes", "m", seed) for seed in range(3)]
    store.mark_done(units[1].mark)
    write_parquet(tmp_path / "1.parquet", pd.DataFrame({"seed": [1]}))
    computed, progress = [], []

    def compute(todo):
        computed.extend(todo)
        for unit in reversed(todo):  # completion order need not be the list's
            yield unit, pd.DataFrame({"seed": [unit.seed]})

    run_units(
        store,
        "probes",
        units,
        outputs=lambda u: [tmp_path / f"{u.seed}.parquet"],
        compute=compute,
        save=lambda u, frame: write_parquet(tmp_path / f"{u.seed}.parquet", frame),
        progress=lambda *args: progress.append(args),
    )
    assert computed == [units[0], units[2]]
    assert progress == [("probes", 1, 3), ("probes", 2, 3), ("probes", 3, 3)]
    assert store.read_manifest()["finished"] == ["probes/m/1", "probes/m/2", "probes/m/0"]


def test_a_resume_computes_only_the_distance_units_that_did_not_finish(tmp_path, tiny_run, tiny_config, monkeypatch):
    config = tiny_config.model_copy(update={"execution": tiny_config.execution.model_copy(update={"n_jobs": None})})
    first = tiny_run
    shutil.copytree(tiny_run.run_dir, tmp_path / "run")
    table = pd.read_parquet(tmp_path / "run" / "distances.parquet")
    store = RunStore(tmp_path / "run")
    manifest = store.read_manifest()  # as if the run had been killed after the first distance unit
    manifest["finished"] = [u for u in manifest["finished"] if not u.startswith("distances/") or u.endswith("good/0")]
    store.update_manifest(finished=manifest["finished"])
    calls = []
    real = distances.distance_rows

    def counted(*args):
        calls.append((args[0], *args[2:4]))  # the part and the unit's model and seed
        return real(*args)

    monkeypatch.setattr(distances, "distance_rows", counted)
    again = run_experiment(config, tmp_path / "run", build_report=False)
    units = [(m, s) for m in config.models for s in config.training.seeds if (m, s) != ("good", 0)]
    assert sorted(calls) == sorted((part, m, s) for part in distances.PARTS for m, s in units)  # all but the finished
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "run" / "distances.parquet"), table)
    pd.testing.assert_frame_equal(again.summaries, first.summaries)


def test_a_views_stage_without_rows_still_writes_its_columns(tmp_path, tiny_config):
    """capture.layers without "input" leaves every probe unit empty: probes.parquet keeps its columns."""
    from layertopo.parallel import InProcess
    from layertopo.stages.views import PROBE_COLUMNS, _per_model_seed

    store = RunStore(tmp_path)
    table = _per_model_seed(
        tiny_config, store, InProcess(), "probes", store.probes_part, lambda m, s: pd.DataFrame(), (), PROBE_COLUMNS
    )
    assert list(table.columns) == PROBE_COLUMNS and table.empty
    assert list(pd.read_parquet(tmp_path / "probes.parquet").columns) == PROBE_COLUMNS
    assert len(store.read_manifest()["finished"]) == len(tiny_config.models) * len(tiny_config.training.seeds)


def _part(part: str, seed: int) -> str:
    if part == "dies":
        os.kill(os.getpid(), signal.SIGKILL)  # a worker ending without a result
    return f"{part}{seed}"


def test_units_computed_in_parts_get_their_parts_in_order_and_the_first_parts_run_first(tmp_path):
    from layertopo.parallel import InProcess, LocalPool
    from layertopo.processes import WorkerDied

    store = RunStore(tmp_path)
    units = [Unit("distances", "m", seed) for seed in range(3)]
    parts = [[("long", u.seed), ("short", u.seed)] for u in units]
    order = []

    def traced(part, seed):
        order.append((part, seed))
        return _part(part, seed)

    results = list(computed_in_parts(InProcess(), traced, units, parts, store))
    assert results == [(u, [f"long{u.seed}", f"short{u.seed}"]) for u in units]  # each as soon as it is whole
    assert order == [("long", 0), ("long", 1), ("long", 2), ("short", 0), ("short", 1), ("short", 2)]
    with LocalPool(2) as pool:
        assert sorted(computed_in_parts(pool, _part, units, parts, store), key=lambda r: r[0].seed) == results
        with pytest.raises(WorkerDied, match="distances/m/1"):
            list(computed_in_parts(pool, _part, units, [parts[0], [("dies", 1)], parts[2]], store))
