"""Claims tested against constructed series: each verdict, the equivalence logic, blindness,
dispersal, site selection, and the winter 2021-22 scenario end to end (fixed seeds)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from forcewatch.claims.verdict import (
    VerdictParams,
    assess_claims,
    claim_view,
    reference_window,
    select_sites,
    states_for_verdicts,
    verdict_for_claim,
)
from forcewatch.config import ProjectConfig
from forcewatch.sites import Site
from tests.test_series import NOISE, long_frame, pass_times

P = VerdictParams()
STATED = date(2022, 1, 20)
Level = Callable[[np.ndarray], np.ndarray]  # days since START -> activity


def _days(times: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray((times - pass_times(1)[0]) / pd.Timedelta(days=1), float)


def two_orbits(
    site: str,
    level: Level,
    *,
    ring: Level | None = None,
    sd: float = NOISE,
    seed: int = 0,
    site_id: int = 1,
    n: int = 20,
) -> pd.DataFrame:
    """Two relative orbits, each every 12 days (offset 5 days), from 2021-09-01."""
    rng = np.random.default_rng(seed)
    parts = []
    for geometry, offset in (("s1:ro021", 0), ("s1:ro109", 5)):
        times = pass_times(n, offset_days=offset)
        d = _days(times)
        parts.append(
            long_frame(
                site,
                geometry,
                times,
                level(d) + rng.normal(0, sd, n),
                ring=None if ring is None else ring(d) + rng.normal(0, sd, n),
                site_id=site_id,
            )
        )
    return pd.concat(parts, ignore_index=True)


def step_at(when: date, before: float, after: float) -> Level:
    day = (when - date(2021, 9, 1)).days
    return lambda d: np.where(d >= day, after, before)


def claim(kind: str = "withdrawal", **fields: Any) -> dict[str, Any]:
    base = dict(
        id=f"{kind}-1", speaker="MoD", stated_on=STATED.isoformat(), kind=kind, quote="test"
    )
    return {**base, **fields}


def sites(*names: str, distance_km: float | None = None) -> list[Site]:
    return [Site(n, Point(32, 52).buffer(0.01), distance_km=distance_km) for n in names]


def run(frame: pd.DataFrame, c: dict[str, Any], names: tuple[str, ...] = ("A",)) -> dict:
    return verdict_for_claim(c, states_for_verdicts(frame, P), sites(*names), P)


def test_matching_change_is_supported() -> None:
    v = run(two_orbits("A", step_at(STATED, 0.008, 0.002)), claim(sites=["A"]))
    assert v["verdict"] == "supported" and v["observed"] == "decrease"
    assert v["confidence"] > 0.95
    assert v["effect_ci"][0] < v["effect_size"] < v["effect_ci"][1] < 0
    assert v["effect_size"] == pytest.approx(-0.75, abs=0.1)
    assert v["window"] == ["2022-01-20", "2022-01-28"]


def test_opposite_change_is_contradicted_and_names_its_drivers() -> None:
    v = run(two_orbits("A", step_at(STATED, 0.008, 0.012)), claim(sites=["A"]))
    assert v["verdict"] == "contradicted" and v["observed"] == "increase"
    assert v["expected"] == "decrease"
    assert v["sites"][0]["verdict"] == "contradicted"
    assert v["sites"][0]["orbits"] == ["s1:ro021", "s1:ro109"]
    assert v["sites"][0]["orbits_agree"] is True
    drivers = v["drivers"]
    assert drivers and all(d["site"] == "A" for d in drivers)
    assert all("2022-01-20" <= d["date"] <= "2022-01-28" for d in drivers)
    assert all(d["scene_id"].startswith("A-") and d["delta"] > 0 for d in drivers)
    assert "A (2022-01-" in v["explanation"] and "rose" in v["explanation"]


def test_stable_precise_series_contradicts_a_withdrawal_only_by_equivalence() -> None:
    # A month-long window: enough passes for a decisive equivalence test at ±25 %.
    c = claim(sites=["A"], window_start="2022-01-20", window_end="2022-02-25")
    v = run(two_orbits("A", lambda d: np.full(d.shape, 0.010), n=30), c)
    assert v["verdict"] == "contradicted" and v["observed"] == "no change"
    assert v["p_equivalence"] < 0.05 and v["p_decrease"] > 0.05
    assert abs(v["effect_ci"][0]) < 0.25 and abs(v["effect_ci"][1]) < 0.25
    assert "within ±25%" in v["explanation"]


def test_stable_noisy_series_is_inconclusive_with_a_more_data_note() -> None:
    v = run(
        two_orbits("A", lambda d: np.full(d.shape, 0.006), sd=0.002, seed=3), claim(sites=["A"])
    )
    assert v["verdict"] == "inconclusive"
    assert v["confidence"] is None
    assert v["more_data_needed"] and "more readable passes" in v["more_data_needed"]
    assert v["more_data_needed"] in v["explanation"]


def test_no_significant_decrease_is_not_a_contradiction() -> None:
    # A real 20 % decrease in heavy noise: not significant, not equivalent -> inconclusive.
    v = run(two_orbits("A", step_at(STATED, 0.010, 0.008), sd=0.003, seed=4), claim(sites=["A"]))
    assert v["verdict"] == "inconclusive"
    assert v["p_decrease"] > 0.05 and v["p_equivalence"] > 0.05


def test_no_pass_in_the_window_is_blind() -> None:
    frame = two_orbits("A", lambda d: np.full(d.shape, 0.004), n=10)  # ends early December
    v = run(frame, claim(sites=["A"]))
    assert v["verdict"] == "blind" and v["confidence"] is None
    assert v["sites"][0]["verdict"] == "blind"
    assert "No readable pass of A" in v["explanation"]


def test_a_window_seen_only_through_bad_passes_is_blind_not_quiet() -> None:
    frame = two_orbits("A", lambda d: np.full(d.shape, 0.004), n=20)
    late = frame["acquired_utc"] >= pd.Timestamp(STATED, tz="UTC")
    frame.loc[late & (frame["metric"] == "valid_frac"), "value"] = 0.1
    v = run(frame, claim(sites=["A"]))
    assert v["verdict"] == "blind"
    assert "valid fraction too low" in v["explanation"]


def test_dispersal_into_the_ring_is_not_read_as_withdrawal() -> None:
    frame = two_orbits("A", step_at(STATED, 0.008, 0.004), ring=step_at(STATED, 0.0, 0.004), seed=5)
    v = run(frame, claim(sites=["A"]))
    site = v["sites"][0]
    assert site["dispersal"] is True and v["dispersal"] == ["A"]
    assert site["site_change"] < -0.003 and site["ring_change"] > 0.003
    assert v["verdict"] != "supported"  # site + ring held: nobody left
    assert "dispersal" in v["explanation"]


def test_a_denial_of_change_is_supported_when_stable() -> None:
    c = claim(
        "denial",
        denied_kind="build-up",
        sites=["A"],
        window_start="2022-01-10",
        window_end="2022-02-25",
    )
    v = run(two_orbits("A", lambda d: np.full(d.shape, 0.010), n=30), c)
    assert v["expected"] == "no increase" and v["verdict"] == "supported"


def test_a_denial_of_withdrawal_is_a_one_sided_claim() -> None:
    c = claim("denial", denied_kind="withdrawal", sites=["A"])
    up = run(two_orbits("A", step_at(STATED, 0.008, 0.012)), c)
    assert up["expected"] == "no decrease" and up["verdict"] == "supported"
    down = run(two_orbits("A", step_at(STATED, 0.008, 0.002)), c)
    assert down["verdict"] == "contradicted" and down["observed"] == "decrease"
    build_up = claim("denial", denied_kind="build-up", sites=["A"])
    assert run(two_orbits("A", step_at(STATED, 0.008, 0.012)), build_up)["verdict"] == (
        "contradicted"
    )


def test_reported_interval_matches_the_decision() -> None:
    # The interval is the 1 - 2 alpha one (90 %), on which the one-sided tests at 5 % and the
    # TOST decide: a withdrawal is supported iff the interval lies below 0 and not inside the
    # ±25 % margin, contradicted iff above 0 or inside the margin. Noise varies the outcome.
    seen = set()
    for seed in range(8):
        frame = two_orbits("A", step_at(STATED, 0.008, 0.005), sd=2e-3, seed=seed)
        v = run(frame, claim(sites=["A"]))
        assert v["ci_level"] == pytest.approx(0.9)
        lo, hi = v["effect_ci"]
        inside = -0.25 < lo and hi < 0.25
        expected = "contradicted" if lo > 0 or inside else "supported" if hi < 0 else "inconclusive"
        assert v["verdict"] == expected, (seed, lo, hi)
        seen.add(v["verdict"])
    assert seen >= {"supported", "inconclusive"}  # the check ran on both sides


def test_claims_over_several_sites_sum_them_and_report_each() -> None:
    frame = pd.concat(
        [
            two_orbits("Up", step_at(STATED, 0.006, 0.012), seed=6, site_id=1),
            two_orbits("Down", step_at(STATED, 0.006, 0.004), seed=7, site_id=2),
            two_orbits("Dark", lambda d: np.full(d.shape, 0.004), seed=8, site_id=3, n=8),
        ]
    )
    c = claim(sites=["Up", "Down", "Dark"])
    v = run(frame, c, ("Up", "Down", "Dark"))
    by_site = {s["site"]: s for s in v["sites"]}
    assert by_site["Up"]["verdict"] == "contradicted"
    assert by_site["Down"]["verdict"] == "supported"
    assert by_site["Dark"]["verdict"] == "blind" and v["blind_sites"] == ["Dark"]
    assert v["verdict"] == "contradicted"  # +0.006 at Up outweighs -0.002 at Down
    assert {d["site"] for d in v["drivers"]} == {"Up"}
    json.dumps(v, allow_nan=False)


def test_site_selection_by_name_band_region_or_all() -> None:
    watch = [
        Site("Klintsy", Point(0, 0), country="RU", distance_km=60.0),
        Site("Soloti", Point(0, 0), country="RU", distance_km=30.0),
        Site("Opuk", Point(0, 0), country="UA-occupied (Crimea)", distance_km=10.0),
    ]
    assert select_sites(claim_view(claim(sites=["soloti"])), watch)[0] == ["Soloti"]
    assert select_sites(claim_view(claim(places=["Klintsy"])), watch)[0] == ["Klintsy"]
    assert select_sites(claim_view(claim(band_km=[20, 50])), watch)[0] == ["Soloti"]
    assert select_sites(claim_view(claim(region="Crimea")), watch)[0] == ["Opuk"]
    assert select_sites(claim_view(claim()), watch)[0] == ["Klintsy", "Soloti", "Opuk"]
    assert select_sites(claim_view(claim(sites=["Nowhere"])), watch)[0] == []
    v = verdict_for_claim(
        claim(sites=["Nowhere"]), states_for_verdicts(pd.DataFrame(), P), watch, P
    )
    assert v["verdict"] == "inconclusive" and "No watched site" in v["explanation"]


def test_site_selection_by_country_and_whose_forces() -> None:
    watch = [
        Site("Klintsy", Point(0, 0), country="RU", distance_km=60.0),
        Site("Soloti", Point(0, 0), country="RU", distance_km=30.0),
        Site("Zyabrovka", Point(0, 0), country="BY", distance_km=25.0),
    ]
    # a US deployment to Poland was tested against every watched Russian site
    names, how = select_sites(claim_view(claim("deployment", places=["Poland"], force="us")), watch)
    assert names == [] and how == "no watched site in Poland"
    names, how = select_sites(claim_view(claim("deployment", force="us")), watch)
    assert names == [] and "US forces" in how
    # Russian troops in Belarus: the watched Belarusian sites, within a band when one is given
    build_up = claim("build-up", places=["Belarus", "border"], force="russia")
    assert select_sites(claim_view(build_up), watch) == (
        ["Zyabrovka"],
        "the watched sites in Belarus",
    )
    banded = claim("build-up", places=["Belarus"], band_km=[0, 20], force="russia")
    assert select_sites(claim_view(banded), watch)[0] == []
    # a watched site named wins over whose forces the claim is about
    named = claim("deployment", places=["Soloti"], force="nato")
    assert select_sites(claim_view(named), watch)[0] == ["Soloti"]


def test_windows_default_by_kind_and_reference_precedes_them() -> None:
    withdrawal = claim_view(claim())
    assert withdrawal.window == (STATED, STATED + timedelta(days=8))
    assert withdrawal.expected == "decrease"
    assert reference_window(withdrawal, P) == (STATED - timedelta(days=42), STATED - timedelta(1))
    build_up = claim_view(claim("build-up"))
    assert build_up.window == (STATED - timedelta(days=30), STATED)
    ref = reference_window(build_up, P)
    assert ref[1] == build_up.window[0] - timedelta(days=13)  # 12-day gap, inclusive end
    # A dict the model refuses (an unknown key) is still read, by the same defaults.
    odd = claim_view({**claim("arrival"), "extracted_by": "regex"})
    assert odd.window == (STATED - timedelta(days=7), STATED) and odd.expected == "increase"
    assert claim_view(claim("movement", direction="toward")).expected == "increase"


# --- the winter 2021-22 scenario, simulated at the level of measurements -----------------------

PX = 31400.0  # pixels of a 1 km radius site at 10 m


def scenario_measurements(seed: int = 2022) -> pd.DataFrame:
    """Measurements as the analysis would give them for the built-in scenario: vehicles from the
    scenario's ground truth, detected with probability 0.9 over binomial false alarms, wetness
    events shifting the background; two orbits per site, each every 12 days."""
    from forcewatch.scenario.timeline import FIRST_PASS, TIMELINES, vehicles_on, wetness_factor

    rng = np.random.default_rng(seed)
    east = {"Kursk", "Pogonovo", "Valuyki", "Soloti", "Opuk"}
    rows = []
    for site_id, name in enumerate(TIMELINES, 1):
        orbits = (94, 36) if name in east else (21, 109)
        first = date.fromisoformat(FIRST_PASS.get(name, "2021-09-01"))
        for orbit, offset, hour in ((orbits[0], 0, 15), (orbits[1], 5, 3)):
            day = date(2021, 9, 1) + timedelta(days=offset)
            while day <= date(2022, 2, 23):
                if day >= first:
                    inside, ring = vehicles_on(name, day)
                    bg = rng.binomial(100_000, 1.2e-3) / 1e5
                    site_frac = (rng.binomial(int(PX), 1.2e-3) + rng.binomial(inside, 0.9)) / PX
                    ring_frac = (rng.binomial(int(PX), 1.2e-3) + rng.binomial(ring, 0.9)) / PX
                    values = {
                        "valid_frac": 1.0,
                        "bright_frac_resid": site_frac - bg,
                        "bright_frac_resid_ring": ring_frac - bg,
                        "bg_bright_frac": bg,
                        "bg_mean_db": -12.0 + 10 * np.log10(wetness_factor(day)),
                    }
                    when = datetime(day.year, day.month, day.day, hour, 40, tzinfo=UTC)
                    for metric, value in values.items():
                        rows.append(
                            dict(
                                site_id=site_id,
                                site=name,
                                geometry_key=f"s1:ro{orbit:03d}",
                                scene_id=f"{name}-{orbit}-{day:%Y%m%d}",
                                acquired_utc=pd.Timestamp(when),
                                metric=metric,
                                value=float(value),
                            )
                        )
                day += timedelta(days=12)
    return pd.DataFrame(rows)


FORWARD = ["Klintsy", "Lesnovka", "Klimovo Air Base", "Valuyki", "Soloti", "Unecha"]
SCENARIO_CLAIMS = [  # as in forcewatch/data/scenario_claims.yaml, plus a claim naming no site
    dict(
        id="mod-2022-02-15",
        speaker="Russian Ministry of Defence",
        stated_on="2022-02-15",
        kind="withdrawal",
        force="russia",
        sites=FORWARD,
        window_start="2022-02-15",
        window_end="2022-02-23",
        quote="Units that finished their exercises have begun loading up to return to base.",
    ),
    dict(
        id="mod-2022-02-15-anywhere",
        speaker="Russian Ministry of Defence",
        stated_on="2022-02-15",
        kind="withdrawal",
        force="russia",
        quote="Some units are returning to garrisons.",
    ),
    dict(
        id="yelnya-2021-11",
        speaker="press",
        stated_on="2021-11-01",
        kind="build-up",
        force="russia",
        sites=["Yelnya"],
        window_start="2021-10-01",
        window_end="2021-12-10",
        quote="Satellite images show a build-up near Yelnya.",
    ),
    dict(
        id="opuk-2021-09",
        speaker="press",
        stated_on="2021-09-01",
        kind="deployment",
        force="russia",
        sites=["Opuk"],
        window_start="2021-09-01",
        window_end="2021-09-10",
        quote="Naval infantry moved to Opuk.",
    ),
    dict(
        id="blinken-2022-02-16",
        speaker="Antony Blinken",
        stated_on="2022-02-16",
        kind="denial",
        denied_kind="withdrawal",
        force="russia",
        sites=FORWARD,
        window_start="2022-02-15",
        window_end="2022-02-23",
        quote="No meaningful pullback.",
    ),
]


@pytest.mark.parametrize("seed", [2022, 7])
def test_scenario_verdicts_follow_the_record(seed: int) -> None:
    from forcewatch.scenario.timeline import TIMELINES

    states = states_for_verdicts(scenario_measurements(seed), P)
    watch = [Site(n, Point(0, 0)) for n in TIMELINES]
    withdrawal, anywhere, yelnya, opuk, blinken = assess_claims(SCENARIO_CLAIMS, states, watch, P)
    for v in (withdrawal, anywhere):
        assert v["verdict"] == "contradicted" and v["observed"] == "increase"
        driving = {d["site"] for d in v["drivers"]}
        assert len(driving & set(FORWARD)) >= 3 and driving <= set(FORWARD)
        assert all(d["date"] >= "2022-02-15" for d in v["drivers"])
        assert v["dispersal"] and set(v["dispersal"]) <= set(FORWARD)
    assert yelnya["verdict"] == "supported" and yelnya["effect_size"] > 1.0
    assert opuk["verdict"] == "blind"
    assert blinken["expected"] == "no decrease" and blinken["verdict"] == "supported"


def test_verdicts_and_states_round_trip_through_the_store(tmp_path: Path) -> None:
    from forcewatch.claims.verdict import verdicts_for_store
    from forcewatch.imagery.catalog import Scene
    from forcewatch.series import assess_store
    from forcewatch.sites import circle_polygon
    from forcewatch.store import repo
    from forcewatch.store.db import open_store

    store = open_store(f"sqlite:///{tmp_path / 'fw.db'}")
    try:
        with store.begin() as conn:
            repo.upsert_sites(conn, [Site("A", circle_polygon(32, 52, 1.0), distance_km=40.0)])
        site_id = repo.list_sites(store)[0].id
        frame = two_orbits("A", step_at(STATED, 0.008, 0.012), site_id=site_id)
        with store.begin() as conn:
            for (scene_id, geometry, when), _g in frame.groupby(
                ["scene_id", "geometry_key", "acquired_utc"]
            ):
                scene = Scene(
                    scene_id=scene_id,
                    href=f"/x/{scene_id}.tif",
                    sha256=scene_id.ljust(64, "0"),
                    sensor="s1",
                    acquired_utc=when.to_pydatetime(),
                    relative_orbit=int(geometry[-3:]),
                    polarisations=("VV", "VH"),
                    footprint=Point(32, 52).buffer(0.1),
                    crs="EPSG:32636",
                    width=10,
                    height=10,
                    res_m=10.0,
                )
                repo.register_scene(conn, scene, {site_id: 1.0})
            for geometry, g in frame.groupby("geometry_key"):
                repo.write_unit(
                    conn,
                    unit_key=f"u-{geometry}",
                    site_id=site_id,
                    geometry_key=str(geometry),
                    params_hash="p",
                    run_id=None,
                    rows=[
                        dict(
                            scene_id=r.scene_id,
                            acquired_utc=r.acquired_utc.to_pydatetime(),
                            metric=r.metric,
                            value=r.value,
                        )
                        for r in g.itertuples()
                    ],
                )
            repo.upsert_claim(conn, claim(sites=["A"]))
        config = ProjectConfig()
        n_states = assess_store(store, config)
        # 20 passes per orbit, and a fused state at each of the 40 dates
        assert n_states == repo.count_rows(store, "series_states") == 80
        assert assess_store(store, config) == 80  # replaced, not added
        stored = repo.states_frame(store)
        assert set(stored["geometry_key"]) == {"s1:ro021", "s1:ro109", "fused"}
        results = verdicts_for_store(store, config)
        assert [r["verdict"] for r in results] == ["contradicted"]
        verdicts_for_store(store, config)
        assert repo.list_verdicts(store) == results
    finally:
        store.dispose()
