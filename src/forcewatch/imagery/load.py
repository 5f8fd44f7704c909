"""Reading scenes clipped to a site on one fixed grid per site.

Every (site, acquisition geometry) series is read onto the site's ``SiteGrid`` (UTM, fixed pixel
size, bounds snapped to the pixel size), so pixel (i, j) is the same ground in every scene.
Nearest-neighbour resampling keeps speckle statistics (the ENL) unchanged.

A Sentinel-1 GRD ``.SAFE`` product is in image geometry: only the part of the image that covers
the grid (found through the annotation's geolocation tie points) is calibrated to sigma0, then
warped with the tie points as ground control points (thin-plate spline, exact at every tie
point; no terrain model, so positions between tie points are as good as the tie grid).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import rasterio
from affine import Affine
from rasterio._err import CPLE_BaseError  # GDAL errors of the warper; not re-exported
from rasterio.control import GroundControlPoint
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.features import rasterize
from rasterio.transform import GCPTransformer
from rasterio.warp import Resampling, reproject, transform
from rasterio.windows import Window
from shapely.geometry.base import BaseGeometry

from forcewatch.errors import ImageryError
from forcewatch.imagery.sentinel1 import (
    GeolocationGrid,
    SafeLayout,
    check_safe,
    is_safe_path,
    read_safe_sigma0,
)
from forcewatch.sites import Site, ring_polygon, to_crs, utm_crs

# rasterio 1.4 warns "Dataset has no geotransform" about the scratch datasets it makes for an
# array in rasterize() and reproject(), although the transforms are given: on every fresh
# analyze, to the user's confusion. (Scenes without georeferencing are refused at ingest.)
warnings.filterwarnings(
    "ignore", "Dataset has no geotransform", NotGeoreferencedWarning, r"rasterio\."
)

# Extra image pixels around the grid's footprint: covers nearest sampling at the edges and the
# warper's approximate transformer (0.125 px); more would only calibrate pixels never used.
SAFE_MARGIN_PX = 8


@dataclass(frozen=True)
class SiteGrid:
    """A fixed pixel grid: ``shape`` (ny, nx) in pixels, ``transform`` in CRS metres."""

    crs: str
    transform: Affine
    shape: tuple[int, int]
    res_m: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        ny, nx = self.shape
        x0, y1 = self.transform @ (0, 0)
        x1, y0 = self.transform @ (nx, ny)
        return (x0, y0, x1, y1)


@dataclass(frozen=True)
class SiteMasks:
    """Boolean masks on a SiteGrid: the site polygon, the dispersal ring, the background."""

    site: np.ndarray
    ring: np.ndarray
    background: np.ndarray


def grid_for_site(site: Site, res_m: float = 10.0, margin_km: float = 1.5) -> SiteGrid:
    """The site's grid: its polygon plus ``margin_km`` on each side, in the local UTM zone."""
    lon, lat = site.centroid_lonlat
    crs = utm_crs(lon, lat)
    minx, miny, maxx, maxy = to_crs(site.geometry, crs).bounds
    pad = margin_km * 1000.0
    x0 = math.floor((minx - pad) / res_m) * res_m
    y1 = math.ceil((maxy + pad) / res_m) * res_m
    nx = int(math.ceil((maxx + pad - x0) / res_m))
    ny = int(math.ceil((y1 - (miny - pad)) / res_m))
    return SiteGrid(crs.to_string(), Affine(res_m, 0, x0, 0, -res_m, y1), (ny, nx), res_m)


def _rasterize(geom: BaseGeometry, grid: SiteGrid) -> np.ndarray:
    from pyproj import CRS

    local = to_crs(geom, CRS.from_user_input(grid.crs))
    if local.is_empty:
        return np.zeros(grid.shape, bool)
    burnt = rasterize([(local, 1)], out_shape=grid.shape, transform=grid.transform, fill=0)
    return burnt.astype(bool)


def site_masks(site: Site, grid: SiteGrid, ring_km: float) -> SiteMasks:
    """Masks of the site, its ring and the rest of the grid (background)."""
    inside = _rasterize(site.geometry, grid)
    ring = (
        _rasterize(ring_polygon(site, ring_km), grid) & ~inside
        if ring_km > 0
        else np.zeros_like(inside)
    )
    return SiteMasks(site=inside, ring=ring, background=~inside & ~ring)


def to_linear(data: np.ndarray, units: str) -> np.ndarray:
    """Convert backscatter to linear power. ``units``: 'linear', 'db' or 'auto'.

    'auto' reads dB when most finite values are negative (linear sigma0 is never negative).
    """
    if units == "db" or (units == "auto" and np.nanmedian(data) < 0):
        return np.power(10.0, data / 10.0, dtype=np.float32)
    return data.astype(np.float32, copy=False)


