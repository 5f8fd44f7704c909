"""A small, fully known store for the publish and web tests (no analysis code involved).

Three sites (Klintsy builds up, Yelnya draws down, Valuyki goes blind), the Ukraine outline as
reference, 20 dates on each of two Sentinel-1 orbits with a tiny GeoTIFF per (site, orbit,
date), measurements, per-orbit and fused states (blind and conditions-changed included, one
onset with an interval), three claims with verdicts in the contract shape, a few detections
and one run. Everything is written through ``store.repo`` as the analysis would.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from shapely.geometry import box
from sqlalchemy import insert

from forcewatch.config import Project, load_project
from forcewatch.imagery.catalog import Scene, sha256_file
from forcewatch.sites import (
    Site,
    circle_polygon,
    load_reference,
    to_crs,
    utm_crs,
    with_distance,
)
from forcewatch.store import repo
from forcewatch.store import tables as t
from forcewatch.store.db import open_store

SITES = {
    "Klintsy": (32.25086, 52.74443, "field camp"),
    "Valuyki": (38.11056, 50.22927, "garrison"),
    "Yelnya": (33.17042, 54.60466, "garrison/field camp"),
}
ORBITS = {
    21: (datetime(2022, 1, 1, 15, 40, tzinfo=UTC)),
    109: datetime(2022, 1, 4, 3, 50, tzinfo=UTC),
}
N_DATES = 20
PARAMS = "p0001"
PIXEL_M = 60.0
SIZE_PX = 80

PROJECT_YAML = """\
name: Fixture watch
simulated: true
sites:
  margin_km: 1.0
imagery:
  grid_res_m: 20
