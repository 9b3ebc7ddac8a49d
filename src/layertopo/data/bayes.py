"""The best accuracy any classifier can reach on a dataset, and on a rank-k linear projection of it.

Both numbers come from the true class densities, not from data. The classes are balanced, so a
classifier's accuracy is at most the Bayes accuracy ``1/2 * integral of max(p0, p1)``.

* **Isotropic datasets** (``concentric_spheres``, ``shells``): each class is a radius distribution
  times a uniform direction, plus isotropic Gaussian noise. The Bayes classifier depends only on
  ``t = |x|``, so the Bayes accuracy is a one-dimensional integral. A network whose first hidden layer
  has ``k < d`` units sees only ``P x`` for some rank-k linear map ``P``. By symmetry every such
  projection loses the same amount, and the best classifier of ``P x`` depends only on ``t = |P x|``,
  where ``|P u|^2 ~ Beta(k/2, (d-k)/2)`` for a uniform direction ``u``. Its accuracy is the
  *rank-k ceiling*: no network whose first layer has ``k`` units can beat it (an affine map of rank k
  loses the same). Both are computed by quadrature (Gauss-Legendre over the radius and the projected
  share, trapezoid over ``t``; ``QUADRATURE_ERROR``).
* **Other datasets** (``intersecting_spheres``, ``linked_circles``): Monte Carlo over samples of the
  exact densities, with its standard error. They have no rank-k ceiling here, because their best
  projection is not known in closed form.

Standardising the inputs (an affine map) changes neither number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

#: largest error of the quadrature, measured against 2e6-sample Monte Carlo (tests/data/test_bayes.py)
QUADRATURE_ERROR = 1e-3
RADIUS_NODES = 96
SHARE_NODES = 96
T_POINTS = 20_001


@dataclass(frozen=True)
class Accuracy:
    """A best possible accuracy and how it was obtained.

    Attributes
    ----------
    value : float
    error : float
        Quadrature bound, or the Monte Carlo standard error.
    method : str
        ``"exact"``, ``"quadrature"`` or ``"monte carlo (n samples)"``.
    """

    value: float
    error: float
    method: str

    def as_dict(self) -> dict[str, float | str]:
        return {"value": self.value, "error": self.error, "method": self.method}


# --- radius distributions of the isotropic datasets ----------------------------------------------------


def radius_nodes(low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes and weights of a radius uniform on [low, high] (one node when low == high)."""
    if high == low:
        return np.array([low]), np.array([1.0])
    x, w = np.polynomial.legendre.leggauss(RADIUS_NODES)
    return low + (x + 1) * (high - low) / 2, w / 2


def isotropic_accuracy(
    radii: tuple[tuple[float, float], tuple[float, float]], dim: int, noise: float, k: int | None = None
) -> Accuracy:
    """Bayes accuracy of two isotropic classes, or (``k < dim``) its ceiling on a rank-k projection.

    Parameters
    ----------
    radii : ((low0, high0), (low1, high1))
        Radius of class c uniform on [low_c, high_c] (low == high: a sphere).
    dim : int
        Ambient dimension d.
    noise : float
        Standard deviation of the isotropic Gaussian noise added to every coordinate.
    k : int, optional
        Rank of the projection (None or >= dim: no projection).
    """
    k = dim if k is None or k >= dim else k
    if k == dim and noise == 0:
        return Accuracy(_uniform_overlap_accuracy(*radii), 0.0, "exact")
    top = max(high for _, high in radii) + 10 * noise
    t = np.linspace(0.0, top, T_POINTS)[1:]
    densities = [_norm_density(t, radius_nodes(*r), dim, noise, k) for r in radii]
    best = np.trapezoid(np.maximum(*densities), t) / 2
    return Accuracy(float(min(best, 1.0)), QUADRATURE_ERROR, "quadrature")


