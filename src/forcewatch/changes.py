"""What changed: alert drafts from two views of the store (pure functions over frames).

``detect(observation, previous_snapshot, dashboard_url)`` compares what the store says now (fused
series states, site bands, the latest verdict per claim) with the snapshot a previous watch
cycle left, and returns alert drafts and the new snapshot (JSON-able). Changes alerted:

- a site's fused state changes between readable states (quiet, build-up, draw-down; blind and
  conditions-changed read nothing and change nothing); a first reading unless it is quiet;
- a site's ``dispersal`` flag turns on;
- the distance band holding most build-up activity changes (confirmed on two dates in a row);
- a claim's verdict changes (a first verdict counts).

Each site has a watermark (the newest date seen), so states recomputed before it do not alert
again; ``AlertDraft.dedup_key`` makes a change unique even across lost snapshots.
``plan_suppression`` decides which drafts are sent (first-cycle baseline, rate limit).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pandas as pd

SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
FUSED = "fused"
READABLE = ("quiet", "build-up", "draw-down")  # blind / conditions-changed read nothing
NEAR_KM = 50.0  # "near the border": build-up or dispersal here is critical
BAND_CONFIRM_DATES = 2  # a band must lead on this many dates in a row to count as a shift
BAND_MAX_AGE = pd.Timedelta(days=14)  # a site's last reading counts this long in band sums
SNAPSHOT_VERSION = 1


def iso_utc(value: Any) -> str | None:
    """ISO-8601 UTC text of a timestamp (naive ones are taken as UTC); None for None/NaT."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return str(ts.isoformat())


def parse_utc(value: str | None) -> pd.Timestamp | None:
    """The UTC timestamp of ISO-8601 text (None for None)."""
    return None if value is None else pd.Timestamp(value).tz_convert("UTC")


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if v == v else None  # NaN -> None


# --- drafts and observations --------------------------------------------------------------------


@dataclass(frozen=True)
class AlertDraft:
    """An alert before it is stored. ``subject`` is a site name, ``claim:<id>`` or
    ``watch:bands``; ``effective_utc`` the date of the data that changed."""

    kind: str  # state-change | dispersal | band-shift | verdict-change
    subject: str
    from_state: str | None
    to_state: str
    effective_utc: str | None
    severity: str  # info | warning | critical
    title: str
    summary: str
    link: str
    sites: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def dedup_key(self) -> str:
        """Hash of (kind, subject, from, to, effective date): one alert per change, ever."""
        parts = [self.kind, self.subject, self.from_state or "", self.to_state]
        parts.append(self.effective_utc or "")
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


@dataclass(frozen=True)
class SiteInfo:
    site_id: int
    name: str
    distance_km: float | None
    band: str | None

    @property
    def near(self) -> bool:
        return self.band == "inside" or (
            self.distance_km is not None and self.distance_km <= NEAR_KM
        )


@dataclass(frozen=True)
class Observation:
    """What the store says after a cycle's steps: states (``repo.states_frame``), sites by
    name, and the latest verdict record per claim id."""

    states: pd.DataFrame
    sites: Mapping[str, SiteInfo]
    verdicts: Mapping[str, dict[str, Any]]


# --- detection ----------------------------------------------------------------------------------


def _fused(states: pd.DataFrame) -> pd.DataFrame:
    if states.empty or "geometry_key" not in states:
        return pd.DataFrame(columns=["site", "acquired_utc", "state", "activity", "details"])
    f = states[states["geometry_key"] == FUSED]
    return f.sort_values(["site", "acquired_utc"], kind="stable")


def _row_evidence(row: Any) -> dict[str, Any]:
    d = row.details if isinstance(row.details, dict) else {}
    return {
        "acquired_utc": iso_utc(row.acquired_utc),
        "geometry_key": FUSED,
        "state": str(row.state),
        "activity": _num(row.activity),
        "activity_total": _num(d.get("activity_total")),
        "z": _num(d.get("z")),
        "dispersal": bool(d.get("dispersal")),
        "geometry_keys": list(d.get("used") or []),
        "orbits": dict(d.get("orbits") or {}),
        "scene_ids": list(d.get("scene_ids") or []),
    }


def _where(info: SiteInfo) -> str:
    if info.band == "inside":
        return "inside the reference line"
    if info.distance_km is None:
        return "distance unknown"
    return f"{info.distance_km:.0f} km from the reference line"


