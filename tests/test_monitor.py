"""Watch cycles: each change alerted exactly once, atomic cycles, rate limits, resilient loop.

Most tests inject the cycle's steps: ``assess`` writes a fake fused state table (read from a file
in the project, so a subprocess sees the same one) up to a cutoff date that the test advances
between cycles. The table comes from the built-in scenario's ground truth
(``scenario.timeline``) sampled on a 6-day revisit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select, text

from forcewatch.alerts import channels_from_settings
from forcewatch.config import Project, load_project
from forcewatch.errors import InputError
from forcewatch.monitor import (
    AlertDraft,
    CycleContext,
    CycleSteps,
    parse_interval,
    run_cycle,
    stop_on_signals,
    watch,
)
from forcewatch.scenario.timeline import vehicles_on
from forcewatch.sites import Site, circle_polygon
from forcewatch.store import repo
from forcewatch.store import tables as t
from forcewatch.store.db import open_store
from forcewatch.store.tables import metadata
from tests.test_alerts import SECRET, Failing, WebhookReceiver

REPO_ROOT = Path(__file__).resolve().parents[1]
# name: (lon, lat, distance to the reference line in km, band)
SITES = {
    "Klintsy": (32.24, 52.75, 30.0, "20-50"),
    "Valuyki": (38.10, 50.21, 25.0, "20-50"),
    "Yelnya": (33.17, 54.57, 240.0, "100-250"),
}
DATES = [date(2021, 10, 1) + timedelta(days=6 * i) for i in range(25)]  # to 2022-02-24
BLIND = {("Klintsy", date(2021, 12, 31))}  # a pass with no usable pixels


# --- the fake state table -----------------------------------------------------------------------


def scenario_rows() -> list[dict[str, Any]]:
    """Fused states from the scenario's vehicle counts: the total against 42 days earlier."""
    rows = []
    for site in SITES:
        for day in DATES:
            inside, ring = vehicles_on(site, day)
            ref_in, ref_ring = vehicles_on(site, day - timedelta(days=42))
            delta, ref = inside + ring - ref_in - ref_ring, ref_in + ref_ring
            state = "quiet"
            if abs(delta) > max(50.0, 0.3 * ref):
                state = "build-up" if delta > 0 else "draw-down"
            if (site, day) in BLIND:
                state = "blind"
            rows.append(
                dict(
                    site=site,
                    day=day.isoformat(),
                    state=state,
                    activity=inside / 1000,
                    activity_total=(inside + ring) / 1000,
                    dispersal=state != "blind" and ring >= 100,
                )
            )
    return rows


def expected_changes(rows: Sequence[dict[str, Any]]) -> set[tuple[str, str, str | None, str, str]]:
    """(kind, site, from, to, day) of every change, worked out independently of the monitor."""
    out = set()
    for site in SITES:
        current, dispersed = None, False
        for r in sorted((r for r in rows if r["site"] == site), key=lambda r: r["day"]):
            if r["state"] == "blind":
                continue
            if r["state"] != current and (current is not None or r["state"] != "quiet"):
                out.add(("state-change", site, current, r["state"], r["day"]))
            current = r["state"]
            if r["dispersal"] and not dispersed:
                out.add(("dispersal", site, None, "dispersal", r["day"]))
            dispersed = r["dispersal"]
    return out


def write_table(root: Path, rows: Sequence[dict[str, Any]], cutoff: date | None = None) -> None:
    text = json.dumps({"rows": list(rows), "cutoff": cutoff.isoformat() if cutoff else None})
    (root / "fake_states.json").write_text(text)


def fake_assess(ctx: CycleContext) -> dict[str, int]:
    """Replace the stored states with the fake table's rows up to its cutoff."""
    spec = json.loads((ctx.project.root / "fake_states.json").read_text())
    store = open_store(ctx.project.store_url)
    try:
        ids = {s.site.name: s.id for s in repo.list_sites(store)}
        rows = [
            dict(
                site_id=ids[r["site"]],
                geometry_key="fused",
                acquired_utc=datetime.fromisoformat(r["day"]).replace(hour=4, tzinfo=UTC),
                state=r["state"],
                activity=r["activity"],
                details={
                    "activity_total": r["activity_total"],
                    "dispersal": r["dispersal"],
                    "used": ["s1:ro021"],
                    "scene_ids": [f"{r['site']}-{r['day']}"],
                },
            )
            for r in spec["rows"]
            if spec["cutoff"] is None or r["day"] <= spec["cutoff"]
        ]
        with store.begin() as conn:
            repo.replace_states(conn, "fake", rows)
    finally:
        store.dispose()
    return {"states": len(rows)}


