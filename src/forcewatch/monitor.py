"""Watching: cycles that bring the store up to date and alert on what changed since the last one.

One cycle fetches new imagery (when ``stac:`` sources are configured), ingests
``imagery.paths`` (when set), analyzes what is new, re-assesses the states, re-tests the claims,
then compares what the store says now with the snapshot left by the previous cycle
(``forcewatch.changes.detect``) and stores alerts for the changes.

The cycle's alert rows, its ``watch_cycles`` record and the new snapshot are written in one
transaction at the end. A cycle that fails or is killed leaves the previous snapshot in place,
so the next one finds the same changes again; ``alerts.dedup_key`` (unique) keeps any change
from being alerted twice, even across restarts. Deliveries run after the commit
(``forcewatch.alerts.deliver_pending``) and never fail the cycle.
"""

from __future__ import annotations

import json
import logging
import re
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, is_dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, null, select, update

from forcewatch import pipeline
from forcewatch.alerts import (
    MAX_DELIVERY_ATTEMPTS,
    Channel,
    DeliveryReport,
    channels_from_settings,
    deliver_pending,
    missing_environment,
    queue_deliveries,
)
from forcewatch.changes import (
    SEVERITY_RANK,
    AlertDraft,
    Observation,
    SiteInfo,
    detect,
    iso_utc,
    parse_utc,
    plan_suppression,
)
from forcewatch.config import Project
from forcewatch.errors import ForceWatchError, InputError
from forcewatch.store import repo
from forcewatch.store import tables as t
from forcewatch.store.db import Store

log = logging.getLogger(__name__)

ACTIVITY_METRICS = ("bright_frac_resid", "bright_frac_resid_ring")
COMMITTED = ("ok", "partial")  # cycle statuses that wrote a snapshot
SNAPSHOTS_KEPT = 10
MAX_LIST_STORED = 20  # step summaries keep this many items of a list (and its length)
RESULT_KEYS = (
    "kind",
    "severity",
    "subject",
    "from_state",
    "to_state",
    "suppressed",
    "suppressed_reason",
)  # older cycles' snapshots are cleared (only the latest is ever read)

__all__ = [
    "AlertDraft",
    "CycleContext",
    "CycleResult",
    "CycleSteps",
    "Observation",
    "SiteInfo",
    "observe_store",
    "parse_interval",
    "run_cycle",
    "stop_on_signals",
    "watch",
]


def now_utc() -> datetime:
    return datetime.now(UTC)


# --- reading the store --------------------------------------------------------------------------


def observe_store(project: Project, store: Store) -> Observation:
    """Read states, sites and verdicts from the store."""
    sites = {
        s.site.name: SiteInfo(s.id, s.site.name, s.site.distance_km, s.site.band)
        for s in repo.list_sites(store)
    }
    verdicts = {str(v["claim_id"]): v for v in repo.list_verdicts(store) if "claim_id" in v}
    return Observation(repo.states_frame(store), sites, verdicts)


def with_measurement_ids(store: Store, drafts: Sequence[AlertDraft]) -> list[AlertDraft]:
    """Add the ids of the activity measurements behind each site draft's scenes."""
    wanted = {int(d.evidence["site_id"]) for d in drafts if "site_id" in d.evidence}
    if not wanted:
        return list(drafts)
    meas = repo.measurements_frame(store, sorted(wanted))
    if meas.empty:
        return list(drafts)
    meas = meas[meas["metric"].isin(ACTIVITY_METRICS)]
    out = []
    for d in drafts:
        scenes = (d.evidence.get("to") or {}).get("scene_ids") or []
        if "site_id" not in d.evidence or not scenes:
            out.append(d)
            continue
        hit = meas[(meas["site_id"] == d.evidence["site_id"]) & meas["scene_id"].isin(scenes)]
        ids = sorted(int(i) for i in hit["id"])[:50]
        out.append(replace(d, evidence={**d.evidence, "measurement_ids": ids}))
    return out


def is_simulated(project: Project, store: Store) -> bool:
    """Whether the project is marked simulated or any stored scene is simulated."""
    if project.config.simulated:
        return True
    q = select(t.scenes.c.id).where(t.scenes.c.simulated.is_(True)).limit(1)
    with store.connect() as conn:
        return conn.execute(q).first() is not None


