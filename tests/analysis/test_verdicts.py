"""Training verdicts against the Bayes accuracy, on small hand-made histories."""

import numpy as np
import pandas as pd
import pytest

from layertopo.analysis import training_verdicts


def _history(train: list[float], test: list[float], test_loss: list[float]) -> pd.DataFrame:
    """Two seeds with the same curves; one row per (seed, epoch, split)."""
    rows = []
    for seed in (0, 1):
        for epoch, (a_train, a_test, loss) in enumerate(zip(train, test, test_loss, strict=True)):
            rows.append(
                {"model": "m", "seed": seed, "epoch": epoch, "split": "train", "loss": 0.1, "accuracy": a_train}
            )
            rows.append({"model": "m", "seed": seed, "epoch": epoch, "split": "test", "loss": loss, "accuracy": a_test})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("train", "memorises"),
    [(0.9995, True), (0.986, True), (0.984, False), (0.970, False)],  # Bayes 0.970: the line is 0.985
)
def test_memorising_means_a_train_accuracy_half_the_bayes_error_above_bayes(train, memorises):
    history = _history([0.6, train], [0.6, 0.945], [0.5, 0.2])
    (verdict,) = training_verdicts(history, bayes=0.97)
    assert verdict.memorises is memorises
    assert verdict.learned and not verdict.overfits  # 0.945 is 94 % of the way from 0.5 to 0.97; loss fell
    assert ("memorises training points" in verdict.sentence) is memorises


def test_a_separable_task_never_counts_as_memorised():
    (verdict,) = training_verdicts(_history([0.6, 1.0], [0.6, 0.99], [0.5, 0.1]), bayes=1.0)
    assert not verdict.memorises and verdict.learned
    assert np.isclose(verdict.share_of_bayes, 0.98)


def test_a_gap_with_a_rising_test_loss_is_overfitting():
    (verdict,) = training_verdicts(_history([0.6, 0.9, 0.99], [0.6, 0.9, 0.9], [0.5, 0.2, 0.3]), bayes=0.97)
    assert verdict.overfits and "it overfits (train-test gap +0.090, test loss 0.100 above its minimum)" in (
        verdict.sentence
    )
