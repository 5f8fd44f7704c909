"""Onsets, window-to-window shifts, distance-band movement, dispersal and count calibration.

Pure functions over the frames of ``forcewatch.series``; times are UTC, activity is the
residual bright fraction (``activity_total`` unless named otherwise).

- ``date_onset``: a flat-ramp-flat change-point model (start ``τ1``, end ``τ2``) fitted by
  least squares on a grid; a step is the case ``τ1 = τ2``. The interval of the start comes from
  a residual bootstrap with a fixed seed.
- ``compare_windows`` / ``combine_orbits`` / ``sum_shifts``: Hodges-Lehmann shift between a
  reference and a window, its standard error from a robust noise scale, and one-sided and
  equivalence (TOST) p-values; ``trend_between`` adds a bootstrap interval.
- ``weekly_site_activity`` / ``band_activity`` / ``mean_distance_km`` / ``band_transitions``:
  activity by distance band per week and dated moves between bands.
- ``dispersal_events``: spells where the site residual fell while the ring's rose.
- ``count_series`` / ``counts_on_timeline`` / ``calibrate_counts`` / ``force_estimate``:
  sparse high-resolution counts on the SAR timeline, a line through the origin with intervals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from forcewatch.series import (
    FUSED,
    READ_STATES,
    StateParams,
    diff_sigma,
    orbit_offsets,
    robust_sigma,
)
from forcewatch.sites import band_label, band_labels

DAY_NS = 86_400 * 10**9
ONSET_BOOT = 300
ONSET_GRID = 60
SEED = 20220215


# --- onsets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Onset:
    """A dated change: start (best), its interval, when it levelled off, and the two levels."""

    start: pd.Timestamp
    lo: pd.Timestamp
    hi: pd.Timestamp
    end: pd.Timestamp
    before: float
    after: float

    @property
    def kind(self) -> str:
        return "build-up" if self.after > self.before else "draw-down"

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.start.date().isoformat(),
            "lo": self.lo.date().isoformat(),
            "hi": self.hi.date().isoformat(),
            "end": self.end.date().isoformat(),
            "kind": self.kind,
            "before": self.before,
            "after": self.after,
        }


def _ramp_design(t_days: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centred ramp regressors g(t; τ1, τ2) for every pair τ1 <= τ2 of ``grid`` (pairs, n)."""
    i1, i2 = np.triu_indices(grid.size)
    tau1, tau2 = grid[i1][:, None], grid[i2][:, None]
    width = tau2 - tau1
    with np.errstate(divide="ignore", invalid="ignore"):
        ramp = np.clip((t_days[None, :] - tau1) / width, 0.0, 1.0)
    g = np.where(width > 0, ramp, (t_days[None, :] > tau1).astype(float))
    return g, np.stack([grid[i1], grid[i2]], axis=1)


