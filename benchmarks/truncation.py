"""The truncated filtration (``truncate=True``, the default) against the whole filtration, per cloud family.

Issue #17 asks that the default never cost: at least 1.0x the untruncated time (median) on every family,
with identical diagrams. Families: noisy circles of 100, 300 and 1000 points in R^2, flat tori of 400 and
1000 points in R^4, the default experiment's input clouds (shells in R^12, a class of 500 points and the
test split of 1000) and the same after a random ReLU layer of 64 units (what a first hidden layer sees at
initialisation). Both settings run side by side in this process, ``--repeats`` times; engine ``auto``.
Prints the median seconds, the ratio full / truncated (above 1: truncation pays), the cuts the truncated
run made, and checks that the diagrams are equal to the last bit.

    .venv/bin/python benchmarks/truncation.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from layertopo.data.synthetic import shells
from layertopo.topology import persistence_diagrams


def families() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    out = {}
    for n in (100, 300, 1000):
        t = rng.uniform(0, 2 * np.pi, n)
        out[f"circle_{n}"] = np.c_[np.cos(t), np.sin(t)] + rng.normal(0, 0.05, (n, 2))
    for n in (400, 1000):
        u, v = rng.uniform(0, 2 * np.pi, (2, n))
        out[f"torus_{n}"] = np.c_[np.cos(u), np.sin(u), np.cos(v), np.sin(v)] + rng.normal(0, 0.03, (n, 4))
    data = shells(n_train=10, n_test=1000, random_state=0)
    X = data.X_test
    out["shells_class_500"] = X[data.y_test == 0]
    out["shells_test_1000"] = X
    W = rng.normal(0, 1 / np.sqrt(X.shape[1]), (X.shape[1], 64))
    out["relu64_class_500"] = np.maximum(X[data.y_test == 0] @ W, 0)
    out["relu64_test_1000"] = np.maximum(X @ W, 0)
    return out


def timed(X: np.ndarray, truncate: bool) -> tuple[float, list[np.ndarray], float]:
    start = time.perf_counter()
    result = persistence_diagrams(X, maxdim=1, truncate=truncate)
    return time.perf_counter() - start, result.dgms, result.cut


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    persistence_diagrams(np.random.default_rng(1).normal(size=(50, 3)), maxdim=1)  # warm the engines
    print(f"{'family':<18} {'full s':>8} {'truncated s':>12} {'ratio':>6}  cut      same")
    ratios = []
    for name, X in families().items():
        full, cut_times = [], []
        for _ in range(args.repeats):
            seconds, dgms_full, _ = timed(X, False)
            full.append(seconds)
            seconds, dgms_cut, cut = timed(X, True)
            cut_times.append(seconds)
        same = all(np.array_equal(a, b) for a, b in zip(dgms_full, dgms_cut, strict=True))
        ratio = statistics.median(full) / statistics.median(cut_times)
        ratios.append(ratio)
        print(
            f"{name:<18} {statistics.median(full):8.3f} {statistics.median(cut_times):12.3f} {ratio:6.2f}  "
            f"{cut:<8.3g} {same}"
        )
    print(f"smallest ratio {min(ratios):.2f} (issue #17: at least 1.00)")


if __name__ == "__main__":
    main()
