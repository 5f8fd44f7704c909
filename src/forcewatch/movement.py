"""Movement across distance bands and dispersal, from fused states.

- ``weekly_site_activity`` / ``band_activity`` / ``mean_distance_km`` / ``band_transitions``:
  activity by distance band per week and dated moves between bands; ``movement_summary``
  gathers them for the band chart and the movement paragraph.
- ``dispersal_events``: spells where the site residual fell while the ring's rose.

Pure functions over the state frames of ``forcewatch.series`` / ``forcewatch.fusion``; times
are UTC. ``forcewatch.assess`` re-exports these names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from forcewatch.changepoint import date_onset
from forcewatch.fusion import FUSED, READ_STATES
from forcewatch.sites import band_label, band_labels

# --- distance bands -----------------------------------------------------------------------------


def weekly_site_activity(states: pd.DataFrame, freq: str = "W-MON") -> pd.DataFrame:
    """Weekly mean fused ``activity_total`` per site (index: week, columns: site), clipped at 0.

    ``states`` as computed (``series.compute_states``) or as stored (``repo.states_frame``,
    where ``activity_total`` is read from ``details``).

    Weeks without a readable pass are interpolated in time inside each site's observed span and
    left NaN outside it (a site not yet seen contributes nothing rather than zero).
    """
    fused = states[(states["geometry_key"] == FUSED) & states["state"].isin(READ_STATES)]
    if "activity_total" not in fused:  # as read back by repo.states_frame: it is in details
        fused = fused.assign(
            activity_total=[
                (d or {}).get("activity_total") if isinstance(d, dict) else None
                for d in fused["details"]
            ]
        )
    per_site: dict[str, pd.Series] = {}
    for site, g in fused.groupby("site"):
        s = g.set_index("acquired_utc")["activity_total"].astype(float).dropna().sort_index()
        if s.empty:
            continue
        per_site[str(site)] = s.clip(lower=0.0).resample(freq, label="left").mean()
    if not per_site:
        return pd.DataFrame()
    frame = pd.DataFrame(per_site)
    return frame.interpolate(method="time", limit_area="inside")


def band_activity(
    weekly: pd.DataFrame,
    distances_km: Mapping[str, float | None],
    bands_km: Sequence[float],
) -> pd.DataFrame:
    """Weekly activity summed per distance band (columns: band labels nearest first)."""
    if weekly.empty:
        return weekly
    bands = {s: band_label(distances_km.get(s), bands_km) for s in weekly.columns}
    summed = weekly.T.groupby(bands).sum(min_count=1).T
    order = [b for b in ["inside", *band_labels(bands_km), "unknown"] if b in summed]
    return summed[order].fillna(0.0)


def mean_distance_km(weekly: pd.DataFrame, distances_km: Mapping[str, float | None]) -> pd.Series:
    """Activity-weighted mean distance to the reference line per week (km; NaN: no activity)."""
    cols = [c for c in weekly.columns if distances_km.get(c) is not None]
    if not cols:
        return pd.Series(dtype=float)
    w = weekly[cols].fillna(0.0)
    d = np.array([float(distances_km[c] or 0.0) for c in cols])
    total = w.sum(axis=1)
    return ((w * d).sum(axis=1) / total.where(total > 0)).rename("mean_distance_km")


def band_transitions(
    bands: pd.DataFrame,
    confidence: float = 0.95,
    min_share_change: float = 0.1,
) -> list[dict[str, Any]]:
    """Dated moves of activity into a band: its weekly share rose by at least
    ``min_share_change`` (one onset per band, ``date_onset`` on the share), with the bands whose
    share fell over the same span as ``from``. Each item: to, from, date, lo, hi, end,
    share_before, share_after."""
    if bands.empty or len(bands) < 5:
        return []
    total = bands.sum(axis=1)
    shares = bands.div(total.where(total > 0), axis=0).dropna(how="all")
    out = []
    for band in shares.columns:
        onset = date_onset(shares.index, shares[band].to_numpy(), confidence)
        if onset is None or onset.after - onset.before < min_share_change:
            continue
        before = shares[shares.index < onset.start]
        after = shares[shares.index >= onset.end]
        if before.empty or after.empty:
            continue
        fell = before.mean() - after.mean()
        sources = [str(b) for b in fell.index if b != band and fell[b] >= min_share_change / 2]
        out.append(
            {
                **{k: v for k, v in onset.as_dict().items() if k in ("date", "lo", "hi", "end")},
                "to": str(band),
                "from": sources,
                "share_before": float(before[band].mean()),
                "share_after": float(after[band].mean()),
            }
        )
    return sorted(out, key=lambda d: d["date"])


def movement_summary(
    states: pd.DataFrame,
    distances_km: Mapping[str, float | None],
    bands_km: Sequence[float],
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Everything the band chart and the movement paragraph need: weekly band activity (frame),
    weekly mean distance (series), band transitions, and the onset of the mean distance's
    change (dict or None; kind 'draw-down' means moving toward the line)."""
    weekly = weekly_site_activity(states)
    bands = band_activity(weekly, distances_km, bands_km)
    # A site first seen mid-season is held at its first level before then, so that a change of
    # coverage is not read as a move between bands.
    held = band_activity(weekly.bfill().ffill(), distances_km, bands_km)
    dist = mean_distance_km(weekly, distances_km) if not weekly.empty else pd.Series(dtype=float)
    d = dist.dropna()
    dist_onset = date_onset(d.index, d.to_numpy(), confidence) if len(d) >= 5 else None
    return {
        "weekly_sites": weekly,
        "bands": bands,
        "mean_distance_km": dist,
        "transitions": band_transitions(held, confidence),
        "distance_change": None if dist_onset is None else dist_onset.as_dict(),
    }


# --- dispersal ----------------------------------------------------------------------------------


def dispersal_events(states: pd.DataFrame) -> pd.DataFrame:
    """Spells of fused dates flagged as dispersal (site residual down, ring residual up).

    Columns: site, first, last (UTC timestamps), dates (count), z_site, z_ring (the strongest).
    """
    fused = states[states["geometry_key"] == FUSED].sort_values(["site", "acquired_utc"])
    recs = []
    for site, g in fused.groupby("site"):
        flags = [bool((d or {}).get("dispersal")) for d in g["details"]]
        spell: list[int] = []
        for i, flag in enumerate([*flags, False]):
            if flag:
                spell.append(i)
                continue
            if spell:
                sub = g.iloc[spell]
                zs = [d.get("z_site_recent") or 0.0 for d in sub["details"]]
                zr = [d.get("z_ring_recent") or 0.0 for d in sub["details"]]
                recs.append(
                    dict(
                        site=site,
                        first=sub["acquired_utc"].iloc[0],
                        last=sub["acquired_utc"].iloc[-1],
                        dates=len(spell),
                        z_site=float(min(zs)),
                        z_ring=float(max(zr)),
                    )
                )
                spell = []
    return pd.DataFrame(recs, columns=["site", "first", "last", "dates", "z_site", "z_ring"])
