"""layertopo's topology against giotto-tda's ``VietorisRipsPersistence(n_jobs=2)``, on the same clouds.

Reference: giotto-tda 0.6.2 (``VietorisRipsPersistence(homology_dimensions=(0, 1), n_jobs=2)``), the library
a researcher would reach for. It pins an old scikit-learn, so it lives in its own environment: this script
builds ``.venv-giotto`` (``pip install giotto-tda==0.6.2``) on first use and runs it there.

Clouds: those of ``benchmarks/topology.py`` - the default experiment's three networks (seed 0) at epochs
0, 20 and 100, every layer, the test split (1000 points) and each class (500 points): 162 clouds of
500-1000 points in 2-64 dimensions, subsampling off, so every side computes exact H0 and H1 of every cloud.

Ours, two ways: the run's topology stage (``analyze_clouds`` on a ``LocalPool(2)``, the pipeline's code path:
identical clouds computed once, summaries included, the pool started and stopped inside) and the library's
``PersistenceDiagrams(n_jobs=2)`` transformer. Each side runs in a fresh process, alternately, ``--repeats``
times, and is timed two ways: the call (``fit_transform`` / ``analyze_clouds``, clocked inside the process: the
topology) and the whole process (interpreter, imports, loading the clouds: what a one-off script waits for; the
transformer's process imports scikit-learn, ~1 s, as giotto-tda's does). Memory is the sum of the
proportional set sizes (PSS) of the process and its children, sampled every 50 ms. Prints medians, the time
ratios, the peak PSS ratios, and the largest bottleneck distance between our finite bars and giotto-tda's
(giotto-tda drops essential bars and pads with points on the diagonal; both sides run giotto-ph, which
computes in float32, so different float64 inputs round differently). Then the float64 distance matrices our
engine ran on go to giotto-tda (``metric="precomputed"``): with the same input the diagrams must be the same.
Last, where the two sides differ, both are compared with the diagrams of the exact distances rounded once to
float32 (computed in long double): the side at 0 is the one with the right bars.

    .venv/bin/python benchmarks/giotto_tda.py [--repeats 2] [--epochs 0 20 100]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GIOTTO_ENV = ROOT / ".venv-giotto"

GIOTTO_SIDE = """
import sys, time
import numpy as np
from gtda.homology import VietorisRipsPersistence

clouds = list(np.load(sys.argv[1]).values())
start = time.perf_counter()
out = VietorisRipsPersistence(homology_dimensions=(0, 1), n_jobs=2).fit_transform(clouds)
seconds = time.perf_counter() - start
np.savez(sys.argv[2], seconds=np.array(seconds), *out)
"""

GIOTTO_SAME_MATRICES = """
import sys
import numpy as np
from gtda.homology import VietorisRipsPersistence

matrices = list(np.load(sys.argv[1]).values())
out = VietorisRipsPersistence(metric="precomputed", homology_dimensions=(0, 1), n_jobs=2).fit_transform(matrices)
np.savez(sys.argv[2], *out)
"""

OURS_STAGE = """
import pickle, sys, time
import numpy as np
from layertopo.config import TopologyConfig
from layertopo.parallel import LocalPool
from layertopo.topology.batch import analyze_clouds

clouds = list(np.load(sys.argv[1]).values())
jobs = [(X, None, str(i)) for i, X in enumerate(clouds)]
start = time.perf_counter()
with LocalPool(2) as pool:
    results = analyze_clouds(jobs, TopologyConfig(max_points=None), executor=pool)
seconds = time.perf_counter() - start
with open(sys.argv[2], "wb") as handle:
    pickle.dump((seconds, [r.dgms for r in results]), handle)
"""

OURS_LIBRARY = """
import pickle, sys, time
import numpy as np
from layertopo import PersistenceDiagrams

clouds = list(np.load(sys.argv[1]).values())
start = time.perf_counter()
dgms = PersistenceDiagrams(maxdim=1, n_jobs=2).fit_transform(clouds)
seconds = time.perf_counter() - start
with open(sys.argv[2], "wb") as handle:
    pickle.dump((seconds, dgms), handle)