def _best_pairs(y: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the least-squares pair for each row of ``y`` (samples, n), and the SSEs."""
    gc = g - g.mean(axis=1, keepdims=True)
    sgg = (gc**2).sum(axis=1)
    ok = sgg > 1e-9
    yc = y - y.mean(axis=1, keepdims=True)
    sgy = yc @ gc[ok].T
    sse = (yc**2).sum(axis=1, keepdims=True) - sgy**2 / sgg[ok][None, :]
    best = np.flatnonzero(ok)[np.argmin(sse, axis=1)]
    return best, sse


def date_onset(
    times: pd.Series | pd.DatetimeIndex,
    values: np.ndarray | pd.Series,
    confidence: float = 0.95,
    n_boot: int = ONSET_BOOT,
    seed: int = SEED,
) -> Onset | None:
    """Date the start of one change in ``values`` (flat, ramp, flat) with a bootstrap interval.

    ``times`` are UTC timestamps; returns None with fewer than 5 finite values. The interval is
    the central ``confidence`` range of the start over ``n_boot`` residual resamples (fixed
    ``seed``), widened to contain the estimate ± half a grid step and the passes on either side
    of it (the start cannot be resolved more finely than the gap between passes).
    """
    ts = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    y = np.asarray(values, float)
    keep = np.isfinite(y)
    ts, y = ts[keep], y[keep]
    if y.size < 5:
        return None
    order = np.argsort(ts.asi8)
    ts, y = ts[order], y[order]
    t0 = ts[0]
    t_days = (ts.asi8 - t0.value) / DAY_NS
    span = float(t_days[-1])
    if span <= 0:
        return None
    step = max(1.0, span / ONSET_GRID)
    grid = np.arange(0.0, span + step / 2, step)
    g, pairs = _ramp_design(t_days, grid)
    best, _ = _best_pairs(y[None, :], g)
    k = int(best[0])
    x = g[k]
    slope, icept = np.polyfit(x, y, 1) if np.ptp(x) > 0 else (0.0, float(np.mean(y)))
    fitted = icept + slope * x
    resid = y - fitted
    rng = np.random.default_rng(seed)
    boot = fitted[None, :] + rng.choice(resid, size=(n_boot, y.size), replace=True)
    b_best, _ = _best_pairs(boot, g)
    starts = pairs[b_best, 0]
    alpha = 1.0 - confidence
    lo_d, hi_d = np.quantile(starts, [alpha / 2, 1 - alpha / 2])
    start_d, end_d = pairs[k]
    # Never narrower than the gap between the passes around the start: nothing was seen there.
    before, after = t_days[t_days <= start_d], t_days[t_days > start_d]
    lo_d = min(float(lo_d), start_d - step / 2, before.max() if before.size else start_d)
    hi_d = max(float(hi_d), start_d + step / 2, after.min() if after.size else start_d)

    def at(days: float) -> pd.Timestamp:
        return (t0 + pd.Timedelta(days=float(days))).floor("D")

    return Onset(at(start_d), at(lo_d), at(hi_d), at(end_d), float(icept), float(icept + slope))


def _episodes(fused: pd.DataFrame, min_len: int) -> list[tuple[int, int, str]]:
    """(first row, last row, state) of runs of build-up or draw-down; blind and
    conditions-changed dates do not end a run."""
    out: list[tuple[int, int, str]] = []
    cur: tuple[int, int, str] | None = None
    count = 0
    for i, state in enumerate(fused["state"]):
        if state in ("build-up", "draw-down"):
            if cur is not None and cur[2] == state:
                cur, count = (cur[0], i, state), count + 1
                continue
            if cur is not None and count >= min_len:
                out.append(cur)
            cur, count = (i, i, str(state)), 1
        elif state == "quiet":
            if cur is not None and count >= min_len:
                out.append(cur)
            cur, count = None, 0
    if cur is not None and count >= min_len:
        out.append(cur)
    return out


def site_activity_points(orbit_states: pd.DataFrame) -> pd.DataFrame:
    """Readable orbit observations of one site with per-orbit offsets removed:
    acquired_utc, geometry_key, value (activity_total - offset)."""
    per_key = {str(k): v for k, v in orbit_states.groupby("geometry_key")}
    offsets = orbit_offsets(per_key)
    ok = orbit_states[
        orbit_states["state"].isin(READ_STATES) & orbit_states["activity_total"].notna()
    ]
    value = ok["activity_total"] - ok["geometry_key"].map(offsets).fillna(0.0)
    return pd.DataFrame(
        {"acquired_utc": ok["acquired_utc"], "geometry_key": ok["geometry_key"], "value": value}
    ).sort_values("acquired_utc")


def annotate_onsets(
    fused: pd.DataFrame, orbit_states: pd.DataFrame, p: StateParams, min_len: int = 2
) -> pd.DataFrame:
    """Copy of ``fused`` whose first state of each build-up/draw-down run carries
    ``details["onset"]`` (see ``Onset.as_dict``), dated on the site's orbit observations from
    one baseline period (gap + reference) before the run to ``reference_days`` into it."""
    out = fused.copy()
    out["details"] = [dict(d) if isinstance(d, dict) else {} for d in out["details"]]
    lead = pd.Timedelta(days=p.reference_days + p.gap_days)
    follow = pd.Timedelta(days=p.reference_days)
    for site, idx in out.groupby("site").groups.items():
        rows = out.loc[idx].sort_values("acquired_utc")
        points = site_activity_points(orbit_states[orbit_states["site"] == site])
        for first, last, state in _episodes(rows, min_len):
            t_first = rows["acquired_utc"].iloc[first]
            # The start is dated on the run's first weeks: a long run may bend (fast, then
            # slow), which one ramp would fit by starting it too early.
            t_last = min(rows["acquired_utc"].iloc[last], t_first + follow)
            seg = points[
                (points["acquired_utc"] >= t_first - lead) & (points["acquired_utc"] <= t_last)
            ]
            onset = date_onset(seg["acquired_utc"], seg["value"].to_numpy())
            if onset is None or onset.kind != state:
                continue
            label = rows.index[first]
            out.at[label, "details"] = {**out.at[label, "details"], "onset": onset.as_dict()}
    return out


def onsets_frame(states: pd.DataFrame) -> pd.DataFrame:
    """Onsets recorded in fused state details: site, kind, date, lo, hi, end, before, after."""
    recs = []
    fused = states[states["geometry_key"] == FUSED] if not states.empty else states
    for r in fused.itertuples(index=False):
        details = r.details if isinstance(r.details, dict) else {}
        if isinstance(details.get("onset"), dict):
            recs.append({"site": r.site, **details["onset"]})
    return pd.DataFrame(recs)


# --- shifts between windows ---------------------------------------------------------------------


@dataclass(frozen=True)
class Shift:
    """Window minus reference activity: ``delta`` ± ``se`` (t with ``df``), and the reference
    level (mean) for relative effects. ``n_ref``/``n_window`` count observations."""

    delta: float
    se: float
    df: float
    level: float
    n_ref: int
    n_window: int

    def t(self) -> float:
        return self.delta / self.se if self.se > 0 else math.copysign(math.inf, self.delta or 1)

    def p_increase(self) -> float:
        """One-sided p of 'no increase' (small: activity rose)."""
        return float(stats.t.sf(self.t(), self.df))

    def p_decrease(self) -> float:
        return float(stats.t.cdf(self.t(), self.df))

    def p_not_below(self, margin: float) -> float:
        """Non-inferiority p of 'the change is -``margin`` or less' (small: no real decrease)."""
        if self.se <= 0:
            return 0.0 if self.delta > -margin else 1.0
        return float(stats.t.sf((self.delta + margin) / self.se, self.df))

    def p_not_above(self, margin: float) -> float:
        """Non-superiority p of 'the change is +``margin`` or more' (small: no real increase)."""
        if self.se <= 0:
            return 0.0 if self.delta < margin else 1.0
        return float(stats.t.cdf((self.delta - margin) / self.se, self.df))

    def p_equivalent(self, margin: float) -> float:
        """TOST p of 'the change is at least ``margin`` (absolute) either way'."""
        return max(self.p_not_below(margin), self.p_not_above(margin))

    def ci(self, confidence: float) -> tuple[float, float]:
        half = float(stats.t.ppf(0.5 + confidence / 2, self.df)) * self.se
        return self.delta - half, self.delta + half


# Variance of the Hodges-Lehmann shift relative to the difference of means (normal errors).
HL_VARIANCE = math.pi / 3


def hodges_lehmann(ref: np.ndarray, win: np.ndarray) -> float:
    """Median of all pairwise differences window − reference."""
    return float(np.median(np.subtract.outer(np.asarray(win, float), np.asarray(ref, float))))


def compare_windows(ref: np.ndarray, win: np.ndarray, sigma: float, df: float) -> Shift:
    """Shift of one series between a reference and a window.

    ``sigma`` is the series' noise scale (e.g. ``series.diff_sigma`` over the whole series, with
    ``df`` its degrees of freedom); the within-window and within-reference spreads (robust) are
    used instead when larger, so a trend inside either window widens the interval.
    """
    ref = np.asarray(ref, float)[np.isfinite(ref)]
    win = np.asarray(win, float)[np.isfinite(win)]
    if ref.size == 0 or win.size == 0:
        raise ValueError("compare_windows needs at least one value in each window")
    spread = [robust_sigma(v) for v in (ref, win) if v.size >= 3]
    scale = max([s for s in [sigma, *spread] if math.isfinite(s)] or [0.0])
    se = scale * math.sqrt(HL_VARIANCE * (1.0 / ref.size + 1.0 / win.size))
    return Shift(
        hodges_lehmann(ref, win), se, max(float(df), 1.0), float(np.mean(ref)), ref.size, win.size
    )


def combine_orbits(shifts: Sequence[Shift]) -> Shift:
    """One shift from several geometries measuring the same site (precision-weighted mean)."""
    if not shifts:
        raise ValueError("combine_orbits needs at least one shift")
    if len(shifts) == 1:
        return shifts[0]
    w = np.array([1.0 / s.se**2 if s.se > 0 else 1e12 for s in shifts])
    delta = float(np.sum(w * [s.delta for s in shifts]) / w.sum())
    level = float(np.sum(w * [s.level for s in shifts]) / w.sum())
    return Shift(
        delta,
        float(1.0 / math.sqrt(w.sum())),
        min(s.df for s in shifts),
        level,
        sum(s.n_ref for s in shifts),
        sum(s.n_window for s in shifts),
    )


def sum_shifts(shifts: Sequence[Shift], weights: Sequence[float] | None = None) -> Shift:
    """Shift of a weighted total over sites (weights e.g. areas); df by Welch-Satterthwaite."""
    if not shifts:
        raise ValueError("sum_shifts needs at least one shift")
    w = np.ones(len(shifts)) if weights is None else np.asarray(weights, float)
    var = np.array([(wi * s.se) ** 2 for wi, s in zip(w, shifts, strict=True)])
    den = float(np.sum([v**2 / s.df for v, s in zip(var, shifts, strict=True)]))
    df = float(var.sum() ** 2 / den) if den > 0 else min(s.df for s in shifts)
    return Shift(
        float(np.sum(w * [s.delta for s in shifts])),
        float(math.sqrt(var.sum())),
        df,
        float(np.sum(w * [s.level for s in shifts])),
        sum(s.n_ref for s in shifts),
        sum(s.n_window for s in shifts),
    )


def relative(value: float, level: float, min_level: float) -> float:
    """``value`` relative to a level, the level floored at ``min_level`` (near-empty sites)."""
    return value / max(abs(level), min_level)


@dataclass(frozen=True)
class Trend:
    """Change between two windows: Hodges-Lehmann shift with its interval, absolute and relative."""

    shift: float
    ci: tuple[float, float]
    relative: float
    relative_ci: tuple[float, float]
    n_a: int
    n_b: int
    method: str


def trend_between(
    times: pd.Series | pd.DatetimeIndex,
    values: np.ndarray | pd.Series,
    window_a: tuple[Any, Any],
    window_b: tuple[Any, Any],
    confidence: float = 0.95,
    min_level: float = 1e-3,
    n_boot: int = 2000,
    seed: int = SEED,
) -> Trend | None:
    """Change from window A to window B (inclusive UTC bounds), robust to outliers.

    Shift: Hodges-Lehmann. Interval: percentile bootstrap (fixed ``seed``) when both windows
    hold at least 6 values, else the normal interval from the series' difference-based noise.
    Relative: shift over A's median (floored at ``min_level``). None when a window is empty.
    """
    ts = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    y = np.asarray(values, float)

    def pick(w: tuple[Any, Any]) -> np.ndarray:
        lo, hi = pd.Timestamp(w[0], tz="UTC"), pd.Timestamp(w[1], tz="UTC") + pd.Timedelta(days=1)
        sel = (ts >= lo) & (ts < hi) & np.isfinite(y)
        return y[sel]

    a, b = pick(window_a), pick(window_b)
    if a.size == 0 or b.size == 0:
        return None
    shift = hodges_lehmann(a, b)
    alpha = 1.0 - confidence
    if a.size >= 6 and b.size >= 6:
        rng = np.random.default_rng(seed)
        ia = rng.integers(0, a.size, size=(n_boot, a.size))
        ib = rng.integers(0, b.size, size=(n_boot, b.size))
        diffs = b[ib][:, :, None] - a[ia][:, None, :]
        boot = np.median(diffs.reshape(n_boot, -1), axis=1)
        lo, hi = (float(v) for v in np.quantile(boot, [alpha / 2, 1 - alpha / 2]))
        method = "hodges-lehmann, percentile bootstrap"
    else:
        sigma = diff_sigma(y[np.isfinite(y)])
        se = sigma * math.sqrt(HL_VARIANCE * (1 / a.size + 1 / b.size))
        z = float(stats.norm.ppf(1 - alpha / 2))
        lo, hi = shift - z * se, shift + z * se
        method = "hodges-lehmann, normal interval from difference noise"
    level = float(np.median(a))
    rel = (relative(shift, level, min_level), relative(lo, level, min_level))
    return Trend(
        shift, (lo, hi), rel[0], (rel[1], relative(hi, level, min_level)), a.size, b.size, method
    )


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


# --- counts -------------------------------------------------------------------------------------


def count_series(
    detections: pd.DataFrame, min_score: float = 0.0, classes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Detections per (site, acquisition): site, acquired_utc, count (scenes with none: absent)."""
    if detections.empty:
        return pd.DataFrame(columns=["site", "acquired_utc", "count"])
    d = detections[detections["score"] >= min_score]
    if classes:
        d = d[d["class_name"].isin(list(classes))]
    d = d.assign(acquired_utc=pd.to_datetime(d["acquired_utc"], utc=True))
    return d.groupby(["site", "acquired_utc"]).size().rename("count").reset_index()


