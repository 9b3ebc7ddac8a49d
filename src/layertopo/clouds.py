"""``CloudKey``: the name of one activation cloud, and the only code that turns it into file entries, table
columns and messages, and back.

A run's clouds are named by (model, seed, epoch, layer, split, label): ``split`` is train, test or all (both
together), ``label`` is all (every class) or one class. A unit's files are already named by (model, seed,
epoch) (``RunStore.activations_path`` and ``diagrams_path``); inside them an activation entry is named
``"<layer>__<split>"`` (train and test only: "all" is their concatenation) and a diagram entry
``"<layer>__<split>__<label>__h<dim>"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

SEPARATOR = "__"


@dataclass(frozen=True)
class CloudKey:
    """One cloud of a run. ``label`` is "all" (every class) or a class, as a string."""

    model: str
    seed: int
    epoch: int
    layer: str
    split: str
    label: str = "all"

    @property
    def layer_index(self) -> int:
        """Depth of the layer (``layer_index``)."""
        return layer_index(self.layer)

    @property
    def activation_name(self) -> str:
        """The entry of this cloud's layer and split in its unit's activations file (train or test only)."""
        if self.split not in ("train", "test"):
            raise ValueError(f"activations are stored for the train and test splits, not {self.split!r} ({self.where})")
        return activation_entry(self.layer, self.split)

    def diagram_name(self, dim: int) -> str:
        """The entry of this cloud's ``dim``-dimensional diagram in its unit's diagrams file."""
        return diagram_entry(self.layer, self.split, self.label, dim)

    @property
    def where(self) -> str:
        """The cloud named for a message: ``model=good seed=0 epoch=5 layer=hidden2 split=test label=all``."""
        return " ".join(f"{name}={value}" for name, value in asdict(self).items())

    def columns(self) -> dict[str, Any]:
        """The key as table columns: model, seed, epoch, layer, layer_index, split, label."""
        model, seed, epoch, layer, split, label = asdict(self).values()
        return dict(
            model=model, seed=seed, epoch=epoch, layer=layer, layer_index=self.layer_index, split=split, label=label
        )

    @classmethod
    def from_diagram_name(cls, name: str, model: str, seed: int, epoch: int) -> tuple[CloudKey, int]:
        """The key and homology dimension of a diagram entry (``diagram_name``) of the unit (model, seed, epoch)."""
        parts = name.split(SEPARATOR)
        if len(parts) != 4 or not parts[3].startswith("h") or not parts[3][1:].isdigit():
            raise ValueError(
                f"{name!r} is not a diagram entry '<layer>__<split>__<label>__h<dim>' (model={model} seed={seed} "
                f"epoch={epoch}); the diagrams file was not written by layertopo: delete it and resume the run"
            )
        layer, split, label, dim = parts
        return cls(model, seed, epoch, layer, split, label), int(dim[1:])

    @classmethod
    def from_activation_name(cls, name: str, model: str, seed: int, epoch: int) -> CloudKey:
        """The key (label "all") of an activation entry (``activation_name``) of the unit (model, seed, epoch)."""
        layer, sep, split = name.rpartition(SEPARATOR)
        if not sep or split not in ("train", "test"):
            raise ValueError(
                f"{name!r} is not an activation entry '<layer>__<train|test>' (model={model} seed={seed} "
                f"epoch={epoch}); the activations file was not written by layertopo: delete it and resume the run"
            )
        return cls(model, seed, epoch, layer, split)


def diagram_entry(layer: str, split: str, label: str, dim: int) -> str:
    """The name of a cloud's ``dim``-dimensional diagram in a unit's diagrams file (``CloudKey.diagram_name``)."""
    return SEPARATOR.join((layer, split, label, f"h{dim}"))


def activation_entry(layer: str, split: str) -> str:
    """The name of a layer's activations on a split (train or test) in a unit's activations file."""
    return f"{layer}{SEPARATOR}{split}"


def stored_layers(names: Iterable[str]) -> list[str]:
    """The layers of a unit's activation entries, in the order they were stored."""
    return list(dict.fromkeys(name.rpartition(SEPARATOR)[0] for name in names))


def layer_index(layer: str) -> int:
    """Depth of a layer: input 0, hiddenK K, logits 1000 (after every hidden layer), other names 500."""
    if layer == "input":
        return 0
    if layer == "logits":
        return 1000
    if layer.startswith("hidden") and layer[6:].isdigit():
        return int(layer[6:])
    return 500
