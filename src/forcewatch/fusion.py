"""Fusion of one site's geometries into one state per date (``geometry_key="fused"``).

At each date every geometry of the site contributes its latest state (``forcewatch.series``)
no older than its revisit + 1 day; the usable ones are combined by Stouffer's z, and the fused
row states which geometries were used and whether they agree.

Pure functions over the state frames of ``forcewatch.series``. That module imports this one
(``compute_states`` fuses; it re-exports ``fuse_states``, ``FUSED`` and ``READ_STATES``), so
this one takes nothing from it at run time: ``StateParams`` is imported for typing only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from forcewatch.series import StateParams

FUSED = "fused"
READ_STATES = ("quiet", "build-up", "draw-down")  # states that read activity


def _max_age(times: pd.Series, p: StateParams) -> pd.Timedelta:
    if p.max_age_days is not None:
        return pd.Timedelta(days=p.max_age_days)
    gaps = times.sort_values().diff().dropna()
    revisit = gaps.median() if len(gaps) else pd.Timedelta(days=12)
    return revisit + pd.Timedelta(days=1)


def fuse_site(states: pd.DataFrame, p: StateParams) -> pd.DataFrame:
    """One fused state per date of one site's orbit states (``series_states`` rows).

    At each date every geometry contributes its latest state no older than its revisit + 1 day.
    Usable states (quiet/build-up/draw-down) are combined by Stouffer's z; with none usable the
    fused state is conditions-changed when any geometry says so, else blind. ``details`` names
    each geometry's state, whether the usable ones agree, and the fused z-scores.
    """
    states = states.sort_values("acquired_utc")
    z_crit = p.z_crit
    keys = sorted(states["geometry_key"].unique())
    per_key = {k: states[states["geometry_key"] == k] for k in keys}
    ages = {k: _max_age(v["acquired_utc"], p) for k, v in per_key.items()}
    offsets = orbit_offsets(per_key)
    times = {k: v["acquired_utc"].to_numpy("datetime64[ns]") for k, v in per_key.items()}
    records = {k: v.to_dict("records") for k, v in per_key.items()}
    first = states.iloc[0]
    rows: list[dict[str, Any]] = []
    for when in np.unique(states["acquired_utc"].to_numpy("datetime64[ns]")):
        orbit_state: dict[str, str] = {}
        used: list[dict[str, Any]] = []
        for k in keys:
            j = int(np.searchsorted(times[k], when, side="right")) - 1
            if j < 0 or times[k][j] <= when - ages[k].to_timedelta64():
                continue
            last = records[k][j]
            orbit_state[k] = str(last["state"])
            if last["state"] in READ_STATES:
                used.append(last)
        now = pd.Timestamp(when).tz_localize("UTC")
        rows.append(_fused_row(first, now, orbit_state, used, offsets, z_crit))
    return pd.DataFrame(rows)


def orbit_offsets(per_key: Mapping[str, pd.DataFrame]) -> dict[str, float]:
    """Per geometry, its median activity_total minus the mean of all geometries' medians."""
    med = {
        k: float(np.nanmedian(v["activity_total"])) if v["activity_total"].notna().any() else 0.0
        for k, v in per_key.items()
    }
    centre = float(np.mean(list(med.values()))) if med else 0.0
    return {k: m - centre for k, m in med.items()}


def _stouffer(values: Sequence[float]) -> float:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return sum(vals) / math.sqrt(len(vals)) if vals else float("nan")


def _fused_row(
    first: pd.Series,
    now: pd.Timestamp,
    orbit_state: dict[str, str],
    used: list[dict[str, Any]],
    offsets: dict[str, float],
    z_crit: float,
) -> dict[str, Any]:
    details: dict[str, Any] = {"orbits": orbit_state}
    row: dict[str, Any] = {
        "site_id": first["site_id"],
        "site": first["site"],
        "geometry_key": FUSED,
        "acquired_utc": now,
        "scene_id": None,
        "activity": float("nan"),
        "activity_total": float("nan"),
        "z": float("nan"),
        "details": details,
    }
    if not used:
        row["state"] = (
            "conditions-changed" if "conditions-changed" in orbit_state.values() else "blind"
        )
        details["agree"] = None
        return row
    z = _stouffer([u["z"] for u in used])
    z_site = _stouffer([u["details"].get("z_site") for u in used])
    z_ring = _stouffer([u["details"].get("z_ring") for u in used])
    zr_site = _stouffer([u["details"].get("z_site_recent") for u in used])
    zr_ring = _stouffer([u["details"].get("z_ring_recent") for u in used])
    state = "quiet" if abs(z) < z_crit else ("build-up" if z > 0 else "draw-down")
    calls = {str(u["state"]) for u in used}
    # Dispersal shows in the geometry that passed after it; a mean of z-scores would dilute it.
    flagged = sorted(str(u["geometry_key"]) for u in used if u["details"].get("dispersal"))
    row.update(
        state=state,
        z=z,
        activity=float(np.mean([u["activity"] for u in used])),
        activity_total=float(
            np.mean([u["activity_total"] - offsets.get(str(u["geometry_key"]), 0.0) for u in used])
        ),
    )
    details.update(
        used=[str(u["geometry_key"]) for u in used],
        agree=len(calls) == 1,
        agreeing=sorted(str(u["geometry_key"]) for u in used if u["state"] == state),
        z=json_float(z),
        z_site=json_float(z_site),
        z_ring=json_float(z_ring),
        activity_total=json_float(row["activity_total"]),
        z_site_recent=json_float(zr_site),
        z_ring_recent=json_float(zr_ring),
        dispersal=bool(flagged),
        dispersal_orbits=flagged,
        scene_ids=[u["scene_id"] for u in used],
    )
    return row


def fuse_states(states: pd.DataFrame, p: StateParams) -> pd.DataFrame:
    """Fused states of every site in ``states`` (orbit rows; fused rows are ignored)."""
    orbit = states[states["geometry_key"] != FUSED]
    parts = [fuse_site(g, p) for _, g in orbit.groupby("site", sort=True)]
    return pd.concat(parts, ignore_index=True) if parts else orbit.iloc[0:0].copy()


def json_float(value: Any) -> float | None:
    """A JSON-safe float (None for NaN/inf)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None