def label_simulated(drafts: Sequence[AlertDraft]) -> list[AlertDraft]:
    """Mark drafts drawn from simulated imagery as such wherever they are shown."""
    return [
        replace(
            d,
            title=f"[SIMULATED] {d.title}",
            summary=f"SIMULATED IMAGERY, not a real observation. {d.summary}",
            evidence={**d.evidence, "simulated": True},
        )
        for d in drafts
    ]


def _recent_sent(conn: Connection, subjects: Sequence[str], since: datetime) -> dict[str, int]:
    a = t.alerts.c
    q = (
        select(a.subject, a.severity)
        .where(a.subject.in_(list(subjects)), a.suppressed.is_(False), a.created_utc >= since)
        .distinct()
    )
    out: dict[str, int] = {}
    for subject, severity in conn.execute(q):
        out[subject] = max(out.get(subject, -1), SEVERITY_RANK.get(severity, 0))
    return out


# --- the cycle ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleContext:
    """What a step gets: the project, the Dask scheduler (or None), the UTC date to fetch
    imagery from, and when the cycle started."""

    project: Project
    scheduler: str | None
    since: date | None
    started_utc: datetime


StepFn = Callable[[CycleContext], Any]


def fetch_step(ctx: CycleContext) -> Any:
    """Fetch and register new scenes from the ``stac:`` sources (skipped when none)."""
    if not ctx.project.config.stac:
        return None
    from forcewatch.imagery import stac  # optional layer, imported only when configured

    return stac.fetch(ctx.project, since=ctx.since, until=None)


def ingest_step(ctx: CycleContext) -> Any:
    """Ingest the ``imagery.paths`` folders (skipped when none is set or they hold no raster)."""
    from forcewatch.imagery.catalog import scan_paths

    paths = [ctx.project.resolve(p) for p in ctx.project.config.imagery.paths]
    if not paths:
        return None
    if next(iter(scan_paths(paths)), None) is None:
        return {"files": 0}
    return pipeline.ingest(ctx.project, paths)


def analyze_step(ctx: CycleContext) -> Any:
    return pipeline.analyze(ctx.project, scheduler=ctx.scheduler)


def assess_step(ctx: CycleContext) -> Any:
    return {"states": pipeline.assess(ctx.project)}


def verdicts_step(ctx: CycleContext) -> Any:
    """Re-test the stored claims (skipped when the ledger is empty)."""
    store = pipeline.store_for(ctx.project)
    try:
        if not repo.list_claims(store):
            return None
    finally:
        store.dispose()
    return {"verdicts": len(pipeline.compute_verdicts(ctx.project))}


def _no_hook(_drafts: Sequence[AlertDraft]) -> None:
    return None


@dataclass(frozen=True)
class CycleSteps:
    """The steps of a cycle, in order; each may be replaced (tests, special deployments).

    ``fetch`` is the only step whose failure does not fail the cycle (the cycle is then
    ``partial``: local data is still watched). ``before_commit`` runs inside the final
    transaction after the alert rows are written: raising there rolls the whole cycle back.
    """

    fetch: StepFn = fetch_step
    ingest: StepFn = ingest_step
    analyze: StepFn = analyze_step
    assess: StepFn = assess_step
    verdicts: StepFn = verdicts_step
    observe: Callable[[Project, Store], Observation] = observe_store
    before_commit: Callable[[Sequence[AlertDraft]], None] = _no_hook


