"""PersistenceDiagrams as a scikit-learn transformer, alone and inside a Pipeline."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

import layertopo
from layertopo.topology import persistence_diagrams


def circle(n: int, rng: np.random.Generator) -> np.ndarray:
    angles = rng.uniform(0, 2 * np.pi, n)
    return np.column_stack([np.cos(angles), np.sin(angles)]) + rng.normal(0, 0.05, (n, 2))


def blob(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0, 0.5, (n, 2))


def clouds_and_labels(n_each: int = 6, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    clouds = [circle(60, rng) for _ in range(n_each)] + [blob(60, rng) for _ in range(n_each)]
    return clouds, np.repeat([1, 0], n_each)


def h1_features(diagrams: list[list[np.ndarray]]) -> np.ndarray:
    """Vectoriser: longest H1 lifetime and total H1 persistence of each cloud, shape (n_clouds, 2)."""
    rows = []
    for dgms in diagrams:
        life = dgms[1][:, 1] - dgms[1][:, 0]
        rows.append([life.max(initial=0.0), life.sum()])
    return np.array(rows)


def test_transform_gives_the_diagrams_of_persistence_diagrams():
    clouds, _ = clouds_and_labels(n_each=1)
    out = layertopo.PersistenceDiagrams(maxdim=1, max_points=40).fit_transform(clouds)
    assert len(out) == 2 and all(len(dgms) == 2 for dgms in out)
    for cloud, dgms in zip(clouds, out, strict=True):
        expected = persistence_diagrams(cloud, maxdim=1, max_points=40, random_state=0).dgms
        for got, want in zip(dgms, expected, strict=True):
            np.testing.assert_array_equal(got, want)
    assert max(out[0][1][:, 1] - out[0][1][:, 0]) > 1.0  # the circle's loop
    parallel = layertopo.PersistenceDiagrams(maxdim=1, max_points=40, n_jobs=2).fit_transform(clouds)
    np.testing.assert_array_equal(parallel[0][1], out[0][1])


def test_identical_clouds_are_computed_once_and_each_gets_its_own_arrays(monkeypatch):
    from layertopo import estimators

    clouds, _ = clouds_and_labels(n_each=1)
    computed = []
    real = estimators.diagrams_job
    monkeypatch.setattr(estimators, "diagrams_job", lambda X, *args: computed.append(len(X)) or real(X, *args))
    repeated = [clouds[0], clouds[1], clouds[0].copy(), clouds[0][:-1]]
    out = layertopo.PersistenceDiagrams(maxdim=1).fit_transform(repeated)
    assert computed == [60, 60, 59]  # the copy of the first cloud is not computed again; the largest first
    for got, want in zip(out[2], out[0], strict=True):
        np.testing.assert_array_equal(got, want)
        assert not np.shares_memory(got, want)
    np.testing.assert_array_equal(out[0][0], persistence_diagrams(clouds[0], maxdim=1).dgms[0])


def test_in_a_pipeline_circles_are_told_from_blobs():
    clouds, labels = clouds_and_labels()
    pipe = Pipeline(
        [
            ("diagrams", layertopo.PersistenceDiagrams(maxdim=1, max_points=50)),
            ("features", FunctionTransformer(h1_features)),
            ("classify", LogisticRegression()),
        ]
    )
    pipe.fit(clouds, labels)
    test_clouds, test_labels = clouds_and_labels(n_each=3, seed=1)
    assert pipe.score(test_clouds, test_labels) == 1.0
    pipe.set_params(diagrams__max_points=30)
    assert pipe.get_params()["diagrams__max_points"] == 30
    assert pipe.fit(clouds, labels).named_steps["diagrams"].config_.max_points == 30


def test_params_clone_and_validation():
    estimator = layertopo.PersistenceDiagrams(maxdim=0, metric="cosine")
    assert estimator.get_params()["metric"] == "cosine"
    copy = clone(estimator)
    assert copy.get_params() == estimator.get_params() and copy is not estimator
    with pytest.raises(ValueError, match="invalid PersistenceDiagrams parameters.*metric"):
        layertopo.PersistenceDiagrams(metric="manhattan").fit([np.zeros((3, 2))])
    with pytest.raises(ValueError, match="not fitted|NotFitted|fit"):
        layertopo.PersistenceDiagrams().transform([np.zeros((3, 2))])


def test_bad_clouds_are_reported_together():
    good = np.random.default_rng(0).standard_normal((10, 2))
    bad = [good, np.full((5, 2), np.nan), good, np.zeros((0, 2))]
    with pytest.raises(ValueError, match=r"2 of 4 clouds are invalid: cloud \(entry 1\).*cloud \(entry 3\)"):
        layertopo.PersistenceDiagrams().fit(bad)
    with pytest.raises(ValueError, match=r"pass \[X\] for a single cloud"):
        layertopo.PersistenceDiagrams().fit(good)
