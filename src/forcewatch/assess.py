"""Onsets of fused states, window-to-window shifts and trends.

Pure functions over the frames of ``forcewatch.series``; times are UTC, activity is the
residual bright fraction (``activity_total`` unless named otherwise).

- ``annotate_onsets`` / ``onsets_frame``: each run of build-up or draw-down fused states dated
  by ``date_onset`` (``forcewatch.changepoint``: flat-ramp-flat change-point model, bootstrap
  interval) on the site's orbit observations, stored in the run's first state.
- ``compare_windows`` / ``combine_orbits`` / ``sum_shifts``: Hodges-Lehmann shift between a
  reference and a window, its standard error from a robust noise scale, and one-sided and
  equivalence (TOST) p-values; ``trend_between`` adds a bootstrap interval.

Re-exported for existing callers: ``date_onset`` and ``Onset`` (``forcewatch.changepoint``),
distance-band movement and dispersal (``forcewatch.movement``), count calibration and the force
estimate (``forcewatch.counts``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from forcewatch.changepoint import SEED, date_onset
from forcewatch.changepoint import Onset as Onset
from forcewatch.counts import Calibration as Calibration
from forcewatch.counts import calibrate_counts as calibrate_counts
from forcewatch.counts import count_series as count_series
from forcewatch.counts import counts_on_timeline as counts_on_timeline
from forcewatch.counts import force_estimate as force_estimate
from forcewatch.fusion import FUSED, READ_STATES, orbit_offsets
from forcewatch.movement import band_activity as band_activity
from forcewatch.movement import band_transitions as band_transitions
from forcewatch.movement import dispersal_events as dispersal_events
from forcewatch.movement import mean_distance_km as mean_distance_km
from forcewatch.movement import movement_summary as movement_summary
from forcewatch.movement import weekly_site_activity as weekly_site_activity
from forcewatch.series import StateParams, diff_sigma, robust_sigma

# --- onsets -------------------------------------------------------------------------------------


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
