"""Our topology stage against a plain ``ripser.ripser(X, maxdim=1)`` loop, on the default experiment's clouds.

Reference: ripser.py, one cloud after another in one process (what a researcher would write first).
Ours: ``layertopo.topology.batch.analyze_clouds`` - the pipeline's own code path - with subsampling OFF
(``max_points=None``), so both sides compute exact diagrams of the same clouds: identical clouds are
computed once, the engine is giotto-ph on a float64 distance matrix, its filtration cut where no H1
class can be born any more (``layertopo.topology.truncation``). Two settings: ``n_jobs=1`` (one
process, like the loop) and ``n_jobs=2`` (two worker processes forked from a fork server that has
imported numpy/scipy/giotto-ph/scikit-learn once, so they share those pages). Ours also computes every
summary (significance, class purity...), the loop only diagrams.

Clouds: the default experiment (``ExperimentConfig()``: today the shells and three networks, good, narrow_first
and narrow_middle; seed 0, 100 epochs) captured at epochs 0, 20 and 100, every layer, the test split (1000
points) and each class (500 points): 162 clouds of 500-1000 points in 2-64 dimensions, as in the default run
with its train/all splits left out (their 2000-3000-point clouds would take the loop hours). The README's
table was measured when the default was two networks on concentric spheres (108 clouds).

Each side runs in its own fresh process, alternately, ``--repeats`` times. Memory is sampled every 50 ms
over that process and its workers, two ways: the sum of resident sets (RSS; counts the shared library
pages of numpy, scipy, scikit-learn... once per process) and the sum of proportional set sizes (PSS;
shared pages split between the processes that map them: the machine's real memory use). Prints medians,
the time ratio, the peak ratios, and the largest bottleneck distance between our diagrams and ripser's.

    .venv/bin/python benchmarks/topology.py [--repeats 3] [--epochs 0 20 100]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import pickle
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def make_clouds(epochs: list[int]) -> list[tuple[np.ndarray, np.ndarray | None, str]]:
    """The benchmark's clouds as (X, labels, where) jobs, in pipeline order."""
    from layertopo.config import ExperimentConfig, TrainingConfig, resolve_width
    from layertopo.data import make_dataset
    from layertopo.models import build_mlp
    from layertopo.training import fit

    config = ExperimentConfig(training=TrainingConfig(epochs=max(epochs), seeds=[0]))
    d = config.data
    data = make_dataset(d.kind, n_train=d.n_train, n_test=d.n_test, dim=d.dim, noise=d.noise, seed=d.seed)
    jobs = []
    for name, spec in config.models.items():
        model = build_mlp(data.dim, [resolve_width(w, data.dim) for w in spec.widths], 2, spec.activation, seed=0)

        splits = {"train": (data.X_train, data.y_train)}
        snapshot = Snapshot(name, epochs, data.X_test, data.y_test, jobs)
        fit(model, data.X_train, data.y_train, splits, config.training, seed=0, callbacks=[snapshot])
    return jobs


class Snapshot:
    """Appends the test-split clouds of every layer (all points and each class) at the chosen epochs."""

    def __init__(self, name: str, epochs: list[int], X: np.ndarray, y: np.ndarray, jobs: list) -> None:
        self.name, self.epochs, self.X, self.y, self.jobs = name, epochs, X, y, jobs

    def on_epoch_end(self, epoch, model, **kwargs) -> None:
        from layertopo.capture import capture_activations

        if epoch not in self.epochs:
            return
        for layer, X in capture_activations(model, self.X).items():
            self.jobs.append((X, self.y, f"{self.name} e{epoch} {layer} all"))
            for c in (0, 1):
                self.jobs.append((X[self.y == c], None, f"{self.name} e{epoch} {layer} class{c}"))


def ripser_loop(jobs_path: str, out_path: str) -> None:
    from ripser import ripser

    jobs = pickle.loads(Path(jobs_path).read_bytes())
    start = time.perf_counter()
    dgms = [ripser(X, maxdim=1)["dgms"] for X, _, _ in jobs]
    Path(out_path).write_bytes(pickle.dumps((time.perf_counter() - start, dgms)))


def our_stage_1(jobs_path: str, out_path: str) -> None:
    our_stage(jobs_path, out_path, n_jobs=1)


