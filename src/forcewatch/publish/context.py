"""Turning stored evidence into what a reader sees: plain-words rows, charts and chip pairs.

Shared by the HTML report and the web pages so both say the same thing in the same words.
Nothing here computes statistics: values come from the store and are only grouped, resampled
for display, formatted and explained.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import shapely

from forcewatch.publish import charts
from forcewatch.publish.chips import chip_png, data_uri, shared_stretch, try_read_chip, vv_index
from forcewatch.publish.source import (
    ACTIVITY_METRIC,
    Evidence,
    activity_by_orbit,
    site_states,
)
from forcewatch.sites import band_labels

log = logging.getLogger(__name__)

VERDICT_WORDS = {
    "supported": "The imagery agrees with the claim.",
    "contradicted": "The imagery contradicts the claim.",
    "inconclusive": "The imagery cannot settle the claim either way.",
    "blind": "The satellite could not see the site(s) when it mattered; no verdict is possible.",
}
MAX_DRIVERS = 6


def claim_text(claim: dict[str, Any]) -> str:
    """The claim's statement in words (its text or quote, else its kind and places)."""
    for key in ("text", "statement", "quote", "summary"):
        if claim.get(key):
            return str(claim[key])
    places = ", ".join(claim_site_names(claim, None)) or "unspecified places"
    return f"{claim.get('kind', 'claim')} at {places}"


def claim_site_names(claim: dict[str, Any], verdict: dict[str, Any] | None) -> list[str]:
    """Site names a claim is about: its verdict's sites, else those named in the claim."""
    names: list[str] = []
    if verdict:
        names += [str(s.get("site")) for s in verdict.get("sites") or [] if s.get("site")]
    raw = claim.get("sites") or claim.get("site") or claim.get("places") or []
    for item in [raw] if isinstance(raw, str | dict) else raw:
        name = item.get("name") or item.get("site") if isinstance(item, dict) else item
        if name:
            names.append(str(name))
    return list(dict.fromkeys(names))


def _pct(value: Any) -> str:
    return "" if value is None else f"{100.0 * float(value):.0f}%"


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return ""
    try:
        return f"{float(value):.{digits}g}"
    except (TypeError, ValueError):
        return str(value)


def explain(verdict: dict[str, Any] | None) -> str:
    """A plain-words account of a verdict (its own explanation when it gives one)."""
    if verdict is None:
        return "Not assessed yet."
    if verdict.get("explanation"):
        return str(verdict["explanation"])
    words = VERDICT_WORDS.get(str(verdict.get("verdict")), "")
    exp, obs = verdict.get("expected"), verdict.get("observed")
    if exp and obs:
        words += f" The claim implies {exp}; the imagery shows {obs}."
    return words.strip()