def _uniform_overlap_accuracy(a: tuple[float, float], b: tuple[float, float]) -> float:
    """1/2 * integral of max(u0, u1) for radii uniform on the intervals a and b (points: spheres)."""
    if a[0] == a[1] or b[0] == b[1]:  # a sphere has no volume: the other class wins everywhere else
        return 0.5 if a == b else 1.0
    edges = np.unique([*a, *b])
    total = 0.0
    for left, right in zip(edges[:-1], edges[1:], strict=True):
        mid = (left + right) / 2
        heights = [1 / (hi - lo) if lo <= mid <= hi else 0.0 for lo, hi in (a, b)]
        total += (right - left) * max(heights)
    return total / 2


def _norm_density(t: np.ndarray, nodes: tuple[np.ndarray, np.ndarray], dim: int, noise: float, k: int) -> np.ndarray:
    """Density of ``|P x|`` at ``t`` for x = r u + noise, r from ``nodes``, P a rank-k projection (k == dim: none)."""
    r, w_r = nodes
    if noise == 0:  # k < dim here: t = r sqrt(B), B ~ Beta(k/2, (d-k)/2); density of sqrt(B) is 2 s beta(s^2)
        s = t[:, None] / r[None, :]
        share = np.where(s < 1, 2 * s * stats.beta.pdf(np.minimum(s, 1) ** 2, k / 2, (dim - k) / 2), 0.0)
        return (share / r[None, :]) @ w_r
    if k == dim:
        scale, w_s = np.ones(1), np.ones(1)
    else:  # |P u| = sqrt(B): Gauss-Legendre nodes mapped through the Beta quantiles
        x, w = np.polynomial.legendre.leggauss(SHARE_NODES)
        scale, w_s = np.sqrt(stats.beta.ppf((x + 1) / 2, k / 2, (dim - k) / 2)), w / 2
    radius = (r[:, None] * scale[None, :]).ravel()  # the noiseless |P x| of each node
    weight = (w_r[:, None] * w_s[None, :]).ravel()
    # |radius * e + noise * z_k|^2 / noise^2 is noncentral chi-square with k degrees of freedom
    x = (t[:, None] / noise) ** 2
    density = stats.ncx2.pdf(x, k, (radius[None, :] / noise) ** 2) * 2 * t[:, None] / noise**2
    return density @ weight


# --- Monte Carlo over the exact densities --------------------------------------------------------------


def monte_carlo_accuracy(log_densities, sample, n: int = 200_000, random_state: int = 0) -> Accuracy:
    """``E[max_c P(c | x)]`` over ``x`` drawn from the balanced mixture, with its standard error.

    Parameters
    ----------
    log_densities : callable
        ``X (n, d) -> (n, 2)`` log density of each class at each point (any common constant).
    sample : callable
        ``(rng, n) -> X (n, d)`` draws of the balanced mixture.
    """
    rng = np.random.default_rng(random_state)
    logs = log_densities(sample(rng, n))
    posterior = np.exp(logs - special.logsumexp(logs, axis=1, keepdims=True))
    best = posterior.max(axis=1)
    return Accuracy(float(best.mean()), float(best.std(ddof=1) / np.sqrt(n)), f"monte carlo ({n} samples)")


def log_sphere_density(X: np.ndarray, centre: np.ndarray, radius: float, noise: float) -> np.ndarray:
    """log density in R^d of ``centre + radius * u + noise * z`` (u uniform on the sphere), up to a constant."""
    d = X.shape[1]
    s = np.linalg.norm(X - centre, axis=1)
    kappa = np.maximum(radius * s / noise**2, 1e-300)
    nu = d / 2 - 1
    # E_u exp(kappa u_1) = Gamma(d/2) (kappa/2)^(-nu) I_nu(kappa); ive(nu, kappa) = I_nu(kappa) exp(-kappa)
    log_mean = special.gammaln(d / 2) - nu * np.log(kappa / 2) + np.log(special.ive(nu, kappa)) + kappa
    return -(s**2 + radius**2) / (2 * noise**2) + log_mean


def log_circle_density(X: np.ndarray, circle: np.ndarray, noise: float) -> np.ndarray:
    """log density of ``circle(t) + noise * z``, t uniform; ``circle`` holds points (m, d) of the circle."""
    squared = ((X[:, None, :] - circle[None, :, :]) ** 2).sum(axis=2)
    return special.logsumexp(-squared / (2 * noise**2), axis=1) - np.log(len(circle))
