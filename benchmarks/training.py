"""Training stage of the default experiment: one process vs ``execution.n_jobs=2`` worker processes.

Reference: ``execution.n_jobs=null`` (every (model, seed) trained in this process, one after another).
Both sides run ``layertopo.stages.training.train_all`` - the pipeline's own code - on configs/default.yaml
(2 models x 3 seeds x 100 epochs, snapshots written) in fresh folders, alternately, ``--repeats``
times, and must give identical history tables. Prints medians and the speed-up.

    .venv/bin/python benchmarks/training.py [--repeats 3] [--config configs/default.yaml]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from layertopo.config import load_config
from layertopo.data import make_dataset
from layertopo.parallel import get_executor
from layertopo.stages.training import train_all
from layertopo.store import RunStore


def train_once(config, n_jobs: int | None) -> tuple[float, pd.DataFrame]:
    d = config.data
    dataset = make_dataset(d.kind, n_train=d.n_train, n_test=d.n_test, dim=d.dim, noise=d.noise, seed=d.seed)
    with tempfile.TemporaryDirectory() as folder:
        store = RunStore(Path(folder) / "run")
        store.open()
        start = time.perf_counter()
        with get_executor(n_jobs) as executor:
            history = train_all(config, dataset, store, executor)
        return time.perf_counter() - start, history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--config", default="configs/default.yaml")
    args = parser.parse_args()
    config = load_config(args.config)
    times: dict[int, list[float]] = {1: [], 2: []}
    histories = {}
    for repeat in range(args.repeats):
        for n_jobs in (1, 2):
            seconds, histories[n_jobs] = train_once(config, n_jobs)
            times[n_jobs].append(seconds)
            print(f"repeat {repeat + 1}: n_jobs={n_jobs}  {seconds:6.1f} s", flush=True)
    pd.testing.assert_frame_equal(histories[1], histories[2])
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"\n{'setting':22} {'median s':>9} {'speed-up':>9}")
    print(f"{'n_jobs=1 (reference)':22} {one:9.1f} {1.0:9.2f}")
    print(f"{'n_jobs=2':22} {two:9.1f} {one / two:9.2f}")
    print("identical history tables: yes")


if __name__ == "__main__":
    main()
