"""How the topology stage scales: over workers (local pool and Dask) and over the number of points per cloud.

Part 1, workers. The clouds of ``configs/quick.yaml`` (trained once, every model, seed, snapshot epoch,
layer, split and label) go through the topology stage's own batch call: one ``analyze_clouds`` call per
(model, seed, epoch) unit with one cache for the stage (``layertopo.topology.batch.analyze_clouds``). Three settings,
each ``--repeats`` times (median): the local pebble pool with 1 worker, with 2 workers, and a Dask
``LocalCluster`` of 2 worker processes (1 thread each). Each repeat starts its workers (timed apart as
"start"), runs the stage on the warm workers ("stage") and stops them. Prints the speed-up from 1 to 2
local workers (target on 2 cores: 1.7x) and Dask's time relative to the 2-worker local pool, and checks
that the three give identical diagrams.

Part 2, points. Exact diagrams (H0 and H1, no subsampling) of clouds of 250, 500, 1000, 2000 points drawn
from the default dataset (concentric spheres in R^12), in this process: seconds per cloud (median of
``--repeats``, fewer once a size has taken 20 s) and the exponent ``b`` of the least-squares fit ``seconds = a * n**b``.

    .venv/bin/python benchmarks/scale.py [--repeats 3] [--points 250 500 1000 2000] [--skip-workers]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def quick_units(config, out_dir: Path) -> list[list[tuple[np.ndarray, np.ndarray | None, str]]]:
    """Train quick.yaml into ``out_dir``; return the topology jobs of each (model, seed, epoch) unit."""
    from layertopo.data import make_dataset
    from layertopo.parallel import get_executor
    from layertopo.stages.topology import iter_clouds
    from layertopo.stages.training import train_all
    from layertopo.store import RunStore, read_npz

    d = config.data
    dataset = make_dataset(d.kind, n_train=d.n_train, n_test=d.n_test, dim=d.dim, noise=d.noise, seed=d.seed)
    store = RunStore(out_dir)
    store.open()
    with get_executor(config.execution.n_jobs) as executor:
        train_all(config, dataset, store, executor)
    units = []
    for name in config.models:
        for seed in config.training.seeds:
            for epoch in config.capture.epochs:
                activations = read_npz(store.activations_path(name, seed, epoch))
                clouds = iter_clouds(activations, dataset, config.capture.splits)
                units.append(
                    [(X, y, f"{name}/{seed}/{epoch}/{layer}/{split}/{label}") for layer, split, label, X, y in clouds]
                )
    return units


def stage(units, topology, executor) -> tuple[float, float, list]:
    """(start seconds, stage seconds, diagrams) of the topology stage on the fresh workers of ``executor``."""
    from layertopo.topology.batch import analyze_clouds

    rng = np.random.default_rng(0)
    warmup = [(rng.normal(size=(20, 3)), None, "warm-up") for _ in range(4 * executor.n_workers)]
    with executor:
        start = time.perf_counter()
        analyze_clouds(warmup, topology, executor=executor, time_limit=300)  # starts the workers (their imports)
        started = time.perf_counter() - start
        start = time.perf_counter()
        cache: dict = {}
        dgms = [r.dgms for jobs in units for r in analyze_clouds(jobs, topology, executor=executor, cache=cache)]
        seconds = time.perf_counter() - start
    return started, seconds, dgms


def workers_study(repeats: int) -> dict[str, float]:
    from layertopo.config import load_config

    config = load_config(ROOT / "configs" / "quick.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        units = quick_units(config, Path(tmp) / "run")
        n_clouds = sum(len(jobs) for jobs in units)
        print(f"quick.yaml: trained in {time.perf_counter() - t0:.1f} s; {len(units)} units, {n_clouds} clouds")
    from layertopo.parallel import DaskExecutor, LocalPool

    settings = {
        "local, 1 worker": lambda: LocalPool(1),
        "local, 2 workers": lambda: LocalPool(2),
        "dask, 2 workers": lambda: DaskExecutor(None, 2),
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in settings}
    reference = None
    for _ in range(repeats):
        for name, executor in settings.items():  # alternately, so that drifts hit every setting alike
            started, seconds, dgms = stage(units, config.topology, executor())
            times[name].append((started, seconds))
            if reference is None:
                reference = dgms
            same = all(
                np.array_equal(a, b)
                for got, want in zip(dgms, reference, strict=True)
                for a, b in zip(got, want, strict=True)
            )
            assert same, f"{name}: diagrams differ from the first setting's"
    print(f"\n{'setting':<18}{'start s':>9}{'stage s':>9}{'total s':>9}   (medians of {repeats}; diagrams identical)")
    medians = {}
    for name, pairs in times.items():
        start = statistics.median(p[0] for p in pairs)
        seconds = statistics.median(p[1] for p in pairs)
        total = statistics.median(p[0] + p[1] for p in pairs)
        medians[name] = seconds
        medians[name + " total"] = total
        print(f"{name:<18}{start:>9.2f}{seconds:>9.2f}{total:>9.2f}")
    return medians


def points_study(points: list[int], repeats: int) -> tuple[list[float], float]:
    from layertopo.config import TopologyConfig
    from layertopo.data import make_dataset
    from layertopo.topology.batch import analyze_cloud

    data = make_dataset("concentric_spheres", n_train=max(points), n_test=4, dim=12, noise=0.0, seed=0)
    config = TopologyConfig(max_points=None)
    per_cloud = []
    for n in points:
        X, y = data.X_train[:n], data.y_train[:n]
        seconds: list[float] = []
        while len(seconds) < repeats and sum(seconds) < 20:  # large clouds: fewer repeats
            start = time.perf_counter()
            analyze_cloud(X, y, config, where=f"n={n}")
            seconds.append(time.perf_counter() - start)
        per_cloud.append(statistics.median(seconds))
        print(f"  n={n:>5}: {per_cloud[-1]:8.3f} s per cloud")
    exponent = float(np.polyfit(np.log(points), np.log(per_cloud), 1)[0])
    return per_cloud, exponent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--points", type=int, nargs="+", default=[250, 500, 1000, 2000])
    parser.add_argument("--skip-workers", action="store_true", help="only the cost-per-points study")
    args = parser.parse_args()
    summary = []
    if not args.skip_workers:
        print("== topology stage of quick.yaml over workers ==")
        medians = workers_study(args.repeats)
        one, two, dask = medians["local, 1 worker"], medians["local, 2 workers"], medians["dask, 2 workers"]
        summary.append(f"speed-up 1 -> 2 local workers (stage): {one / two:.2f}x (target 1.7x on 2 cores)")
        summary.append(
            f"speed-up 1 -> 2 local workers (with worker start): "
            f"{medians['local, 1 worker total'] / medians['local, 2 workers total']:.2f}x"
        )
        summary.append(f"dask / local time, 2 workers (stage): {dask / two:.2f}")
        summary.append(
            f"dask / local time, 2 workers (with worker start): "
            f"{medians['dask, 2 workers total'] / medians['local, 2 workers total']:.2f}"
        )
    print("\n== exact H0+H1 of one cloud over its number of points (concentric spheres in R^12) ==")
    per_cloud, exponent = points_study(args.points, args.repeats)
    summary.append(
        "seconds per cloud: "
        + ", ".join(f"n={n}: {s:.3f}" for n, s in zip(args.points, per_cloud, strict=True))
        + f"; fitted exponent b (seconds ~ n^b): {exponent:.2f}"
    )
    print("\n== summary ==")
    for line in summary:
        print(line)


if __name__ == "__main__":
    main()
