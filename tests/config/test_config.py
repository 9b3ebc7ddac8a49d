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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: a\ntraining:\n  epochs: 5\ntraining:\n  lr: 0.1\n",
            r"line 4, column 1: key 'training' appears twice \(lines 2 and 4\)",
        ),
        ("training:\n  epochs: 5\n   lr: 0.1\n", r"line 3, column \d+: mapping values are not allowed here"),
        ("training:\n\tepochs: 5\n", r"line 2, column 1: found character '\\t'"),
        ("name: !!python/object/apply:os.system ['true']\n", r"line 1, column 7: could not determine a constructor"),
        ("name: a\x00b\n", "holds a NUL byte"),
    ],
)
def test_malformed_yaml_is_one_line_naming_file_line_and_column(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        load_config(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_non_utf8_config_names_the_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: café\n".encode("latin-1"))
    with pytest.raises(ValueError, match=rf"config file {path} is not UTF-8 text \(byte 9\)"):
        load_config(path)


@pytest.mark.parametrize("name", ["../../../ESCAPED", "a/b", "..", ".hidden", "x" * 65, ""])
def test_names_that_become_paths_must_be_safe(name):
    with pytest.raises(ValidationError, match="not a safe name"):
        load_config(None, [f"models={{{name!r}: {{widths: [8]}}}}"] if name else ["models={'': {widths: [8]}}"])
    with pytest.raises(ValidationError, match="not a safe name"):
        ExperimentConfig(name=name)


def test_a_broken_override_names_itself():
    with pytest.raises(ValueError, match=r"override 'training.seeds=\[0,': the value is not valid YAML \(line 1"):
        load_config(None, ["training.seeds=[0,"])


def test_cli_refuses_an_unsafe_model_name_before_any_work(tmp_path):
    from typer.testing import CliRunner

    from layertopo.cli import app

    result = CliRunner().invoke(
        app, ["run", "--out", str(tmp_path / "run"), "--set", "models={'../../x': {widths: [8]}}"]
    )
    assert result.exit_code == 2 and "not a safe name" in " ".join(result.output.split())
    assert not (tmp_path / "run").exists() and not (tmp_path.parent / "x").exists()


def test_config_errors_list_the_valid_keys_within_two_seconds_without_torch(tmp_path):
    import subprocess
    import sys
    import time

    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from layertopo.cli import app\n"
        f"result = CliRunner().invoke(app, ['run', '--out', {str(tmp_path / 'x')!r}, '--set', 'training.epoch=3'])\n"
        "print(result.exit_code, 'torch' in sys.modules)\n"
        "print(result.output)\n"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert time.perf_counter() - start < 2.0  # Python start included (0.3-0.5 s measured)
    first, output = done.stdout.split("\n", 1)
    assert first == "2 False"  # exit code 2, torch never imported
    assert "training.epoch: unknown key; valid keys there: batch_size, device, epochs, lr" in " ".join(output.split())
    assert "Traceback" not in done.stdout + done.stderr and not (tmp_path / "x").exists()


@pytest.mark.parametrize("text", ["", "# nothing here yet\n", "{}\n"])
def test_an_empty_or_comment_only_config_is_refused_not_run_as_the_default(tmp_path, text):
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"config file {path} holds no settings .* configs/default.yaml"):
        load_config(path)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("training.epochs=true", r"epochs: expected a number, got true \(a YAML boolean\)"),
        ("topology.max_points=yes", r"max_points: expected a number, got true"),
        ("data.dim=false", r"dim: expected a number, got false"),
        ("training.seeds=[0, true]", r"seeds: item 1 is true \(a YAML boolean\), not a number"),
        ("capture.epochs=[false, 5]", r"epochs: item 0 is false"),
        ("models={m: {widths: [true]}}", r"widths: item 0 is true"),
    ],
)
def test_a_yaml_boolean_is_not_read_as_a_number(override, message):
    with pytest.raises(ValidationError, match=message):
        load_config(None, [override])


def test_widths_relative_to_d_are_checked_against_the_configured_dimension():
    config = load_config(None, ["data.dim=40", "models={m: {widths: [d/20, 2d, d]}}"])
    assert [resolve_width(w, config.data.dim) for w in config.models["m"].widths] == [2, 80, 40]
    with pytest.raises(ValidationError, match=r"model 'm': width 'd/20' resolves to 0 for d=12"):
        load_config(None, ["models={m: {widths: [d/20]}}"])
    with pytest.raises(ValidationError, match=r"width 'd/0': widths must be >= 1, and so must N in 'd/N'"):
        load_config(None, ["models={m: {widths: [d/0]}}"])


def test_an_empty_layer_list_is_refused_before_any_work():
    with pytest.raises(ValidationError, match=r"capture.layers\s+List should have at least 1 item"):
        load_config(None, ["capture.layers=[]"])