"""


def giotto_python() -> Path:
    """The giotto-tda environment's interpreter, built on first use."""
    python = GIOTTO_ENV / "bin" / "python"
    if not python.exists():
        print(f"building {GIOTTO_ENV} (giotto-tda 0.6.2 and its pinned scikit-learn) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(GIOTTO_ENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "giotto-tda==0.6.2"], check=True)
    return python


def measure(argv: list[str]) -> tuple[float, float]:
    """Run ``argv``; return (wall seconds, peak PSS of the process and its children in MiB)."""
    import psutil

    process = subprocess.Popen(argv, cwd=ROOT)
    peak, stop = 0.0, threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(process.pid)
        while not stop.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_full_info().pss for p in tree if p.is_running()) / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    sampler.start()
    if process.wait() != 0:
        raise RuntimeError(f"{argv[:3]} failed")
    stop.set()
    sampler.join()
    return time.perf_counter() - start, peak


def call_seconds(output: Path) -> float:
    """The seconds a side's process measured around its one call (``fit_transform`` or ``analyze_clouds``)."""
    if output.suffix == ".npz":
        return float(np.load(output)["seconds"])
    import pickle

    return float(pickle.loads(output.read_bytes())[0])


def finite(dgm: np.ndarray) -> np.ndarray:
    """Finite bars with positive length (giotto-tda's padding and essential bars left out)."""
    dgm = np.asarray(dgm, dtype=np.float64)
    return dgm[np.isfinite(dgm[:, 1]) & (dgm[:, 1] > dgm[:, 0])]


def largest_bottleneck(ours: list[list[np.ndarray]], theirs: list[np.ndarray]) -> float:
    from layertopo.topology.distances import bottleneck_distance

    worst = 0.0
    for mine, padded in zip(ours, theirs, strict=True):
        for dim in (0, 1):
            other = padded[padded[:, 2] == dim][:, :2]
            worst = max(worst, bottleneck_distance(finite(mine[dim]), finite(other)))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--epochs", type=int, nargs="+", default=[0, 20, 100])
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from topology import make_clouds  # the clouds of benchmarks/topology.py

    giotto = giotto_python()
    clouds = [np.ascontiguousarray(X, dtype=np.float64) for X, _, _ in make_clouds(args.epochs)]
    work = Path(tempfile.mkdtemp(prefix="giotto-bench-"))
    np.savez(work / "clouds.npz", *clouds)
    sides = {
        "giotto-tda VietorisRipsPersistence(n_jobs=2)": [str(giotto), "-c", GIOTTO_SIDE],
        "layertopo topology stage (n_jobs=2)": [sys.executable, "-c", OURS_STAGE],
        "layertopo PersistenceDiagrams(n_jobs=2)": [sys.executable, "-c", OURS_LIBRARY],
    }
    outputs = dict(zip(sides, ("giotto.npz", "stage.pkl", "library.pkl"), strict=True))
    calls: dict[str, list[float]] = {name: [] for name in sides}
    times: dict[str, list[float]] = {name: [] for name in sides}
    memory: dict[str, list[float]] = {name: [] for name in sides}
    print(f"{len(clouds)} clouds, {args.repeats} rounds, each side in a fresh process", flush=True)
    for _ in range(args.repeats):
        for name, argv in sides.items():
            seconds, pss = measure([*argv, str(work / "clouds.npz"), str(work / outputs[name])])
            calls[name].append(call_seconds(work / outputs[name]))
            times[name].append(seconds)
            memory[name].append(pss)
            print(f"  {name}: call {calls[name][-1]:.1f} s, process {seconds:.1f} s, PSS {pss:.0f} MiB", flush=True)
    import pickle

    loaded = np.load(work / "giotto.npz")
    theirs = [loaded[f"arr_{i}"] for i in range(len(clouds))]
    reference = next(iter(sides))
    print(
        f"\n{'side':46s} {'call s':>7s} {'speed-up':>9s} {'process s':>10s} {'speed-up':>9s} {'peak PSS':>9s} "
        f"{'PSS ratio':>9s} {'bottleneck':>11s}"
    )
    for name in sides:
        if name == reference:
            distance = "-"
        else:
            ours = pickle.loads((work / outputs[name]).read_bytes())[1]
            distance = f"{largest_bottleneck(ours, theirs):.1e}"
        call, seconds = statistics.median(calls[name]), statistics.median(times[name])
        pss = statistics.median(memory[name])
        call_speed = statistics.median(calls[reference]) / call
        speed = statistics.median(times[reference]) / seconds
        ratio = pss / statistics.median(memory[reference])
        print(
            f"{name:46s} {call:7.1f} {call_speed:8.2f}x {seconds:10.1f} {speed:8.2f}x {pss:8.0f}M {ratio:9.2f} "
            f"{distance:>11s}"
        )
    same = same_matrices(clouds, work)
    print(f"\nthe same distance matrices (ours) given to giotto-tda: largest bottleneck {same:.1e}")
    stage = pickle.loads((work / "stage.pkl").read_bytes())[1]
    ours_off, theirs_off, count = against_exact_distances(clouds, stage, theirs)
    print(
        f"where the two sides differ ({count} diagrams), against the diagrams of the correctly rounded float32 "
        f"distances (extended precision): ours {ours_off:.1e}, giotto-tda's {theirs_off:.1e}"
    )


