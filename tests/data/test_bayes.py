"""Bayes accuracies and rank-k ceilings against known values and independent Monte Carlo."""

import numpy as np
import pytest
from scipy import stats

from layertopo.data.bayes import (
    QUADRATURE_ERROR,
    isotropic_accuracy,
    log_circle_density,
    log_sphere_density,
    monte_carlo_accuracy,
)
from layertopo.data.synthetic import shell_radius_laws


def test_separated_spheres_have_bayes_one_and_the_known_rank_k_ceilings():
    """Concentric spheres r = 1 and 1.3 in R^12: any classifier of a rank-k projection is capped at
    0.566 / 0.606 / 0.641 / 0.675 for k = 1..4 (measured by Monte Carlo when issue 15 was filed)."""
    spheres = ([(1.0, 1.0, 1.0)], [(1.0, 1.3, 1.3)])
    assert isotropic_accuracy(spheres, 12, 0.0).value == 1.0
    ceilings = [isotropic_accuracy(spheres, 12, 0.0, k).value for k in (1, 2, 3, 4)]
    np.testing.assert_allclose(ceilings, [0.566, 0.606, 0.641, 0.675], atol=1e-3)


def test_shells_bayes_is_the_closed_form():
    """Radius uniform on [1, 1.3] and [1.28, 1.58]: the overlap 0.02 is split evenly, error 0.5 * 0.02 / 0.3."""
    accuracy = isotropic_accuracy(([(1.0, 1.0, 1.3)], [(1.0, 1.28, 1.58)]), 12, 0.0)
    assert accuracy.method == "exact" and accuracy.value == pytest.approx(1 - 0.5 * 0.02 / 0.3)
    assert isotropic_accuracy(([(1.0, 1.0, 2.0)], [(1.0, 1.9, 2.9)]), 12, 0.0).value == pytest.approx(0.95)


def test_shells_with_a_halo_lose_half_the_halo():
    """The default dataset: 6 % of each class spread over the whole span, where both classes are equally likely."""
    laws = shell_radius_laws((0.95, 1.05), (1.25, 1.35), 0.06)
    assert laws[0] == [(0.94, 0.95, 1.05), (0.06, 0.95, 1.35)]
    assert isotropic_accuracy(laws, 12, 0.0).value == pytest.approx(0.97)


def _histogram_bayes(t0: np.ndarray, t1: np.ndarray, bins: int = 400) -> float:
    """Bayes accuracy of two 1-D samples from their histograms (independent of the quadrature)."""
    edges = np.linspace(0, max(t0.max(), t1.max()), bins + 1)
    h0, _ = np.histogram(t0, edges)
    h1, _ = np.histogram(t1, edges)
    return float(np.maximum(h0 / len(t0), h1 / len(t1)).sum() / 2)


CASES = [
    (shell_radius_laws((0.95, 1.05), (1.25, 1.35), 0.06), 0.0, 3),
    (([(1.0, 1.0, 1.3)], [(1.0, 1.28, 1.58)]), 0.0, 3),
    (([(1.0, 1.0, 1.0)], [(1.0, 1.3, 1.3)]), 0.05, 2),
]


@pytest.mark.parametrize(("laws", "noise", "k"), CASES)
def test_quadrature_matches_sampling(laws, noise, k):
    rng = np.random.default_rng(0)
    n, dim = 1_000_000, 12
    norms = []
    for law in laws:
        part = rng.choice(len(law), size=n, p=[w for w, _, _ in law])
        r = rng.uniform(np.array([lo for _, lo, _ in law])[part], np.array([hi for _, _, hi in law])[part])
        share = np.sqrt(rng.beta(k / 2, (dim - k) / 2, n))
        projected = r[:, None] * share[:, None] * _unit(rng, n, k) + noise * rng.standard_normal((n, k))
        norms.append(np.linalg.norm(projected, axis=1))
    sampled = _histogram_bayes(*norms)
    assert isotropic_accuracy(laws, dim, noise, k).value == pytest.approx(sampled, abs=QUADRATURE_ERROR + 2e-3)


def _unit(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    X = rng.standard_normal((n, k))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_noisy_sphere_log_density_integrates_to_the_right_norm_law():
    """Up to its constant, the sphere-plus-noise density in R^d gives |x| the noncentral-chi law."""
    rng = np.random.default_rng(1)
    d, r, sigma = 5, 1.0, 0.3
    s = np.linspace(0.2, 2.0, 50)
    X = np.c_[s, np.zeros((50, d - 1))]
    log_p = log_sphere_density(X, np.zeros(d), r, sigma) + (d - 1) * np.log(s)
    expected = np.log(stats.ncx2.pdf((s / sigma) ** 2, d, (r / sigma) ** 2) * 2 * s / sigma**2)
    difference = log_p - expected
    assert np.ptp(difference) < 1e-8  # equal up to one constant
    del rng


def test_monte_carlo_agrees_with_quadrature_on_noisy_spheres():
    d, sigma = 12, 0.05

    def sample(rng, n):
        y = rng.integers(0, 2, n)
        return _unit(rng, n, d) * np.where(y == 1, 1.3, 1.0)[:, None] + sigma * rng.standard_normal((n, d))

    def logs(X):
        return np.c_[log_sphere_density(X, np.zeros(d), 1.0, sigma), log_sphere_density(X, np.zeros(d), 1.3, sigma)]

    estimate = monte_carlo_accuracy(logs, sample, n=100_000)
    exact = isotropic_accuracy(([(1.0, 1.0, 1.0)], [(1.0, 1.3, 1.3)]), d, sigma).value
    assert abs(estimate.value - exact) < 4 * estimate.error + QUADRATURE_ERROR


def test_circle_density_is_a_mixture_over_the_circle():
    t = np.linspace(0, 2 * np.pi, 256, endpoint=False)
    circle = np.c_[np.cos(t), np.sin(t)]
    near, far = log_circle_density(np.array([[1.0, 0.0], [0.0, 0.0]]), circle, 0.1)
    assert near > far + 40  # the centre is 10 noise widths from every point of the circle
