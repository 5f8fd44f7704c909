"""`analyze` on a Dask cluster (a scheduler and two workers on 127.0.0.1) equals a local run."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from forcewatch.pipeline import analyze, ingest
from forcewatch.store import repo
from forcewatch.store.db import open_store
from tests.helpers import tiny_project

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    procs = [
        subprocess.Popen(
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--dashboard-address",
                ":0",
                "--no-show",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(logs / "scheduler.log", "w"),
        )
    ]
    for i in range(2):
        procs.append(
            subprocess.Popen(
                [
                    str(BIN / "dask"),
                    "worker",
                    address,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--host",
                    "127.0.0.1",
                    "--dashboard-address",
                    ":0",
                    "--name",
                    f"w{i}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=open(logs / f"worker{i}.log", "w"),
            )
        )
    try:
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout="5s") as c:
                    c.wait_for_workers(2, timeout=30)
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        try:  # a scheduler shutdown stops its workers at once
            import dask
            from distributed import Client

            # Client.shutdown() leaves dask's default scheduler set to the closed client: put
            # back what was there, or later tests that compute dask arrays find no client
            with dask.config.set(scheduler=dask.config.get("scheduler", None)):
                with Client(address, timeout="5s") as c:
                    c.shutdown()
        except (OSError, TimeoutError):
            pass
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def _frame(project) -> pd.DataFrame:
    store = open_store(project.store_url)
    try:
        df = repo.measurements_frame(store)
    finally:
        store.dispose()
    keys = ["site", "geometry_key", "acquired_utc", "metric"]
    return df[[*keys, "value"]].sort_values(keys).reset_index(drop=True)


def test_cluster_run_matches_local_run(tmp_path: Path, cluster: str) -> None:
    local, imagery = tiny_project(tmp_path / "local")
    ingest(local, [imagery])
    analyze(local)
    remote, imagery2 = tiny_project(tmp_path / "remote")
    ingest(remote, [imagery2])
    summary = analyze(remote, scheduler=cluster)
    assert summary.units_measured == summary.units_total > 0
    pd.testing.assert_frame_equal(_frame(local), _frame(remote))
