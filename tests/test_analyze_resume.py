"""`analyze` survives a kill mid-run: the re-run resumes and equals an uninterrupted run; after a
parameter change it replaces the stored rows instead of adding to them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from forcewatch.config import load_project
from forcewatch.pipeline import analyze, ingest
from forcewatch.store import repo
from forcewatch.store.db import open_store
from tests.helpers import tiny_project


def _measurements(project) -> pd.DataFrame:
    store = open_store(project.store_url)
    try:
        df = repo.measurements_frame(store)
    finally:
        store.dispose()
    keys = ["site", "geometry_key", "scene_id", "metric"]
    return df[[*keys, "value", "acquired_utc"]].sort_values(keys).reset_index(drop=True)


def _units_done(project) -> int:
    store = open_store(project.store_url)
    try:
        return len(repo.done_units(store))
    finally:
        store.dispose()


def test_kill_mid_run_then_resume_matches_uninterrupted(tmp_path: Path) -> None:
    reference, ref_imagery = tiny_project(tmp_path / "reference")
    ingest(reference, [ref_imagery])
    analyze(reference)
    expected = _measurements(reference)
    assert not expected.empty

    project, imagery = tiny_project(tmp_path / "crashed")
    ingest(project, [imagery])
    env = {**os.environ, "FORCEWATCH_UNIT_DELAY_S": "3"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "forcewatch.cli", "analyze", "--project", str(project.root)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while _units_done(project) < 1 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_at_kill = _units_done(project)
    total = len(expected.groupby(["site", "geometry_key"]))
    assert 1 <= done_at_kill < total, "the kill must land mid-run"

    summary = analyze(project)
    assert summary.units_done_before == done_at_kill
    assert summary.units_measured == total - done_at_kill
    got = _measurements(project)
    # Same scenes (different folders, so scene ids differ): compare by site/orbit/time/metric.
    keys = ["site", "geometry_key", "acquired_utc", "metric"]
    a = expected.drop(columns="scene_id").sort_values(keys).reset_index(drop=True)
    b = got.drop(columns="scene_id").sort_values(keys).reset_index(drop=True)
    assert not b.duplicated(keys).any()
    pd.testing.assert_frame_equal(a, b)


def test_a_parameter_change_replaces_the_stored_measurements(tmp_path: Path) -> None:
    project, imagery = tiny_project(tmp_path / "p")
    ingest(project, [imagery])
    first = analyze(project)
    before = _measurements(project)
    config = project.root / "forcewatch.yaml"
    config.write_text(config.read_text().replace("  enl: 4.4", "  enl: 3.0"))
    project = load_project(project.root)
    second = analyze(project)
    after = _measurements(project)
    assert second.units_measured == first.units_measured > 0  # new parameters: all redone
    assert len(after) == len(before)  # replaced, not added beside the old rows
    assert not after.duplicated(["site", "geometry_key", "scene_id", "metric"]).any()
    store = open_store(project.store_url)
    try:
        hashes = set(repo.measurements_frame(store)["params_hash"])
    finally:
        store.dispose()
    assert len(hashes) == 1
    changed = after["value"].to_numpy() != before["value"].to_numpy()
    assert changed.any()  # the ENL enters the change statistics
    assert analyze(project).units_measured == 0  # and a third run has nothing to do


def test_a_scene_unreadable_at_analysis_is_reported_blind_and_redone_when_back(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from forcewatch.cli import app

    project, imagery = tiny_project(tmp_path / "p")
    ingest(project, [imagery])
    victim = sorted((imagery).rglob("*.tif"))[2]
    kept = victim.read_bytes()
    victim.write_bytes(kept[: len(kept) // 3])  # broken after ingest
    runner = CliRunner()
    args = ["analyze", "-p", str(project.root), "--site", "Klintsy"]
    result = runner.invoke(app, args)
    said = " ".join(result.output.split())
    assert result.exit_code == 3, result.output  # was 0, and the date silently left the series
    assert "could not be read" in said and "--redo" in said
    rows = _measurements(project)
    blind = rows[(rows.metric == "valid_frac") & (rows.value == 0.0)]
    assert len(blind) == 1  # the date is blind, not absent
    victim.write_bytes(kept)  # restored byte for byte: ingest calls it unchanged
    assert runner.invoke(app, args).exit_code == 0  # nothing to do: the unit is stored
    redone = runner.invoke(app, [*args, "--redo"])
    assert redone.exit_code == 0, redone.output
    rows = _measurements(project)
    assert not ((rows.metric == "valid_frac") & (rows.value == 0.0)).any()
    assert "measured" in redone.output
