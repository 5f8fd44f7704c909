"""Two `analyze` processes on one store neither duplicate nor lose rows (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from forcewatch.pipeline import analyze, ingest
from forcewatch.store import repo
from forcewatch.store.db import open_store
from forcewatch.store.tables import metadata
from tests.helpers import tiny_project


def _reset_postgres(url: str) -> None:
    store = open_store(url, migrate_schema=False)
    with store.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    store.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_concurrent_analyze_runs(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = dict(os.environ, FORCEWATCH_UNIT_DELAY_S="0.5")
    if backend == "postgresql":
        url = os.environ.get("FORCEWATCH_TEST_POSTGRES_URL")
        if not url:
            if os.environ.get("FORCEWATCH_REQUIRE_POSTGRES") == "1":
                pytest.fail("FORCEWATCH_REQUIRE_POSTGRES=1 but no FORCEWATCH_TEST_POSTGRES_URL")
            pytest.skip("no PostgreSQL (set FORCEWATCH_TEST_POSTGRES_URL)")
        _reset_postgres(url)
        monkeypatch.setenv("FORCEWATCH_STORE_URL", url)
        env["FORCEWATCH_STORE_URL"] = url
    project, imagery = tiny_project(tmp_path / "p")
    ingest(project, [imagery])
    cmd = [
        sys.executable,
        "-m",
        "forcewatch.cli",
        "analyze",
        "--json",
        "--project",
        str(project.root),
    ]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    written = 0
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
        written += json.loads(out)["units_measured"]
    assert written == 4, "each unit is written by exactly one of the two processes"

    store = open_store(project.store_url)
    try:
        meas = repo.measurements_frame(store)
        units = repo.done_units(store)
    finally:
        store.dispose()
    keys = ["site_id", "scene_id", "metric"]
    assert not meas.duplicated(keys).any()
    # A later single-process run finds every unit done and the same rows.
    again = analyze(project)
    assert again.units_measured == 0 and again.units_done_before == len(units) == 4
    per_unit = meas.groupby(["site", "geometry_key"])["scene_id"].nunique()
    assert len(per_unit) == 4 and (per_unit > 1).all()