"""


@dataclass(frozen=True)
class Fixture:
    """The built project and the facts tests compare against."""

    project: Project
    scene_ids: dict[tuple[str, int, date], str]
    n_measurements: int
    n_states: int
    n_detections: int
    driver_scene: str


def activity(site: str, when: datetime) -> float:
    """The true activity of a site on a date (bright fraction above background)."""
    day = (when.date() - date(2022, 1, 1)).days
    if site == "Klintsy":
        return 0.01 + 0.04 * float(np.clip((day - 34) / 14, 0, 1))
    if site == "Yelnya":
        return 0.04 - 0.03 * float(np.clip((day - 40) / 10, 0, 1))
    return 0.01


def state_of(site: str, when: datetime) -> str:
    d = when.date()
    if site == "Valuyki" and date(2022, 2, 10) <= d <= date(2022, 2, 25):
        return "blind"
    if site == "Yelnya" and d in (date(2022, 1, 22), date(2022, 1, 25)):
        return "conditions-changed"
    if site == "Klintsy" and d >= date(2022, 2, 6):
        return "build-up"
    if site == "Yelnya" and d >= date(2022, 2, 12):
        return "draw-down"
    return "quiet"


def _write_scene(folder: Path, site: Site, orbit: int, when: datetime, seed: int) -> Scene:
    lon, lat = site.centroid_lonlat
    crs = utm_crs(lon, lat)
    centre = to_crs(site.geometry.centroid, crs)
    half = SIZE_PX * PIXEL_M / 2
    transform = Affine(PIXEL_M, 0, centre.x - half, 0, -PIXEL_M, centre.y + half)
    rng = np.random.default_rng(seed)
    vv = rng.gamma(4.4, 0.03 / 4.4, (SIZE_PX, SIZE_PX))
    inner = np.zeros((SIZE_PX, SIZE_PX), bool)
    c = SIZE_PX // 2
    inner[c - 12 : c + 12, c - 12 : c + 12] = True
    bright = inner & (rng.random((SIZE_PX, SIZE_PX)) < activity(site.name, when) * 8)
    vv[bright] *= 30.0
    if state_of(site.name, when) == "blind":
        vv[:, : SIZE_PX * 3 // 4] = np.nan
    data = np.stack([10 * np.log10(vv), 10 * np.log10(vv * 0.2)]).astype(np.float32)
    path = folder / f"{site.name.lower()}_ro{orbit:03d}_{when:%Y%m%dT%H%M%S}.tif"
    profile = dict(
        driver="GTiff", width=SIZE_PX, height=SIZE_PX, count=2, dtype="float32",
        crs=crs, transform=transform, nodata=np.nan,
    )  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        dst.update_tags(UNITS="db", SIMULATED="true", SENSOR="s1")
    bounds = box(centre.x - half, centre.y - half, centre.x + half, centre.y + half)
    scene_id = hashlib.sha256(str(path).encode()).hexdigest()[:20]
    return Scene(
        scene_id=scene_id,
        href=str(path),
        sha256=sha256_file(path),
        sensor="s1",
        acquired_utc=when,
        relative_orbit=orbit,
        polarisations=("VV", "VH"),
        footprint=to_crs(bounds, crs, inverse=True),
        crs=crs.to_string(),
        width=SIZE_PX,
        height=SIZE_PX,
        res_m=PIXEL_M,
        units="db",
        simulated=True,
    )


def _claims() -> list[dict[str, Any]]:
    return [
        dict(id="c1", speaker="Ministry of Defence", stated_on="2022-02-15", kind="withdrawal",
             force="russia", outlet="Wire service", source="https://example.org/statement-1",
             quote="Units near Klintsy are returning to their bases.", sites=["Klintsy"],
             trend="decrease"),
        dict(id="c2", speaker="Ministry of Defence", stated_on="2022-02-16", kind="withdrawal",
             force="russia", outlet="Wire service", quote="Troops are leaving Yelnya.",
             sites=["Yelnya"], trend="decrease"),
        dict(id="c3", speaker="Governor", stated_on="2022-02-18", kind="denial",
             quote="There are no troops at Valuyki.", sites=["Valuyki"], denied_kind="build-up"),
    ]  # fmt: skip


def _verdict(claim: str, verdict: str, site: str, scene: str, when: date, **kw: Any) -> dict:
    base = {
        "claim_id": claim, "verdict": verdict, "confidence": kw.get("confidence"),
        "effect_size": kw.get("effect"), "effect_ci": kw.get("ci"),
        "expected": kw.get("expected", "decrease"), "observed": kw.get("observed"),
        "window": ["2022-02-15", "2022-02-23"], "reference_window": ["2022-01-05", "2022-02-01"],
        "sites": [{"site": site, "verdict": verdict, "effect_size": kw.get("effect"),
                   "effect_ci": kw.get("ci"), "p_value": kw.get("p"),
                   "orbits": ["s1:ro021", "s1:ro109"], "orbits_agree": True,
                   "dispersal": False, "n_ref": 4, "n_window": 2}],
        "drivers": [{"site": site, "date": when.isoformat(), "geometry_key": "s1:ro021",
                     "metric": "bright_frac_resid", "value": 0.031, "scene_id": scene}],
        "explanation": kw.get("explanation"), "more_data_needed": kw.get("more"),
        "margin": 0.25, "params_hash": "v0001",
    }  # fmt: skip
    return base


def build_fixture(root: Path) -> Fixture:
    """Create the fixture project (forcewatch.yaml, store, scene files) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "forcewatch.yaml").write_text(PROJECT_YAML, encoding="utf-8")
    scenes_dir = root / "scenes"
    scenes_dir.mkdir(exist_ok=True)
    project = load_project(root)
    store = open_store(project.store_url)
    reference = load_reference(str(files("forcewatch.data") / "UKR.geo.json"), name="Ukraine")
    sites = [
        with_distance(Site(n, circle_polygon(lon, lat, 1.0), kind=k, country="RU"), reference)
        for n, (lon, lat, k) in SITES.items()
    ]
    run_id = repo.start_run(store, "analyse", {"enl": 4.4, "alpha": 0.01, "params_hash": PARAMS})
    with store.begin() as conn:
        repo.upsert_sites(conn, sites)
        repo.set_reference(conn, reference)
    ids = {s.site.name: s.id for s in repo.list_sites(store)}
    scene_ids: dict[tuple[str, int, date], str] = {}
    n_meas = 0
    state_rows: list[dict[str, Any]] = []
    seed = 0
    for site in sites:
        fused: dict[datetime, float] = {}
        for orbit, start in ORBITS.items():
            rows = []
            for k in range(N_DATES):
                when = start + timedelta(days=6 * k)
                seed += 1
                scene = _write_scene(scenes_dir, site, orbit, when, seed)
                with store.begin() as conn:
                    repo.register_scene(conn, scene, {ids[site.name]: 1.0})
                scene_ids[(site.name, orbit, when.date())] = scene.scene_id
                act = activity(site.name, when) + (0.002 if orbit == 109 else 0.0)
                blind = state_of(site.name, when) == "blind"
                for metric, value in (
                    ("bright_frac_resid", None if blind else act),
                    ("valid_frac", 0.25 if blind else 0.98),
                    ("targets", None if blind else round(act * 1000)),
                ):
                    rows.append(dict(scene_id=scene.scene_id, acquired_utc=when,
                                     metric=metric, value=value))  # fmt: skip
                fused[when] = act
                state_rows.append(_state_row(ids[site.name], f"s1:ro{orbit:03d}", site, when, act))
            with store.begin() as conn:
                repo.write_unit(
                    conn, unit_key=f"{ids[site.name]}:s1:ro{orbit:03d}:{PARAMS}",
                    site_id=ids[site.name], geometry_key=f"s1:ro{orbit:03d}",
                    params_hash=PARAMS, run_id=run_id, rows=rows,
                )  # fmt: skip
            n_meas += len(rows)
        for when, act in sorted(fused.items()):
            state_rows.append(_state_row(ids[site.name], "fused", site, when, act))
    driver = {n: scene_ids[(n, 21, date(2022, 2, 18))] for n in SITES}
    det_rows = _detections(sites[0], ids["Klintsy"], driver["Klintsy"], scenes_dir)
    with store.begin() as conn:
        repo.replace_states(conn, PARAMS, state_rows)
        for claim in _claims():
            repo.upsert_claim(conn, claim)
        repo.replace_verdicts(
            conn,
            "v0001",
            [
                _verdict("c1", "contradicted", "Klintsy", driver["Klintsy"], date(2022, 2, 18),
                         confidence=0.97, effect=0.42, ci=[0.2, 0.61], observed="increase",
                         p=0.001),
                _verdict("c2", "supported", "Yelnya", driver["Yelnya"], date(2022, 2, 18),
                         confidence=0.9, effect=-0.6, ci=[-0.8, -0.4], observed="decrease",
                         p=0.01, explanation="Activity at Yelnya fell by about 60%."),
                _verdict("c3", "blind", "Valuyki", driver["Valuyki"], date(2022, 2, 18),
                         expected="no change", more="a clear view of Valuyki after 2022-02-25"),
            ],
        )  # fmt: skip
        conn.execute(insert(t.detections), det_rows)
    repo.finish_run(store, run_id, "ok")
    store.dispose()
    return Fixture(
        project=project,
        scene_ids=scene_ids,
        n_measurements=n_meas,
        n_states=len(state_rows),
        n_detections=len(det_rows),
        driver_scene=driver["Klintsy"],
    )


