"""A plain script that calls ``layertopo.analyze`` with default settings, without an ``if __name__ ==
"__main__":`` guard, run as a file and on stdin, against the bare in-process call (``n_jobs=None`` given
explicitly) in a script of its own.

Issue 16 asked that both plain ways succeed, leave no child process, and take at most 1.5x the bare call. Each
script is a fresh interpreter (as a user's would be), so every call is a first call: it includes the lazy
imports of the engines. The times are those of the ``analyze`` call measured inside each script (Python's and
torch's start-up are the same for all three and are left out). Rounds alternate; medians and ratios printed.

    python benchmarks/plain_script.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import time
import psutil
import torch
from sklearn.datasets import load_digits
import layertopo

X, y = load_digits(return_X_y=True)
X, y = (X[:400] / 16).astype("float32"), y[:400]
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
start = time.perf_counter()
result = layertopo.analyze(net, X, y, layers=["1", "2"]{extra})
seconds = time.perf_counter() - start
children = psutil.Process().children(recursive=True)
print(f"{{seconds:.3f}} {{len(children)}} {{len(result.summaries)}}")
"""


def run(code: str, how: str, folder: Path) -> tuple[float, int, int]:
    """(seconds of the call, child processes left, summary rows) of ``code`` run as a file or on stdin."""
    if how == "file":
        path = folder / "plain.py"
        path.write_text(code)
        done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    else:
        done = subprocess.run([sys.executable, "-"], input=code, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"the {how} script failed:\n{done.stderr}")
    seconds, children, rows = done.stdout.split()
    return float(seconds), int(children), int(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import tempfile

    sides = {
        "bare in-process call (n_jobs=None)": ("stdin", SCRIPT.format(extra=", n_jobs=None")),
        "plain script, default settings": ("file", SCRIPT.format(extra="")),
        "the same script on stdin": ("stdin", SCRIPT.format(extra="")),
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.rounds):
            for name, (how, code) in sides.items():
                seconds, children, rows = run(code, how, Path(folder))
                assert children == 0, f"{name}: {children} child processes left"
                times[name].append(seconds)
    reference = statistics.median(times["bare in-process call (n_jobs=None)"])
    print(f"{'side':38s} {'median s':>9s} {'ratio':>6s}  (children left: 0 in every round; {rows} rows)")
    for name, values in times.items():
        print(f"{name:38s} {statistics.median(values):9.2f} {statistics.median(values) / reference:6.2f}")


if __name__ == "__main__":
    main()