def _tie_gcps(geo: GeolocationGrid, row0: int = 0, col0: int = 0) -> list[GroundControlPoint]:
    """Tie points as GCPs (x=lon, y=lat) in the pixel space of a window at ``(row0, col0)``.

    Annotation tie points locate sample centres; GDAL's pixel space has the centre of pixel i
    at i + 0.5, hence the half pixel.
    """
    return [
        GroundControlPoint(row=line + 0.5 - row0, col=pixel + 0.5 - col0, x=lon, y=lat)
        for line, pixel, lon, lat in zip(
            geo.line.tolist(),
            geo.pixel.tolist(),
            geo.longitude_deg.tolist(),
            geo.latitude_deg.tolist(),
            strict=True,
        )
    ]


def _grid_outline_lonlat(grid: SiteGrid, per_side: int = 9) -> tuple[list[float], list[float]]:
    """Points along the grid's outer edge (corners included), as lon/lat degrees."""
    ny, nx = grid.shape
    frac = np.linspace(0.0, 1.0, per_side)
    cols = np.concatenate([frac * nx, np.full(per_side, nx), frac * nx, np.zeros(per_side)])
    rows = np.concatenate([np.zeros(per_side), frac * ny, np.full(per_side, ny), frac * ny])
    a = grid.transform
    xs, ys = a.a * cols + a.b * rows + a.c, a.d * cols + a.e * rows + a.f
    lon, lat = transform(grid.crs, "EPSG:4326", xs.tolist(), ys.tolist())
    return list(lon), list(lat)


def safe_window(layout: SafeLayout, grid: SiteGrid, margin_px: int = SAFE_MARGIN_PX) -> Window:
    """The image window (pixels) of a SAFE product that covers ``grid``, plus ``margin_px``.

    Uses the same tie-point transform as the warp, so no grid pixel falls outside it. Raises
    ``ImageryError`` when the product does not cover the grid.
    """
    lon, lat = _grid_outline_lonlat(grid)
    with GCPTransformer(_tie_gcps(layout.geolocation), tps=True) as tr:
        rows, cols = tr.rowcol(lon, lat, op=np.floor)
    lines, samples = layout.image_shape
    r0 = max(int(np.min(rows)) - margin_px, 0)
    r1 = min(int(np.max(rows)) + 1 + margin_px, lines)
    c0 = max(int(np.min(cols)) - margin_px, 0)
    c1 = min(int(np.max(cols)) + 1 + margin_px, samples)
    if r1 <= r0 or c1 <= c0:
        raise ImageryError(f"{layout.safe_dir}: the product does not cover the site grid")
    return Window(c0, r0, c1 - c0, r1 - r0)


def _read_safe_on_grid(href: str, grid: SiteGrid) -> np.ndarray:
    layout = check_safe(href)
    win = safe_window(layout, grid)
    gcps = _tie_gcps(layout.geolocation, int(win.row_off), int(win.col_off))
    out = np.full((len(layout.files), *grid.shape), np.nan, np.float32)
    for b, files in enumerate(layout.files):
        sigma0, _ = read_safe_sigma0(layout.safe_dir, files.polarisation, window=win)
        try:
            reproject(
                source=sigma0,
                destination=out[b],
                gcps=gcps,
                src_crs="EPSG:4326",
                src_nodata=np.nan,
                dst_transform=grid.transform,
                dst_crs=grid.crs,
                dst_nodata=np.nan,
                resampling=Resampling.nearest,
                SRC_METHOD="GCP_TPS",
            )
        except (RasterioError, CPLE_BaseError) as exc:
            raise ImageryError(f"{href}: cannot warp ({str(exc).splitlines()[0]})") from exc
    if not np.isfinite(out).any():
        raise ImageryError(f"{href}: no valid pixels over the site grid (border noise only?)")
    return out


def read_on_grid(href: str, grid: SiteGrid, units: str = "auto") -> np.ndarray:
    """Read every band of ``href`` onto ``grid``: float32 ``(band, y, x)``, NaN where no data.

    Nodata, zeros and non-finite values are NaN, never averaged in. A ``.SAFE`` product gives
    linear sigma0 ``(pol, y, x)`` in VV, VH (or HH, HV) order, whatever ``units`` says. Raises
    ImageryError when the file is unreadable or does not cover the grid at all.
    """
    if is_safe_path(href):
        return _read_safe_on_grid(href, grid)
    try:
        with rasterio.open(href) as src:
            out = np.full((src.count, *grid.shape), np.nan, np.float32)
            for b in range(src.count):
                reproject(
                    source=rasterio.band(src, b + 1),
                    destination=out[b],
                    dst_transform=grid.transform,
                    dst_crs=grid.crs,
                    dst_nodata=np.nan,
                    src_nodata=src.nodata,
                    resampling=Resampling.nearest,
                )
            tag_units = (src.tags().get("UNITS") or src.tags().get("units") or "").lower()
    except (RasterioError, OSError) as exc:
        raise ImageryError(f"{href}: cannot read ({str(exc).splitlines()[0]})") from exc
    if not np.isfinite(out).any():
        raise ImageryError(
            f"{href}: no valid pixel over the site's grid: nodata there (all cloud or outside "
            "the swath), or the scene does not reach the site"
        )
    chosen = units if units != "auto" else (tag_units if tag_units in {"db", "linear"} else "auto")
    lin = to_linear(out, chosen)
    lin[~np.isfinite(lin) | (lin <= 0)] = np.nan
    return lin