@dataclass
class CycleResult:
    """One cycle: ``status`` ok | partial (fetch failed) | failed | interrupted."""

    cycle_id: int | None
    status: str
    started_utc: datetime
    finished_utc: datetime
    message: str | None = None
    steps: dict[str, Any] = field(default_factory=dict)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    deliveries: DeliveryReport | None = None

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The new alerts that were not suppressed: those queued for the channels (whether
        a channel took them is in ``deliveries``)."""
        return [a for a in self.alerts if not a["suppressed"]]

    def describe(self, channels: int) -> str:
        """One line for the cycle: alerts raised, suppressed, and what the channels took."""
        line = f"cycle {self.cycle_id}: {self.status}; {len(self.alerts)} alert(s)"
        if self.alerts:
            line += f", {len(self.sent)} raised, {len(self.alerts) - len(self.sent)} suppressed"
        if self.sent and channels == 0:
            line += "; no alert channel configured: see them on the dashboard or /alerts.atom"
        elif self.sent and self.deliveries is not None:
            d = self.deliveries
            line += f"; deliveries: {d.sent} sent, {d.failed} failed, {d.deferred} to retry"
        return line + (f" ({self.message})" if self.message else "")


class CycleInterrupted(ForceWatchError):
    """A stop was requested between two steps; nothing of the cycle was committed."""


def _trim(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _trim(v) for k, v in value.items()}
    if isinstance(value, list) and len(value) > MAX_LIST_STORED:
        return [*value[:MAX_LIST_STORED], f"... {len(value) - MAX_LIST_STORED} more"]
    return value


def _jsonable(value: Any, trim: bool = True) -> Any:
    """A step summary or evidence (dataclass, dict, number) as JSON-able data; ``trim``
    shortens long lists."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    data = json.loads(json.dumps(value, default=str))
    return _trim(data) if trim else data


def _previous(store: Store) -> tuple[dict[str, Any] | None, datetime | None]:
    """The latest committed snapshot and when its cycle started (None, None before any)."""
    c = t.watch_cycles.c
    q = select(c.snapshot, c.started_utc).where(c.status.in_(COMMITTED))
    with store.connect() as conn:
        row = conn.execute(q.order_by(c.id.desc()).limit(1)).first()
    if row is None or not isinstance(row.snapshot, dict):
        return None, None
    return dict(row.snapshot), repo.as_utc(row.started_utc)


def _fetch_since(project: Project, started: datetime, last: datetime | None) -> date:
    """Fetch from 3 days before the last cycle (late catalogue entries) or, the first time, far
    enough back for a reference period."""
    if last is not None:
        return (last - timedelta(days=3)).date()
    a = project.config.assess
    return (started - timedelta(days=a.reference_days + a.gap_days + 7)).date()


def _when(text: str | None) -> datetime | None:
    ts = parse_utc(text)
    return None if ts is None else ts.to_pydatetime()


def _commit(
    store: Store,
    cycle: dict[str, Any],
    drafts: Sequence[AlertDraft],
    *,
    first_cycle: bool,
    window_h: float,
    channel_keys: Sequence[str],
    hook: Callable[[Sequence[AlertDraft]], None],
) -> tuple[int, list[dict[str, Any]]]:
    """Write the cycle record, its new alerts and their pending deliveries in one transaction."""
    now = cycle["finished_utc"]
    with store.begin() as conn:
        keys = list({d.dedup_key: d for d in drafts})
        existing = set(
            conn.execute(
                select(t.alerts.c.dedup_key).where(t.alerts.c.dedup_key.in_(keys))
            ).scalars()
        )
        unique = {d.dedup_key: d for d in drafts if d.dedup_key not in existing}
        fresh = list(unique.values())
        recent = _recent_sent(
            conn, sorted({d.subject for d in fresh}), now - timedelta(hours=window_h)
        )
        plan = plan_suppression(
            fresh, first_cycle=first_cycle, recent_sent=recent, rate_limited=window_h > 0
        )
        res = conn.execute(insert(t.watch_cycles).values(alerts_new=len(plan), **cycle))
        cycle_id = int(res.inserted_primary_key[0])  # type: ignore[index]
        _clear_old_snapshots(conn)
        made, to_send = [], []
        for d, reason in plan:
            values = dict(
                dedup_key=d.dedup_key,
                cycle_id=cycle_id,
                kind=d.kind,
                severity=d.severity,
                subject=d.subject,
                sites=list(d.sites),
                from_state=d.from_state,
                to_state=d.to_state,
                effective_utc=_when(d.effective_utc),
                title=d.title,
                summary=d.summary,
                link=d.link,
                evidence=_jsonable(d.evidence, trim=False),
                created_utc=now,
                suppressed=reason is not None,
                suppressed_reason=reason,
            )
            res = conn.execute(insert(t.alerts).values(**values))
            alert_id = int(res.inserted_primary_key[0])  # type: ignore[index]
            made.append({"id": alert_id, **{k: values[k] for k in RESULT_KEYS}})
            if reason is None:
                to_send.append(alert_id)
        queue_deliveries(conn, to_send, channel_keys)
        hook(fresh)
    return cycle_id, made


