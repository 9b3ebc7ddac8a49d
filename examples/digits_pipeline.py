"""Topology as features in a scikit-learn pipeline: which handwritten digit is it, from the shape of its ink?

Each 8x8 image of scikit-learn's digits (shipped with the package, nothing downloaded) becomes a point
cloud: the positions of its inked pixels. A "0" is a loop, an "8" two loops, a "1" a stroke, so the H1
diagram tells them apart. ``PersistenceDiagrams`` computes the diagrams, ``DiagramStatistics`` turns them
into a feature table, and a logistic regression classifies, all inside ``cross_val_score``::

    python examples/digits_pipeline.py
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from layertopo import DiagramStatistics, PersistenceDiagrams

DIGITS = (0, 1, 8)


def ink_clouds(per_digit: int = 40, threshold: float = 6.0) -> tuple[list[np.ndarray], np.ndarray]:
    """Clouds of shape (n_inked, 2): (column, -row) of the pixels darker than ``threshold`` (of 16)."""
    digits = load_digits()
    clouds, labels = [], []
    for digit in DIGITS:
        for image in digits.images[digits.target == digit][:per_digit]:
            rows, cols = np.nonzero(image > threshold)
            clouds.append(np.c_[cols, -rows].astype(float))
            labels.append(digit)
    return clouds, np.array(labels)


def main(per_digit: int = 40) -> float:
    """Print and return the mean 5-fold accuracy of the pipeline."""
    clouds, labels = ink_clouds(per_digit)
    pipe = make_pipeline(PersistenceDiagrams(maxdim=1), DiagramStatistics(), StandardScaler(), LogisticRegression())
    scores = cross_val_score(pipe, clouds, labels, cv=5)
    print(f"{len(clouds)} clouds, digits {DIGITS}: accuracy {scores.mean():.3f} ± {scores.std():.3f} (chance 0.33)")
    return float(scores.mean())


if __name__ == "__main__":
    main()
