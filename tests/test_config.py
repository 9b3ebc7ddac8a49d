import pytest
from pydantic import ValidationError

from layertopo.config import ExperimentConfig, load_config, resolve_width


def test_defaults_are_the_canonical_experiment():
    config = ExperimentConfig()
    assert config.data.kind == "shells" and config.data.dim == 12 and config.data.halo == 0.06
    assert [resolve_width(w, 12) for w in config.models["narrow_first"].widths] == [3, 64, 64, 64]
    assert [resolve_width(w, 12) for w in config.models["narrow_middle"].widths] == [64, 64, 3, 64]
    assert config.capture.epochs[0] == 0 and config.capture.epochs[-1] == config.training.epochs
    canonical = load_config("configs/default.yaml")
    assert (canonical.data, canonical.models, canonical.capture) == (config.data, config.models, config.capture)


def test_each_dataset_kind_takes_its_own_parameters():
    config = load_config(None, ["data.kind=concentric_spheres", "data.radii=[1.0, 2.0]"])
    assert config.data.radii == (1.0, 2.0)
    with pytest.raises(ValidationError, match="radii"):
        load_config(None, ["data.radii=[1.0, 2.0]"])  # the default kind, shells, has inner/outer instead
    with pytest.raises(ValidationError, match="0 <= low < high"):
        load_config(None, ["data.inner=[1.3, 1.0]"])
    with pytest.raises(ValidationError, match="does not match any of the expected tags: 'shells'"):
        load_config(None, ["data.kind=moons"])


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