def _clear_old_snapshots(conn: Connection) -> None:
    """Keep the snapshots of the latest SNAPSHOTS_KEPT cycles only (the latest is all a cycle
    reads; a few more help to see what a cycle compared against)."""
    c = t.watch_cycles.c
    old = (
        conn.execute(
            select(c.id)
            .where(c.status.in_(COMMITTED), c.snapshot.is_not(None))
            .order_by(c.id.desc())
            .offset(SNAPSHOTS_KEPT)
        )
        .scalars()
        .all()
    )
    if old:
        conn.execute(update(t.watch_cycles).where(c.id.in_(old)).values(snapshot=null()))


def _record_failure(store: Store, cycle: dict[str, Any]) -> int | None:
    try:
        with store.begin() as conn:
            res = conn.execute(insert(t.watch_cycles).values(alerts_new=0, **cycle))
            return int(res.inserted_primary_key[0])  # type: ignore[index]
    except Exception as exc:  # the store itself may be what failed; the loop must go on
        log.error("could not record the failed cycle: %s", exc)
        return None


def run_cycle(
    project: Project,
    *,
    scheduler: str | None = None,
    steps: CycleSteps | None = None,
    channels: Sequence[Channel] | None = None,
    stop_event: threading.Event | None = None,
    clock: Callable[[], datetime] = now_utc,
    max_attempts: int = MAX_DELIVERY_ATTEMPTS,
) -> CycleResult:
    """Run one cycle (see the module docstring). Never raises for a failing step or channel:
    the result says what happened and the cycle is recorded in ``watch_cycles``."""
    steps = steps or CycleSteps()
    chans = (
        list(channels) if channels is not None else channels_from_settings(project.config.alerts)
    )
    started = clock()
    result = CycleResult(None, "ok", started, started)
    store = pipeline.store_for(project)
    try:
        previous, last_started = _previous(store)
        ctx = CycleContext(
            project, scheduler, _fetch_since(project, started, last_started), started
        )
        problems: list[str] = []
        try:
            for name in ("fetch", "ingest", "analyze", "assess", "verdicts"):
                if stop_event is not None and stop_event.is_set():
                    raise CycleInterrupted(f"stop requested before {name}")
                try:
                    out = getattr(steps, name)(ctx)
                except Exception as exc:
                    if name != "fetch":
                        raise
                    problems.append(f"fetch failed: {exc}")
                    log.warning("watch: fetching new imagery failed (%s); going on", exc)
                    result.status = "partial"
                    continue
                if out is not None:
                    result.steps[name] = _jsonable(out)
            obs = steps.observe(project, store)
            drafts, snapshot = detect(obs, previous, project.config.alerts.dashboard_url)
            drafts = with_measurement_ids(store, drafts)
            if is_simulated(project, store):
                drafts = label_simulated(drafts)
            result.finished_utc = clock()
            result.message = "; ".join(problems) or None
            cycle = dict(
                started_utc=started,
                finished_utc=result.finished_utc,
                status=result.status,
                message=result.message,
                steps=result.steps,
                snapshot=snapshot,
                code_version=repo.CODE_VERSION,
            )
            result.cycle_id, result.alerts = _commit(
                store,
                cycle,
                drafts,
                first_cycle=previous is None,
                window_h=project.config.alerts.min_hours_between_site_alerts,
                channel_keys=[c.key for c in chans],
                hook=steps.before_commit,
            )
        except Exception as exc:
            result.status = "interrupted" if isinstance(exc, CycleInterrupted) else "failed"
            text = (
                exc.message if isinstance(exc, ForceWatchError) else f"{type(exc).__name__}: {exc}"
            )
            result.message = text
            result.alerts = []
            result.finished_utc = clock()
            log.error("watch cycle %s: %s", result.status, text, exc_info=result.status == "failed")
            result.cycle_id = _record_failure(
                store,
                dict(
                    started_utc=started,
                    finished_utc=result.finished_utc,
                    status=result.status,
                    message=text[:4000],
                    steps=result.steps,
                    code_version=repo.CODE_VERSION,
                ),
            )
        try:
            result.deliveries = deliver_pending(store, chans, max_attempts)
        except Exception as exc:  # delivery bookkeeping must not stop the watch
            log.error("watch: delivering alerts failed: %s", exc)
    finally:
        store.dispose()
    return result


