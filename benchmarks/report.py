"""Time ``layertopo.report.build_report`` on a finished run folder and print the report's size.

The run's tables, diagrams and manifest are copied to a temporary folder first (activations and checkpoints
are not needed), so the run folder itself is left untouched. Each repeat rebuilds ``report.html`` and every
static figure of the copy from its tables (the first repeat also pays for importing plotly and matplotlib);
prints the median wall and CPU time over the repeats (CPU time tells a loaded shared machine from a slow
build) and the size of report.html.
Targets for the default experiment (2 models x 3 seeds x 5 epochs x 6 layers): < 30 s and < 20 MB.

    .venv/bin/python benchmarks/report.py /path/to/run [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def time_build(run_dir: Path, repeats: int) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds of each build, and the report's size in bytes."""
    from layertopo.report import build_report

    walls, cpus, size = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / run_dir.name
        ignore = shutil.ignore_patterns("activations", "checkpoints", "figures", "report.html")
        shutil.copytree(run_dir, copy, ignore=ignore)
        for _ in range(repeats):
            shutil.rmtree(copy / "figures", ignore_errors=True)
            wall, cpu = time.perf_counter(), time.process_time()
            path = build_report(copy)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            size = path.stat().st_size
    return walls, cpus, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="a finished run folder")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    walls, cpus, size = time_build(args.run_dir, args.repeats)
    print(f"run folder   {args.run_dir}")
    print(f"build (wall) median {statistics.median(walls):.2f} s  (each: {', '.join(f'{w:.2f}' for w in walls)})")
    print(f"build (CPU)  median {statistics.median(cpus):.2f} s")
    print(f"report.html  {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
