import numpy as np
import pytest

from layertopo.topology import CloudError, check_cloud, persistence_diagrams


@pytest.mark.parametrize(
    ("cloud", "message"),
    [
        (np.array([[0.0, 1.0], [np.nan, 2.0]]), "non-finite values"),
        (np.array([[0.0, 1.0], [np.inf, 2.0]]), "first at row 1"),
        (np.empty((0, 3)), "no points"),
        (np.empty((4, 0)), "no features"),
        (np.zeros(5), "shape \\(n_points, n_features\\)"),
        (np.zeros((2, 2, 2)), "flatten"),
        ([["a", "b"]], "not numeric"),
    ],
)
def test_bad_clouds_raise_a_clear_error_naming_the_cloud(cloud, message):
    with pytest.raises(CloudError, match=message) as info:
        persistence_diagrams(cloud, where="model=bad layer=hidden1 epoch=5")
    assert "model=bad layer=hidden1 epoch=5" in str(info.value)


def test_collapsed_cloud_is_one_infinite_bar_and_a_flag():
    result = persistence_diagrams(np.ones((50, 8)), maxdim=1)
    assert "collapsed" in result.flags
    np.testing.assert_array_equal(result.dgms[0], [[0.0, np.inf]])
    assert result.dgms[1].shape == (0, 2)


def test_single_point_is_one_infinite_bar():
    result = persistence_diagrams(np.array([[1.0, 2.0]]), maxdim=1)
    np.testing.assert_array_equal(result.dgms[0], [[0.0, np.inf]])


def test_duplicates_are_merged_and_do_not_change_the_diagrams():
    X = np.random.default_rng(0).standard_normal((40, 3))
    doubled = np.vstack([X, X[:10]])
    a, b = persistence_diagrams(X), persistence_diagrams(doubled)
    assert b.n_input == 50 and b.n_unique == 40 and "duplicates" in b.flags
    for da, db in zip(a.dgms, b.dgms, strict=True):
        np.testing.assert_allclose(da, db, atol=1e-12)
    assert check_cloud(doubled).rows.tolist() == list(range(40))


def test_cloud_far_from_origin_keeps_its_shape():
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    circle = 1e-5 * np.c_[np.cos(t), np.sin(t)]
    near = persistence_diagrams(circle, maxdim=1)
    far = persistence_diagrams(circle + 1e3, maxdim=1)
    assert far.dgms[1].shape == near.dgms[1].shape == (1, 2)
    np.testing.assert_allclose(far.dgms[1], near.dgms[1], rtol=1e-4)


def test_memory_budget_subsamples_with_a_warning():
    X = np.random.default_rng(0).standard_normal((300, 3))
    with pytest.warns(UserWarning, match="memory budget"):
        result = persistence_diagrams(X, maxdim=0, memory_budget=8 * 100**2)
    assert result.n_used == 100 and "memory_subsampled" in result.flags and result.cover_radius > 0


def test_cosine_metric_rejects_points_at_the_origin():
    with pytest.raises(CloudError, match="cosine"):
        persistence_diagrams(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), metric="cosine")


def test_duplicate_rows_are_found_as_numpy_unique_finds_them():
    from layertopo.topology.validation import _first_of_each_row

    rng = np.random.default_rng(0)
    for n, d in [(1, 3), (2, 1), (50, 2), (300, 5)]:
        X = rng.integers(0, 3, (n, d)).astype(float)  # many repeated rows
        _, first = np.unique(X, axis=0, return_index=True)
        np.testing.assert_array_equal(_first_of_each_row(X), np.sort(first))


def test_minus_zero_and_zero_rows_are_one_row():
    """Rows are compared by their bytes: -0.0 and 0.0 (equal floats, other bytes) must still be duplicates, and
    rows that differ in one unit in the last place must not."""
    from layertopo.topology.validation import _first_of_each_row

    X = np.array([[0.0, 1.0], [-0.0, 1.0], [1.0, -0.0], [1.0, 0.0], [1.0, np.nextafter(0.0, 1.0)]])
    np.testing.assert_array_equal(_first_of_each_row(X), [0, 2, 4])
    _, first = np.unique(X, axis=0, return_index=True)
    np.testing.assert_array_equal(_first_of_each_row(X), np.sort(first))
