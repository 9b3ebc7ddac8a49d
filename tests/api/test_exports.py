"""The library names are exported lazily: ``import layertopo`` does not import torch."""

import subprocess
import sys

import layertopo

NEW_NAMES = ["Analysis", "PersistenceDiagrams", "TopologyMonitor", "analyze", "capture_activations", "compare"]


def test_new_names_are_exported():
    for name in NEW_NAMES:
        assert name in layertopo.__all__ and name in dir(layertopo)
        assert getattr(layertopo, name).__module__.startswith("layertopo.")


def test_import_layertopo_does_not_import_torch():
    code = "import sys, layertopo; layertopo.TopologyConfig; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
