"""Fixtures for the report tests: the quick run's report, and a damaged copy of the quick run."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
from report_helpers import BuiltReport

NUMBER_COLUMNS = [
    "n_bars", "n_infinite", "total_persistence", "entropy", "longest", "second", "betti_significant", "class_purity",
    "purity_chance", "purity_above_chance", "n_used", "cover_radius", "h0_z_max", "pca_dims_95", "rms_radius",
]  # fmt: skip


@pytest.fixture(scope="session")
def quick_report(quick_run) -> BuiltReport:
    """The report the pipeline wrote for the quick run."""
    return BuiltReport(quick_run.run_dir, (quick_run.run_dir / "report.html").read_text(), [])


@pytest.fixture(scope="session")
def damaged_report(quick_run, tmp_path_factory) -> BuiltReport:
    """A copy of the quick run with damaged tables, and its report.

    Damage: every summary row of model 'narrow_first' rejected (error text, NaN numbers); good's hidden2 rows at
    epoch 15 dropped; every train_test distance dropped; projections.parquet deleted; narrow_first's diagrams
    deleted; narrow_first's history dropped.
    """
    from layertopo.report import build_report

    run = tmp_path_factory.mktemp("damaged") / "run"
    shutil.copytree(
        quick_run.run_dir, run, ignore=shutil.ignore_patterns("activations", "checkpoints", "report.html", "figures")
    )
    summaries = pd.read_parquet(run / "summaries.parquet")
    bad = summaries["model"] == "narrow_first"
    summaries[NUMBER_COLUMNS] = summaries[NUMBER_COLUMNS].astype(float)
    summaries.loc[bad, NUMBER_COLUMNS] = np.nan
    summaries.loc[bad, "error"] = "cloud rejected: all points identical (test damage)"
    gap = (summaries["model"] == "good") & (summaries["layer"] == "hidden2") & (summaries["epoch"] == 15)
    summaries[~gap].to_parquet(run / "summaries.parquet")
    distances = pd.read_parquet(run / "distances.parquet")
    distances[distances["kind"] != "train_test"].to_parquet(run / "distances.parquet")
    (run / "projections.parquet").unlink()
    shutil.rmtree(run / "diagrams" / "narrow_first")
    history = pd.read_parquet(run / "history.parquet")
    history[history["model"] != "narrow_first"].to_parquet(run / "history.parquet")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = build_report(run)
    return BuiltReport(run, path.read_text(), [str(w.message) for w in caught])
