"""A plain script calling ``layertopo.analyze`` with default settings needs no ``if __name__ == "__main__":``
guard: run as a file or fed on stdin it succeeds and leaves no child process (issue 16; before, it died with
``BrokenProcessPool`` because the call started a process pool). Timing: benchmarks/plain_script.py."""

import subprocess
import sys

import pytest

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2] / "benchmarks"))
from plain_script import SCRIPT, run  # noqa: E402 - the benchmark's own script and runner: both run the same


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_a_guardless_script_runs_in_its_own_process_and_leaves_no_child(tmp_path, how):
    seconds, children, rows = run(SCRIPT.format(extra=""), how, tmp_path)  # a failing script fails the test
    assert children == 0
    assert rows == 2 * (2 + 10)  # two layers: H0 and H1 of all digits, H0 of each of the ten classes
    assert seconds > 0


def test_a_time_limit_without_workers_is_refused_with_the_way_out():
    import numpy as np
    import torch

    import layertopo

    net = torch.nn.Sequential(torch.nn.Linear(3, 4))
    with pytest.raises(ValueError, match=r"time_limit=5 needs worker processes .* pass n_jobs=1 or more"):
        layertopo.analyze(net, np.zeros((10, 3), dtype="float32"), time_limit=5)


WITH_WORKERS = """
import psutil, torch
import layertopo

if __name__ == "__main__":
    X = torch.randn(300, 6)
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU())
    result = layertopo.analyze(net, X, layers=["1"], n_jobs=2, time_limit=60)
    left = [p for p in psutil.Process().children(recursive=True) if "resource_tracker" not in " ".join(p.cmdline())]
    print(len(left), len(result.summaries))
"""


def test_with_n_jobs_the_workers_and_their_fork_server_stop_before_analyze_returns(tmp_path):
    path = tmp_path / "guarded.py"
    path.write_text(WITH_WORKERS)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "2"]  # nothing left but multiprocessing's resource tracker; H0 and H1 rows
