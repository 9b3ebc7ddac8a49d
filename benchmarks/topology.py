"""Our topology stage against a plain ``ripser.ripser(X, maxdim=1)`` loop, on the default experiment's clouds.

Reference: ripser.py, one cloud after another in one process (what a researcher would write first).
Ours: ``layertopo.pipeline.run_topology_jobs`` - the pipeline's own code path - with subsampling OFF
(``max_points=None``), so both sides compute exact diagrams of the same clouds: identical clouds are
computed once, the engine is giotto-ph on a float64 distance matrix, and two worker processes share the
work. Ours also computes every summary (significance, class purity...), the loop only diagrams.

Clouds: the default experiment (concentric spheres in R^12, good 12-64-64-64-64-2 and bad 12-3-64-64-64-2,
seed 0, 100 epochs) captured at epochs 0, 20 and 100, every layer, the test split (1000 points) and each
class (500 points): 108 clouds of 500-1000 points in 2-64 dimensions, as in the default run with its
train/all splits left out (their 2000-3000-point clouds would take the loop hours).

Each side runs in its own fresh process, alternately, ``--repeats`` times; peak memory is the largest
resident set of that process plus its worker processes, sampled every 20 ms. Prints medians, the time
ratio, and the largest bottleneck distance between our diagrams and ripser's.

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


def our_stage(jobs_path: str, out_path: str) -> None:
    from layertopo.config import TopologyConfig
    from layertopo.parallel import close_pool
    from layertopo.pipeline import run_topology_jobs

    jobs = pickle.loads(Path(jobs_path).read_bytes())
    config = TopologyConfig(max_points=None, n_jobs=2)
    start = time.perf_counter()
    results = run_topology_jobs(jobs, config, {})
    close_pool()
    Path(out_path).write_bytes(pickle.dumps((time.perf_counter() - start, [r[0] for r in results])))


def measure(target, jobs_path: str) -> tuple[float, float, list]:
    """Run ``target`` in a fresh process; return (seconds, peak RSS in MiB of it and its children, diagrams)."""
    import psutil

    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as handle:
        out_path = handle.name
    process = mp.get_context("spawn").Process(target=target, args=(jobs_path, out_path))
    process.start()
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(process.pid)
        while not stop.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()) / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.join()
    stop.set()
    sampler.join()
    seconds, dgms = pickle.loads(Path(out_path).read_bytes())
    Path(out_path).unlink()
    return seconds, peak, dgms


def largest_bottleneck(ours: list, theirs: list) -> float:
    from layertopo.topology.distances import bottleneck_distance

    return max(
        bottleneck_distance(a, np.asarray(b, dtype=np.float64), exact=True)
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
    times = {"ripser loop": [], "layertopo": []}
    peaks = {"ripser loop": [], "layertopo": []}
    for repeat in range(args.repeats):
        t_ref, m_ref, d_ref = measure(ripser_loop, jobs_path)
        t_our, m_our, d_our = measure(our_stage, jobs_path)
        times["ripser loop"].append(t_ref)
        times["layertopo"].append(t_our)
        peaks["ripser loop"].append(m_ref)
        peaks["layertopo"].append(m_our)
        print(
            f"repeat {repeat + 1}: ripser loop {t_ref:.1f} s, {m_ref:.0f} MiB; "
            f"layertopo {t_our:.1f} s, {m_our:.0f} MiB",
            flush=True,
        )
    Path(jobs_path).unlink()
    worst = largest_bottleneck(d_our, d_ref)
    ref, our = statistics.median(times["ripser loop"]), statistics.median(times["layertopo"])
    mem_ref, mem_our = statistics.median(peaks["ripser loop"]), statistics.median(peaks["layertopo"])
    print()
    print(f"{'':14s} {'median s':>9s} {'peak MiB':>9s}")
    print(f"{'ripser loop':14s} {ref:9.1f} {mem_ref:9.0f}")
    print(f"{'layertopo':14s} {our:9.1f} {mem_our:9.0f}")
    print(f"speed-up (ripser / layertopo): {ref / our:.1f}x")
    print(f"memory ratio (layertopo / ripser): {mem_our / mem_ref:.2f}")
    print(f"largest bottleneck distance between our diagrams and ripser's: {worst:.2e}")


if __name__ == "__main__":
    main()
