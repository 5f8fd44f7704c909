"""Onsets, window shifts, distance bands, dispersal and counts on constructed series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forcewatch.assess import (
    Shift,
    band_activity,
    band_transitions,
    calibrate_counts,
    combine_orbits,
    compare_windows,
    count_series,
    counts_on_timeline,
    date_onset,
    dispersal_events,
    force_estimate,
    mean_distance_km,
    movement_summary,
    sum_shifts,
    trend_between,
    weekly_site_activity,
)
from forcewatch.series import FUSED, StateParams, compute_states
from tests.test_series import NOISE, long_frame, noise, pass_times

DAY = pd.Timedelta(days=1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_onset_of_a_ramp_is_dated_within_its_interval(seed: int) -> None:
    # Passes every 6 days; a ramp starts on day 90 and levels off on day 150. Tolerance: the true
    # start inside the interval and the estimate within 9 days (1.5 revisits).
    t = pass_times(40, every_days=6)
    days = np.arange(40) * 6.0
    y = np.clip((days - 90) / 60, 0, 1) * 0.006 + noise(40, seed)
    onset = date_onset(t, y)
    assert onset is not None and onset.kind == "build-up"
    truth = (t[0] + pd.Timedelta(days=90)).floor("D")
    assert onset.lo <= truth <= onset.hi
    assert abs((onset.start - truth) / DAY) <= 9
    assert abs((onset.end - (t[0] + pd.Timedelta(days=150))) / DAY) <= 15
    assert onset.after - onset.before == pytest.approx(0.006, rel=0.15)


def test_onset_of_a_step_down_is_a_draw_down_between_the_passes() -> None:
    t = pass_times(30, every_days=6)
    y = np.where(np.arange(30) >= 20, 0.001, 0.005) + noise(30, 4)
    onset = date_onset(t, y)
    assert onset is not None and onset.kind == "draw-down"
    assert t[19].floor("D") <= onset.start <= t[20]
    assert (onset.hi - onset.lo) / DAY <= 12


def test_onset_needs_five_values() -> None:
    assert date_onset(pass_times(4), [0.0, 0.0, 1.0, 1.0]) is None


def test_hodges_lehmann_trend_resists_an_outlier_and_bootstraps_an_interval() -> None:
    t = pass_times(40, every_days=3)
    y = np.where(np.arange(40) >= 20, 0.004, 0.002) + noise(40, 5)
    y[25] = 0.5  # one wild scene (a ship, a flare) in the second window
    a = (t[0].date(), t[19].date())
    b = (t[20].date(), t[39].date())
    trend = trend_between(t, y, a, b)
    assert trend is not None and "bootstrap" in trend.method
    assert trend.shift == pytest.approx(0.002, abs=3 * NOISE)
    assert trend.ci[0] < 0.002 < trend.ci[1]
    assert trend.ci[1] - trend.ci[0] < 0.002  # the outlier did not blow the interval up
    assert trend.relative == pytest.approx(trend.shift / float(np.median(y[:20])))
    again = trend_between(t, y, a, b)
    assert again == trend  # fixed seed


def test_trend_on_short_windows_uses_the_series_noise() -> None:
    t = pass_times(20)
    y = np.where(np.arange(20) >= 18, 0.004, 0.0) + noise(20, 6)
    trend = trend_between(t, y, (t[14].date(), t[17].date()), (t[18].date(), t[19].date()))
    assert trend is not None and "normal interval" in trend.method
    assert trend.ci[0] > 0


def test_window_shift_p_values_and_equivalence() -> None:
    rng = np.random.default_rng(7)
    ref = rng.normal(0.010, NOISE, 8)
    up = compare_windows(ref, rng.normal(0.013, NOISE, 4), NOISE, 30)
    assert up.p_increase() < 0.001 and up.p_decrease() > 0.99
    same = compare_windows(ref, rng.normal(0.010, NOISE, 8), NOISE, 30)
    assert same.p_equivalent(0.25 * 0.010) < 0.01  # ±25 % of the level, decisively
    vague = Shift(0.0, 0.004, 30, 0.010, 3, 1)
    assert vague.p_equivalent(0.25 * 0.010) > 0.2  # too noisy to call stable
    lo, hi = up.ci(0.95)
    assert lo < up.delta < hi


def test_orbits_combine_by_precision_and_sites_sum() -> None:
    a = Shift(1.0, 1.0, 20, 10.0, 4, 2)
    b = Shift(3.0, 1.0, 20, 12.0, 4, 2)
    both = combine_orbits([a, b])
    assert both.delta == pytest.approx(2.0) and both.se == pytest.approx(2**-0.5)
    total = sum_shifts([a, b], [1.0, 2.0])
    assert total.delta == pytest.approx(7.0) and total.level == pytest.approx(34.0)
    assert total.se == pytest.approx(5**0.5)
    assert total.n_window == 4


def _fused_states(activity_by_site: dict[str, np.ndarray], times: pd.DatetimeIndex) -> pd.DataFrame:
    rows = []
    for site, values in activity_by_site.items():
        for when, v in zip(times, values, strict=True):
            rows.append(
                dict(
                    site=site,
                    site_id=1,
                    geometry_key=FUSED,
                    acquired_utc=when,
                    state="quiet",
                    activity=v,
                    activity_total=v,
                    details={},
                )
            )
    return pd.DataFrame(rows)


def test_a_move_between_distance_bands_is_detected_and_dated() -> None:
    # Activity leaves a 250+ km site for a 20-50 km site over weeks 12-16 of 30.
    times = pass_times(60, every_days=3)
    week = np.arange(60) * 3 / 7
    moved = np.clip((week - 12) / 4, 0, 1)
    states = _fused_states(
        {
            "Far": 0.008 * (1 - moved) + noise(60, 8),
            "Near": 0.008 * moved + noise(60, 9),
            "Mid": 0.004 + noise(60, 10),
        },
        times,
    )
    distances = {"Far": 300.0, "Near": 30.0, "Mid": 120.0}
    bands_km = [0, 20, 50, 100, 250]
    weekly = weekly_site_activity(states)
    bands = band_activity(weekly, distances, bands_km)
    assert list(bands.columns) == ["20-50", "100-250", "250+"]
    found = band_transitions(bands)
    assert [(t["to"], t["from"]) for t in found] == [("20-50", ["250+"])]
    truth = times[0] + pd.Timedelta(weeks=12)
    lo, hi = pd.Timestamp(found[0]["lo"], tz="UTC"), pd.Timestamp(found[0]["hi"], tz="UTC")
    assert lo - 7 * DAY <= truth <= hi + 7 * DAY  # weekly bins: one week of slack
    assert abs((pd.Timestamp(found[0]["date"], tz="UTC") - truth) / DAY) <= 10
    dist = mean_distance_km(weekly, distances)
    assert dist.iloc[0] > 200 and dist.iloc[-1] < 80
    summary = movement_summary(states, distances, bands_km)
    assert summary["distance_change"]["kind"] == "draw-down"  # toward the line
    assert summary["transitions"] == found


def test_no_transition_when_activity_stays_put() -> None:
    times = pass_times(60, every_days=3)
    states = _fused_states({"Far": 0.008 + noise(60, 11), "Near": 0.004 + noise(60, 12)}, times)
    bands = band_activity(weekly_site_activity(states), {"Far": 300.0, "Near": 30.0}, [0, 20, 50])
    assert band_transitions(bands) == []


def test_dispersal_events_group_flagged_dates() -> None:
    n = 30
    site = np.where(np.arange(n) >= 20, 0.004, 0.008) + noise(n, 13)
    ring = np.where(np.arange(n) >= 20, 0.004, 0.0) + noise(n, 14)
    frame = pd.concat(
        [
            long_frame("A", "s1:ro021", pass_times(n), site, ring=ring),
            long_frame("A", "s1:ro109", pass_times(n, offset_days=5), site, ring=ring),
        ]
    )
    st = compute_states(frame, StateParams())
    events = dispersal_events(st)
    assert len(events) == 1
    stored_like = st.drop(columns=["activity_total"])  # what repo.states_frame returns
    assert weekly_site_activity(stored_like).equals(weekly_site_activity(st))
    ev = events.iloc[0]
    assert ev["site"] == "A" and ev["first"] == pass_times(n)[20]
    assert ev["z_site"] < 0 < ev["z_ring"]


def test_counts_calibrate_activity_to_vehicles_through_the_origin() -> None:
    rng = np.random.default_rng(15)
    times = pass_times(12)
    activity = np.linspace(0.001, 0.012, 12)
    points = pd.DataFrame({"site": "A", "acquired_utc": times, "value": activity})
    true_slope = 30000.0  # vehicles per unit bright fraction
    hr_times = times[::2] + pd.Timedelta(days=1)
    counts = pd.DataFrame(
        {
            "site": "A",
            "acquired_utc": hr_times,
            "count": np.round(true_slope * activity[::2] + rng.normal(0, 10, 6)),
        }
    )
    pairs = counts_on_timeline(counts, points, max_days=3)
    assert pairs["lag_days"].tolist() == pytest.approx([1.0] * 6)
    cal = calibrate_counts(pairs)
    assert cal is not None and cal.n == 6
    assert cal.slope_ci[0] < true_slope < cal.slope_ci[1]
    est, lo, hi = cal.predict(0.01)
    assert lo < true_slope * 0.01 < hi
    far = counts_on_timeline(counts, points, max_days=0.5)
    assert far["activity"].isna().all() and len(far) == 6
    assert calibrate_counts(pairs.iloc[:2]) is None


def test_count_series_and_force_estimate() -> None:
    det = pd.DataFrame(
        {
            "site": ["A", "A", "A", "B"],
            "acquired_utc": pd.to_datetime(["2022-01-01"] * 3 + ["2022-01-02"], utc=True),
            "class_name": ["tank", "truck", "tank", "tank"],
            "score": [0.9, 0.8, 0.2, 0.7],
        }
    )
    counts = count_series(det, min_score=0.5)
    assert counts.set_index("site")["count"].to_dict() == {"A": 2, "B": 1}
    assert count_series(det, classes=["tank"])["count"].sum() == 3
    est = force_estimate((750.0, 600.0, 900.0), {"BTG": (75.0, 100.0)})
    assert est["units"]["BTG"] == pytest.approx((750 / 87.5, 6.0, 12.0))
    assert est["factors"] == {"BTG": (75.0, 100.0)}
