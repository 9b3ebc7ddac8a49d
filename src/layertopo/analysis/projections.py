"""Low-dimensional views of activation clouds for the report's drill-down.

The same points (a seeded, class-balanced sample of the train and test sets) are projected at every
layer and epoch, so a slider over epochs shows the same points moving. Each view is a PCA fitted on
the whole cloud (train + test); component signs are aligned with the previous epoch's view of the same
layer, so a component does not flip from one epoch to the next.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

N_COMPONENTS = 3


def sample_points(y_train: np.ndarray, y_test: np.ndarray, n_per_split: int, *, random_state: int = 0) -> np.ndarray:
    """Row indices into ``concat(train, test)``: up to ``n_per_split`` rows of each split, balanced by class."""
    rng = np.random.default_rng(random_state)
    chosen = []
    for offset, y in ((0, y_train), (len(y_train), y_test)):
        classes = np.unique(y)
        per_class = max(1, n_per_split // len(classes))
        for c in classes:
            rows = np.flatnonzero(y == c)
            chosen.append(offset + np.sort(rng.choice(rows, size=min(per_class, len(rows)), replace=False)))
    return np.concatenate(chosen)


def pca_view(X: np.ndarray, rows: np.ndarray, previous: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """PCA of the cloud X (n, f) evaluated at ``rows``.

    Returns
    -------
    coords : ndarray of shape (len(rows), 3), zero-padded when the cloud has fewer dimensions
    explained : ndarray of shape (3,), explained variance ratio of each component (0 where padded)
    """
    X = np.asarray(X, dtype=np.float64)
    k = min(N_COMPONENTS, X.shape[1], len(X))
    coords = np.zeros((len(rows), N_COMPONENTS))
    explained = np.zeros(N_COMPONENTS)
    if k == 0 or np.allclose(X.std(axis=0), 0):
        return coords, explained
    pca = PCA(n_components=k, svd_solver="full").fit(X)
    coords[:, :k] = pca.transform(X[rows])
    explained[:k] = pca.explained_variance_ratio_
    if previous is not None:
        signs = np.sign(np.sum(coords * previous, axis=0))
        coords *= np.where(signs == 0, 1.0, signs)
    return coords, explained