def _site_evidence(info: SiteInfo) -> dict[str, Any]:
    """The site part of an alert's evidence: name, id, distance to the reference, band."""
    return {
        "site": info.name,
        "site_id": info.site_id,
        "distance_km": info.distance_km,
        "band": info.band,
    }


def _site_link(base: str, name: str) -> str:
    return f"{base}/sites/{quote(name, safe='')}"


def _state_draft(
    info: SiteInfo, old: str | None, rec: dict[str, Any], prev: dict[str, Any] | None, base: str
) -> AlertDraft:
    new = rec["state"]
    severity = {"build-up": "critical" if info.near else "warning", "quiet": "info"}.get(
        new, "warning" if info.near else "info"
    )
    day = str(rec["acquired_utc"])[:10]
    z = f", z = {rec['z']:.1f}" if rec["z"] is not None else ""
    agree = ", ".join(rec["geometry_keys"]) or "none"
    return AlertDraft(
        kind="state-change",
        subject=info.name,
        from_state=old,
        to_state=new,
        effective_utc=rec["acquired_utc"],
        severity=severity,
        title=f"{info.name}: {old or 'first reading'} → {new}",
        summary=f"{info.name} ({_where(info)}) went from {old or 'no reading'} to {new} on {day} "
        f"(fused activity{z}; orbits used: {agree}).",
        link=_site_link(base, info.name),
        sites=(info.name,),
        evidence={**_site_evidence(info), "from": prev, "to": rec},
    )


def _dispersal_draft(info: SiteInfo, rec: dict[str, Any], base: str) -> AlertDraft:
    day = str(rec["acquired_utc"])[:10]
    return AlertDraft(
        kind="dispersal",
        subject=info.name,
        from_state=None,
        to_state="dispersal",
        effective_utc=rec["acquired_utc"],
        severity="critical" if info.near else "warning",
        title=f"{info.name}: dispersal into the surrounding ring",
        summary=f"{info.name} ({_where(info)}): activity fell inside the site and rose in the ring "
        f"around it on {day}, the pattern of units moving out into the field.",
        link=_site_link(base, info.name),
        sites=(info.name,),
        evidence={**_site_evidence(info), "to": rec},
    )


def site_changes(
    fused: pd.DataFrame,
    sites: Mapping[str, SiteInfo],
    previous: Mapping[str, dict[str, Any]],
    base: str,
) -> tuple[list[AlertDraft], dict[str, dict[str, Any]]]:
    """State changes and dispersal onsets after each site's watermark (its last date seen).

    Only readable states (quiet, build-up, draw-down) change a site's state; a first reading
    is alerted unless it is quiet. Returns the drafts and each site's new snapshot entry.
    """
    drafts: list[AlertDraft] = []
    snap: dict[str, dict[str, Any]] = {k: dict(v) for k, v in previous.items()}
    for name, g in fused.groupby("site", sort=True):
        info = sites.get(str(name))
        if info is None:
            continue
        prev = previous.get(info.name, {})
        state, since = prev.get("state"), prev.get("since_utc")
        dispersal, last = bool(prev.get("dispersal")), prev.get("last")
        seen = parse_utc(prev.get("seen_utc"))
        rows = g if seen is None else g[g["acquired_utc"] > seen]
        for row in rows.itertuples(index=False):
            if row.state not in READABLE:
                continue
            rec = _row_evidence(row)
            if row.state != state:
                if state is not None or row.state != "quiet":
                    drafts.append(_state_draft(info, state, rec, last, base))
                state, since = str(row.state), rec["acquired_utc"]
            if rec["dispersal"] and not dispersal:
                drafts.append(_dispersal_draft(info, rec, base))
            dispersal, last = rec["dispersal"], rec
        newest = g["acquired_utc"].max()
        seen_utc = iso_utc(newest if seen is None or newest > seen else seen)
        snap[info.name] = {
            "state": state,
            "since_utc": since,
            "dispersal": dispersal,
            "seen_utc": seen_utc,
            "last": last,
        }
    return drafts, snap


def _band_edges(label: str) -> tuple[float, float]:
    """(lower, upper) km of a band label ('20-50', '250+', 'inside', 'unknown')."""
    if label == "inside":
        return -1.0, 0.0
    m = re.fullmatch(r"([\d.]+)(?:-([\d.]+)|\+)", label)
    if m is None:
        return float("inf"), float("inf")
    return float(m.group(1)), float(m.group(2)) if m.group(2) else float("inf")


def _activity_total(details: Any, activity: Any) -> float | None:
    """Site + ring activity of a fused row (``details.activity_total``), else its activity."""
    total = _num(details.get("activity_total")) if isinstance(details, dict) else None
    return total if total is not None else _num(activity)


