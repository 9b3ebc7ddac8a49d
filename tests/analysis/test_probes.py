import numpy as np
from sklearn.linear_model import RidgeClassifierCV, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

from layertopo.analysis.probes import ALPHAS, linear_probes


def test_probes_read_the_radius_and_the_class_where_a_layer_holds_them():
    """A layer holding the input's squared norm among noise reads the radius (R² near 1) and the class; the raw
    input of two shells holds neither linearly (a radius threshold is not a linear function of the
    coordinates): the probes must tell the two apart."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6))
    radius = np.linalg.norm(X, axis=1)
    labels = (radius > np.median(radius)).astype(int)
    layers = {"input": X, "radius": np.c_[radius**2, rng.normal(size=(600, 3))], "dead": np.zeros((600, 4))}
    rows = {row["layer"]: row for row in linear_probes(layers, radius, labels)}
    assert rows["radius"]["radius_r2"] > 0.95 and rows["radius"]["class_accuracy"] > 0.85
    assert rows["input"]["radius_r2"] < 0.1 and rows["input"]["class_accuracy"] < 0.65
    assert np.isnan(rows["dead"]["radius_r2"]) and np.isnan(rows["dead"]["class_accuracy"])


def test_probes_equal_scikit_learns_default_ridge_cross_validation():
    """The probes use one SVD per fit (gcv_mode="svd"); scikit-learn's default decomposition must give the same
    scores: the same penalties chosen, so equal accuracies and R² to rounding."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 20)) @ rng.normal(size=(20, 20))
    radius = np.linalg.norm(X[:, :5], axis=1) + 0.1 * rng.normal(size=500)
    labels = rng.integers(0, 3, 500)
    labels[X[:, 0] > 1] = 0
    (row,) = linear_probes({"layer": X}, radius, labels)
    classify, regress = StratifiedKFold(3, shuffle=True, random_state=0), KFold(3, shuffle=True, random_state=0)
    accuracy = cross_val_score(RidgeClassifierCV(alphas=ALPHAS), X, labels, cv=classify).mean()
    r2 = cross_val_score(RidgeCV(alphas=ALPHAS), X, radius, cv=regress, scoring="r2").mean()
    assert row["class_accuracy"] == accuracy
    assert abs(row["radius_r2"] - r2) < 1e-9
