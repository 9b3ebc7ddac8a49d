"""How often the k-NN Betti method recovers the true Betti numbers of the Naitzat datasets' classes.

For each dataset (D-I, D-II, D-III at the sizes of configs/naitzat.yaml), each (k, scale) setting and each
seed, draw the dataset and compute the Betti numbers of each class with
``layertopo.topology.fixed_scale.knn_betti_numbers``. The reference is the known answer
(``layertopo.data.naitzat.NAITZAT_BETTI``). Prints the recovery rate per class, the median time per cloud,
and the wrong answers seen.

    .venv/bin/python benchmarks/naitzat_inputs.py --seeds 20
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter

from layertopo.data.naitzat import NAITZAT_BETTI, NAITZAT_DATASETS
from layertopo.topology.fixed_scale import knn_betti_numbers

SIZES = {"D-I": (200, 3000), "D-II": 400, "D-III": 400}
SETTINGS = [(14, 2), (20, 2), (14, 3)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    print(f"{'dataset':8} {'k':>3} {'hops':>4} {'class a':>8} {'class b':>8} {'s/cloud':>8}  wrong answers (count)")
    for name, generate in NAITZAT_DATASETS.items():
        draws = [generate(SIZES[name], random_state=seed) for seed in range(args.seeds)]
        maxdim = len(NAITZAT_BETTI[name][0]) - 1
        for k, scale in SETTINGS:
            hits, times, wrong = Counter(), [], Counter()
            for data in draws:
                for c in (0, 1):
                    start = time.perf_counter()
                    betti = knn_betti_numbers(data.X_train[data.y_train == c], k=k, scale=scale, maxdim=maxdim).betti
                    times.append(time.perf_counter() - start)
                    if betti == NAITZAT_BETTI[name][c]:
                        hits[c] += 1
                    else:
                        wrong["ab"[c] + str(betti)] += 1
            rates = [f"{100 * hits[c] / len(draws):7.0f}%" for c in (0, 1)]
            shown = ", ".join(f"{w} x{n}" for w, n in wrong.most_common(4))
            print(
                f"{name:8} {k:>3} {scale:>4} {rates[0]} {rates[1]} {statistics.median(times):8.2f}  {shown}", flush=True
            )


if __name__ == "__main__":
    main()
