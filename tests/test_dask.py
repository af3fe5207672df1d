"""Slices on a real Dask cluster: a scheduler and worker processes started as a user would
(`dask scheduler`, `dask worker`), failures isolated to their notebook as in a local run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from clientbook.config import audit_file as audit_mod
from clientbook.run import runner

pytest.importorskip("distributed")
REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FRAGILE = """
if slice_id == "region-north":
    raise ValueError("planted failure for the test")
from clientbook.present import playbook
book = playbook.start(dataset_dir, slice_id, lang, output_dir)
playbook.say("classification.title")
"""


def start_cluster(folder: Path, workers: int = 2) -> tuple[str, list[subprocess.Popen]]:
    """`dask scheduler` and `dask worker` processes on 127.0.0.1; returns the address."""
    folder.mkdir(parents=True, exist_ok=True)
    sched_file = folder / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}  # the code under test
    procs = [
        subprocess.Popen(
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(folder / "scheduler.log", "w"),
            start_new_session=True,
        )
    ]
    deadline = time.monotonic() + 60
    while not sched_file.exists():
        if time.monotonic() > deadline:
            stop_cluster(procs)
            raise RuntimeError("dask scheduler did not start")
        time.sleep(0.2)
    procs.append(
        subprocess.Popen(
            [
                str(BIN / "dask"),
                "worker",
                "--scheduler-file",
                str(sched_file),
                "--nworkers",
                str(workers),
                "--nthreads",
                "1",
                "--no-dashboard",
                "--local-directory",
                str(folder / "work"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(folder / "worker.log", "w"),
            start_new_session=True,
        )
    )
    address = json.loads(sched_file.read_text())["address"]
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def stop_cluster(procs: list[subprocess.Popen]) -> None:
    """Workers first (their kernels end with them), then the scheduler; each by its own
    process group, which this test started."""
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


@pytest.fixture
def dask_address(tmp_path: Path) -> Iterator[str]:
    address, procs = start_cluster(tmp_path / "dask")
    try:
        yield address
    finally:
        stop_cluster(procs)


@pytest.mark.slow
def test_dask_scheduler_and_worker_processes_isolate_a_failing_notebook(
    small_audit, tmp_path, dask_address
):
    pb = tmp_path / "playbooks"
    pb.mkdir()
    shutil.copy(REPO / "playbooks" / "00_data_audit.ipynb", pb)
    nb = nbformat.read(REPO / "playbooks" / "00_data_audit.ipynb", as_version=4)
    nb.cells = [nb.cells[1], nbformat.v4.new_code_cell(FRAGILE)]
    nbformat.write(nb, pb / "01_fragile.ipynb")
    small_audit.write_text(
        small_audit.read_text().replace(
            "steps: [data_audit, classification]", f"playbooks_dir: {pb}"
        )
    )
    out = tmp_path / "outputs"
    summary = runner.run(
        audit_mod.load(small_audit), out, jobs=2, show_progress=False, dask=dask_address
    )
    assert [(f.slice_id, f.step) for f in summary.failures] == [("region-north", "fragile")]
    assert "planted failure" in summary.failures[0].error
    root = out / "small"
    run = json.loads((root / "run.json").read_text())
    assert len(run["slices"]) == 4 and len(run["notebooks"]) == 8
    assert [f["slice_id"] for f in run["failures"]] == ["region-north"]
    for s in run["slices"]:
        assert (root / "slices" / s["id"] / "report.html").exists()
        res = json.loads((root / "slices" / s["id"] / "results.json").read_text())
        assert res["data_audit"]["kpis"]["customers"] > 0

    # A re-run on the cluster reuses what did not fail and runs the failed notebook again.
    again = runner.run(
        audit_mod.load(small_audit), out, jobs=2, show_progress=False, dask=dask_address
    )
    executed = {(n.slice_id, n.step) for n in again.notebooks if not n.reused}
    assert executed == {("region-north", "fragile")}