def our_stage_2(jobs_path: str, out_path: str) -> None:
    our_stage(jobs_path, out_path, n_jobs=2)


def our_stage(jobs_path: str, out_path: str, n_jobs: int) -> None:
    from layertopo.config import TopologyConfig
    from layertopo.parallel import get_executor
    from layertopo.topology.batch import analyze_clouds

    jobs = pickle.loads(Path(jobs_path).read_bytes())
    config = TopologyConfig(max_points=None)
    start = time.perf_counter()
    with get_executor(n_jobs) as executor:
        results = analyze_clouds(jobs, config, executor=executor)
    Path(out_path).write_bytes(pickle.dumps((time.perf_counter() - start, [r.dgms for r in results])))


def measure(target, jobs_path: str) -> tuple[float, float, float, list]:
    """Run ``target`` in a fresh process; return (seconds, peak RSS sum, peak PSS sum in MiB, diagrams)."""
    import psutil

    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as handle:
        out_path = handle.name
    process = mp.get_context("spawn").Process(target=target, args=(jobs_path, out_path))
    process.start()
    peak, peak_pss = 0.0, 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        root = psutil.Process(process.pid)
        while not stop.is_set():
            try:
                tree = [p for p in [root, *root.children(recursive=True)] if p.is_running()]
                info = [p.memory_full_info() for p in tree]
                peak = max(peak, sum(i.rss for i in info) / 2**20)
                peak_pss = max(peak_pss, sum(i.pss for i in info) / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.join()
    stop.set()
    sampler.join()
    seconds, dgms = pickle.loads(Path(out_path).read_bytes())
    Path(out_path).unlink()
    return seconds, peak, peak_pss, dgms


def largest_bottleneck(ours: list, theirs: list) -> float:
    from layertopo.topology.distances import bottleneck_distance

    return max(
        bottleneck_distance(a, np.asarray(b, dtype=np.float64))
        for d_ours, d_theirs in zip(ours, theirs, strict=True)
        for a, b in zip(d_ours, d_theirs, strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, nargs="+", default=[0, 20, 100])
    args = parser.parse_args()
    jobs = make_clouds(args.epochs)
    sizes = sorted({X.shape for X, _, _ in jobs})
    print(f"{len(jobs)} clouds, shapes {sizes}")
    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as handle:
        handle.write(pickle.dumps(jobs))
        jobs_path = handle.name
    sides = {"ripser loop": ripser_loop, "layertopo n_jobs=1": our_stage_1, "layertopo n_jobs=2": our_stage_2}
    times = {name: [] for name in sides}
    peaks = {name: [] for name in sides}
    psss = {name: [] for name in sides}
    diagrams = {}
    for repeat in range(args.repeats):
        for name, target in sides.items():
            seconds, peak, pss, diagrams[name] = measure(target, jobs_path)
            times[name].append(seconds)
            peaks[name].append(peak)
            psss[name].append(pss)
            print(
                f"repeat {repeat + 1}: {name:20s} {seconds:6.1f} s  RSS {peak:5.0f} MiB  PSS {pss:5.0f} MiB", flush=True
            )
    Path(jobs_path).unlink()
    ref_time = statistics.median(times["ripser loop"])
    ref_rss, ref_pss = statistics.median(peaks["ripser loop"]), statistics.median(psss["ripser loop"])
    print()
    print(
        f"{'':20s} {'median s':>9s} {'RSS MiB':>8s} {'PSS MiB':>8s} {'speed-up':>9s} {'RSS':>6s} {'PSS':>6s}"
        f" {'max bottleneck vs ripser':>25s}"
    )
    for name in sides:
        t, rss, pss = (statistics.median(values[name]) for values in (times, peaks, psss))
        worst = largest_bottleneck(diagrams[name], diagrams["ripser loop"])
        print(
            f"{name:20s} {t:9.1f} {rss:8.0f} {pss:8.0f} {ref_time / t:8.1f}x {rss / ref_rss:6.2f} {pss / ref_pss:6.2f}"
            f" {worst:25.2e}"
        )
    print(
        "speed-up = ripser loop time / time; RSS, PSS = peak memory (process + workers) / the loop's; PSS counts\n"
        "shared pages once (the machine's memory), RSS once per process that maps them"
    )


if __name__ == "__main__":
    main()
