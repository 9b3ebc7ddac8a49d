"""GPU against CPU: the default experiment's training, and distance matrices (the first step of every PH job).

Training: every model and seed of the default experiment (concentric spheres in R^12, 2000 training points,
good 12-64-64-64-64-2 and bad 12-3-64-64-64-2, 3 seeds, 100 epochs, batch 128), trained one after another
with ``layertopo.training.fit`` (no snapshots) on ``device="cpu"`` and on ``device="cuda"``.

Distances: the float64 Euclidean distance matrix of n points in R^64 (a hidden layer's width), with
``scipy.spatial.distance.pdist`` + ``squareform`` on the CPU (what the topology stage does) and
``torch.cdist`` in float64 on CUDA, timed with the copies to and from the GPU (what using it in the
topology stage would cost). The largest difference between the two matrices is printed too.

Without a CUDA device the script prints "no CUDA device: CPU timings only" and the CPU columns.
Medians of ``--repeats``; the table comes last.

    .venv/bin/python benchmarks/gpu.py [--repeats 3] [--points 1000 2000 3000 5000] [--epochs 100]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch


def train_seconds(device: str, epochs: int) -> float:
    """Seconds to train every model and seed of the default experiment on ``device``."""
    from layertopo.config import ExperimentConfig, resolve_width
    from layertopo.data import make_dataset
    from layertopo.models import build_mlp
    from layertopo.training import fit

    config = ExperimentConfig()
    training = config.training.model_copy(update={"device": device, "epochs": epochs})
    d = config.data
    data = make_dataset(d.kind, n_train=d.n_train, n_test=d.n_test, dim=d.dim, noise=d.noise, seed=d.seed)
    splits = {"train": (data.X_train, data.y_train), "test": (data.X_test, data.y_test)}
    start = time.perf_counter()
    for spec in config.models.values():
        widths = [resolve_width(w, data.dim) for w in spec.widths]
        for seed in training.seeds:
            model = build_mlp(data.dim, widths, data.n_classes, spec.activation, seed=seed)
            fit(model, data.X_train, data.y_train, splits, training, seed=seed)
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def distances_cpu(X: np.ndarray) -> tuple[float, np.ndarray]:
    from scipy.spatial.distance import pdist, squareform

    start = time.perf_counter()
    D = squareform(pdist(X))
    return time.perf_counter() - start, D


def distances_cuda(X: np.ndarray) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    T = torch.as_tensor(X, dtype=torch.float64, device="cuda")
    D = torch.cdist(T, T).cpu().numpy()
    return time.perf_counter() - start, D


def median_of(repeats: int, timed) -> tuple[float, object]:
    results = [timed() for _ in range(repeats)]
    return statistics.median(r[0] for r in results), results[-1][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--points", type=int, nargs="+", default=[1000, 2000, 3000, 5000])
    parser.add_argument("--epochs", type=int, default=100, help="training epochs (default experiment: 100)")
    args = parser.parse_args()
    cuda = torch.cuda.is_available()
    if cuda:
        print(f"CUDA device: {torch.cuda.get_device_name(0)}")
        torch.ones(1, device="cuda")  # context creation, not timed
        train_seconds("cuda", 1)  # kernels and allocator warm-up, not timed
    else:
        print("no CUDA device: CPU timings only")
    rows = []  # (what, cpu seconds, cuda seconds or None, note)
    cpu = statistics.median(train_seconds("cpu", args.epochs) for _ in range(args.repeats))
    gpu = statistics.median(train_seconds("cuda", args.epochs) for _ in range(args.repeats)) if cuda else None
    rows.append((f"training, 6 runs x {args.epochs} epochs", cpu, gpu, ""))
    print(f"training: cpu {cpu:.2f} s" + (f", cuda {gpu:.2f} s" if gpu is not None else ""))
    rng = np.random.default_rng(0)
    for n in args.points:
        X = rng.normal(size=(n, 64))
        cpu, D = median_of(args.repeats, lambda X=X: distances_cpu(X))
        note = ""
        gpu = None
        if cuda:
            distances_cuda(X[:10])  # warm-up
            gpu, D_gpu = median_of(args.repeats, lambda X=X: distances_cuda(X))
            note = f"max |diff| {np.abs(D - D_gpu).max():.1e}"
        rows.append((f"distances, n={n} in R^64", cpu, gpu, note))
        print(f"distances n={n}: cpu {cpu:.4f} s" + (f", cuda {gpu:.4f} s" if gpu is not None else ""))
    print(f"\n{'what':<32}{'cpu s':>10}{'cuda s':>10}{'speed-up':>10}  note")
    for what, cpu, gpu, note in rows:
        gpu_text = f"{gpu:>10.4f}" if gpu is not None else f"{'-':>10}"
        speed = f"{cpu / gpu:>9.1f}x" if gpu else f"{'-':>10}"
        print(f"{what:<32}{cpu:>10.4f}{gpu_text}{speed}  {note}")


if __name__ == "__main__":
    main()
