"""Simulated Sentinel-1 dual-polarisation (VV, VH) intensity scenes for the built-in scenario.

Physics kept honest where it matters to the tests: multilook speckle is multiplicative
Gamma(L, 1/L) noise with L = ``enl`` (4.4, like Sentinel-1 IW GRDH); the land cover has spatial
texture (fields, forest, a few strong static scatterers); whole-scene wetness shifts scale the
clutter on some dates; vehicles are strong point scatterers occupying park slots in rows inside
the site polygon, or along tree lines in the surrounding ring after dispersal. Each scene is a
GeoTIFF on the site's UTM grid, tagged ``SIMULATED=true``. Deterministic from a seed.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

import numpy as np
import rasterio
import yaml
from scipy.ndimage import gaussian_filter

from forcewatch.imagery.load import SiteGrid, grid_for_site, site_masks
from forcewatch.scenario.timeline import FIRST_PASS, TIMELINES, vehicles_on, wetness_factor
from forcewatch.sites import Site, circle_polygon

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScenarioSpec:
    """What to simulate. Dates are inclusive; ``revisit_days`` is per relative orbit."""

    seed: int = 2022
    start: date = date(2021, 9, 1)
    end: date = date(2022, 2, 23)
    revisit_days: int = 12
    radius_km: float = 1.0
    ring_km: float = 0.4
    margin_km: float = 0.8
    res_m: float = 10.0
    enl: float = 4.4
    sites: tuple[str, ...] = tuple(TIMELINES)

    def digest(self) -> str:
        return hashlib.sha256(repr(self).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Pass:
    """One simulated acquisition of one site."""

    site: str
    relative_orbit: int
    acquired_utc: datetime


def scenario_sites(spec: ScenarioSpec) -> list[Site]:
    """The scenario's sites as 2 km circles (EPSG:4326)."""
    text = resources.files("forcewatch.data").joinpath("scenario_sites.yaml").read_text("utf-8")
    records = {r["name"]: r for r in yaml.safe_load(text)["sites"]}
    return [
        Site(
            name=n,
            geometry=circle_polygon(records[n]["lon"], records[n]["lat"], spec.radius_km),
            kind=records[n]["kind"],
            country=records[n]["country"],
        )
        for n in spec.sites
    ]


def orbits_for(site: Site) -> list[tuple[int, int, int]]:
    """(relative orbit, day offset, UTC hour) of the two geometries seeing the site."""
    lon = site.centroid_lonlat[0]
    # Ascending passes (~15:40 UTC) and descending (~03:50 UTC) over western Russia; the
    # numbers are plausible Sentinel-1 relative orbits for these longitudes.
    asc = 21 if lon < 34 else 94
    desc = 109 if lon < 34 else 36
    return [(asc, 0, 15), (desc, 5, 3)]


def passes(spec: ScenarioSpec, site: Site) -> list[Pass]:
    """Every acquisition of ``site`` in the scenario period, in time order."""
    first = date.fromisoformat(FIRST_PASS.get(site.name, spec.start.isoformat()))
    out = []
    for orbit, offset, hour in orbits_for(site):
        day = spec.start + timedelta(days=offset)
        while day <= spec.end:
            if day >= first:
                when = datetime(day.year, day.month, day.day, hour, 40 if hour > 12 else 50)
                out.append(Pass(site.name, orbit, when.replace(tzinfo=UTC)))
            day += timedelta(days=spec.revisit_days)
    return sorted(out, key=lambda p: p.acquired_utc)


def _rng(spec: ScenarioSpec, *keys: int | str) -> np.random.Generator:
    material = "|".join(str(k) for k in (spec.seed, *keys)).encode()
    return np.random.default_rng(int.from_bytes(hashlib.sha256(material).digest()[:8], "little"))


@dataclass(frozen=True)
class Landscape:
    clutter_vv: np.ndarray  # mean sigma0, linear
    slots_site: np.ndarray  # (n, 2) pixel indices in fill order
    slots_ring: np.ndarray


def _lattice_slots(mask: np.ndarray, centres: np.ndarray, step: tuple[int, int]) -> np.ndarray:
    """Park slots on a lattice inside ``mask``, ordered so parks fill one after another."""
    ys, xs = np.mgrid[0 : mask.shape[0] : step[0], 0 : mask.shape[1] : step[1]]
    ys, xs = ys.ravel(), xs.ravel()
    keep = mask[ys, xs]
    ys, xs = ys[keep], xs[keep]
    d = np.hypot(ys[:, None] - centres[None, :, 0], xs[:, None] - centres[None, :, 1])
    priority = (d + 60.0 * np.arange(len(centres))[None, :]).min(axis=1)
    order = np.argsort(priority, kind="stable")
    return np.stack([ys[order], xs[order]], axis=1)


