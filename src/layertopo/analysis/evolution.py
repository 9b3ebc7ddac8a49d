"""How the data's shape evolves: when each layer separates the classes, when it stops changing, and why.

Computed from the run's tables only (``summaries``, ``distances``, ``history``, ``probes``), so that a test can
recompute every number. Each function returns a tidy DataFrame; ``layertopo.analysis.findings`` turns them into
sentences.

* ``separation_onsets``: per model, seed, split and layer, the first snapshot epoch from which the layer
  separates the classes (purity above chance at least ``SEPARATED``) at every later snapshot.
* ``settling``: per model, seed and layer, the first snapshot epoch from which every step to the next snapshot
  moves the H0 diagram less than the noise floor (the distance between the diagrams of two random halves of
  the training set), beside the epoch at which the test accuracy has made 90 % of its final gain.
* ``margins``: per model, seed, epoch and layer, the distance between the closest points of different classes
  on the train and on the test cloud, in units of the cloud's RMS radius.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: purity above chance from which a layer counts as separating the classes
SEPARATED = 0.9
#: share of its final gain over chance from which the test accuracy counts as reached
ACCURACY_REACHED = 0.9


def separation_onsets(summaries: pd.DataFrame, *, threshold: float = SEPARATED) -> pd.DataFrame:
    """First snapshot epoch from which each layer stays separated, per model, seed and split.

    Returns
    -------
    DataFrame with columns model, seed, split, layer, layer_index, onset (nan: not separated at the last
    snapshot), score_last (purity above chance at the last snapshot)
    """
    rows = summaries[(summaries["dim"] == 0) & (summaries["label"] == "all") & summaries["error"].fillna("").eq("")]
    out = []
    keys = ["model", "seed", "split", "layer", "layer_index"]
    for key, cell in rows.groupby(keys, sort=False):
        by_epoch = cell.set_index("epoch")["purity_above_chance"].sort_index()
        out.append({**dict(zip(keys, key, strict=True)), "onset": _onset(by_epoch >= threshold),
                    "score_last": float(by_epoch.iloc[-1])})  # fmt: skip
    return pd.DataFrame(out, columns=[*keys, "onset", "score_last"])


def _onset(ok: pd.Series) -> float:
    """The first index from which ``ok`` is True to the end (nan if its last value is False)."""
    if not len(ok) or not ok.iloc[-1]:
        return np.nan
    failing = ok.index[~ok.to_numpy()]
    later = ok.index[ok.index > failing.max()] if len(failing) else ok.index
    return float(later.min())


SETTLING_COLUMNS = [
    "model",
    "seed",
    "layer",
    "floor",
    "settled",
    "largest_step",
    "largest_step_epoch",
    "accuracy_epoch",
]


def settling(distances: pd.DataFrame, history: pd.DataFrame, *, split: str = "test") -> pd.DataFrame:
    """When each layer's H0 diagram stops moving between snapshots, and when the accuracy is reached.

    Parameters
    ----------
    distances : with kinds ``epoch_to_next`` (the snapshot-to-snapshot H0 distances) and ``noise_floor``
    history : the training history

    Returns
    -------
    DataFrame with columns model, seed, layer, floor (median noise floor over epochs), settled (first epoch
    from which every later step is below the floor; nan if the last step is not), largest_step (the largest
    step), largest_step_epoch (the epoch it starts from), accuracy_epoch (first epoch whose test accuracy
    has made ``ACCURACY_REACHED`` of its final gain over the initial one)
    """
    steps = distances[(distances["kind"] == "epoch_to_next") & (distances["dim"] == 0) & (distances["split"] == split)]
    floors = distances[(distances["kind"] == "noise_floor") & (distances["dim"] == 0)]
    reached = accuracy_reached(history)
    out = []
    for (model, seed, layer), cell in steps.groupby(["model", "seed", "layer"], sort=False):
        floor_rows = floors[(floors["model"] == model) & (floors["seed"] == seed) & (floors["layer"] == layer)]
        floor = float(floor_rows["bottleneck"].median()) if len(floor_rows) else np.nan
        by_epoch = cell.set_index("epoch")["bottleneck"].sort_index()
        largest = by_epoch.idxmax() if by_epoch.notna().any() else np.nan
        out.append(
            {
                "model": model,
                "seed": seed,
                "layer": layer,
                "floor": floor,
                "settled": _onset(by_epoch < floor) if np.isfinite(floor) else np.nan,
                "largest_step": float(by_epoch.max()),
                "largest_step_epoch": float(largest),
                "accuracy_epoch": reached.get((model, seed), np.nan),
            }
        )
    return pd.DataFrame(out, columns=SETTLING_COLUMNS)


def accuracy_reached(history: pd.DataFrame, share: float = ACCURACY_REACHED) -> dict[tuple[str, int], float]:
    """(model, seed) -> first epoch whose test accuracy has made ``share`` of its final gain over epoch 0."""
    test = history[history["split"] == "test"]
    reached = {}
    for (model, seed), cell in test.groupby(["model", "seed"], sort=False):
        accuracy = cell.set_index("epoch")["accuracy"].sort_index()
        gain = accuracy.iloc[-1] - accuracy.iloc[0]
        if gain <= 0:
            reached[(str(model), int(seed))] = np.nan
            continue
        hit = accuracy[accuracy >= accuracy.iloc[0] + share * gain]
        reached[(str(model), int(seed))] = float(hit.index.min())
    return reached


def margins(summaries: pd.DataFrame) -> pd.DataFrame:
    """Closest points of different classes on train and test, in RMS radii of the cloud, per layer and epoch.

    Returns
    -------
    DataFrame with columns model, seed, epoch, layer, layer_index, train, test (``class_margin / rms_radius``)
    """
    rows = summaries[(summaries["dim"] == 0) & (summaries["label"] == "all")]
    rows = rows[rows["split"].isin(["train", "test"]) & rows["error"].fillna("").eq("")]
    rows = rows.assign(relative=rows["class_margin"] / rows["rms_radius"])
    table = rows.pivot_table(
        index=["model", "seed", "epoch", "layer", "layer_index"], columns="split", values="relative"
    ).reset_index()
    table.columns.name = None
    return table
