"""CloudKey: a cloud's name round-trips through its file entries and table columns, and a foreign entry is
refused with the unit that holds it."""

import pytest

from layertopo.clouds import CloudKey, activation_entry, layer_index, stored_layers


def test_a_key_round_trips_through_its_diagram_and_activation_entries():
    key = CloudKey("narrow_first", 2, 50, "hidden3", "test", "1")
    assert key.diagram_name(1) == "hidden3__test__1__h1"
    assert CloudKey.from_diagram_name("hidden3__test__1__h1", "narrow_first", 2, 50) == (key, 1)
    train = CloudKey("good", 0, 5, "input", "train")
    assert train.activation_name == "input__train" == activation_entry("input", "train")
    assert CloudKey.from_activation_name("input__train", "good", 0, 5) == train
    assert train.label == "all"


def test_columns_and_messages_carry_every_part_of_the_key():
    key = CloudKey("good", 1, 10, "logits", "all", "0")
    assert key.columns() == {
        "model": "good",
        "seed": 1,
        "epoch": 10,
        "layer": "logits",
        "layer_index": 1000,
        "split": "all",
        "label": "0",
    }
    assert key.where == "model=good seed=1 epoch=10 layer=logits split=all label=0"


def test_layers_are_ordered_by_depth():
    assert [layer_index(n) for n in ("input", "hidden1", "hidden12", "logits", "fc")] == [0, 1, 12, 1000, 500]
    assert stored_layers(["input__train", "hidden1__train", "input__test", "hidden1__test"]) == ["input", "hidden1"]


def test_foreign_entries_and_the_merged_split_are_refused_with_where_they_are():
    with pytest.raises(ValueError, match=r"'hidden1__h0' is not a diagram entry .*model=good seed=0 epoch=5"):
        CloudKey.from_diagram_name("hidden1__h0", "good", 0, 5)
    with pytest.raises(ValueError, match=r"'hidden1__all' is not an activation entry"):
        CloudKey.from_activation_name("hidden1__all", "good", 0, 5)
    with pytest.raises(ValueError, match="activations are stored for the train and test splits, not 'all'"):
        _ = CloudKey("good", 0, 5, "hidden1", "all").activation_name