def against_exact_distances(
    clouds: list[np.ndarray], ours: list[list[np.ndarray]], theirs: list[np.ndarray]
) -> tuple[float, float, int]:
    """Which side is right where they differ: both engines compute in float32, so the exact diagrams are those of
    the distances rounded once to float32 from their exact values (here from extended precision, long double).
    Returns the largest bottleneck distance of ours and of giotto-tda's to those, and how many diagrams differed."""
    from layertopo.topology.distances import bottleneck_distance
    from layertopo.topology.engines import run_engine

    ours_off = theirs_off = 0.0
    count = 0
    for i, X in enumerate(clouds):
        mine = [finite(d) for d in ours[i]]
        other = [finite(theirs[i][theirs[i][:, 2] == dim][:, :2]) for dim in (0, 1)]
        differ = [dim for dim in (0, 1) if bottleneck_distance(mine[dim], other[dim]) > 0]
        if not differ:
            continue
        exact = run_engine("giotto", _correctly_rounded_distances(X), 1)
        for dim in differ:
            count += 1
            ours_off = max(ours_off, bottleneck_distance(mine[dim], finite(exact[dim])))
            theirs_off = max(theirs_off, bottleneck_distance(other[dim], finite(exact[dim])))
    return ours_off, theirs_off, count


def _correctly_rounded_distances(X: np.ndarray, block: int = 50) -> np.ndarray:
    """Euclidean distances of ``X`` computed in long double from differences, rounded once to float32."""
    X = np.asarray(X, dtype=np.longdouble)
    D = np.empty((len(X), len(X)))
    for start in range(0, len(X), block):
        diff = X[start : start + block, None, :] - X[None, :, :]
        D[start : start + block] = np.sqrt((diff * diff).sum(axis=-1)).astype(np.float32)
    return D


def same_matrices(clouds: list[np.ndarray], work: Path) -> float:
    """Our diagrams against giotto-tda's on the very float64 distance matrices our engine ran on (centred clouds,
    duplicates merged): with the same input both sides' giotto-ph must give the same bars (0 expected)."""
    from layertopo.topology import persistence_diagrams

    results = [persistence_diagrams(X, maxdim=1, keep_distances=True) for X in clouds]
    np.savez(work / "matrices.npz", *[r.distances for r in results])
    argv = [str(giotto_python()), "-c", GIOTTO_SAME_MATRICES, str(work / "matrices.npz"), str(work / "same.npz")]
    subprocess.run(argv, check=True)
    loaded = np.load(work / "same.npz")
    return largest_bottleneck([r.dgms for r in results], [loaded[f"arr_{i}"] for i in range(len(clouds))])


if __name__ == "__main__":
    main()
