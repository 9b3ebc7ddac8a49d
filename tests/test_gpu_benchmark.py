"""benchmarks/gpu.py runs in one call without a GPU and prints its CPU table (CI never has a GPU)."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU fallback")
def test_gpu_benchmark_falls_back_to_cpu_timings():
    command = [sys.executable, "benchmarks/gpu.py", "--repeats", "1", "--epochs", "1", "--points", "50", "120"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "no CUDA device: CPU timings only"
    table = lines[lines.index(next(line for line in lines if line.startswith("what"))) + 1 :]
    assert [row.split()[0] for row in table] == ["training,", "distances,", "distances,"]
    assert "n=50" in table[1] and "n=120" in table[2]
    for row in table:
        *_, cpu, cuda, speed = row.split()  # no note without a GPU
        assert float(cpu) > 0 and cuda == "-" and speed == "-"
