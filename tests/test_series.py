"""Series and states on constructed measurement frames (fixed seeds, stated tolerances)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from forcewatch.errors import InputError
from forcewatch.series import (
    FUSED,
    StateParams,
    activity_total,
    all_states,
    compute_states,
    diff_sigma,
    fuse_states,
    series_frame,
    state_rows,
)

NOISE = 2e-4  # activity noise of a ~1 km site (binomial on ~30 000 pixels at pfa 1e-3)
START = pd.Timestamp("2021-09-01 04:00", tz="UTC")


def pass_times(n: int, every_days: int = 12, offset_days: int = 0) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(
        [START + pd.Timedelta(days=offset_days + every_days * i) for i in range(n)]
    )


def long_frame(
    site: str,
    geometry: str,
    times: Sequence[pd.Timestamp],
    activity: Sequence[float],
    *,
    ring: Sequence[float] | None = None,
    valid: Sequence[float] | None = None,
    bg_db: Sequence[float] | None = None,
    site_id: int = 1,
    extra: dict[str, Sequence[float]] | None = None,
) -> pd.DataFrame:
    """The long measurements frame of docs/contracts.md for one (site, geometry) series."""
    n = len(times)
    metrics: dict[str, Sequence[float]] = {
        "bright_frac_resid": activity,
        "valid_frac": valid if valid is not None else [1.0] * n,
        "bg_mean_db": bg_db if bg_db is not None else [-12.0] * n,
        "bg_bright_frac": [1e-3] * n,
        **({"bright_frac_resid_ring": ring} if ring is not None else {}),
        **(extra or {}),
    }
    rows = []
    for i, when in enumerate(times):
        for metric, values in metrics.items():
            rows.append(
                dict(
                    site_id=site_id,
                    site=site,
                    geometry_key=geometry,
                    scene_id=f"{site[:3]}-{geometry[-3:]}-{when:%Y%m%d}",
                    acquired_utc=when,
                    metric=metric,
                    value=float(values[i]),
                    params_hash="p",
                )
            )
    return pd.DataFrame(rows)


def noise(n: int, seed: int, sd: float = NOISE) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, sd, n)


def states_of(frame: pd.DataFrame, **params: object) -> pd.DataFrame:
    return all_states(series_frame(frame), StateParams(**params))  # type: ignore[arg-type]


def test_series_frame_pivots_metrics_and_requires_columns() -> None:
    times = pass_times(4)
    frame = series_frame(long_frame("A", "s1:ro021", times, [0.001] * 4, ring=[0.003] * 4))
    assert list(frame["activity"]) == [0.001] * 4
    assert frame["activity_total"].tolist() == pytest.approx([0.002] * 4)  # plain mean
    with pytest.raises(InputError):
        series_frame(pd.DataFrame({"site": ["A"], "value": [1.0]}))


def test_activity_total_is_area_weighted_from_areas_or_bright_area() -> None:
    times = pass_times(3)
    long = long_frame(
        "A",
        "s1:ro021",
        times,
        [0.004] * 3,
        ring=[0.0] * 3,
        extra={
            "bright_frac": [0.01] * 3,
            "bright_area_m2": [0.01 * 1e6] * 3,  # site valid area 1 km²
            "bright_frac_ring": [0.01] * 3,
            "bright_area_ring_m2": [0.01 * 3e6] * 3,  # ring valid area 3 km²
        },
    )
    derived = series_frame(long)
    assert derived["activity_total"].tolist() == pytest.approx([0.001] * 3)
    given = series_frame(long, areas={"A": (1.0, 1.0)})
    assert given["activity_total"].tolist() == pytest.approx([0.002] * 3)
    no_ring = series_frame(long_frame("A", "s1:ro021", times, [0.004] * 3))
    assert activity_total(no_ring).tolist() == pytest.approx([0.004] * 3)


def test_diff_sigma_ignores_a_long_ramp() -> None:
    # Tolerance 25 %: 80 values give the MAD of second differences about 10 % error.
    ramp = np.linspace(0.0, 0.02, 80) + noise(80, 1)
    assert diff_sigma(ramp) == pytest.approx(NOISE, rel=0.25)


def test_quiet_series_is_quiet_at_about_the_false_alarm_rate() -> None:
    # 4 seeds x 60 passes; false_alarm 0.01 per direction -> about 2 % flagged; allow 5 %.
    calls = []
    for seed in range(4):
        st = states_of(long_frame("A", "s1:ro021", pass_times(60), 0.002 + noise(60, seed)))
        calls += list(st["state"])
    flagged = sum(s != "quiet" for s in calls) / len(calls)
    assert flagged <= 0.05
    assert set(calls) <= {"quiet", "build-up", "draw-down"}


def test_step_up_is_build_up_and_step_down_is_draw_down() -> None:
    n = 30
    up = np.where(np.arange(n) >= 15, 0.004, 0.0) + noise(n, 2)
    st = states_of(long_frame("A", "s1:ro021", pass_times(n), up))
    assert list(st["state"][15:18]) == ["build-up"] * 3
    assert (st["state"][:15] == "quiet").mean() >= 0.9
    down = np.where(np.arange(n) >= 15, 0.0, 0.004) + noise(n, 3)
    st = states_of(long_frame("A", "s1:ro021", pass_times(n), down))
    assert list(st["state"][15:18]) == ["draw-down"] * 3


def test_low_valid_fraction_is_blind_never_quiet() -> None:
    n = 20
    valid = [1.0] * n
    valid[10] = 0.2
    st = states_of(long_frame("A", "s1:ro021", pass_times(n), noise(n, 4), valid=valid))
    assert st["state"].iloc[10] == "blind"
    assert st["details"].iloc[10]["reason"] == "valid fraction too low"
    assert math.isnan(st["z"].iloc[10])


def test_a_missing_pass_on_the_geometry_timeline_is_blind() -> None:
    times = pass_times(20)
    seen = long_frame("A", "s1:ro021", times, noise(20, 5), site_id=1)
    gappy_times = times.delete([3, 4])
    gappy = long_frame("B", "s1:ro021", gappy_times, noise(18, 6), site_id=2)
    st = states_of(pd.concat([seen, gappy]))
    b = st[st["site"] == "B"].reset_index(drop=True)
    assert len(b) == 20
    assert list(b["state"][3:5]) == ["blind", "blind"]
    assert [d["reason"] for d in b["details"][3:5]] == ["no pass", "no pass"]
    assert b["site_id"].iloc[3] == 2
    assert str(b["acquired_utc"].dt.tz) == "UTC"  # no-pass dates are UTC like the others


def test_geometries_without_activity_are_not_series() -> None:
    times = pass_times(5)
    sar = long_frame("A", "s1:ro021", times, noise(5, 20))
    optical = sar[sar["metric"] == "valid_frac"].assign(geometry_key="s2")
    frame = series_frame(pd.concat([sar, optical]))
    assert set(frame["geometry_key"]) == {"s1:ro021"}


def test_a_wetness_shift_is_conditions_changed_and_kept_out_of_baselines() -> None:
    n = 24
    act = 0.002 + noise(n, 7)
    bg = -12.0 + noise(n, 8, 0.05)
    act[12] += 0.003  # wet ground: clutter and the residual jump with the whole scene
    bg[12] += 2.5
    st = states_of(long_frame("A", "s1:ro021", pass_times(n), act, bg_db=bg))
    assert st["state"].iloc[12] == "conditions-changed"
    assert (st["state"].drop(index=12) == "quiet").mean() >= 0.9
    later = st["details"].iloc[14]
    assert later["baseline_n"] >= 3  # baseline built from passes other than the wet one
    without_guard = states_of(long_frame("A", "s1:ro021", pass_times(n), act), shift_floor_db=10.0)
    assert without_guard["state"].iloc[12] == "build-up"  # the guard is what stops it


def test_gapped_baseline_still_sees_a_slow_ramp() -> None:
    # A ramp of one noise sigma per pass (6-day revisit): each pass looks like the one before,
    # but against a baseline ending 12 days back the change shows; with no gap it shows less
    # (the baseline median sits ~5.5 passes back instead of ~3.5).
    n = 40
    ramp = np.where(np.arange(n) >= 10, (np.arange(n) - 10) * NOISE, 0.0)
    frame = long_frame("A", "s1:ro021", pass_times(n, every_days=6), ramp + noise(n, 9))
    gapped = states_of(frame, gap_days=12, reference_days=42)
    flat = states_of(frame, gap_days=0, reference_days=42)
    assert (gapped["state"][25:] == "build-up").mean() >= 0.9
    assert (gapped["state"][:10] == "quiet").all()
    assert gapped["z"][25:].mean() > flat["z"][25:].mean() + 1.0


def test_a_marginal_call_against_the_omnibus_is_not_made() -> None:
    # A flat series: the noise scale is the floor; the reference holds 3 passes (12-day revisit,
    # 42-day reference ending 12 days back), so z = 2.8 sits between z_crit (2.33) and z_crit + 1.
    n = 30
    act = np.full(n, 0.002)
    act[20] += 2.8 * NOISE * math.sqrt(1 + math.pi / 6)
    inc = np.full(n, 0.01)
    p = dict(scale_floor=NOISE)
    quiet = states_of(
        long_frame("A", "s1:ro021", pass_times(n), act, extra={"inc_frac": inc, "dec_frac": inc}),
        **p,
    )
    assert quiet["z"].iloc[20] == pytest.approx(2.8, abs=0.01)
    assert quiet["state"].iloc[20] == "quiet"
    assert quiet["details"].iloc[20]["uncorroborated"] is True
    inc[20] = 0.05  # the omnibus test sees new bright pixels: the call stands
    up = states_of(
        long_frame("A", "s1:ro021", pass_times(n), act, extra={"inc_frac": inc, "dec_frac": inc}),
        **p,
    )
    assert up["state"].iloc[20] == "build-up"


def test_dispersal_into_the_ring_is_flagged_and_total_stays_quiet() -> None:
    n = 24
    site = np.where(np.arange(n) >= 18, 0.004, 0.008) + noise(n, 11)
    ring = np.where(np.arange(n) >= 18, 0.004, 0.0) + noise(n, 12)
    st = states_of(long_frame("A", "s1:ro021", pass_times(n), site, ring=ring))
    first = st.iloc[18]
    assert first["details"]["dispersal"] is True
    assert first["state"] == "quiet"  # site + ring unchanged: nobody left
    assert not any(d.get("dispersal") for d in st["details"][:18])


def test_fused_state_combines_orbits_and_says_whether_they_agree() -> None:
    n = 30
    step = np.where(np.arange(n) >= 15, 0.004, 0.0)
    a = long_frame("A", "s1:ro021", pass_times(n), step + noise(n, 13))
    b = long_frame("A", "s1:ro109", pass_times(n, offset_days=5), step + noise(n, 14))
    st = states_of(pd.concat([a, b]))
    fused = fuse_states(st, StateParams()).reset_index(drop=True)
    assert len(fused) == 2 * n and (fused["geometry_key"] == FUSED).all()
    t = fused["acquired_utc"]
    late = fused[(t >= pass_times(n)[16]) & (t <= pass_times(n)[17])]  # before the baseline
    assert len(late) >= 3
    assert (late["state"] == "build-up").all()
    assert all(d["agree"] for d in late["details"])
    assert all(set(d["orbits"]) == {"s1:ro021", "s1:ro109"} for d in late["details"])
    # One orbit sees the step, the other does not: the fused state says they disagree.
    c = long_frame("A", "s1:ro109", pass_times(n, offset_days=5), noise(n, 15))
    mixed = fuse_states(states_of(pd.concat([a, c])), StateParams())
    at = mixed[mixed["acquired_utc"] == pass_times(n, offset_days=5)[16]].iloc[0]
    assert at["details"]["agree"] is False
    assert at["details"]["agreeing"] == ["s1:ro021"] or at["state"] == "quiet"


def test_fused_state_is_blind_when_every_orbit_is_blind() -> None:
    times = pass_times(10)
    seen = long_frame("B", "s1:ro021", times, noise(10, 16), site_id=2)
    late = long_frame("A", "s1:ro021", times[5:], noise(5, 17), site_id=1)
    st = states_of(pd.concat([seen, late]))
    fused = fuse_states(st, StateParams())
    a = fused[fused["site"] == "A"].reset_index(drop=True)
    assert list(a["state"][:5]) == ["blind"] * 5
    assert "quiet" not in list(a["state"][:5])


def test_compute_states_dates_onsets_and_rows_are_json_safe() -> None:
    n = 30
    ramp = np.clip((np.arange(n) - 12) / 4, 0, 1) * 0.005
    a = long_frame("A", "s1:ro021", pass_times(n), ramp + noise(n, 18), ring=noise(n, 19))
    st = compute_states(a, StateParams())
    fused = st[st["geometry_key"] == FUSED]
    onsets = [d["onset"] for d in fused["details"] if "onset" in d]
    assert len(onsets) == 1 and onsets[0]["kind"] == "build-up"
    truth = pass_times(n)[12]
    lo, hi = pd.Timestamp(onsets[0]["lo"], tz="UTC"), pd.Timestamp(onsets[0]["hi"], tz="UTC")
    assert lo - pd.Timedelta(days=1) <= truth <= hi + pd.Timedelta(days=1)
    rows = state_rows(st)
    text = json.dumps([r["details"] for r in rows], allow_nan=False)
    assert "NaN" not in text
    assert {r["state"] for r in rows} <= {"quiet", "build-up", "draw-down", "blind"}