def fake_verdicts(ctx: CycleContext) -> dict[str, int] | None:
    path = ctx.project.root / "fake_verdicts.json"
    if not path.exists():
        return None
    verdicts = json.loads(path.read_text())
    store = open_store(ctx.project.store_url)
    try:
        with store.begin() as conn:
            for v in verdicts:
                repo.upsert_claim(
                    conn,
                    {
                        "id": v["claim_id"],
                        "speaker": "MoD",
                        "stated_on": "2022-02-15",
                        "kind": "withdrawal",
                    },
                )
            repo.replace_verdicts(conn, "fake", verdicts)
    finally:
        store.dispose()
    return {"verdicts": len(verdicts)}


def _nothing(_ctx: CycleContext) -> None:
    return None


def fake_steps(**over: Any) -> CycleSteps:
    steps: dict[str, Any] = dict(
        fetch=_nothing,
        ingest=_nothing,
        analyze=_nothing,
        assess=fake_assess,
        verdicts=fake_verdicts,
    )
    steps.update(over)
    return CycleSteps(**steps)


def make_project(
    root: Path, *, min_hours: float = 0.0, channels: Sequence[dict[str, Any]] = ()
) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    cfg = {
        "name": "watch test",
        "alerts": {
            "min_hours_between_site_alerts": min_hours,
            "dashboard_url": "http://dash.test/",
            "channels": list(channels),
        },
    }
    (root / "forcewatch.yaml").write_text(yaml.safe_dump(cfg))
    project = load_project(root)
    store = open_store(project.store_url)
    try:
        sites = [
            Site(name, circle_polygon(lon, lat, 1.0), distance_km=d, band=band)
            for name, (lon, lat, d, band) in SITES.items()
        ]
        with store.begin() as conn:
            repo.upsert_sites(conn, sites)
    finally:
        store.dispose()
    return project


def stored_rows(project: Project, table: Any) -> list[Any]:
    store = open_store(project.store_url)
    try:
        with store.connect() as conn:
            return list(conn.execute(select(table).order_by(table.c.id)).all())
    finally:
        store.dispose()


def stored_alerts(project: Project) -> list[Any]:
    return stored_rows(project, t.alerts)


def stored_cycles(project: Project) -> list[Any]:
    return stored_rows(project, t.watch_cycles)


def change_keys(rows: Sequence[Any]) -> list[tuple[str, str, str | None, str, str]]:
    keys = [
        (r.kind, r.subject, r.from_state, r.to_state, str(r.effective_utc)[:10])
        for r in rows
        if r.kind in ("state-change", "dispersal")
    ]
    return sorted(keys, key=lambda k: tuple(x or "" for x in k))


def everything_at_once(tmp_path: Path) -> list[Any]:
    project = make_project(tmp_path / "reference")
    write_table(project.root, scenario_rows())
    assert run_cycle(project, steps=fake_steps(), channels=[]).status == "ok"
    return stored_alerts(project)


MID = date(2021, 12, 20)


# --- each change exactly once -------------------------------------------------------------------


def test_two_cycles_over_the_scenario_alert_each_change_exactly_once(tmp_path: Path) -> None:
    rows = scenario_rows()
    expected = expected_changes(rows)
    assert len(expected) >= 6  # the scenario has build-ups, draw-downs and dispersal
    project = make_project(tmp_path / "p")
    write_table(project.root, rows, cutoff=MID)
    first = run_cycle(project, steps=fake_steps(), channels=[])
    write_table(project.root, rows)
    second = run_cycle(project, steps=fake_steps(), channels=[])
    third = run_cycle(project, steps=fake_steps(), channels=[])
    assert [c.status for c in (first, second, third)] == ["ok", "ok", "ok"]
    assert first.alerts and second.alerts and third.alerts == []
    alerts = stored_alerts(project)
    keys = change_keys(alerts)
    assert len(keys) == len(set(keys))
    assert set(keys) == expected
    assert change_keys(everything_at_once(tmp_path)) == keys
    early = {a["id"] for a in first.alerts}
    assert all(str(a.effective_utc)[:10] <= MID.isoformat() for a in alerts if a.id in early)