def latest_verdicts(verdicts: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Claim id to its latest verdict (verdicts are listed oldest first)."""
    return {str(v.get("claim_id")): v for v in verdicts}


def claim_rows(
    claims: Sequence[dict[str, Any]], verdicts: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per claim with its latest verdict, in words and numbers."""
    by_claim = latest_verdicts(verdicts)
    rows = []
    for claim in claims:
        verdict = by_claim.get(str(claim.get("id")))
        ci = (verdict or {}).get("effect_ci") or []
        rows.append(
            {
                "id": str(claim.get("id")),
                "speaker": claim.get("speaker", ""),
                "stated_on": str(claim.get("stated_on", "")),
                "outlet": claim.get("outlet") or "",
                "source": claim.get("source") or "",
                "text": claim_text(claim),
                "sites": claim_site_names(claim, verdict),
                "verdict": (verdict or {}).get("verdict", "not assessed"),
                "confidence": _pct((verdict or {}).get("confidence")),
                "effect": _num((verdict or {}).get("effect_size")),
                "effect_ci": " to ".join(_num(v) for v in ci) if len(ci) == 2 else "",
                "window": " to ".join(map(str, (verdict or {}).get("window") or [])),
                "explanation": explain(verdict),
                "more_data_needed": (verdict or {}).get("more_data_needed") or "",
                "site_verdicts": (verdict or {}).get("sites") or [],
                "drivers": ((verdict or {}).get("drivers") or [])[:MAX_DRIVERS],
            }
        )
    return rows


# --- per-site charts ---------------------------------------------------------------------------


def _ts(value: Any) -> pd.Timestamp | None:
    if value in (None, ""):
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def onsets_from_states(states: pd.DataFrame) -> list[charts.Onset]:
    """Onsets recorded in state details.

    Read forms: ``details.onset`` as a date string, or as a mapping with ``date`` (or ``utc``)
    and an interval ``lo``/``hi`` or ``ci: [lo, hi]``; or flat keys ``onset_utc``,
    ``onset_lo_utc``, ``onset_hi_utc``.
    """
    found: dict[pd.Timestamp, charts.Onset] = {}
    for details in states.get("details", pd.Series(dtype=object)):
        if not isinstance(details, dict):
            continue
        raw = details.get("onset") or details.get("onset_utc")
        lo_raw, hi_raw = details.get("onset_lo_utc"), details.get("onset_hi_utc")
        label = "onset"
        if isinstance(raw, dict):
            ci = raw.get("ci") or raw.get("interval") or [None, None]
            lo_raw, hi_raw = raw.get("lo", ci[0]), raw.get("hi", ci[1])
            label = str(raw.get("kind") or raw.get("state") or label)
            raw = raw.get("date") or raw.get("utc") or raw.get("when")
        when = _ts(raw)
        if when is not None:
            found[when] = charts.Onset(when, _ts(lo_raw), _ts(hi_raw), label)
    return sorted(found.values(), key=lambda o: o.when)


def claim_marks(evidence: Evidence, site: str) -> list[tuple[date, str]]:
    """(statement date, label) of the claims about ``site``."""
    marks = []
    for claim in evidence.claims:
        names = claim_site_names(claim, evidence.verdict_for(str(claim.get("id"))))
        if site in names and claim.get("stated_on"):
            marks.append((date.fromisoformat(str(claim["stated_on"])[:10]), str(claim["id"])))
    return marks


def site_chart(evidence: Evidence, site: str, chart_id: str) -> str:
    """The activity chart of one site as inline SVG."""
    states = site_states(evidence, site)
    fused_rows = states[states["geometry_key"] == "fused"] if not states.empty else states
    fused = None
    if not fused_rows.empty:
        fused = fused_rows.set_index("acquired_utc")["activity"].astype(float)
    return charts.series_svg(
        site,
        activity_by_orbit(evidence, site),
        fused,
        states,
        claim_marks(evidence, site),
        onsets_from_states(states),
        chart_id=chart_id,
    )


def site_rows(evidence: Evidence, with_charts: bool = True) -> list[dict[str, Any]]:
    """One row per site: attributes, latest state, state counts, onsets and its chart."""
    rows = []
    for i, stored in enumerate(evidence.sites):
        site = stored.site
        states = site_states(evidence, site.name)
        counts = states["state"].value_counts().to_dict() if not states.empty else {}
        dets = evidence.detections
        n_det = int((dets["site"] == site.name).sum()) if not dets.empty else 0
        rows.append(
            {
                "name": site.name,
                "anchor": f"site-{i + 1}",
                "kind": site.kind or "",
                "country": site.country or "",
                "distance_km": "" if site.distance_km is None else f"{site.distance_km:.1f}",
                "band": site.band or "unknown",
                "latest_state": evidence.latest_state.get(site.name, "unknown"),
                "state_counts": {str(k): int(v) for k, v in counts.items()},
                "onsets": [o.when.date().isoformat() for o in onsets_from_states(states)],
                "detections": n_det,
                "chart": site_chart(evidence, site.name, f"series{i + 1}") if with_charts else "",
            }
        )
    return rows


def weekly_band_activity(evidence: Evidence) -> pd.DataFrame:
    """Weekly mean activity per site, clipped at 0 and summed per distance band."""
    per_site: dict[str, pd.Series] = {}
    for stored in evidence.sites:
        name = stored.site.name
        states = site_states(evidence, name)
        fused = states[states["geometry_key"] == "fused"] if not states.empty else states
        if not fused.empty:
            series = fused.set_index("acquired_utc")["activity"].astype(float)
        else:
            orbits = activity_by_orbit(evidence, name)
            if not orbits:
                continue
            series = pd.concat(orbits.values()).groupby(level=0).mean()
        per_site[name] = series.dropna().clip(lower=0).resample("W-MON").mean()
    if not per_site:
        return pd.DataFrame()
    frame = pd.DataFrame(per_site)
    bands = {s.site.name: s.site.band or "unknown" for s in evidence.sites}
    summed = frame.T.groupby(bands).sum(min_count=1).T.fillna(0.0)
    order = [b for b in ["inside", *band_labels(evidence.bands_km), "unknown"] if b in summed]
    return summed[order]


# --- chips -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChipRef:
    """One chip of a pair: which scene, when, and the PNG as a data URI (None: unreadable)."""

    scene_id: str
    acquired: str
    geometry_key: str
    src: str | None


def before_scene(
    evidence: Evidence, site_id: int, driver: dict[str, Any], verdict: dict[str, Any]
) -> dict[str, Any] | None:
    """The scene a driver is compared with.

    The last scene of the same site and geometry in the verdict's reference window, else the
    last one before the driver's date, else None.
    """
    sc = evidence.scenes
    if sc.empty:
        return None
    rows = sc[(sc["site_id"] == site_id) & (sc["geometry_key"] == driver.get("geometry_key"))]
    after = _ts(driver.get("date"))
    if after is not None:
        rows = rows[rows["acquired_utc"] < after.normalize()]
    ref = verdict.get("reference_window") or []
    if len(ref) == 2:
        lo, hi = _ts(ref[0]), _ts(ref[1])
        if lo is not None and hi is not None:
            when = rows["acquired_utc"]
            in_ref = rows[(when >= lo) & (when < hi + pd.Timedelta(days=1))]
        else:
            in_ref = rows.iloc[0:0]
        if not in_ref.empty:
            rows = in_ref
    return None if rows.empty else dict(rows.sort_values("acquired_utc").iloc[-1])


def _detections_for(evidence: Evidence, scene_id: str) -> list[Any]:
    dets = evidence.detections
    if dets.empty:
        return []
    rows = dets[(dets["scene_id"] == scene_id) & dets["geometry_wkt"].notna()]
    return [shapely.from_wkt(w) for w in rows["geometry_wkt"]]


def chip_pairs(
    evidence: Evidence, res_m: float = 10.0, margin_km: float = 1.0
) -> list[dict[str, Any]]:
    """Before/after chips for the drivers of each verdict, with a shared grey stretch."""
    out = []
    for verdict in evidence.verdicts:
        pairs = []
        for driver in (verdict.get("drivers") or [])[:MAX_DRIVERS]:
            stored = evidence.site(str(driver.get("site")))
            after = evidence.scene(str(driver.get("scene_id")))
            if stored is None or after is None:
                continue
            before = before_scene(evidence, stored.id, driver, verdict)
            scenes = [s for s in (before, after) if s is not None]
            data = [
                try_read_chip(
                    str(s["href"]),
                    stored.site,
                    band_index=vv_index(s.get("polarisations")),
                    units=str(s.get("units") or "auto"),
                    res_m=res_m,
                    margin_km=margin_km,
                )
                for s in scenes
            ]
            readable = [d for d in data if d is not None]
            stretch = shared_stretch(readable) if readable else (-25.0, 0.0)
            refs = []
            for s, d in zip(scenes, data, strict=True):
                png = None
                if d is not None:
                    boxes = _detections_for(evidence, str(s["scene_id"]))
                    png = data_uri(chip_png(d, stored.site, stretch, boxes))
                refs.append(
                    ChipRef(
                        str(s["scene_id"]),
                        s["acquired_utc"].strftime("%Y-%m-%d %H:%M UTC"),
                        str(s["geometry_key"]),
                        png,
                    )
                )
            pairs.append(
                {
                    "site": stored.site.name,
                    "metric": driver.get("metric", ACTIVITY_METRIC),
                    "value": _num(driver.get("value")),
                    "before": refs[0] if before is not None else None,
                    "after": refs[-1],
                    "stretch": f"{stretch[0]:.1f} to {stretch[1]:.1f} dB",
                }
            )
        out.append({"claim_id": verdict.get("claim_id"), "pairs": pairs})
    return out


def scene_sources(evidence: Evidence) -> list[dict[str, Any]]:
    """Per acquisition geometry: sensor, orbit, scene count, first and last date, simulated."""
    sc = evidence.scenes.drop_duplicates("scene_id") if not evidence.scenes.empty else None
    if sc is None:
        return []
    rows = []
    for key, g in sc.groupby("geometry_key"):
        rows.append(
            {
                "geometry_key": key,
                "sensor": ", ".join(sorted(g["sensor"].astype(str).unique())),
                "n": len(g),
                "first": g["acquired_utc"].min().date().isoformat(),
                "last": g["acquired_utc"].max().date().isoformat(),
                "simulated": int(g["simulated"].fillna(False).astype(bool).sum()),
            }
        )
    return rows


def blind_periods(evidence: Evidence) -> list[str]:
    """Per site, the dates it was blind (plain words)."""
    out = []
    for stored in evidence.sites:
        states = site_states(evidence, stored.site.name)
        if states.empty:
            continue
        blind = states[states["state"] == "blind"]["acquired_utc"]
        if not blind.empty:
            days = ", ".join(sorted({t.date().isoformat() for t in blind}))
            out.append(f"{stored.site.name}: {days}")
    return out


def as_params_table(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A nested mapping flattened to (dotted key, value text) rows."""
    rows: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += as_params_table(value, name + ".")
        else:
            rows.append((name, str(value)))
    return rows


def short(values: Sequence[str], n: int = 8) -> str:
    return ", ".join(values[:n]) + (f" and {len(values) - n} more" if len(values) > n else "")
