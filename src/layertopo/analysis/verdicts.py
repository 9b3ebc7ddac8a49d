"""Verdicts on training, computed from ``history.parquet`` and the dataset's best possible accuracies.

Per model, over seeds, at the last epoch: mean and standard deviation of train and test accuracy. Accuracy is
judged against the **Bayes accuracy** (what the best possible classifier reaches on this data) rather
than against 1, by the share of the way from chance to it, ``(accuracy - chance) / (bayes - chance)``:

* *learned*: the mean test accuracy covers at least ``learned_share`` (90 %) of that way;
* *stuck*: even the mean train accuracy covers less than ``stuck_share`` (half) of it;
* *partly* otherwise.

A model *overfits* when its train-test gap exceeds ``gap_tolerance`` **and** its mean test loss ends more
than ``loss_rise`` above its minimum over epochs: the gap costs it on new data. A train accuracy above the
Bayes accuracy by more than half the Bayes error (0.985 for Bayes 0.970: four standard deviations of the Bayes
classifier's own accuracy on 2000 training points) means it *memorises* points that even the best classifier
gets wrong; that is said, but it is not overfitting unless the test loss rises. With a validation split, the
epoch of lowest validation loss (where a practitioner would stop) is recorded per seed, with the test
accuracy there. A model whose first hidden layer has ``k`` units sees only a rank-k projection of the input:
its *ceiling* is the best accuracy any classifier of such a projection can reach.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

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
    bayes_accuracy: float = np.nan
    chance: float = 0.5
    share_of_bayes: float = np.nan
    memorises: bool = False
    ceiling: float = np.nan
    first_width: int = 0
    selected_epochs: list[int] = field(default_factory=list)
    selected_test_accuracy: float = np.nan
    selected_test_accuracy_std: float = np.nan

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def training_verdicts(
    history: pd.DataFrame,
    *,
    status: dict[str, str] | None = None,
    bayes: float | None = None,
    ceilings: dict[str, dict] | None = None,
    chance: float = 0.5,
    learned_share: float = 0.9,
    stuck_share: float = 0.5,
    gap_tolerance: float = 0.03,
    loss_rise: float = 0.05,
) -> list[ModelVerdict]:
    """One verdict per model from a history table with columns model, seed, epoch, split, loss, accuracy.

    Parameters
    ----------
    history : the training history (splits ``train``, ``test`` and optionally ``val``)
    status : ``"model/seed"`` -> ``finished`` or ``diverged``; diverged seeds are counted and excluded
    bayes : the Bayes accuracy of the data (None: 1, a separable task)
    ceilings : model -> ``{"first_width": k, "value": ceiling, ...}`` for models whose first hidden layer is
        narrower than the input (the manifest's ``data.ceilings``)
    chance : the accuracy of always answering the majority class
    """
    status, ceilings = status or {}, ceilings or {}
    bayes = 1.0 if bayes is None or not np.isfinite(bayes) else float(bayes)
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
        share = float((test_acc.mean() - chance) / (bayes - chance)) if bayes > chance else np.nan
        train_share = float((train_acc.mean() - chance) / (bayes - chance)) if bayes > chance else np.nan
        gap = float(train_acc.mean() - test_acc.mean())
        rise = float(test_loss.iloc[-1] - test_loss.min())
        selected = _selected_epochs(ok)
        at_selected = _accuracy_at(ok, selected)
        ceiling = ceilings.get(str(model), {})
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
            learned=bool(share >= learned_share),
            stuck=bool(train_share < stuck_share),
            overfits=bool(gap > gap_tolerance and rise > loss_rise),
            diverged_seeds=len(diverged),
            sentence="",
            bayes_accuracy=bayes,
            chance=chance,
            share_of_bayes=share,
            memorises=bool(train_acc.mean() > bayes + (1 - bayes) / 2),
            ceiling=float(ceiling.get("value", np.nan)),
            first_width=int(ceiling.get("first_width", 0)),
            selected_epochs=[int(e) for e in selected.values],
            selected_test_accuracy=float(at_selected.mean()) if len(at_selected) else np.nan,
            selected_test_accuracy_std=float(at_selected.std(ddof=0)) if len(at_selected) else np.nan,
        )
        verdicts.append(_with_sentence(verdict))
    return verdicts


def _selected_epochs(rows: pd.DataFrame) -> pd.Series:
    """Per seed, the epoch of lowest validation loss (empty without a validation split)."""
    val = rows[rows["split"] == "val"]
    if val.empty:
        return pd.Series(dtype=int)
    return val.loc[val.groupby("seed")["loss"].idxmin()].set_index("seed")["epoch"]


def _accuracy_at(rows: pd.DataFrame, epochs: pd.Series) -> pd.Series:
    """Per seed, the test accuracy at that seed's epoch in ``epochs``."""
    test = rows[rows["split"] == "test"].set_index(["seed", "epoch"])["accuracy"]
    return pd.Series([test[(seed, epoch)] for seed, epoch in epochs.items()], dtype=float)


def _with_sentence(v: ModelVerdict) -> ModelVerdict:
    accuracy = (
        f"test accuracy {v.test_accuracy:.3f} ± {v.test_accuracy_std:.3f} over {v.n_seeds} seeds at epoch {v.epoch}"
    )
    way = f"{v.share_of_bayes:.0%} of the way from chance ({v.chance:g}) to the Bayes accuracy {v.bayes_accuracy:.3f}"
    if v.learned:
        head = f"'{v.model}' learned the task: {accuracy}, {way}"
    elif v.stuck:
        head = f"'{v.model}' is stuck: {accuracy} (train {v.train_accuracy:.3f}), {way}"
    else:
        head = f"'{v.model}' learned only partly: {accuracy}, {way}"
    parts = [head]
    if np.isfinite(v.ceiling):
        parts.append(
            f"its first hidden layer has {v.first_width} units, so it sees a rank-{v.first_width} projection of the "
            f"input, on which no classifier can exceed {v.ceiling:.3f}"
        )
    gap, rise = v.train_accuracy - v.test_accuracy, v.test_loss_final - v.test_loss_min
    if v.overfits:
        parts.append(f"it overfits (train-test gap {gap:+.3f}, test loss {rise:.3f} above its minimum)")
    else:
        parts.append(f"no overfitting (train-test gap {gap:+.3f}, test loss within {rise:.3f} of its minimum)")
    if v.memorises:
        parts.append(
            f"its train accuracy {v.train_accuracy:.3f} exceeds the Bayes accuracy: it memorises training points "
            "that the best classifier gets wrong"
        )
    if v.selected_epochs:
        parts.append(
            f"validation loss is lowest at epochs {', '.join(map(str, v.selected_epochs))} (test accuracy there "
            f"{v.selected_test_accuracy:.3f} ± {v.selected_test_accuracy_std:.3f})"
        )
    if v.diverged_seeds:
        parts.append(f"{v.diverged_seeds} seed(s) diverged and are excluded")
    return ModelVerdict(**{**v.as_dict(), "sentence": "; ".join(parts) + "."})


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


def run_verdicts(history: pd.DataFrame, manifest: dict) -> list[ModelVerdict]:
    """``training_verdicts`` with what a run's manifest records: seed status, Bayes accuracy, ceilings."""
    runs = manifest.get("runs", {})
    data = manifest.get("data") or {}
    return training_verdicts(
        history,
        status={key: value.get("status", "") for key, value in runs.items()},
        bayes=data.get("bayes_accuracy"),
        ceilings=data.get("ceilings"),
    )