def test_changes_carry_severity_evidence_and_a_dashboard_link(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    write_table(project.root, scenario_rows())
    run_cycle(project, steps=fake_steps(), channels=[])
    alerts = stored_alerts(project)
    build = [a for a in alerts if a.kind == "state-change" and a.to_state == "build-up"]
    by_site = {a.subject: a for a in build}
    assert by_site["Klintsy"].severity == "critical"  # 30 km from the line
    assert by_site["Yelnya"].severity == "warning"  # 240 km away
    k = by_site["Klintsy"]
    assert k.link == "http://dash.test/sites/Klintsy"
    assert k.title.startswith("Klintsy: ") and "simulated" not in k.evidence
    assert k.evidence["to"]["acquired_utc"].startswith(str(k.effective_utc)[:10])
    assert k.evidence["to"]["geometry_keys"] == ["s1:ro021"]
    assert k.evidence["from"]["state"] == "quiet"
    dispersal = [a for a in alerts if a.kind == "dispersal" and a.subject == "Klintsy"]
    assert len(dispersal) == 1 and dispersal[0].severity == "critical"
    shifts = [a for a in alerts if a.kind == "band-shift"]
    assert [(a.from_state, a.to_state) for a in shifts] == [("100-250", "20-50")]
    assert shifts[0].severity == "critical" and set(shifts[0].sites) == {"Klintsy", "Valuyki"}


def test_first_cycle_sends_only_each_subjects_latest_serious_change(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    write_table(project.root, scenario_rows())
    result = run_cycle(project, steps=fake_steps(), channels=[])
    alerts = stored_alerts(project)
    sent = [a for a in alerts if not a.suppressed]
    assert {a.suppressed_reason for a in alerts if a.suppressed} == {"baseline"}
    assert len({a.subject for a in sent}) == len(sent)
    for a in sent:
        later = [b for b in alerts if b.subject == a.subject and b.effective_utc > a.effective_utc]
        assert later == [] and a.severity in ("warning", "critical")
    assert {a["id"] for a in result.sent} == {a.id for a in sent}


def test_a_verdict_flip_to_contradicted_is_a_warning_linked_to_the_claim(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    write_table(project.root, scenario_rows(), cutoff=MID)
    verdict = {"claim_id": "c1", "verdict": "inconclusive", "explanation": "Too few passes."}
    (project.root / "fake_verdicts.json").write_text(json.dumps([verdict]))
    run_cycle(project, steps=fake_steps(), channels=[])
    write_table(project.root, scenario_rows())
    verdict.update(verdict="contradicted", explanation="Activity rose at Klintsy.")
    (project.root / "fake_verdicts.json").write_text(json.dumps([verdict]))
    second = run_cycle(project, steps=fake_steps(), channels=[])
    flips = [a for a in stored_alerts(project) if a.kind == "verdict-change"]
    assert [(a.from_state, a.to_state) for a in flips] == [
        (None, "inconclusive"),
        ("inconclusive", "contradicted"),
    ]
    flip = flips[1]
    assert flip.severity == "warning" and not flip.suppressed
    assert flip.link == "http://dash.test/claims#claim-c1"
    assert flip.evidence["claim_id"] == "c1" and flip.summary == "Activity rose at Klintsy."
    assert flip.id in {a["id"] for a in second.sent}
    assert run_cycle(project, steps=fake_steps(), channels=[]).alerts == []


# --- atomic cycles ------------------------------------------------------------------------------


def _boom(drafts: Sequence[AlertDraft]) -> None:
    assert drafts  # the alerts were computed and written in the transaction
    raise RuntimeError("killed before commit")


def test_a_cycle_failing_before_commit_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    rows = scenario_rows()
    project = make_project(tmp_path / "p")
    write_table(project.root, rows, cutoff=MID)
    run_cycle(project, steps=fake_steps(), channels=[])
    after_first = stored_alerts(project)
    write_table(project.root, rows)
    failed = run_cycle(project, steps=fake_steps(before_commit=_boom), channels=[])
    assert failed.status == "failed" and "killed before commit" in (failed.message or "")
    assert stored_alerts(project) == after_first
    assert [c.status for c in stored_cycles(project)] == ["ok", "failed"]
    again = run_cycle(project, steps=fake_steps(), channels=[])
    assert again.status == "ok" and again.alerts
    assert change_keys(stored_alerts(project)) == change_keys(everything_at_once(tmp_path))


def test_a_lost_snapshot_does_not_alert_the_same_changes_again(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    write_table(project.root, scenario_rows())
    first = run_cycle(project, steps=fake_steps(), channels=[])
    assert first.alerts
    store = open_store(project.store_url)
    try:
        with store.begin() as conn:  # as if the watch history were wiped: only alerts remain
            conn.execute(t.watch_cycles.delete())
    finally:
        store.dispose()
    again = run_cycle(project, steps=fake_steps(), channels=[])
    assert again.status == "ok" and again.alerts == []
    assert len(stored_alerts(project)) == len(first.alerts)


def _hang(_drafts: Sequence[AlertDraft]) -> None:
    root = Path(os.environ["FW_TEST_PROJECT"])
    (root / "in-commit").write_text("alerts written, not committed")
    time.sleep(120)


def child_cycle(root: str) -> None:
    """Run in a subprocess: a cycle that hangs inside its final transaction (to be killed)."""
    run_cycle(load_project(root), steps=fake_steps(before_commit=_hang), channels=[])


def test_a_cycle_killed_inside_its_transaction_leaves_the_previous_snapshot(tmp_path: Path) -> None:
    rows = scenario_rows()
    project = make_project(tmp_path / "p")
    write_table(project.root, rows, cutoff=MID)
    run_cycle(project, steps=fake_steps(), channels=[])
    after_first = stored_alerts(project)
    write_table(project.root, rows)
    code = "import sys; from tests.test_monitor import child_cycle; child_cycle(sys.argv[1])"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(project.root)],
        cwd=REPO_ROOT,
        env={**os.environ, "FW_TEST_PROJECT": str(project.root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 45
    while not (project.root / "in-commit").exists() and proc.poll() is None:
        assert time.monotonic() < deadline, "the child never reached its commit"
        time.sleep(0.1)
    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert stored_alerts(project) == after_first
    assert [c.status for c in stored_cycles(project)] == ["ok"]
    assert run_cycle(project, steps=fake_steps(), channels=[]).status == "ok"
    assert change_keys(stored_alerts(project)) == change_keys(everything_at_once(tmp_path))


@pytest.fixture()
def postgres_url() -> str:
    """An emptied PostgreSQL schema (as in tests/store), or a skip when none is configured."""
    url = os.environ.get("FORCEWATCH_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("no PostgreSQL (set FORCEWATCH_TEST_POSTGRES_URL; `make test` starts one)")
    store = open_store(url, migrate_schema=False)
    try:
        with store.begin() as conn:
            metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        store.dispose()
    return url


def test_cycles_on_postgresql_alert_once_and_roll_back_whole(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCEWATCH_STORE_URL", postgres_url)
    rows = scenario_rows()
    project = make_project(tmp_path / "p")
    write_table(project.root, rows, cutoff=MID)
    run_cycle(project, steps=fake_steps(), channels=[])
    after_first = stored_alerts(project)
    write_table(project.root, rows)
    failed = run_cycle(project, steps=fake_steps(before_commit=_boom), channels=[])
    assert failed.status == "failed" and stored_alerts(project) == after_first
    assert run_cycle(project, steps=fake_steps(), channels=[]).status == "ok"
    assert run_cycle(project, steps=fake_steps(), channels=[]).alerts == []
    keys = change_keys(stored_alerts(project))
    assert len(keys) == len(set(keys)) and set(keys) == expected_changes(rows)


# --- rate limit and channels --------------------------------------------------------------------


class Recorder:
    key = "test:recorder"

    def __init__(self) -> None:
        self.ids: list[int] = []

    def send(self, alert: dict[str, Any]) -> None:
        self.ids.append(int(alert["id"]))


def _day(i: int) -> str:
    return (date(2022, 1, 1) + timedelta(days=6 * i)).isoformat()


def _row(site: str, i: int, state: str, dispersal: bool = False) -> dict[str, Any]:
    return dict(
        site=site, day=_day(i), state=state, activity=0.1, activity_total=0.1, dispersal=dispersal
    )


def test_rate_limit_suppresses_later_alerts_of_a_site_unless_more_severe(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", min_hours=6)
    t0 = datetime(2022, 3, 1, 12, tzinfo=UTC)
    rec = Recorder()
    near = ["quiet", "build-up", "draw-down", "build-up", "quiet"]  # Klintsy, 30 km: near
    far = ["quiet", "draw-down", "build-up", "build-up", "build-up"]  # Yelnya, 240 km
    hours = [0, 1, 2, 3, 8]
    rows: list[dict[str, Any]] = []
    results = []
    for i, h in enumerate(hours):
        rows += [_row("Klintsy", i, near[i], dispersal=i == 3), _row("Yelnya", i, far[i])]
        write_table(project.root, rows)
        results.append(
            run_cycle(
                project,
                steps=fake_steps(),
                channels=[rec],
                clock=lambda h=h: t0 + timedelta(hours=h),
            )
        )
    got = [
        [(a["subject"], a["to_state"], a["suppressed_reason"]) for a in r.alerts] for r in results
    ]
    assert got[0] == []
    assert sorted(got[1]) == [("Klintsy", "build-up", None), ("Yelnya", "draw-down", None)]
    # Klintsy's warning waits (a critical was sent 1 h ago); Yelnya's warning beats its info
    assert sorted(got[2]) == [("Klintsy", "draw-down", "rate-limit"), ("Yelnya", "build-up", None)]
    assert sorted(got[3]) == [
        ("Klintsy", "build-up", "rate-limit"),
        ("Klintsy", "dispersal", "rate-limit"),
    ]
    assert got[4] == [("Klintsy", "quiet", None)]  # 7 h after the last one sent
    sent = [a["id"] for r in results for a in r.alerts if not a["suppressed"]]
    assert rec.ids == sent


def test_one_failing_channel_does_not_stop_the_other_or_the_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FW_TEST_HOOK_SECRET", SECRET)
    with WebhookReceiver() as rx:
        hook = {"kind": "webhook", "url": rx.url, "secret_env": "FW_TEST_HOOK_SECRET"}
        project = make_project(tmp_path / "p", channels=[hook])
        failing = Failing()
        channels = [failing, *channels_from_settings(project.config.alerts)]
        write_table(project.root, scenario_rows(), cutoff=MID)
        first = run_cycle(project, steps=fake_steps(), channels=channels)
        write_table(project.root, scenario_rows())
        second = run_cycle(project, steps=fake_steps(), channels=channels)
    assert first.status == second.status == "ok"
    sent = sorted(a["id"] for r in (first, second) for a in r.sent)
    assert sent and sorted(a["id"] for a in rx.alerts()) == sent
    assert first.deliveries is not None and first.deliveries.failed == 1
    assert second.deliveries is not None and second.deliveries.failed == 1
    store = open_store(project.store_url)
    try:
        with store.connect() as conn:
            mine = conn.execute(
                select(t.alert_deliveries).where(t.alert_deliveries.c.channel == failing.key)
            ).all()
    finally:
        store.dispose()
    assert {r.alert_id for r in mine} == set(sent)
    assert max(r.attempts for r in mine) == 2  # the first cycle's first alert, retried once
    assert all(r.status in ("retry", "pending") for r in mine)


# --- the loop -----------------------------------------------------------------------------------


def test_the_loop_survives_a_failed_cycle_and_stops_when_asked(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    write_table(project.root, scenario_rows())
    stop = threading.Event()
    calls = {"n": 0}

    def flaky(ctx: CycleContext) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("disk on fire")
        return fake_assess(ctx)

    def stop_during_third_commit(_drafts: Sequence[AlertDraft]) -> None:
        if calls["n"] == 3:
            stop.set()  # a stop asked for while committing lets the cycle finish

    results = watch(
        project,
        timedelta(milliseconds=10),
        once=False,
        stop_event=stop,
        steps=fake_steps(assess=flaky, before_commit=stop_during_third_commit),
        channels=[],
    )
    assert [r.status for r in results] == ["failed", "ok", "ok"]
    assert "disk on fire" in (results[0].message or "")
    cycles = stored_cycles(project)
    assert [c.status for c in cycles] == ["failed", "ok", "ok"]
    assert cycles[0].message == "RuntimeError: disk on fire"
    assert results[1].alerts and results[2].alerts == []


def test_a_failed_fetch_makes_a_partial_cycle_that_still_alerts(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    write_table(project.root, scenario_rows())

    def offline(_ctx: CycleContext) -> None:
        raise ConnectionError("STAC API unreachable")

    (result,) = watch(
        project, timedelta(hours=6), once=True, steps=fake_steps(fetch=offline), channels=[]
    )
    assert result.status == "partial" and "STAC API unreachable" in (result.message or "")
    assert result.alerts
    assert run_cycle(project, steps=fake_steps(), channels=[]).alerts == []


def test_a_stop_between_steps_interrupts_the_cycle_without_committing(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    write_table(project.root, scenario_rows())
    stop = threading.Event()

    def ingest_then_stop(_ctx: CycleContext) -> None:
        stop.set()

    results = watch(
        project,
        timedelta(hours=6),
        stop_event=stop,
        steps=fake_steps(ingest=ingest_then_stop),
        channels=[],
    )
    assert [r.status for r in results] == ["interrupted"]
    assert stored_alerts(project) == []
    assert run_cycle(project, steps=fake_steps(), channels=[]).alerts


def test_signals_set_the_stop_event_and_handlers_are_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with stop_on_signals() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 5
        while not stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stop.is_set()
        with pytest.raises(KeyboardInterrupt):  # a second signal stops at once
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
    assert signal.getsignal(signal.SIGTERM) == before


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6h", 21600), ("30m", 1800), ("1d", 86400), ("1h30m", 5400), (" 45s ", 45), ("2w", 1209600)],
)
def test_parse_interval_reads_units(text: str, seconds: int) -> None:
    assert parse_interval(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "6", "h", "6x", "-1h", "0m", "six hours", "1h 30"])
def test_parse_interval_refuses_bad_text(text: str) -> None:
    with pytest.raises(InputError):
        parse_interval(text)


# --- over the real pipeline ---------------------------------------------------------------------


def test_watch_over_a_tiny_simulated_project(tmp_path: Path) -> None:
    from forcewatch.pipeline import store_for
    from tests.helpers import tiny_project

    project, imagery = tiny_project(tmp_path / "tiny")
    cfg = yaml.safe_load(project.config_path.read_text())
    cfg["imagery"]["paths"] = [imagery.name]
    project.config_path.write_text(yaml.safe_dump(cfg))
    project = load_project(project.root)
    (first,) = watch(project, timedelta(hours=6), once=True, channels=[])
    analyzed = first.steps.get("analyze", {})
    if first.status != "ok" or analyzed.get("failures") or not first.steps["assess"]["states"]:
        pytest.skip(f"the analysis pipeline is not complete yet: {first.message or analyzed}")
    assert first.steps["ingest"]["new"] > 0
    store = store_for(project)
    try:
        states = repo.states_frame(store)
    finally:
        store.dispose()
    fused = states[states["geometry_key"] == "fused"]
    assert not fused.empty
    (second,) = watch(project, timedelta(hours=6), once=True, channels=[])
    assert second.status == "ok" and second.alerts == []
    assert second.steps["ingest"]["unchanged"] == first.steps["ingest"]["new"]
    alerts = stored_alerts(project)
    keys = change_keys(alerts)
    assert len(keys) == len(set(keys))
    assert all(a.title.startswith("[SIMULATED] ") and a.evidence["simulated"] for a in alerts)
    changes = [a for a in alerts if a.kind == "state-change"]
    if changes:  # the evidence names the measurements behind the new state
        assert all(a.evidence.get("measurement_ids") for a in changes)
