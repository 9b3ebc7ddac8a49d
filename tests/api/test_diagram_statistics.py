"""DiagramStatistics: diagrams to a feature table, alone, with pandas output and inside cross_val_score."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import layertopo

INF = np.inf
# cloud A: H0 three bars (one essential), H1 one loop of ratio 4 and one short bar; cloud B: no H1
A = [np.array([[0.0, 1.0], [0.0, 3.0], [0.0, INF]]), np.array([[1.0, 4.0], [2.0, 2.5]])]
B = [np.array([[0.0, 2.0], [0.0, INF]]), np.empty((0, 2))]


def test_features_of_two_small_diagram_sets_by_hand():
    stats = layertopo.DiagramStatistics(n_bins=3).fit([A, B])
    names = list(stats.get_feature_names_out())
    assert names[:9] == [
        "h0_bars", "h0_essential", "h0_total_persistence", "h0_max_persistence", "h0_entropy",
        "h0_betti_0", "h0_betti_1", "h0_betti_2", "h1_bars",
    ]  # fmt: skip
    assert "h1_significant" in names and "h0_significant" not in names
    np.testing.assert_allclose(stats.scales_, [[0.0, 1.5, 3.0], [0.0, 2.0, 4.0]])
    table = pd.DataFrame(stats.transform([A, B]), columns=names)
    a, b = table.iloc[0], table.iloc[1]
    assert (a["h0_bars"], a["h0_essential"], a["h0_total_persistence"], a["h0_max_persistence"]) == (3, 1, 4.0, 3.0)
    assert a["h0_entropy"] == pytest.approx(-(0.25 * np.log(0.25) + 0.75 * np.log(0.75)))  # nats
    assert [a[f"h0_betti_{i}"] for i in range(3)] == [3, 2, 1]
    assert (a["h1_bars"], a["h1_significant"], a["h1_max_persistence"]) == (2, 1, 3.0)  # ratio 4 >= 3.5
    assert [a[f"h1_betti_{i}"] for i in range(3)] == [0, 2, 0]  # at 2.0 both bars are alive
    assert (b["h1_bars"], b["h1_total_persistence"], b["h1_entropy"]) == (0, 0.0, 0.0)


def test_pandas_output_has_the_feature_names():
    stats = layertopo.DiagramStatistics(n_bins=2).set_output(transform="pandas")
    frame = stats.fit_transform([A, B])
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(stats.get_feature_names_out())
    assert frame.shape == (2, 2 * 7 + 1)


def test_bad_input_is_reported_per_entry():
    stats = layertopo.DiagramStatistics().fit([A, B])
    with pytest.raises(ValueError, match=r"entry 1: 1 diagrams, expected 2"):
        stats.transform([A, [A[0]]])
    with pytest.raises(ValueError, match=r"entry 0, H1: deaths must be >= births"):
        stats.transform([[A[0], np.array([[2.0, 1.0]])]])
    with pytest.raises(ValueError, match="n_bins"):
        layertopo.DiagramStatistics(n_bins=-1).fit([A])
    with pytest.raises(ValueError, match="invalid DiagramStatistics parameters"):
        layertopo.DiagramStatistics(alpha=2.0).fit([A])


def test_a_pipeline_from_clouds_to_a_classifier_in_cross_val_score():
    rng = np.random.default_rng(0)
    angles = rng.uniform(0, 2 * np.pi, (12, 50))
    circles = [np.c_[np.cos(t), np.sin(t)] + rng.normal(0, 0.05, (50, 2)) for t in angles]
    blobs = [rng.normal(0, 0.5, (50, 2)) for _ in range(12)]
    pipe = make_pipeline(
        layertopo.PersistenceDiagrams(maxdim=1), layertopo.DiagramStatistics(), StandardScaler(), LogisticRegression()
    )
    scores = cross_val_score(pipe, circles + blobs, np.repeat([1, 0], 12), cv=3)
    assert scores.min() == 1.0


def test_the_entry_named_in_an_error_is_the_one_given():
    stats = layertopo.DiagramStatistics().fit([A, B])
    with pytest.raises(ValueError, match=r"entry 2: 1 diagrams, expected 2") as info:
        stats.transform([A, np.ones((3, 2)), [A[0]]])  # entry 1 is one array, entry 2 has too few diagrams
    assert "entry 1: expected a list of diagrams" in str(info.value)
    with pytest.raises(ValueError, match=r"entry 0: no diagrams"):
        layertopo.DiagramStatistics().fit([[]])
    with pytest.raises(ValueError, match="n_bins"):
        layertopo.DiagramStatistics(n_bins=True).fit([A])
