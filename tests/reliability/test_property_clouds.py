"""Random small clouds (duplicates, tiny and huge scales, offsets, 1-3 points, constant columns) either raise
our own error or give diagrams that agree with a float64 reference (gudhi on a float64 distance matrix)."""

import gudhi
import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import pdist, squareform

from layertopo.topology import CloudError, persistence_diagrams
from layertopo.topology.distances import bottleneck_distance


@st.composite
def clouds(draw):
    n = draw(st.integers(1, 12))
    d = draw(st.integers(1, 4))
    base = draw(st.lists(st.floats(-1, 1, allow_nan=False), min_size=n * d, max_size=n * d))
    X = np.array(base, dtype=np.float64).reshape(n, d)
    scale = 10.0 ** draw(st.integers(-5, 5))
    offset = draw(st.sampled_from([0.0, 1.0, 1e3, -1e5]))
    X = X * scale + offset
    if draw(st.booleans()) and n > 1:  # duplicate some rows
        X[draw(st.integers(0, n - 1))] = X[0]
    if draw(st.booleans()):  # a constant column
        X[:, draw(st.integers(0, d - 1))] = offset
    return X


def reference(X: np.ndarray, maxdim: int) -> list[np.ndarray]:
    D = squareform(pdist(X)) if len(X) > 1 else np.zeros((1, 1))
    tree = gudhi.RipsComplex(distance_matrix=D).create_simplex_tree(max_dimension=maxdim + 1)
    tree.compute_persistence(persistence_dim_max=True)
    return [tree.persistence_intervals_in_dimension(k).reshape(-1, 2) for k in range(maxdim + 1)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clouds(), st.sampled_from(["giotto", "ripser", "gudhi", "auto"]))
# found by a CI run: gudhi 3.13's own bottleneck distance called these diagrams 0.136 apart, not 3e-9
@example(np.array([[0.0], [0.5], [2.39293632e-1], [3.07622341e-30], [9.60432927e-104], [-0.375]]), "giotto")
def test_random_clouds_agree_with_float64_reference_or_raise_our_error(X, engine):
    try:
        result = persistence_diagrams(X, maxdim=1, engine=engine)
    except CloudError:
        return
    expected = reference(X, 1)
    spread = float(np.ptp(X, axis=0).max()) if len(X) > 1 else 0.0
    for ours, theirs in zip(result.dgms, expected, strict=True):
        assert ours.dtype == np.float64 and ours.shape[1] == 2
        assert bottleneck_distance(ours, theirs) <= 1e-5 * spread + 1e-12, (ours, theirs)
    assert np.isinf(result.dgms[0][:, 1]).sum() == 1


def _circle(n: int = 40) -> np.ndarray:
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.c_[np.cos(angles), np.sin(angles)]


@settings(max_examples=60, deadline=None)
@given(st.integers(-300, 300), st.sampled_from(["giotto", "ripser", "auto"]))
def test_a_circle_at_any_scale_gives_its_scaled_diagrams_or_a_clear_error(exponent, engine):
    """Issue 19: a circle scaled by 1e300 gave 60 essential H0 bars and no H1, by 1e-300 one bar."""
    scale = 10.0**exponent
    unit = persistence_diagrams(_circle(), maxdim=1, engine=engine)
    try:
        scaled = persistence_diagrams(_circle() * scale, maxdim=1, engine=engine)
    except CloudError as exc:
        assert abs(exponent) > 140 and "squared distances" in str(exc) and "Divide the cloud" in str(exc)
        return
    assert len(scaled.dgms[0]) == len(unit.dgms[0]) and len(scaled.dgms[1]) == len(unit.dgms[1]) == 1
    for mine, reference_dgm in zip(scaled.dgms, unit.dgms, strict=True):
        np.testing.assert_allclose(mine, reference_dgm * scale, rtol=1e-6)


def test_bad_parameters_are_refused_by_name():
    import pytest

    for kwargs, message in [
        ({"max_points": 0}, "max_points must be >= 1"),
        ({"max_points": 2.5}, "max_points must be a whole number"),
        ({"threshold": float("nan")}, "threshold must be a number > 0"),
        ({"threshold": -1.0}, "threshold must be a number > 0"),
    ]:
        with pytest.raises(ValueError, match=message):
            persistence_diagrams(_circle(), **kwargs)
    for scale in (1e300, 1e-300):
        with pytest.raises(CloudError, match="Divide the cloud by a constant"):
            persistence_diagrams(_circle() * scale)