def counts_on_timeline(
    counts: pd.DataFrame, points: pd.DataFrame, max_days: float = 3.0
) -> pd.DataFrame:
    """Each count paired with the nearest SAR observation of its site within ``max_days``.

    ``points``: site, acquired_utc, value (e.g. fused activity). Returns site, acquired_utc,
    count, activity, sar_utc, lag_days; counts with no SAR pass near enough are kept with NaN.
    """
    cols = ["site", "acquired_utc", "count", "activity", "sar_utc", "lag_days"]
    if counts.empty:
        return pd.DataFrame(columns=cols)
    recs = []
    for r in counts.itertuples(index=False):
        p = points[points["site"] == r.site]
        rec = dict(site=r.site, acquired_utc=r.acquired_utc, count=float(r.count))
        if not p.empty:
            lag = (p["acquired_utc"] - r.acquired_utc).abs()
            j = lag.idxmin()
            if lag[j] <= pd.Timedelta(days=max_days):
                rec.update(
                    activity=float(p.at[j, "value"]),
                    sar_utc=p.at[j, "acquired_utc"],
                    lag_days=lag[j] / pd.Timedelta(days=1),
                )
        recs.append(rec)
    return pd.DataFrame(recs).reindex(columns=cols)


@dataclass(frozen=True)
class Calibration:
    """count ≈ slope · activity (through the origin), with a t interval on the slope."""

    slope: float
    slope_ci: tuple[float, float]
    residual_sd: float
    n: int
    sxx: float
    confidence: float

    def predict(self, activity: float) -> tuple[float, float, float]:
        """(estimate, lo, hi) count for ``activity``: a prediction interval (slope and scatter)."""
        est = self.slope * activity
        var = self.residual_sd**2 * (1.0 + activity**2 / self.sxx)
        half = float(stats.t.ppf(0.5 + self.confidence / 2, max(self.n - 1, 1))) * math.sqrt(var)
        return est, max(est - half, 0.0), est + half


