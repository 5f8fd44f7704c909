"""Sentinel-2 scenes go through `analyze`: IR-MAD change per site, clouds are blind."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import rasterio

from forcewatch.imagery.load import grid_for_site, site_masks
from forcewatch.pipeline import analyze, import_sites, ingest, init_project
from forcewatch.sites import Site, circle_polygon
from forcewatch.store import repo
from forcewatch.store.db import open_store

BANDS = ("B02", "B03", "B04", "B08", "SCL")


def _write(path: Path, grid, dn: np.ndarray, scl: np.ndarray, day: date) -> None:
    profile = dict(
        driver="GTiff",
        width=grid.shape[1],
        height=grid.shape[0],
        count=5,
        dtype="uint16",
        crs=grid.crs,
        transform=grid.transform,
        nodata=0,
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.concatenate([dn, scl[None]]).astype(np.uint16))
        dst.descriptions = BANDS
        dst.update_tags(ACQUISITION_TIME=f"{day.isoformat()}T09:00:00Z", SENSOR="s2")


def test_optical_change_is_measured_and_cloud_is_blind(tmp_path: Path) -> None:
    site = Site("Field", circle_polygon(32.25, 52.74, 0.5))
    project = init_project(tmp_path / "p", ring_km=0.2, margin_km=0.4)
    import_sites(project, extra_sites=[site])
    grid = grid_for_site(site, 10.0, 0.4)
    masks = site_masks(site, grid, 0.2)
    rng = np.random.default_rng(3)
    land = 800 + 400 * rng.random((4, *grid.shape))
    clear = np.full(grid.shape, 4)  # SCL 4: vegetation
    cloud = np.full(grid.shape, 9)  # SCL 9: cloud high probability
    folder = tmp_path / "s2"
    folder.mkdir()
    before = land + rng.normal(0, 15, land.shape)
    after = 1.1 * land + 30 + rng.normal(0, 15, land.shape)  # radiometric shift: not change
    ys, xs = np.nonzero(masks.site)
    block = (slice(ys.min() + 20, ys.min() + 50), slice(xs.min() + 30, xs.min() + 60))
    after[:, block[0], block[1]] += np.array([900, -300, 600, -500])[:, None, None]
    _write(folder / "a.tif", grid, before, clear, date(2022, 1, 1))
    _write(folder / "b.tif", grid, after, clear, date(2022, 1, 11))
    _write(folder / "c.tif", grid, after, cloud, date(2022, 1, 21))
    assert ingest(project, [folder]).new == 3
    summary = analyze(project)
    assert summary.units_measured == 1 and not summary.failures

    store = open_store(project.store_url)
    m = repo.measurements_frame(store)
    store.dispose()
    assert set(m["geometry_key"]) == {"s2"}
    by = {(r.acquired_utc.day, r.metric): r.value for r in m.itertuples()}
    block_frac = (masks.site[block]).sum() / masks.site.sum()
    # The block is found (most of it) and little else: IR-MAD ignores the gain and offset.
    assert block_frac * 0.8 <= by[(11, "optical_change_frac")] <= block_frac + 0.03
    assert by[(21, "valid_frac")] == 0.0
    assert (21, "optical_change_frac") not in by, "a cloudy scene is blind, not 'no change'"
