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
