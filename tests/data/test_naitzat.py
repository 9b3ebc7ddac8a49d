import numpy as np
import pytest

from layertopo.data import naitzat
from layertopo.data.naitzat import NAITZAT_BETTI, NAITZAT_DATASETS, naitzat_d1, naitzat_d2, naitzat_d3
from layertopo.topology.fixed_scale import knn_betti_numbers


def min_distance(A: np.ndarray, B: np.ndarray) -> float:
    from scipy.spatial import cKDTree

    return float(cKDTree(B).query(A)[0].min())


def test_d1_layout_and_sizes():
    data = naitzat_d1((50, 800), random_state=1)
    a, b = data.X_train[data.y_train == 0], data.X_train[data.y_train == 1]
    assert a.shape == (450, 2) and b.shape == (800, 2) and data.X_test.shape == (1250, 2)
    to_centre = np.linalg.norm(a[:, None] - naitzat.D1_CENTRES[None], axis=2).min(axis=1)
    assert to_centre.max() <= naitzat.D1_DISK_RADIUS + 1e-6
    assert np.abs(b).max() <= 1.0
    hole = np.linalg.norm(b[:, None] - naitzat.D1_CENTRES[None], axis=2).min(axis=1)
    assert hole.min() > naitzat.D1_HOLE_RADIUS - 1e-6
    assert min_distance(a, b) >= naitzat.D1_HOLE_RADIUS - naitzat.D1_DISK_RADIUS - 1e-6


def test_d2_tori_are_linked_and_apart():
    data = naitzat_d2(60, random_state=2)
    a, b = data.X_train[data.y_train == 0], data.X_train[data.y_train == 1]
    assert a.shape == b.shape == (540, 3)
    assert min_distance(a, b) >= naitzat.D2_MAJOR_RADIUS - 2 * naitzat.D2_TUBE_RADIUS - 1e-5
    # the first unit's class-b torus passes through the hole of its class-a torus (the centre of the unit)
    centre = np.array([-naitzat.D2_SPACING[0], -naitzat.D2_SPACING[1], 0.0])
    unit_b = b[:60] - centre
    assert np.linalg.norm(unit_b, axis=1).min() < naitzat.D2_TUBE_RADIUS + 1e-5
    assert np.abs(a[:60, 2] - centre[2]).max() <= naitzat.D2_TUBE_RADIUS + 1e-5


def test_d3_shells_are_nested():
    data = naitzat_d3(50, random_state=3)
    a, b = data.X_train[data.y_train == 0], data.X_train[data.y_train == 1]
    assert a.shape == (450, 3) and b.shape == (900, 3)
    centres = np.array([(i * naitzat.D3_SPACING, j * naitzat.D3_SPACING, 0.0) for j in (-1, 0, 1) for i in (-1, 0, 1)])
    radius_a = np.linalg.norm(a[:, None] - centres[None], axis=2).min(axis=1)
    assert naitzat.D3_MIDDLE[0] - 1e-5 <= radius_a.min() and radius_a.max() <= naitzat.D3_MIDDLE[1] + 1e-5
    radius_b = np.linalg.norm(b[:, None] - centres[None], axis=2).min(axis=1)
    assert ((radius_b <= naitzat.D3_INNER[1] + 1e-5) | (radius_b >= naitzat.D3_OUTER[0] - 1e-5)).all()


@pytest.mark.parametrize("name", list(NAITZAT_DATASETS))
def test_draws_are_seeded(name):
    size = (20, 300) if name == "D-I" else 30
    first, again = NAITZAT_DATASETS[name](size, random_state=5), NAITZAT_DATASETS[name](size, random_state=5)
    np.testing.assert_array_equal(first.X_train, again.X_train)
    assert not np.array_equal(first.X_train, first.X_test)
    assert not np.array_equal(first.X_train, NAITZAT_DATASETS[name](size, random_state=6).X_train)


@pytest.mark.parametrize("name", list(NAITZAT_DATASETS))
def test_input_betti_numbers_are_recovered_by_the_knn_method(name):
    """The CI variant of the reproduction: configs/naitzat.yaml sizes, k = 14, 3 hops, seed 0."""
    data = NAITZAT_DATASETS[name](random_state=0)
    maxdim = len(NAITZAT_BETTI[name][0]) - 1
    for label in (0, 1):
        cloud = data.X_train[data.y_train == label]
        assert knn_betti_numbers(cloud, k=14, scale=3, maxdim=maxdim).betti == NAITZAT_BETTI[name][label]
