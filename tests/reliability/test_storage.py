"""A full disk and a read-only folder fail early with a message naming the folder; earlier files stay intact."""

import os
import subprocess
from pathlib import Path

import pytest

from layertopo.config import load_config
from layertopo.pipeline import run_experiment
from layertopo.store import RunStore, StoreError, write_json


def _mount(path: Path, options: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


@pytest.fixture
def mounts():
    mounted = []
    yield mounted
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_read_only_folder_fails_before_any_work(tmp_path, mounts):
    folder = tmp_path / "ro"
    _mount(folder, "ro,size=1m")
    mounts.append(folder)
    config = load_config("configs/quick.yaml")
    with pytest.raises(StoreError, match=str(folder)):
        run_experiment(config, folder / "run")


def test_too_small_disk_fails_early_with_the_sizes(tmp_path, mounts):
    folder = tmp_path / "small"
    _mount(folder, "size=2m")
    mounts.append(folder)
    config = load_config("configs/quick.yaml")
    with pytest.raises(StoreError, match="MiB free but this run writes up to"):
        run_experiment(config, folder / "run")
    assert not (folder / "run" / "config.yaml").exists()


def test_disk_full_mid_write_keeps_the_earlier_file(tmp_path, mounts):
    folder = tmp_path / "full"
    _mount(folder, "size=64k")
    mounts.append(folder)
    store = RunStore(folder)
    store.open()
    write_json(folder / "manifest.json", {"status": "running"})
    with pytest.raises(StoreError, match="manifest.json"):
        write_json(folder / "manifest.json", {"status": "x" * 200_000})
    assert store.read_manifest() == {"status": "running"}
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "run.lock"]  # no temp file left


def test_npz_files_hold_every_array_exactly_and_numpy_reads_them(tmp_path):
    """``write_npz`` writes the npz format itself (zlib level ``NPZ_COMPRESSION``, faster than numpy's): numpy
    must read every array back bit for bit, whatever its dtype and shape, and the file is compressed."""
    import numpy as np

    from layertopo.store import read_npz, write_npz

    rng = np.random.default_rng(0)
    arrays = {
        "relu__train": np.maximum(rng.normal(size=(300, 16)), 0).astype(np.float32),  # half zeros: compressible
        "diagram__test__all__h1": np.array([[0.1, np.inf], [0.2, 0.3]]),
        "empty": np.empty((0, 2)),
        "labels": np.arange(7, dtype=np.int64),
    }
    write_npz(tmp_path / "a.npz", **arrays)
    with np.load(tmp_path / "a.npz", allow_pickle=False) as loaded:
        assert sorted(loaded.files) == sorted(arrays)
        for name, array in arrays.items():
            assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
            assert loaded[name].tobytes() == array.tobytes(), name
    assert read_npz(tmp_path / "a.npz").keys() == arrays.keys()
    chosen = read_npz(tmp_path / "a.npz", select=lambda name: "__" in name)  # what the distance stage reads
    assert chosen.keys() == {"relu__train", "diagram__test__all__h1"}
    assert chosen["relu__train"].tobytes() == arrays["relu__train"].tobytes()
    assert (tmp_path / "a.npz").stat().st_size < 0.8 * sum(a.nbytes for a in arrays.values())
