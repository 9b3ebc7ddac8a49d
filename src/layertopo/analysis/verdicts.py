"""Verdicts on training, computed from ``history.parquet`` only.

Per model, over seeds, at the last epoch: mean and std of train and test accuracy. A model
*learned* when its mean test accuracy reaches ``learned_at``; it is *stuck* when even its mean
train accuracy stays below ``stuck_below`` (it cannot fit the training set); it *overfits* when the
mean train-test accuracy gap exceeds ``gap_tolerance`` or its mean test loss ends more than
``loss_rise`` above its minimum over epochs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ModelVerdict:
    model: str
    n_seeds: int
    epoch: int
    test_accuracy: float
    test_accuracy_std: float
    train_accuracy: float
    train_accuracy_std: float
    test_loss_final: float
    test_loss_min: float
    learned: bool
    stuck: bool
    overfits: bool
    diverged_seeds: int
    sentence: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def training_verdicts(
    history: pd.DataFrame,
    *,
    status: dict[str, str] | None = None,
    learned_at: float = 0.95,
    stuck_below: float = 0.8,
    gap_tolerance: float = 0.03,
    loss_rise: float = 0.1,
) -> list[ModelVerdict]:
    """One verdict per model from a history table with columns model, seed, epoch, split, loss, accuracy.

    ``status`` maps ``"model/seed"`` to ``finished`` or ``diverged``; diverged seeds are counted and
    excluded from the means.
    """
    status = status or {}
    verdicts = []
    for model, rows in history.groupby("model", sort=False):
        diverged = {s for s in rows["seed"].unique() if status.get(f"{model}/{s}") == "diverged"}
        ok = rows[~rows["seed"].isin(diverged)]
        if ok.empty:
            verdicts.append(_diverged_verdict(str(model), len(diverged)))
            continue
        last = int(ok["epoch"].max())
        final = ok[ok["epoch"] == last].pivot_table(index="seed", columns="split", values="accuracy")
        test_loss = ok[ok["split"] == "test"].groupby("epoch")["loss"].mean()
        test_acc, train_acc = final["test"], final["train"]
        learned = bool(test_acc.mean() >= learned_at)
        stuck = bool(train_acc.mean() < stuck_below)
        overfits = bool(
            (train_acc.mean() - test_acc.mean()) > gap_tolerance or (test_loss.iloc[-1] - test_loss.min()) > loss_rise
        )
        verdict = ModelVerdict(
            model=str(model),
            n_seeds=int(final.shape[0]),
            epoch=last,
            test_accuracy=float(test_acc.mean()),
            test_accuracy_std=float(test_acc.std(ddof=0)),
            train_accuracy=float(train_acc.mean()),
            train_accuracy_std=float(train_acc.std(ddof=0)),
            test_loss_final=float(test_loss.iloc[-1]),
            test_loss_min=float(test_loss.min()),
            learned=learned,
            stuck=stuck,
            overfits=overfits,
            diverged_seeds=len(diverged),
            sentence="",
        )
        verdicts.append(_with_sentence(verdict))
    return verdicts


def _with_sentence(v: ModelVerdict) -> ModelVerdict:
    accuracy = (
        f"test accuracy {v.test_accuracy:.3f} ± {v.test_accuracy_std:.3f} over {v.n_seeds} seeds at epoch {v.epoch}"
    )
    if v.learned:
        head = f"'{v.model}' learned the task: {accuracy}"
    elif v.stuck:
        head = (
            f"'{v.model}' is stuck: it cannot even fit the training set "
            f"(train accuracy {v.train_accuracy:.3f}); {accuracy}"
        )
    else:
        head = f"'{v.model}' learned only partly: {accuracy}"
    gap = v.train_accuracy - v.test_accuracy
    if v.overfits:
        tail = (
            f"; it overfits (train-test gap {gap:+.3f}, test loss {v.test_loss_final:.3f} vs its minimum "
            f"{v.test_loss_min:.3f})"
        )
    else:
        rise = v.test_loss_final - v.test_loss_min
        tail = f"; no overfitting (train-test gap {gap:+.3f}, test loss within {rise:.3f} of its minimum)"
    diverged = f"; {v.diverged_seeds} seed(s) diverged and are excluded" if v.diverged_seeds else ""
    return ModelVerdict(**{**v.as_dict(), "sentence": head + tail + diverged + "."})


def _diverged_verdict(model: str, n: int) -> ModelVerdict:
    nan = float(np.nan)
    return ModelVerdict(
        model,
        0,
        0,
        nan,
        nan,
        nan,
        nan,
        nan,
        nan,
        False,
        False,
        False,
        n,
        f"'{model}' diverged in all {n} seeds: no verdict.",
    )