def _state_row(site_id: int, key: str, site: Site, when: datetime, act: float) -> dict[str, Any]:
    state = state_of(site.name, when)
    details: dict[str, Any] = {"dispersal": False}
    if site.name == "Klintsy" and state == "build-up" and key == "fused":
        details["onset"] = {"date": "2022-02-04", "lo": "2022-01-31", "hi": "2022-02-08"}
    return dict(
        site_id=site_id,
        geometry_key=key,
        acquired_utc=when,
        state=state,
        activity=None if state == "blind" else act,
        details=details,
    )


def _detections(site: Site, site_id: int, scene_id: str, folder: Path) -> list[dict[str, Any]]:
    lon, lat = site.centroid_lonlat
    rows = []
    for i in range(3):
        x0, y0 = lon + 0.001 * i, lat + 0.0005 * i
        rows.append(
            dict(
                site_id=site_id, scene_id=scene_id, image_href=str(folder / "hr_klintsy.tif"),
                acquired_utc=datetime(2022, 2, 18, 8, 0, tzinfo=UTC), class_name="vehicle",
                score=0.9 - 0.1 * i, bbox_px=[10 * i, 10, 10 * i + 8, 18],
                geometry_wkt=box(x0, y0, x0 + 0.0008, y0 + 0.0004).wkt, params_hash="d0001",
                code_version=repo.CODE_VERSION,
            )
        )  # fmt: skip
    return rows
