import numpy as np
import pytest

from layertopo.data import DATASETS, concentric_spheres, linked_circles, make_dataset


@pytest.mark.parametrize("kind", sorted(DATASETS))
def test_every_dataset_is_balanced_standardised_and_seeded(kind):
    data = make_dataset(kind, n_train=400, n_test=200, dim=12, noise=0.0, seed=3)
    assert data.X_train.shape == (400, 12) and data.X_test.shape == (200, 12)
    assert data.X_train.dtype == np.float32
    assert np.bincount(data.y_train).tolist() == [200, 200]
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.X_train.std(axis=0), 1, atol=1e-4)
    again = make_dataset(kind, n_train=400, n_test=200, dim=12, noise=0.0, seed=3)
    np.testing.assert_array_equal(data.X_test, again.X_test)
    other = make_dataset(kind, n_train=400, n_test=200, dim=12, noise=0.0, seed=4)
    assert not np.array_equal(data.X_train, other.X_train)
    assert set(data.betti) == {0, 1}


def test_train_and_test_are_independent_draws():
    data = concentric_spheres(300, 300, 5, random_state=0)
    assert not np.allclose(data.X_train, data.X_test)


def test_concentric_spheres_radii_ratio_survives_isotropic_standardisation():
    data = concentric_spheres(4000, 10, 12, radii=(1.0, 1.3), random_state=0)
    norms = np.linalg.norm(data.X_train, axis=1)
    ratio = norms[data.y_train == 1].mean() / norms[data.y_train == 0].mean()
    assert ratio == pytest.approx(1.3, rel=0.03)
    # each class lies on a thin shell: relative spread of norms well below the gap
    assert norms[data.y_train == 0].std() / norms[data.y_train == 0].mean() < 0.05
    assert data.betti[0] == (1,) + (0,) * 10 + (1,)


def test_linked_circles_have_one_loop_each_and_need_three_dimensions():
    data = linked_circles(200, 100, 6, noise=0.0, random_state=1)
    assert data.betti == {0: (1, 1), 1: (1, 1)}
    with pytest.raises(ValueError, match="dim >= 3"):
        linked_circles(10, 10, 2)


def test_unknown_dataset_lists_choices():
    with pytest.raises(ValueError, match="concentric_spheres"):
        make_dataset("moons", n_train=10, n_test=10, dim=3, noise=0, seed=0)
