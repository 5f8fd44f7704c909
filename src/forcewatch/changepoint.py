"""Dating one change in a series: a flat-ramp-flat change-point model with a bootstrap interval.

``date_onset`` fits start ``τ1`` and end ``τ2`` by least squares on a grid (a step is the case
``τ1 = τ2``); the interval of the start comes from a residual bootstrap with a fixed seed. Times
are UTC. Used by ``forcewatch.assess`` (onsets of fused states) and ``forcewatch.movement``
(moves between distance bands); ``assess`` re-exports ``date_onset`` and ``Onset``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

DAY_NS = 86_400 * 10**9
ONSET_BOOT = 300
ONSET_GRID = 60
SEED = 20220215  # bootstrap seed, also of assess.trend_between


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