def band_leaders(fused: pd.DataFrame, sites: Mapping[str, SiteInfo]) -> pd.DataFrame:
    """Per fused date: build-up activity summed per band (each site's latest readable state no
    older than BAND_MAX_AGE; non-build-up states count 0) and the leading band (None when no
    site builds up). Columns: acquired_utc, leader, bands (dict band -> activity)."""
    cols = ["acquired_utc", "leader", "bands"]
    if fused.empty:
        return pd.DataFrame(columns=cols)
    readable = fused[fused["state"].isin(READABLE) & fused["site"].isin(list(sites))]
    dates = pd.DatetimeIndex(sorted(fused["acquired_utc"].unique()))
    sums = pd.DataFrame(0.0, index=dates, columns=[])
    for name, g in readable.groupby("site"):
        g = g.drop_duplicates("acquired_utc", keep="last").set_index("acquired_utc")
        act = pd.Series(
            [_activity_total(d, v) for d, v in zip(g["details"], g["activity"], strict=True)],
            index=g.index,
            dtype=float,
        )
        value = act.clip(lower=0.0).where(g["state"] == "build-up", 0.0).fillna(0.0)
        obs = pd.Series(g.index, index=g.index)
        value, obs = value.reindex(dates, method="ffill"), obs.reindex(dates, method="ffill")
        fresh = (dates - pd.DatetimeIndex(obs)) <= BAND_MAX_AGE
        band = sites[str(name)].band or "unknown"
        col = value.where(fresh, 0.0).fillna(0.0)
        sums[band] = sums[band] + col if band in sums else col
    rows = []
    for when, r in sums.iterrows():
        best = r.idxmax() if len(r) and r.max() > 0 else None
        rows.append((when, best, {str(k): float(v) for k, v in r.items() if v > 0}))
    return pd.DataFrame(rows, columns=cols)


def _band_runs(leaders: pd.DataFrame) -> list[tuple[str, str, dict[str, float]]]:
    """Confirmed runs of one leading band: (band, first date ISO, band sums on that date)."""
    raw: list[list[Any]] = []
    for r in leaders.itertuples(index=False):
        if r.leader is None:
            continue
        if raw and raw[-1][0] == r.leader:
            raw[-1][3] += 1
        else:
            raw.append([r.leader, iso_utc(r.acquired_utc), r.bands, 1])
    runs: list[tuple[str, str, dict[str, float]]] = []
    for band, first, sums, n in raw:
        if n >= BAND_CONFIRM_DATES and (not runs or runs[-1][0] != band):
            runs.append((band, first, sums))
    return runs


def band_changes(
    fused: pd.DataFrame, sites: Mapping[str, SiteInfo], previous: Mapping[str, Any], base: str
) -> tuple[list[AlertDraft], dict[str, Any]]:
    """Shifts of the band holding most build-up activity since the previous snapshot."""
    current, since = previous.get("leader"), previous.get("since_utc")
    drafts = []
    for band, first, sums in _band_runs(band_leaders(fused, sites)):
        if since is not None and first <= since:
            continue
        if current is not None and band != current:
            drafts.append(_band_draft(current, band, first, sums, sites, base))
        if band != current:
            current, since = band, first
    return drafts, {"leader": current, "since_utc": since}


def _band_draft(
    old: str, new: str, first: str, sums: dict[str, float], sites: Mapping[str, SiteInfo], base: str
) -> AlertDraft:
    nearer = _band_edges(new)[0] < _band_edges(old)[0]
    severity = "info" if not nearer else "critical" if _band_edges(new)[1] <= NEAR_KM else "warning"
    members = tuple(sorted(s.name for s in sites.values() if (s.band or "unknown") == new))
    direction = "toward" if nearer else "away from"
    return AlertDraft(
        kind="band-shift",
        subject="watch:bands",
        from_state=old,
        to_state=new,
        effective_utc=first,
        severity=severity,
        title=f"Build-up activity moved from the {old} km band to the {new} km band",
        summary=f"From {first[:10]} the distance band holding most build-up activity is {new} km "
        f"(before: {old} km), a move {direction} the reference line.",
        link=f"{base}/",
        sites=members,
        evidence={
            "from_band": old,
            "to_band": new,
            "date": first,
            "band_activity": sums,
            "band_sites": list(members),
        },
    )


