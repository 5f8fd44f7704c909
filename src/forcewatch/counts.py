"""Sparse high-resolution counts on the SAR timeline, their calibration and a force estimate.

``count_series`` / ``counts_on_timeline`` / ``calibrate_counts`` / ``force_estimate``: detections
counted per site and acquisition, paired with the nearest SAR observation, a line through the
origin (count per unit of activity) with intervals, and vehicles turned into unit counts. Times
are UTC. ``forcewatch.assess`` re-exports these names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats


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
