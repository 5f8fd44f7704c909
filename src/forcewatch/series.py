"""Per-(site, geometry) activity series and their states, with a gapped baseline.

The long measurements frame (docs/contracts.md) becomes one row per (site, geometry, scene):
``activity`` (= ``bright_frac_resid``, site polygon), ``activity_ring`` and ``activity_total``
(area-weighted site + ring residual, so dispersal into the ring is not read as departure),
quality (``valid_frac``) and scene-wide conditions (``bg_mean_db``, ``bg_bright_frac``).

Each date of a geometry's timeline gets one state:

- ``blind``: no valid observation (``valid_frac`` below ``min_valid_fraction``, no activity
  value, or no scene at all on a date the geometry acquired elsewhere). Never quiet.
- ``conditions-changed``: the background moved outside the reference range (median ±
  ``k``·MAD with a floor), e.g. wet or frozen ground; the scene is not read as activity.
- ``build-up`` / ``draw-down`` / ``quiet``: a one-sided test of ``activity_total`` against the
  baseline at false-alarm rate ``false_alarm`` per date and direction.

The baseline is the reference period of ``reference_days`` ending ``gap_days`` before the date,
so a slow change cannot creep into its own baseline. Per site, the geometries are fused
(``geometry_key="fused"``) by ``forcewatch.fusion``; ``compute_states`` returns both, and
``fuse_states``, ``FUSED`` and ``READ_STATES`` are re-exported from there.
``assess_store`` is the thin store entry point; everything else is pure.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from forcewatch.config import AssessSettings, ProjectConfig
from forcewatch.errors import InputError
from forcewatch.fusion import FUSED as FUSED
from forcewatch.fusion import READ_STATES as READ_STATES
from forcewatch.fusion import fuse_states as fuse_states
from forcewatch.fusion import json_float

if TYPE_CHECKING:
    from forcewatch.store.db import Store

log = logging.getLogger(__name__)

ACTIVITY = "bright_frac_resid"
ACTIVITY_RING = "bright_frac_resid_ring"
STATES = ("blind", "conditions-changed", "quiet", "build-up", "draw-down")
SERIES_VERSION = "series-1"

# metric name in the store -> column of the series frame
_COLUMNS = {
    ACTIVITY: "activity",
    ACTIVITY_RING: "activity_ring",
    "valid_frac": "valid_frac",
    "bg_mean_db": "bg_mean_db",
    "bg_bright_frac": "bg_bright_frac",
    "inc_frac": "inc_frac",
    "dec_frac": "dec_frac",
    "inc_frac_ring": "inc_frac_ring",
    "dec_frac_ring": "dec_frac_ring",
    "bright_frac": "bright_frac",
    "bright_frac_ring": "bright_frac_ring",
    "bright_area_m2": "bright_area_m2",
    "bright_area_ring_m2": "bright_area_ring_m2",
    "targets": "targets",
    "targets_ring": "targets_ring",
}
_KEYS = ["site_id", "site", "geometry_key", "scene_id", "acquired_utc"]


@dataclass(frozen=True)
class StateParams:
    """Parameters of the state test (all in the units of the series).

    ``false_alarm`` is the per-date, per-direction probability of calling a change on a quiet
    series (stricter than the verdicts' level because every date is screened).
    ``scale_floor`` (activity fraction) keeps a near-constant series from dividing by ~0.
    ``shift_k``/``shift_floor_db``/``shift_floor_bright`` set the scene-shift guard.
    Dispersal needs the site's drop and the ring's rise both significant and the ring's gain
    (area-weighted) at least ``dispersal_share`` of the site's loss.
    ``max_age_days`` (None: the geometry's median revisit + 1 day) is how old an orbit's last
    state may be to count in the fusion at a date.
    """

    reference_days: int = 42
    gap_days: int = 12
    min_valid_fraction: float = 0.5
    false_alarm: float = 0.01
    min_reference: int = 3
    scale_floor: float = 1e-4
    shift_k: float = 4.0
    shift_floor_db: float = 1.0
    shift_floor_bright: float = 5e-4
    corroborate_band: float = 1.0
    dispersal_share: float = 0.25
    max_age_days: float | None = None

    @classmethod
    def from_settings(cls, settings: AssessSettings, **overrides: Any) -> StateParams:
        return cls(
            reference_days=settings.reference_days,
            gap_days=settings.gap_days,
            min_valid_fraction=settings.min_valid_fraction,
            **overrides,
        )

    @property
    def z_crit(self) -> float:
        return float(stats.norm.ppf(1.0 - self.false_alarm))

    def digest(self) -> str:
        text = json.dumps({**asdict(self), "version": SERIES_VERSION}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- robust scales ------------------------------------------------------------------------------


def robust_sigma(values: np.ndarray) -> float:
    """1.4826 · median absolute deviation (a normal sigma, robust to outliers); nan if empty."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan")
    return float(1.4826 * np.median(np.abs(v - np.median(v))))


def diff_sigma(values: np.ndarray) -> float:
    """Noise sigma from second differences, robust to steps and to locally linear trends.

    1.4826 · median |x[i+1] - 2 x[i] + x[i-1]| / √6 over the finite values in order (first
    differences / √2 with only 2 values; nan with fewer). A series that changes for most of its
    length (a long build-up) would inflate a first-difference estimate; this one does not.
    """
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size < 2:
        return float("nan")
    if v.size == 2:
        return float(abs(v[1] - v[0]) / math.sqrt(2.0))
    return float(1.4826 * np.median(np.abs(np.diff(v, 2))) / math.sqrt(6.0))


def _max_finite(*values: float) -> float:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return max(finite) if finite else float("nan")


# --- the series frame ---------------------------------------------------------------------------


def series_frame(
    measurements: pd.DataFrame, areas: Mapping[str, tuple[float, float]] | None = None
) -> pd.DataFrame:
    """Wide frame, one row per (site, geometry, scene), time-ordered, for geometries with activity.

    Columns: site_id, site, geometry_key, scene_id, acquired_utc (UTC), the metrics of
    ``_COLUMNS`` that were measured (NaN where missing) and ``activity_total``.
    ``areas`` maps site name to (site area, ring area) in any one unit; see ``activity_total``.
    Raises InputError when required columns are missing.
    """
    if measurements.empty:
        return pd.DataFrame(columns=[*_KEYS, *_COLUMNS.values(), "w_site", "activity_total"])
    missing = {"site", "geometry_key", "scene_id", "acquired_utc", "metric", "value"} - set(
        measurements.columns
    )
    if missing:
        raise InputError(f"measurements frame lacks columns {sorted(missing)}")
    # Only geometries that measure activity (SAR); others (optical, high-resolution) have their
    # own series and would otherwise read as permanently blind here.
    with_activity = set(measurements.loc[measurements["metric"] == ACTIVITY, "geometry_key"])
    m = measurements[
        measurements["metric"].isin(list(_COLUMNS))
        & measurements["geometry_key"].isin(with_activity)
    ].copy()
    if "site_id" not in m:
        m["site_id"] = m["site"]
    m["acquired_utc"] = pd.to_datetime(m["acquired_utc"], utc=True)
    wide = m.pivot_table(index=_KEYS, columns="metric", values="value", aggfunc="mean")
    wide = wide.rename(columns=_COLUMNS).reset_index()
    wide.columns.name = None
    for col in _COLUMNS.values():
        if col not in wide:
            wide[col] = np.nan
    wide = wide[wide["activity"].notna() | wide["valid_frac"].notna()]
    wide["w_site"] = site_weights(wide, areas)
    wide["activity_total"] = activity_total(wide, areas)
    wide = wide.sort_values(["site", "geometry_key", "acquired_utc", "scene_id"])
    # Two scenes of one geometry at one instant (overlapping slices) are one observation.
    wide = wide.drop_duplicates(["site", "geometry_key", "acquired_utc"], keep="first")
    return wide.reset_index(drop=True)


def site_weights(frame: pd.DataFrame, areas: Mapping[str, tuple[float, float]] | None) -> pd.Series:
    """Weight of the site polygon in ``activity_total`` per row (ring weight = 1 - this).

    From ``areas`` when given; else from the valid areas implied by ``bright_area_m2 /
    bright_frac`` (median per site); else 0.5 (the plain mean).
    """
    w = pd.Series(0.5, index=frame.index, dtype=float)
    derived: dict[str, float] = {}
    if {"bright_area_m2", "bright_frac", "bright_area_ring_m2", "bright_frac_ring"} <= set(frame):
        with np.errstate(divide="ignore", invalid="ignore"):
            a_site = frame["bright_area_m2"] / frame["bright_frac"].where(frame["bright_frac"] > 0)
            a_ring = frame["bright_area_ring_m2"] / frame["bright_frac_ring"].where(
                frame["bright_frac_ring"] > 0
            )
        med = (
            pd.DataFrame({"s": a_site, "r": a_ring, "site": frame["site"]}).groupby("site").median()
        )
        for name, row in med.iterrows():
            if np.isfinite(row["s"]) and np.isfinite(row["r"]) and row["s"] + row["r"] > 0:
                derived[str(name)] = float(row["s"] / (row["s"] + row["r"]))
    for name, (a_s, a_r) in (areas or {}).items():
        if a_s + a_r > 0:
            derived[name] = a_s / (a_s + a_r)
    if derived:
        w = frame["site"].map(derived).fillna(0.5).astype(float)
    return w


def activity_total(
    frame: pd.DataFrame, areas: Mapping[str, tuple[float, float]] | None = None
) -> pd.Series:
    """Area-weighted site + ring residual; the site residual alone where the ring is missing."""
    w = site_weights(frame, areas)
    total = w * frame["activity"] + (1.0 - w) * frame["activity_ring"]
    return total.where(frame["activity_ring"].notna(), frame["activity"])


def timelines(frame: pd.DataFrame) -> dict[str, pd.DatetimeIndex]:
    """Per geometry key, one timestamp per UTC day on which it acquired any scene (any site)."""
    out: dict[str, pd.DatetimeIndex] = {}
    for key, g in frame.groupby("geometry_key"):
        days = g.assign(day=g["acquired_utc"].dt.floor("D")).groupby("day")["acquired_utc"].min()
        out[str(key)] = pd.DatetimeIndex(days.sort_values().to_numpy())
    return out


# --- states of one (site, geometry) series ------------------------------------------------------


def _reference_idx(
    t: np.ndarray, i: int, ok: np.ndarray, startup: np.ndarray, p: StateParams
) -> tuple[np.ndarray, bool]:
    """Indices of the baseline of observation ``i`` and whether it is the start-up baseline."""
    end = t[i] - np.timedelta64(p.gap_days, "D")
    start = end - np.timedelta64(p.reference_days, "D")
    before = np.flatnonzero(ok & (t < end))
    idx = before[t[before] >= start]
    if idx.size >= p.min_reference:
        return idx, False
    if before.size >= p.min_reference:
        return before[-p.min_reference :], False
    return startup, True


def _shifted(value: float, ref: np.ndarray, k: float, floor: float, rel: float = 0.0) -> bool:
    ref = ref[np.isfinite(ref)]
    if not math.isfinite(value) or ref.size == 0:
        return False
    med = float(np.median(ref))
    half = max(k * robust_sigma(ref), floor, rel * abs(med))
    return abs(value - med) > half


def _z(x: np.ndarray, i: int, idx: np.ndarray, sigma: float) -> tuple[float, float, float]:
    """(z, baseline median, scale) of x[i] against the median of x[idx].

    The scale is the series' noise ``sigma`` widened by the error of a median of ``idx.size``
    values; the spread of the reference itself is not used, so a ramp that is still going on
    keeps reading as a change.
    """
    ref = x[idx]
    ref = ref[np.isfinite(ref)]
    if ref.size == 0 or not math.isfinite(x[i]):
        return float("nan"), float("nan"), float("nan")
    base = float(np.median(ref))
    pred = sigma * math.sqrt(1.0 + math.pi / (2.0 * ref.size))
    return (float(x[i]) - base) / pred, base, sigma


def _col(g: pd.DataFrame, name: str) -> np.ndarray:
    return g[name].to_numpy(float) if name in g else np.full(len(g), np.nan)


def _corroborated(g: pd.DataFrame, i: int, idx: np.ndarray, up: bool, w: float) -> bool | None:
    """Does the omnibus change fraction move with the call? None when not measured."""
    name = "inc_frac" if up else "dec_frac"
    site, ring = _col(g, name), _col(g, name + "_ring")
    both = w * site + (1 - w) * ring
    series = np.where(np.isfinite(ring), both, site)
    if not math.isfinite(series[i]):
        return None
    ref = series[idx]
    ref = ref[np.isfinite(ref)]
    return bool(series[i] > (np.median(ref) if ref.size else 0.0))


def series_states(
    g: pd.DataFrame, p: StateParams, timeline: pd.DatetimeIndex | None = None
) -> pd.DataFrame:
    """States of one (site, geometry) series ``g`` (rows of ``series_frame``, any order).

    ``timeline``: timestamps the geometry acquired anywhere; a UTC day in it without a scene
    here is ``blind`` (no pass). Returns one row per date: site_id, site, geometry_key,
    acquired_utc, scene_id, state, activity, activity_total, z, details (dict).
    """
    g = g.sort_values("acquired_utc").reset_index(drop=True)
    n = len(g)
    t = g["acquired_utc"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
    x_site, x_ring, x_tot = _col(g, "activity"), _col(g, "activity_ring"), _col(g, "activity_total")
    valid = _col(g, "valid_frac")
    bg_db, bg_bf = _col(g, "bg_mean_db"), _col(g, "bg_bright_frac")
    quality = np.isfinite(x_tot) & ~(valid < p.min_valid_fraction)
    has_ring = np.isfinite(x_ring)
    w_site = float(np.nanmedian(_col(g, "w_site"))) if "w_site" in g and n else 0.5
    # Preliminary scene-shift flags against the whole series, only to pick a start-up baseline.
    whole = np.flatnonzero(quality)
    shift0 = np.array(
        [
            _shifted(bg_db[i], bg_db[whole], p.shift_k, p.shift_floor_db)
            or _shifted(bg_bf[i], bg_bf[whole], p.shift_k, p.shift_floor_bright, 0.5)
            for i in range(n)
        ],
        bool,
    )
    startup = np.flatnonzero(quality & ~shift0)[: p.min_reference]
    sig_tot = _max_finite(diff_sigma(x_tot[quality & ~shift0]), p.scale_floor)
    sig_site = _max_finite(diff_sigma(x_site[quality & ~shift0]), p.scale_floor)
    sig_ring = _max_finite(diff_sigma(x_ring[quality & ~shift0]), p.scale_floor)
    z_crit = p.z_crit
    shifted = np.zeros(n, bool)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        details: dict[str, Any] = {
            "scene_id": g.at[i, "scene_id"],
            "valid_frac": json_float(valid[i]),
            "activity_ring": json_float(x_ring[i]),
            "activity_total": json_float(x_tot[i]),
        }
        row = {
            "site_id": g.at[i, "site_id"],
            "site": g.at[i, "site"],
            "geometry_key": g.at[i, "geometry_key"],
            "acquired_utc": g.at[i, "acquired_utc"],
            "scene_id": g.at[i, "scene_id"],
            "activity": x_site[i],
            "activity_total": x_tot[i],
            "w_site": w_site,
            "z": float("nan"),
            "details": details,
        }
        rows.append(row)
        if not quality[i]:
            row["state"] = "blind"
            details["reason"] = (
                "no activity value" if not math.isfinite(x_tot[i]) else "valid fraction too low"
            )
            continue
        idx, is_startup = _reference_idx(t, i, quality & ~shifted, startup, p)
        bg_ref = whole if is_startup else idx
        if _shifted(bg_db[i], bg_db[bg_ref], p.shift_k, p.shift_floor_db) or _shifted(
            bg_bf[i], bg_bf[bg_ref], p.shift_k, p.shift_floor_bright, 0.5
        ):
            shifted[i] = True
            row["state"] = "conditions-changed"
            details.update(reason="scene-wide backscatter shift", bg_mean_db=json_float(bg_db[i]))
            continue
        z_tot, base, scale = _z(x_tot, i, idx, sig_tot)
        z_site = _z(x_site, i, idx, sig_site)[0]
        z_ring = _z(x_ring, i, idx, sig_ring)[0] if has_ring[i] else float("nan")
        # Dispersal is a move within days: judged against the last passes, not the gapped baseline.
        recent = np.flatnonzero(quality & ~shifted & (t < t[i]))[-p.min_reference :]
        zr_site, base_site, _ = _z(x_site, i, recent, sig_site)
        zr_ring, base_ring, _ = _z(x_ring, i, recent, sig_ring) if has_ring[i] else (np.nan,) * 3
        gain = (x_ring[i] - base_ring) * (1 - w_site)
        loss = (base_site - x_site[i]) * w_site
        row["z"] = z_tot
        state = "quiet"
        if abs(z_tot) >= z_crit:
            state = "build-up" if z_tot > 0 else "draw-down"
            corr = _corroborated(g, i, idx, z_tot > 0, w_site)
            details["corroborated"] = corr
            if corr is False and abs(z_tot) < z_crit + p.corroborate_band:
                state = "quiet"
                details["uncorroborated"] = True
        row["state"] = state
        details.update(
            z=json_float(z_tot),
            z_site=json_float(z_site),
            z_ring=json_float(z_ring),
            baseline=json_float(base),
            scale=json_float(scale),
            baseline_n=int(idx.size),
            baseline_from=_iso(t[idx[0]]) if idx.size else None,
            baseline_to=_iso(t[idx[-1]]) if idx.size else None,
            startup_baseline=is_startup,
            z_site_recent=json_float(zr_site),
            z_ring_recent=json_float(zr_ring),
            dispersal=bool(
                zr_site <= -z_crit and zr_ring >= z_crit and gain >= p.dispersal_share * loss
            ),
        )
    out = pd.DataFrame(rows)
    if timeline is not None and len(timeline):
        out = _add_no_pass(out, g, timeline)
    return out


def _add_no_pass(out: pd.DataFrame, g: pd.DataFrame, timeline: pd.DatetimeIndex) -> pd.DataFrame:
    seen = set(g["acquired_utc"].dt.floor("D"))
    missing = [ts for ts in timeline if ts.floor("D") not in seen]
    if not missing:
        return out
    first = g.iloc[0] if len(g) else None
    extra = pd.DataFrame(
        {
            "site_id": first["site_id"] if first is not None else None,
            "site": first["site"] if first is not None else None,
            "geometry_key": first["geometry_key"] if first is not None else None,
            "acquired_utc": missing,
            "scene_id": None,
            "activity": np.nan,
            "activity_total": np.nan,
            "z": np.nan,
            "state": "blind",
            "details": [{"reason": "no pass"} for _ in missing],
        }
    )
    merged = pd.concat([out, extra], ignore_index=True) if len(out) else extra
    return merged.sort_values("acquired_utc").reset_index(drop=True)


def _iso(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat()


def all_states(frame: pd.DataFrame, p: StateParams, with_timeline: bool = True) -> pd.DataFrame:
    """States of every (site, geometry) series of ``frame`` (a ``series_frame``)."""
    lines = timelines(frame) if with_timeline else {}
    parts = [
        series_states(g, p, lines.get(str(key[1])))
        for key, g in frame.groupby(["site", "geometry_key"], sort=True)
    ]
    if not parts:
        return pd.DataFrame(columns=[*_KEYS, "state", "activity", "activity_total", "z", "details"])
    return pd.concat(parts, ignore_index=True)


# --- store entry point --------------------------------------------------------------------------


def state_rows(states: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for ``repo.replace_states``: site_id, geometry_key, acquired_utc, state, activity,
    details (JSON-safe)."""
    rows = []
    for r in states.itertuples(index=False):
        rows.append(
            dict(
                site_id=int(r.site_id),
                geometry_key=str(r.geometry_key),
                acquired_utc=pd.Timestamp(r.acquired_utc).to_pydatetime(),
                state=str(r.state),
                activity=json_float(r.activity),
                details=_json_safe(r.details if isinstance(r.details, dict) else {}),
            )
        )
    return rows


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return json_float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def site_areas(sites: Sequence[Any], ring_km: float) -> dict[str, tuple[float, float]]:
    """(site polygon area, ring area) in m² per site name, from ``Site`` geometries."""
    from forcewatch.sites import local_aeqd, ring_polygon, to_crs

    out: dict[str, tuple[float, float]] = {}
    for site in sites:
        lon, lat = site.centroid_lonlat
        crs = local_aeqd(lon, lat)
        a_site = float(to_crs(site.geometry, crs).area)
        a_ring = float(to_crs(ring_polygon(site, ring_km), crs).area) if ring_km > 0 else 0.0
        out[site.name] = (a_site, a_ring)
    return out


def compute_states(
    measurements: pd.DataFrame,
    p: StateParams,
    areas: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Orbit and fused states (with onsets in the fused details) from a measurements frame."""
    # Imported here: assess builds on this module (onsets are dated on its states).
    from forcewatch.assess import annotate_onsets

    frame = series_frame(measurements, areas)
    orbit = all_states(frame, p)
    if orbit.empty:
        return orbit
    fused = annotate_onsets(fuse_states(orbit, p), orbit, p)
    return pd.concat([orbit, fused], ignore_index=True)


def assess_store(store: Store, config: ProjectConfig) -> int:
    """Recompute every series state from the stored measurements; returns the rows written.

    Reads measurements and sites, computes orbit and fused states with onsets, and replaces the
    states of this parameter set in one transaction.
    """
    from forcewatch.store import repo

    p = StateParams.from_settings(config.assess)
    meas = repo.measurements_frame(store)
    sites = [s.site for s in repo.list_sites(store)]
    states = compute_states(meas, p, site_areas(sites, config.sites.ring_km))
    rows = state_rows(states) if not states.empty else []
    with store.begin() as conn:
        repo.replace_states(conn, p.digest(), rows)
    log.info("wrote %d series states", len(rows))
    return len(rows)