def verdict_changes(
    verdicts: Mapping[str, dict[str, Any]],
    previous: Mapping[str, str],
    data_utc: str | None,
    base: str,
) -> tuple[list[AlertDraft], dict[str, str]]:
    """Claims whose verdict differs from the snapshot's (a first verdict counts as a change).
    The effective date is the newest state date: the data that moved the verdict."""
    drafts, snap = [], dict(previous)
    for cid, v in sorted(verdicts.items()):
        new, old = str(v.get("verdict")), previous.get(cid)
        if new == old:
            continue
        snap[cid] = new
        sites = tuple(str(s.get("site")) for s in v.get("sites") or [] if isinstance(s, dict))
        drafts.append(
            AlertDraft(
                kind="verdict-change",
                subject=f"claim:{cid}",
                from_state=old,
                to_state=new,
                effective_utc=data_utc,
                severity="warning" if new == "contradicted" else "info",
                title=f"Claim {cid}: {old or 'untested'} → {new}",
                summary=str(v.get("explanation") or f"The verdict on claim {cid} is now {new}."),
                link=f"{base}/claims#claim-{quote(cid, safe='')}",
                sites=sites,
                evidence={
                    "claim_id": cid,
                    "verdict": new,
                    "previous": old,
                    **{k: v.get(k) for k in ("confidence", "effect_size", "effect_ci", "window")},
                    "drivers": list(v.get("drivers") or [])[:10],
                },
            )
        )
    return drafts, snap


def detect(
    obs: Observation, previous: Mapping[str, Any] | None, dashboard_url: str
) -> tuple[list[AlertDraft], dict[str, Any]]:
    """Every change between ``previous`` (a snapshot, None before the first cycle) and ``obs``;
    returns the drafts (oldest first) and the new snapshot (JSON-able)."""
    prev = previous or {}
    base = dashboard_url.rstrip("/")
    fused = _fused(obs.states)
    s_drafts, s_snap = site_changes(fused, obs.sites, prev.get("sites", {}), base)
    b_drafts, b_snap = band_changes(fused, obs.sites, prev.get("band", {}), base)
    newest = iso_utc(obs.states["acquired_utc"].max()) if not obs.states.empty else None
    v_drafts, v_snap = verdict_changes(obs.verdicts, prev.get("verdicts", {}), newest, base)
    drafts = sorted([*s_drafts, *b_drafts, *v_drafts], key=lambda d: d.effective_utc or "")
    snapshot = {
        "version": SNAPSHOT_VERSION,
        "data_utc": newest,
        "sites": s_snap,
        "band": b_snap,
        "verdicts": v_snap,
    }
    return drafts, snapshot


# --- suppression --------------------------------------------------------------------------------


def plan_suppression(
    drafts: Sequence[AlertDraft],
    *,
    first_cycle: bool,
    recent_sent: Mapping[str, int],
    rate_limited: bool,
) -> list[tuple[AlertDraft, str | None]]:
    """Which drafts are sent and which stored suppressed (with the reason), oldest first.

    First cycle (``baseline``): the history found is stored, and only each subject's latest
    change is sent, when it is a warning or critical. Rate limit (``rate-limit``): a subject
    that had an alert sent within the window (``recent_sent``: subject -> highest severity rank
    sent) gets later ones only when they are more severe; within one cycle, the most severe
    and most recent draft of a subject goes first.
    """
    reasons: dict[int, str | None] = {}
    if first_cycle:
        latest: dict[str, int] = {}
        for i, d in enumerate(drafts):
            j = latest.get(d.subject)
            if j is None or (d.effective_utc or "", SEVERITY_RANK[d.severity]) >= (
                drafts[j].effective_utc or "",
                SEVERITY_RANK[drafts[j].severity],
            ):
                latest[d.subject] = i
        for i, d in enumerate(drafts):
            if latest[d.subject] != i or SEVERITY_RANK[d.severity] < SEVERITY_RANK["warning"]:
                reasons[i] = "baseline"
    sent = dict(recent_sent) if rate_limited else {}
    order = sorted(
        (i for i in range(len(drafts)) if i not in reasons),
        key=lambda i: (SEVERITY_RANK[drafts[i].severity], drafts[i].effective_utc or ""),
        reverse=True,
    )
    for i in order:
        rank = SEVERITY_RANK[drafts[i].severity]
        if drafts[i].subject in sent and sent[drafts[i].subject] >= rank:
            reasons[i] = "rate-limit"
            continue
        reasons[i] = None
        if rate_limited:
            sent[drafts[i].subject] = max(rank, sent.get(drafts[i].subject, -1))
    return [(d, reasons[i]) for i, d in enumerate(drafts)]
