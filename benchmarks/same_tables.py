"""Whether two run folders hold the same results: ``summaries``, ``distances``, ``history``, ``projections`` and
``probes`` tables, compared row by row after sorting by their key columns (wall times left out).

Used to check that a change of *where* work runs (executors, units, resume) left *what* is computed alone:

    python benchmarks/same_tables.py runs/before runs/after

Prints one line per table (rows, columns, largest absolute difference of the float columns, and whether every
other column is equal) and exits 1 when any table differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

TABLES = {
    "summaries": ["model", "seed", "epoch", "layer", "split", "label", "dim"],
    "distances": [
        "model",
        "seed",
        "kind",
        "dim",
        "epoch",
        "layer",
        "split",
        "other_epoch",
        "other_layer",
        "other_split",
    ],
    "history": ["model", "seed", "epoch", "split"],
    "projections": ["model", "seed", "epoch", "layer", "point"],
    "probes": ["model", "seed", "epoch", "layer", "split"],
}
#: wall times: they differ between any two runs
SKIPPED = {"seconds", "engine_seconds"}


def compare(before: Path, after: Path, name: str, keys: list[str]) -> tuple[bool, str]:
    a, b = (pd.read_parquet(folder / f"{name}.parquet") for folder in (before, after))
    if set(a.columns) != set(b.columns):
        only_a, only_b = set(a.columns) - set(b.columns), set(b.columns) - set(a.columns)
        return False, f"columns differ: only before {only_a}, only after {only_b}"
    if len(a) != len(b):
        return False, f"{len(a)} rows before, {len(b)} after"
    keys = [k for k in keys if k in a.columns]
    a, b = (t.sort_values(keys, kind="stable").reset_index(drop=True)[sorted(a.columns)] for t in (a, b))
    largest, unequal = 0.0, []
    for column in a.columns:
        if column in SKIPPED:
            continue
        x, y = a[column], b[column]
        if pd.api.types.is_float_dtype(x) and pd.api.types.is_float_dtype(y):
            xv, yv = x.to_numpy(), y.to_numpy()
            if not np.array_equal(np.isnan(xv), np.isnan(yv)) or not np.array_equal(np.isinf(xv), np.isinf(yv)):
                unequal.append(column)
                continue
            finite = np.isfinite(xv)
            if finite.any():
                largest = max(largest, float(np.max(np.abs(xv[finite] - yv[finite]))))
            if not np.array_equal(xv[np.isinf(xv)], yv[np.isinf(yv)]):
                unequal.append(column)
        elif not x.astype(str).equals(y.astype(str)):
            unequal.append(column)
    same = not unequal and largest == 0.0
    return same, f"{len(a)} rows, {len(a.columns)} columns, largest float difference {largest:.3g}" + (
        f", unequal columns {unequal}" if unequal else ""
    )


def main(before: str, after: str) -> int:
    ok = True
    for name, keys in TABLES.items():
        same, text = compare(Path(before), Path(after), name, keys)
        ok &= same
        print(f"{name:12s} {'same' if same else 'DIFFERENT'}: {text}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