def landscape(spec: ScenarioSpec, site: Site, grid: SiteGrid) -> Landscape:
    rng = _rng(spec, "landscape", site.name)
    ny, nx = grid.shape
    texture = gaussian_filter(rng.standard_normal((ny, nx)), 6.0)
    texture /= texture.std() + 1e-12
    woods = gaussian_filter(rng.standard_normal((ny, nx)), 15.0)
    forest = woods / (woods.std() + 1e-12) > 0.8
    # Fields around -14 dB with texture, forest around -8 dB.
    clutter = np.where(forest, 0.15, 0.04) * np.power(10.0, 0.15 * texture)
    static = rng.random((ny, nx)) < 2e-4  # buildings, pylons: strong and constant
    clutter = np.where(static, 2.0, clutter).astype(np.float32)
    masks = site_masks(site, grid, spec.ring_km)
    cy, cx = np.argwhere(masks.site).mean(axis=0)
    centres = np.array([[cy, cx]]) + rng.uniform(-35, 35, size=(3, 2))
    slots_site = _lattice_slots(masks.site, centres, (3, 2))
    ring_pts = np.argwhere(masks.ring)
    ring_centres = ring_pts[rng.choice(len(ring_pts), size=6, replace=False)]
    slots_ring = _lattice_slots(masks.ring, ring_centres.astype(float), (2, 2))
    return Landscape(clutter, slots_site, slots_ring)


def simulate_pass(
    spec: ScenarioSpec,
    site: Site,
    grid: SiteGrid,
    p: Pass,
    land: Landscape,
    vehicles: tuple[int, int],
) -> np.ndarray:
    """(VV, VH) linear intensity ``(2, y, x)`` float32 for one pass with ``vehicles`` =
    (in the site polygon, in the ring)."""
    day = p.acquired_utc.date()
    rng = _rng(spec, "pass", site.name, p.relative_orbit, day.toordinal())
    n_site, n_ring = vehicles
    geometry_gain = 1.0 if p.relative_orbit in (21, 94) else 0.8  # incidence-angle difference
    vv = land.clutter_vv * geometry_gain * wetness_factor(day)
    target = np.zeros(grid.shape, np.float32)
    for slots, n in ((land.slots_site, n_site), (land.slots_ring, n_ring)):
        n = min(n, len(slots))
        if n:
            chosen = slots[:n].copy()
            # A few vehicles park one slot over from last time.
            moved = rng.random(n) < 0.05
            chosen[moved, 1] += 1
            chosen[:, 0] = np.clip(chosen[:, 0], 0, grid.shape[0] - 1)
            chosen[:, 1] = np.clip(chosen[:, 1], 0, grid.shape[1] - 1)
            target[chosen[:, 0], chosen[:, 1]] = rng.lognormal(np.log(3.0), 0.4, n)
    mean_vv = vv + target
    mean_vh = 0.22 * vv + 0.3 * target
    speckle = rng.gamma(spec.enl, 1.0 / spec.enl, size=(2, *grid.shape)).astype(np.float32)
    return np.stack([mean_vv, mean_vh]).astype(np.float32) * speckle


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def scene_path(folder: Path, p: Pass) -> Path:
    stamp = p.acquired_utc.strftime("%Y%m%dT%H%M%S")
    return folder / _slug(p.site) / f"S1SIM_{_slug(p.site)}_{stamp}_ro{p.relative_orbit:03d}.tif"


def write_scene(path: Path, data: np.ndarray, grid: SiteGrid, p: Pass, spec: ScenarioSpec) -> None:
    """Write one pass as a tagged GeoTIFF, atomically (temp file then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tif.part")
    profile = dict(
        driver="GTiff",
        width=grid.shape[1],
        height=grid.shape[0],
        count=2,
        dtype="float32",
        crs=grid.crs,
        transform=grid.transform,
        nodata=np.nan,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    )
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data)
        dst.descriptions = ("VV", "VH")
        dst.update_tags(
            ACQUISITION_TIME=p.acquired_utc.isoformat(),
            SENSOR="s1",
            RELATIVE_ORBIT=str(p.relative_orbit),
            POLARISATIONS="VV,VH",
            UNITS="linear",
            ENL=str(spec.enl),
            SIMULATED="true",
            SCENARIO=f"forcewatch winter 2021-22 seed={spec.seed} spec={spec.digest()}",
        )
    tmp.replace(path)


def build_scenes(
    spec: ScenarioSpec,
    folder: Path,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Path]:
    """Write every scene of the scenario under ``folder``; existing files are kept (resume).

    Yields each scene path. ``progress(done, total)`` is called after each scene.
    """
    sites = scenario_sites(spec)
    plan = [(s, p) for s in sites for p in passes(spec, s)]
    landscapes: dict[str, tuple[SiteGrid, Landscape]] = {}
    for i, (site, p) in enumerate(plan):
        path = scene_path(folder, p)
        if not path.exists():
            if site.name not in landscapes:
                grid = grid_for_site(site, spec.res_m, spec.margin_km)
                landscapes[site.name] = (grid, landscape(spec, site, grid))
            grid, land = landscapes[site.name]
            data = simulate_pass(
                spec, site, grid, p, land, vehicles_on(site.name, p.acquired_utc.date())
            )
            write_scene(path, data, grid, p, spec)
        if progress is not None:
            progress(i + 1, len(plan))
        yield path
