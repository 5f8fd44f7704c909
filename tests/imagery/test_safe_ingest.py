"""Sentinel-1 GRD SAFE products: catalogued as one scene, ingested, read onto a site's grid."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer
from rasterio.errors import NotGeoreferencedWarning

from forcewatch.config import Project
from forcewatch.errors import ImageryError
from forcewatch.imagery import load
from forcewatch.imagery.catalog import read_scene, scan_paths
from forcewatch.imagery.load import SiteGrid, grid_for_site, read_on_grid
from forcewatch.pipeline import import_sites, ingest, init_project
from forcewatch.sites import Site, circle_polygon
from forcewatch.store import repo
from forcewatch.store.db import open_store
from tests.imagery.safe_builder import LinearGeo, expected_sigma0, make_safe

KLINTSY_LONLAT = (32.25, 52.74)
DUAL = "S1A_IW_GRDH_1SDV_20220110T041234_20220110T041259_041400_04ECAB_1F2E.SAFE"
SINGLE = "S1A_IW_GRDH_1SSV_20220122T041233_20220122T041258_041575_04F26B_77AC.SAFE"
BROKEN = "S1A_IW_GRDH_1SDV_20220203T041233_20220203T041258_041750_04F7C1_0B1D.SAFE"
REAL = "S1B_IW_GRDH_1SDV_20210401T052623_20210401T052648_026269_032297_ECC8.SAFE"
SHAPE = (600, 800)  # lines, samples: ~0.3 deg of longitude, ~0.2 deg of latitude
# Per line/sample slopes of a descending-like, slightly rotated image with ~25-33 m samples
SLOPES = dict(lon_per_line=-0.00004, lon_per_pixel=0.000375, lat_per_line=-0.0003)
LAT_PER_PIXEL = 0.00003


def _geo_through(lonlat: tuple[float, float], line: float, pixel: float) -> LinearGeo:
    """The test geometry, shifted so that image ``(line, pixel)`` lies at ``lonlat``."""
    lon0 = lonlat[0] - SLOPES["lon_per_line"] * line - SLOPES["lon_per_pixel"] * pixel
    lat0 = lonlat[1] - SLOPES["lat_per_line"] * line - LAT_PER_PIXEL * pixel
    return LinearGeo(lon0, lat0, lat_per_pixel=LAT_PER_PIXEL, **SLOPES)


# Klintsy near the image centre, but not on a tie point
OVER_KLINTSY = _geo_through(KLINTSY_LONLAT, 271.3, 433.7)


def _dn(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(20, 900, SHAPE).astype(np.uint16)


def _klintsy() -> Site:
    return Site("Klintsy", circle_polygon(*KLINTSY_LONLAT, 0.8), kind="airbase")


def _project(folder: Path) -> Project:
    project = init_project(folder, ring_km=0.3, margin_km=0.5)
    import_sites(project, extra_sites=[_klintsy()])
    return project


def _geotiff(path: Path) -> Path:
    """A small georeferenced dB COG over Klintsy, as ingest already handled."""
    profile = dict(
        driver="GTiff",
        width=16,
        height=16,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(0.001, 0.0, 32.24, 0.0, -0.001, 52.75),
    )
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(np.full((1, 16, 16), -12.0, np.float32))
        ds.update_tags(ACQUISITION_TIME="2022-01-15T04:12:00Z", SENSOR="s1", RELATIVE_ORBIT="28")
    return path


def _scene_rows(project: Project) -> list[dict[str, Any]]:
    store = open_store(project.store_url)
    try:
        frame = repo.scenes_frame(store)
    finally:
        store.dispose()
    return list(frame.to_dict("records"))


# --------------------------------------------------------------------------- catalogue


def test_scan_paths_yields_a_safe_folder_once_and_never_its_inner_tiffs(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    safe = make_safe(batch / "s1", _dn(0), geo=OVER_KLINTSY)
    cog = _geotiff(batch / "scene.tif")
    assert list(scan_paths([batch])) == [safe, cog]
    assert list(scan_paths([safe])) == [safe]


def test_read_scene_of_a_safe_takes_its_facts_from_the_manifest(tmp_path: Path) -> None:
    safe = make_safe(tmp_path, {"VV": _dn(0), "VH": _dn(1)}, name=DUAL, geo=OVER_KLINTSY)
    scene = read_scene(safe)
    assert scene.sensor == "s1" and scene.geometry_key == "s1:ro028"
    # manifest start time, with the microseconds the product name does not carry
    assert scene.acquired_utc == datetime(2022, 1, 10, 4, 12, 34, 123456, tzinfo=UTC)
    assert scene.relative_orbit == ((41400 - 73) % 175) + 1 == 28
    assert scene.polarisations == ("VV", "VH")
    assert (scene.crs, scene.units, scene.res_m) == ("EPSG:4326", "dn-safe", 10.0)
    assert (scene.height, scene.width) == SHAPE
    assert scene.href == str(safe.resolve())
    corners = [OVER_KLINTSY.lonlat(np.float64(r), np.float64(c)) for r, c in [(0, 0), (599, 799)]]
    minx, miny, maxx, maxy = scene.footprint.bounds
    assert all(minx <= lon <= maxx and miny <= lat <= maxy for lon, lat in corners)
    assert scene.footprint.contains(_klintsy().geometry)
    assert scene.footprint.area == pytest.approx(0.3 * 0.18, rel=0.1)


def test_safe_checksum_covers_every_measurement_tiff(tmp_path: Path) -> None:
    safe = make_safe(tmp_path, {"VV": _dn(0), "VH": _dn(1)}, name=DUAL, geo=OVER_KLINTSY)
    before = read_scene(safe).sha256
    assert read_scene(safe).sha256 == before
    vh = next((safe / "measurement").glob("*-vh-*.tiff"))
    with warnings.catch_warnings():  # image geometry: no geotransform, as in real GRD TIFFs
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(vh, "r+") as ds:
            ds.write(_dn(2), 1)
    assert read_scene(safe).sha256 != before


def test_safe_without_manifest_names_it(tmp_path: Path) -> None:
    safe = make_safe(tmp_path, _dn(0), geo=OVER_KLINTSY)
    (safe / "manifest.safe").unlink()
    with pytest.raises(ImageryError, match=r"manifest\.safe"):
        read_scene(safe)


# --------------------------------------------------------------------------- ingest


def test_safe_ingest_registers_one_scene_and_reingest_is_a_no_op(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    batch = tmp_path / "batch"
    make_safe(batch, {"VV": _dn(0), "VH": _dn(1)}, name=DUAL, geo=OVER_KLINTSY)
    make_safe(batch, _dn(2), name=BROKEN, geo=OVER_KLINTSY, with_calibration=False)
    _geotiff(batch / "scene.tif")

    first = ingest(project, [batch])
    assert (first.new, first.total) == (2, 3)  # the good SAFE and the COG; nothing inside SAFEs
    assert len(first.errors) == 1
    error = first.errors[0]
    assert BROKEN in error and "\n" not in error
    assert "annotation/calibration/calibration-s1a-iw-grd-vv-20220203t041233" in error
    rows = {Path(r["href"]).name: r for r in _scene_rows(project)}
    assert set(rows) == {DUAL, "scene.tif"}
    safe_row = rows[DUAL]
    assert safe_row["sensor"] == "s1" and safe_row["geometry_key"] == "s1:ro028"
    assert safe_row["relative_orbit"] == 28 and safe_row["polarisations"] == "VV,VH"
    assert safe_row["units"] == "dn-safe"
    assert safe_row["acquired_utc"].to_pydatetime() == datetime(
        2022, 1, 10, 4, 12, 34, 123456, tzinfo=UTC
    )
    assert safe_row["overlap_fraction"] == pytest.approx(1.0)

    again = ingest(project, [batch])
    assert (again.new, again.changed, again.unchanged, again.duplicate) == (0, 0, 2, 0)
    assert again.errors == first.errors
    ids = {(r["scene_id"], r["sha256"]) for r in rows.values()}
    assert {(r["scene_id"], r["sha256"]) for r in _scene_rows(project)} == ids
    assert len(_scene_rows(project)) == 2


def test_real_safe_subset_without_calibration_is_a_one_line_ingest_error(
    tmp_path: Path, shared_data: Path
) -> None:
    # The shared subset has the manifest, annotations and a placeholder VV TIFF, no calibration
    # folder: ingest must say so in one line and register nothing.
    folder = shared_data / "sentinel1"
    assert list(scan_paths([folder])) == [folder / REAL]
    project = _project(tmp_path / "p")
    summary = ingest(project, [folder])
    assert summary.new == 0 and summary.total == 1 and len(summary.errors) == 1
    error = summary.errors[0]
    assert "\n" not in error
    assert error.startswith(str(folder / REAL))
    assert "annotation/calibration/calibration-s1b-iw-grd-vv-20210401t052623" in error
    with pytest.raises(ImageryError, match=r"calibration-s1b-iw-grd-vv-20210401t052623.*\.xml"):
        read_scene(folder / REAL)


# --------------------------------------------------------------------------- onto a site grid


def _expected_on_grid(
    grid: SiteGrid, geo: LinearGeo, sigma0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """sigma0 of the sample nearest each grid pixel's centre (NaN outside the image), and a
    mask of pixels whose centre lies within 0.02 sample of a boundary between two samples:
    there the nearest sample hinges on float rounding in the warper, so they are not compared."""
    ny, nx = grid.shape
    cols, rows = np.meshgrid(np.arange(nx) + 0.5, np.arange(ny) + 0.5)
    xs, ys = grid.transform @ (cols, rows)
    lon, lat = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    line, pixel = geo.line_pixel(lon, lat)
    r, c = np.floor(line + 0.5).astype(int), np.floor(pixel + 0.5).astype(int)
    inside = (r >= 0) & (r < SHAPE[0]) & (c >= 0) & (c < SHAPE[1])
    out = np.full(grid.shape, np.nan)
    out[inside] = sigma0[r[inside], c[inside]]
    frac = np.abs(np.stack([line, pixel]) % 1.0 - 0.5)
    return out, np.asarray((frac < 0.02).any(axis=0))


@pytest.mark.parametrize(
    ("name", "pols", "at_line_pixel"),
    [
        (DUAL, ("VV", "VH"), (271.3, 433.7)),  # the site well inside the image
        (SINGLE, ("VV",), (310.2, 799.0)),  # the image's east edge through the site
    ],
)
def test_safe_on_site_grid_is_sigma0_of_the_sample_at_each_pixels_lonlat(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    pols: tuple[str, ...],
    at_line_pixel: tuple[float, float],
) -> None:
    geo = _geo_through(KLINTSY_LONLAT, *at_line_pixel)
    dns = {pol: _dn(i) for i, pol in enumerate(pols)}
    safe = make_safe(tmp_path, dns, name=name, geo=geo)
    windows: list[Any] = []
    calibrate = load.read_safe_sigma0

    def spy(safe_dir: Path, pol: str, window: Any = None, **kw: Any) -> Any:
        windows.append(window)
        return calibrate(safe_dir, pol, window, **kw)

    monkeypatch.setattr(load, "read_safe_sigma0", spy)
    grid = grid_for_site(_klintsy(), res_m=10.0, margin_km=0.5)
    data = read_on_grid(str(safe), grid, units="dn-safe")

    assert data.dtype == np.float32 and data.shape == (len(pols), *grid.shape)
    # only the part of the image under the grid is calibrated: ~100x80 of 600x800 samples
    assert len(windows) == len(pols) and windows[0] is not None
    assert windows[0].width * windows[0].height < 0.05 * SHAPE[0] * SHAPE[1]
    for band, pol in enumerate(pols):
        want, near_tie = _expected_on_grid(grid, geo, expected_sigma0(dns[pol], noise=True))
        got = data[band]
        np.testing.assert_array_equal(np.isnan(got[~near_tie]), np.isnan(want[~near_tie]))
        # float32 output of float64 truth: 1e-6 relative
        np.testing.assert_allclose(got[~near_tie], want[~near_tie], rtol=1e-6)
        assert near_tie.mean() < 0.1
    covered = np.isfinite(data[0]).mean()
    if name == DUAL:
        assert covered == 1.0
    else:  # the image's edge through the middle of the grid: about half of it has data
        assert 0.3 < covered < 0.7


def test_safe_far_from_the_grid_is_an_imagery_error(tmp_path: Path) -> None:
    far = _geo_through((24.0, 48.5), 300, 400)  # western Ukraine, ~650 km from Klintsy
    safe = make_safe(tmp_path, _dn(0), geo=far)
    grid = grid_for_site(_klintsy(), res_m=10.0, margin_km=0.5)
    with pytest.raises(ImageryError, match="does not cover the site grid"):
        read_on_grid(str(safe), grid)
