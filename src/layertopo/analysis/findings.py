"""Short sentences about how each network reshapes the data, each citing the numbers behind it.

Computed from ``summaries.parquet`` (and ``distances.parquet`` where given) only, so a test can recompute
every number. Unless said otherwise a finding is about the ``test`` split, all labels together, the rows
without error, at the last snapshot epoch. Every number is a mean over seeds quoted with its standard
deviation over seeds (``numbers[name]`` and ``numbers[name + "_sd"]``, written ``mean ± sd`` with
:func:`fmt`); ``Finding.where`` holds the layers and epochs the sentence names, ``Finding.source`` the rows
it reads.

What a finding may claim is bounded by the evidence:

* class separation is the purity of the single-linkage tree *above chance*
  (``purity_above_chance``: 0 is what shuffled labels give, 1 a perfect split); "separated" needs at least
  ``SEPARATED`` (0.9) from that layer on, and a score at or below chance is said to be so;
* loops are discussed only where a significant H1 class exists; otherwise the finding says there is none.

``topology_findings`` puts them together. Each kind of finding is written by one function: the findings about
one cloud at a time (separation, dimension, loops, linear read-out) are in ``layertopo.analysis.cloud_findings``,
the ones about how the diagrams move (along depth, from the input, train against test, between snapshots) in
``layertopo.analysis.distance_findings``; ``Finding``, ``fmt`` and ``fmt_spread`` come from
``layertopo.analysis.finding_numbers`` and are importable from here as before.
"""

from __future__ import annotations

import pandas as pd

from layertopo.analysis.cloud_findings import (
    comparison_findings,
    dimension_finding,
    last_hidden_finding,
    loops_finding,
    onset_finding,
    probe_finding,
    separation_finding,
)
from layertopo.analysis.distance_findings import (
    input_drift_finding,
    largest_step_finding,
    margin_finding,
    settling_finding,
)
from layertopo.analysis.finding_numbers import Finding, fmt, fmt_spread, last_hidden_layer

__all__ = ["Finding", "fmt", "fmt_spread", "topology_findings"]


def topology_findings(
    summaries: pd.DataFrame,
    *,
    split: str = "test",
    distances: pd.DataFrame | None = None,
    models: list[str] | None = None,
    history: pd.DataFrame | None = None,
    probes: pd.DataFrame | None = None,
    bayes: float | None = None,
) -> list[Finding]:
    """Findings per model, and a comparison of the models first.

    Parameters
    ----------
    summaries : the summaries table (one row per cloud and homology dimension)
    split : the split the findings are about (``margin`` compares train with test, ``onset`` reads every split)
    distances : the distances table; without it the distance findings are left out
    models : the order in which models are reported (default: as they appear in ``summaries``)
    history : the training history; with distances, it places the settling of the shape against the accuracy
    probes : the linear probes table (``probes.parquet``); without it the ``probe`` finding is left out
    bayes : the Bayes accuracy of the data; below 1 the classes overlap, and a finding that no layer separates
        them says how far the overlap lets purity go (a tree cut exactly at the Bayes boundary)

    Returns
    -------
    list of Finding: the comparison, then per model its last hidden layer, where and from which epoch the
    classes separate (every split), how many principal directions remain, whether any loop is significant,
    what a linear read-out recovers layer by layer, and (with distances) which step along depth changes the
    H0 diagram most, how far training moved the last hidden layer from the input, when the last hidden layer
    stops changing against the accuracy, and how train and test differ against the noise floor.
    """
    rows = summaries[(summaries["split"] == split) & summaries["error"].fillna("").eq("")]
    order = [m for m in models or [] if m in set(rows["model"])]
    order += [str(m) for m in rows["model"].unique() if str(m) not in order]
    findings = comparison_findings(rows, split, order)
    for model in order:
        table = rows[rows["model"] == model]
        layer = last_hidden_layer(table)
        if layer is None:
            continue
        first, last = int(table["epoch"].min()), int(table["epoch"].max())
        everything = summaries[(summaries["model"] == model) & summaries["error"].fillna("").eq("")]
        loops = bool((table[table["dim"] == 1]["betti_significant"] > 0).any())
        candidates = [
            last_hidden_finding(everything, model, layer, first, last, split),
            separation_finding(table, model, last, split, bayes),
            onset_finding(everything, model, layer),
            dimension_finding(table, model, layer, first, last, split),
            loops_finding(table, model, split),
        ]
        if probes is not None and not probes.empty:
            candidates.append(probe_finding(probes[probes["model"] == model], model, first, last))
        if distances is not None and not distances.empty:
            mine = distances[(distances["model"] == model) & (distances["dim"].isin([0, 1] if loops else [0]))]
            candidates += [
                largest_step_finding(mine, model, last, split),
                input_drift_finding(mine, model, layer, first, last, split),
                margin_finding(everything, mine, model, layer, last),
            ]
            if history is not None and not history.empty:
                candidates.append(settling_finding(mine, history[history["model"] == model], model, layer))
        findings += [f for f in candidates if f is not None]
    return findings
