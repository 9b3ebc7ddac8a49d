"""Workers die with the process that started them: a run killed with ``kill -9`` leaves nothing behind
(issue 19: training workers went on writing files for 31 s and were alive 300 s later)."""

import signal
import subprocess
import sys
import time

import psutil
import pytest

PARENT = """
import sys, time
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
from layertopo.processes import die_with_parent

def child_pid():
    import os
    return os.getpid()

def sleep():
    time.sleep(60)

if __name__ == "__main__":
    initializer = die_with_parent if sys.argv[1] == "yes" else None
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=initializer)
    print(pool.submit(child_pid).result(), flush=True)
    pool.submit(sleep)  # the worker is busy, as a training worker is when its run is killed
    time.sleep(60)
"""


def _orphan_after_kill(tmp_path, die_with_parent: str) -> psutil.Process:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script), die_with_parent], stdout=subprocess.PIPE, text=True)
    worker = psutil.Process(int(parent.stdout.readline()))
    time.sleep(0.5)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    return worker


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_a_busy_worker_dies_with_its_killed_parent(tmp_path):
    worker = _orphan_after_kill(tmp_path, "yes")
    gone, alive = psutil.wait_procs([worker], timeout=3)
    assert gone and not alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_without_it_the_busy_worker_outlives_its_parent(tmp_path):
    """The control: the test above can fail."""
    worker = _orphan_after_kill(tmp_path, "no")
    try:
        _, alive = psutil.wait_procs([worker], timeout=2)
        assert alive == [worker]
    finally:
        worker.kill()


def _kill_myself(i: int) -> int:
    import os

    if i == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return i


def test_a_training_worker_that_dies_is_reported_by_name_after_the_others_finish():
    from layertopo.parallel import LocalPool
    from layertopo.training.workers import TrainingWorkerDied, train_units

    finished = []
    died = r"worker process died .* while training \['1'\]\. resume"
    with LocalPool(2) as pool, pytest.raises(TrainingWorkerDied, match=died):
        for unit, result in train_units(
            _kill_myself, [(0,), (1,), (2,)], pool, label=lambda u: str(u[0]), on_death="resume"
        ):
            finished.append((unit, result))
    assert sorted(finished) == [((0,), 0), ((2,), 2)]


DASK_PARENT = """
import time
if __name__ == "__main__":
    import psutil
    from layertopo.parallel import DaskExecutor

    client = DaskExecutor(None, n_workers=2).client
    while len(client.scheduler_info()["workers"]) < 2:
        time.sleep(0.1)
    print(" ".join(str(p.pid) for p in psutil.Process().children(recursive=True)), flush=True)
    time.sleep(60)
"""


def test_dask_local_workers_die_with_their_killed_parent(tmp_path):
    """Issue 19, 'all executors': the LocalCluster's worker processes do not outlive a ``kill -9`` of the run."""
    pytest.importorskip("distributed")
    script = tmp_path / "dask_parent.py"
    script.write_text(DASK_PARENT)
    parent = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    workers = [psutil.Process(int(pid)) for pid in parent.stdout.readline().split()]
    assert len(workers) >= 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    _, alive = psutil.wait_procs(workers, timeout=10)
    alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for survivor in alive:
        survivor.kill()
    assert not alive, f"{len(alive)} Dask worker processes outlived their parent"