def calibrate_counts(pairs: pd.DataFrame, confidence: float = 0.95) -> Calibration | None:
    """Fit count = slope · activity through the origin on paired rows (``counts_on_timeline``).

    Rows with negative activity are dropped (the line goes through the origin). None with fewer
    than 3 usable pairs.
    """
    ok = pairs.dropna(subset=["count", "activity"])
    ok = ok[ok["activity"] > 0]
    if len(ok) < 3:
        return None
    x, y = ok["activity"].to_numpy(float), ok["count"].to_numpy(float)
    sxx = float(np.sum(x**2))
    slope = float(np.sum(x * y) / sxx)
    sd = float(math.sqrt(np.sum((y - slope * x) ** 2) / (len(x) - 1)))
    half = float(stats.t.ppf(0.5 + confidence / 2, len(x) - 1)) * sd / math.sqrt(sxx)
    return Calibration(slope, (slope - half, slope + half), sd, len(x), sxx, confidence)


# Vehicles per battalion tactical group, a rough public range (configurable by the caller).
DEFAULT_UNIT_FACTORS: dict[str, tuple[float, float]] = {"battalion tactical groups": (75.0, 100.0)}


def force_estimate(
    vehicles: tuple[float, float, float],
    factors: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """Rough force size from a vehicle estimate (est, lo, hi): per unit kind, (est, lo, hi)
    units, the low end dividing by the largest factor. The factors are returned with it."""
    factors = dict(factors or DEFAULT_UNIT_FACTORS)
    est, lo, hi = vehicles
    units = {
        name: (est / ((f_lo + f_hi) / 2), lo / f_hi, hi / f_lo)
        for name, (f_lo, f_hi) in factors.items()
    }
    return {"vehicles": vehicles, "units": units, "factors": factors}
