import pytest
from pydantic import ValidationError

from layertopo.config import ExperimentConfig, load_config, resolve_width


def test_defaults_are_the_canonical_experiment():
    config = ExperimentConfig()
    assert config.data.kind == "concentric_spheres" and config.data.dim == 12
    assert [resolve_width(w, 12) for w in config.models["bad"].widths] == [3, 64, 64, 64]
    assert config.capture.epochs[0] == 0 and config.capture.epochs[-1] == config.training.epochs


@pytest.mark.parametrize(("width", "expected"), [(64, 64), ("d", 12), ("d/4", 3), ("2d", 24), ("7", 7)])
def test_resolve_width(width, expected):
    assert resolve_width(width, 12) == expected


@pytest.mark.parametrize("width", ["d/0x", "q", 0, "d/24"])
def test_resolve_width_rejects_bad_entries(width):
    with pytest.raises((ValueError, ZeroDivisionError)):
        resolve_width(width, 12)


def test_unknown_key_is_rejected_with_its_name(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("training:\n  epoch: 5\n")
    with pytest.raises(ValidationError, match="epoch"):
        load_config(path)


def test_overrides_are_parsed_and_validated():
    config = load_config(None, ["training.epochs=7", "capture.epochs=[0, 7]", "data.noise=0.1"])
    assert config.training.epochs == 7 and config.capture.epochs == [0, 7] and config.data.noise == 0.1
    with pytest.raises(ValidationError, match="lr"):
        load_config(None, ["training.lr=-1"])


def test_snapshot_beyond_last_epoch_is_rejected():
    with pytest.raises(ValidationError, match="beyond the last training epoch"):
        load_config(None, ["training.epochs=10", "capture.epochs=[0, 20]"])


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_config(tmp_path / "nope.yaml")
