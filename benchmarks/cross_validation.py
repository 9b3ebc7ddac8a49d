"""A topology pipeline in ``cross_val_score``: layertopo against giotto-tda, on the same clouds.

Issue #17: the same cross-validation must be no slower with layertopo than with giotto-tda. The task is
``examples/digits_pipeline.py``'s: 120 of scikit-learn's digits (0, 1 and 8, 40 each) as clouds of their
inked pixels, told apart by their H0/H1 diagrams, 5-fold cross-validation of

* layertopo: ``PersistenceDiagrams(maxdim=1)`` -> ``DiagramStatistics()`` -> ``StandardScaler`` ->
  ``LogisticRegression``;
* giotto-tda 0.6.2 (its own venv, ``.venv-giotto``, built on first use as by ``benchmarks/giotto_tda.py``):
  ``VietorisRipsPersistence(homology_dimensions=(0, 1))`` -> union of ``PersistenceEntropy``,
  ``NumberOfPoints`` and ``Amplitude`` -> ``StandardScaler`` -> ``LogisticRegression``.

Both in the calling process (``n_jobs`` None). Each side runs in a fresh process, alternately,
``--repeats`` times; the time is that of ``cross_val_score`` alone (imports excluded). Prints the median
seconds, the ratio giotto-tda / layertopo (at least 1: layertopo no slower) and each side's accuracy.

    .venv/bin/python benchmarks/cross_validation.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from giotto_tda import ROOT, giotto_python  # noqa: E402

CLOUDS = """
import numpy as np
from sklearn.datasets import load_digits

def ink_clouds(per_digit=40, threshold=6.0):
    digits = load_digits()
    clouds, labels = [], []
    for digit in (0, 1, 8):
        for image in digits.images[digits.target == digit][:per_digit]:
            rows, cols = np.nonzero(image > threshold)
            clouds.append(np.c_[cols, -rows].astype(float))
            labels.append(digit)
    return clouds, np.array(labels)

clouds, labels = ink_clouds()
"""

OURS = (
    CLOUDS
    + """
import time
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from layertopo import DiagramStatistics, PersistenceDiagrams

pipe = make_pipeline(PersistenceDiagrams(maxdim=1), DiagramStatistics(), StandardScaler(), LogisticRegression())
start = time.perf_counter()
scores = cross_val_score(pipe, clouds, labels, cv=5)
print(time.perf_counter() - start, scores.mean())
"""
)

GIOTTO = (
    CLOUDS
    + """
import time
from gtda.diagrams import Amplitude, NumberOfPoints, PersistenceEntropy
from gtda.homology import VietorisRipsPersistence
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import StandardScaler

features = make_union(PersistenceEntropy(), NumberOfPoints(), Amplitude())
homology = VietorisRipsPersistence(homology_dimensions=(0, 1))
pipe = make_pipeline(homology, features, StandardScaler(), LogisticRegression())
start = time.perf_counter()
scores = cross_val_score(pipe, clouds, labels, cv=5)
print(time.perf_counter() - start, scores.mean())
"""
)


def run(python: Path, code: str) -> tuple[float, float]:
    out = subprocess.run([str(python), "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    seconds, accuracy = out.stdout.split()[-2:]
    return float(seconds), float(accuracy)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    giotto = giotto_python()
    times = {"layertopo": [], "giotto-tda": []}
    accuracy = {}
    for _ in range(args.repeats):
        for side, python, code in (("layertopo", Path(sys.executable), OURS), ("giotto-tda", giotto, GIOTTO)):
            seconds, accuracy[side] = run(python, code)
            times[side].append(seconds)
    print(f"{'side':<12} {'median s':>9} {'accuracy':>9}")
    for side, values in times.items():
        print(f"{side:<12} {statistics.median(values):9.2f} {accuracy[side]:9.3f}")
    ratio = statistics.median(times["giotto-tda"]) / statistics.median(times["layertopo"])
    print(f"giotto-tda / layertopo time: {ratio:.2f} (issue #17: at least 1.00)")


if __name__ == "__main__":
    main()