# --- the loop -----------------------------------------------------------------------------------

_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_interval(text: str) -> timedelta:
    """'30m', '6h', '1d', '1h30m', '45s', '2w' as a timedelta. Raises InputError otherwise."""
    s = str(text).strip().lower().replace(" ", "")
    if not re.fullmatch(r"(?:\d+(?:\.\d+)?[smhdw])+", s):
        raise InputError(f"bad interval {text!r}: use a number and a unit (s, m, h, d, w), e.g. 6h")
    seconds = sum(float(n) * _UNITS_S[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)([smhdw])", s))
    if seconds <= 0:
        raise InputError(f"bad interval {text!r}: it must be longer than zero")
    return timedelta(seconds=seconds)


@contextmanager
def stop_on_signals(stop: threading.Event | None = None) -> Iterator[threading.Event]:
    """Install SIGINT/SIGTERM handlers that set the returned event: the running cycle stops at
    its next step boundary (or finishes, when already committing) and the loop ends. A second
    signal raises KeyboardInterrupt at once (the final transaction rolls back). Handlers are
    restored on exit. Outside the main thread no handler is installed."""
    event = stop or threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handler(signum: int, _frame: Any) -> None:
        if event.is_set():
            raise KeyboardInterrupt
        log.warning("watch: %s received; stopping after this cycle", signal.Signals(signum).name)
        event.set()

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield event
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def watch(
    project: Project,
    every: timedelta,
    once: bool = False,
    scheduler: str | None = None,
    stop_event: threading.Event | None = None,
    steps: CycleSteps | None = None,
    *,
    channels: Sequence[Channel] | None = None,
    clock: Callable[[], datetime] = now_utc,
    max_attempts: int = MAX_DELIVERY_ATTEMPTS,
) -> list[CycleResult]:
    """Run cycles: one when ``once``, else one every ``every`` until ``stop_event`` is set.

    A failed cycle is logged, recorded and followed by the next one at the usual time. Raises
    ConfigError for a bad channel configuration, InputError for a non-positive interval.
    """
    if not once and every <= timedelta(0):
        raise InputError("the watch interval must be longer than zero")
    chans = (
        list(channels) if channels is not None else channels_from_settings(project.config.alerts)
    )
    for name in missing_environment(project.config.alerts):
        log.warning("watch: environment variable %s is not set; its channel will fail", name)
    stop = stop_event or threading.Event()
    results: list[CycleResult] = []
    while not stop.is_set():
        result = run_cycle(
            project,
            scheduler=scheduler,
            steps=steps,
            channels=chans,
            stop_event=stop,
            clock=clock,
            max_attempts=max_attempts,
        )
        results.append(result)
        log.info(
            "watch cycle %s: %s, %d new alert(s), %d raised",
            result.cycle_id,
            result.status,
            len(result.alerts),
            len(result.sent),
        )
        if once:
            break
        stop.wait(every.total_seconds())
    return results


def cycles(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    """The latest watch cycles, newest first (without their snapshots)."""
    c = t.watch_cycles.c
    q = select(c.id, c.started_utc, c.finished_utc, c.status, c.message, c.alerts_new, c.steps)
    with store.connect() as conn:
        rows = conn.execute(q.order_by(c.id.desc()).limit(limit)).mappings().all()
    return [
        {
            **dict(r),
            "started_utc": iso_utc(r["started_utc"]),
            "finished_utc": iso_utc(r["finished_utc"]),
        }
        for r in rows
    ]


def count_alerts(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.alerts)).scalar() or 0)
