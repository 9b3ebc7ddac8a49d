"""The best accuracy any classifier can reach on a dataset, and on a rank-k linear projection of it.

Both numbers come from the true class densities, not from data. The classes are balanced, so a
classifier's accuracy is at most the Bayes accuracy ``1/2 * integral of max(p0, p1)``.

* **Isotropic datasets** (``concentric_spheres``, ``shells``): each class is a radius law (a mixture of
  uniform laws and spheres) times a uniform direction, plus isotropic Gaussian noise. The Bayes
  classifier depends only on ``t = |x|``, so the Bayes accuracy is a one-dimensional integral. A
  network whose first hidden layer has ``k < d`` units sees only ``P x`` for some rank-k linear
  map ``P``. By symmetry every such projection loses the same amount, and the best classifier of
  ``P x`` depends only on ``t = |P x|``, where ``|P u|^2 ~ Beta(k/2, (d-k)/2)`` for a uniform
  direction ``u``. Its accuracy is the
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
RADIUS_NODES = 64
SHARE_NODES = 48
T_POINTS = 20_001
#: with noise the densities of |P x| are smooth: a coarser grid gives the same integral to 1e-5
T_POINTS_NOISY = 2_001
#: grid points of t whose densities are evaluated at once
T_BLOCK = 256
#: points whose densities are evaluated at once in Monte Carlo
MC_BLOCK = 2048


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

#: a radius law: a mixture [(weight, low, high), ...] of laws uniform on [low, high] (low == high: a sphere)
RadiusLaw = list[tuple[float, float, float]]


def radius_nodes(law: RadiusLaw) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes and weights of a radius law (Gauss-Legendre on each uniform part, one node per sphere)."""
    nodes, weights = [], []
    x, w = np.polynomial.legendre.leggauss(RADIUS_NODES)
    for weight, low, high in law:
        if weight == 0:
            continue
        if high == low:
            nodes.append(np.array([low]))
            weights.append(np.array([weight]))
        else:
            nodes.append(low + (x + 1) * (high - low) / 2)
            weights.append(weight * w / 2)
    return np.concatenate(nodes), np.concatenate(weights)


def isotropic_accuracy(laws: tuple[RadiusLaw, RadiusLaw], dim: int, noise: float, k: int | None = None) -> Accuracy:
    """Bayes accuracy of two isotropic classes, or (``k < dim``) its ceiling on a rank-k projection.

    Parameters
    ----------
    laws : (law of class 0, law of class 1)
        The radius of class c follows ``laws[c]``, a mixture [(weight, low, high), ...] of uniform laws
        (low == high: a sphere); the direction is uniform.
    dim : int
        Ambient dimension d.
    noise : float
        Standard deviation of the isotropic Gaussian noise added to every coordinate.
    k : int, optional
        Rank of the projection (None or >= dim: no projection).
    """
    k = dim if k is None or k >= dim else k
    if k == dim and noise == 0:
        return Accuracy(float(_piecewise_accuracy(*laws)), 0.0, "exact")
    top = max(high for law in laws for _, _, high in law) + 10 * noise
    t = np.linspace(0.0, top, T_POINTS if noise == 0 else T_POINTS_NOISY)[1:]
    densities = [_norm_density(t, radius_nodes(law), dim, noise, k) for law in laws]
    best = np.trapezoid(np.maximum(*densities), t) / 2
    return Accuracy(float(min(best, 1.0)), QUADRATURE_ERROR, "quadrature")


def _piecewise_accuracy(law0: RadiusLaw, law1: RadiusLaw) -> float:
    """1/2 (sum over spheres of the larger mass there + integral of max(p0, p1) over the uniform parts)."""
    spheres: dict[float, list[float]] = {}
    for c, law in enumerate((law0, law1)):
        for weight, low, high in law:
            if low == high:
                spheres.setdefault(low, [0.0, 0.0])[c] += weight
    total = sum(max(masses) for masses in spheres.values())
    edges = np.unique([r for law in (law0, law1) for _, low, high in law if low < high for r in (low, high)])
    for left, right in zip(edges[:-1], edges[1:], strict=True):
        mid = (left + right) / 2
        heights = [sum(w / (hi - lo) for w, lo, hi in law if lo < hi and lo <= mid <= hi) for law in (law0, law1)]
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
    centrality = (radius[None, :] / noise) ** 2
    density = np.empty_like(t)
    for i in range(0, len(t), T_BLOCK):  # |radius e + noise z_k|^2 / noise^2 is noncentral chi-square, k dof
        block = t[i : i + T_BLOCK, None]
        density[i : i + T_BLOCK] = (stats.ncx2.pdf((block / noise) ** 2, k, centrality) * 2 * block / noise**2) @ weight
    return density


# --- Monte Carlo over the exact densities --------------------------------------------------------------


def monte_carlo_accuracy(log_densities, sample, n: int = 100_000, random_state: int = 0) -> Accuracy:
    """``E[max_c P(c | x)]`` over ``x`` drawn from the balanced mixture, with its standard error.

    Parameters
    ----------
    log_densities : callable
        ``X (n, d) -> (n, 2)`` log density of each class at each point (any common constant).
    sample : callable
        ``(rng, n) -> X (n, d)`` draws of the balanced mixture.
    """
    rng = np.random.default_rng(random_state)
    X = sample(rng, n)
    logs = np.concatenate([log_densities(X[i : i + MC_BLOCK]) for i in range(0, n, MC_BLOCK)])
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
