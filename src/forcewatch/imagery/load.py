"""Reading scenes clipped to a site on one fixed grid per site.

Every (site, acquisition geometry) series is read onto the site's ``SiteGrid`` (UTM, fixed pixel
size, bounds snapped to the pixel size), so pixel (i, j) is the same ground in every scene.
Nearest-neighbour resampling keeps speckle statistics (the ENL) unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import rasterio
from affine import Affine
from rasterio.errors import RasterioError
from rasterio.features import rasterize
from rasterio.warp import Resampling, reproject
from shapely.geometry.base import BaseGeometry

from forcewatch.errors import ImageryError
from forcewatch.sites import Site, ring_polygon, to_crs, utm_crs


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
        x0, y1 = self.transform * (0, 0)
        x1, y0 = self.transform * (nx, ny)
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
    return rasterize([(local, 1)], out_shape=grid.shape, transform=grid.transform, fill=0).astype(
        bool
    )


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


def read_on_grid(href: str, grid: SiteGrid, units: str = "auto") -> np.ndarray:
    """Read every band of ``href`` onto ``grid``: float32 ``(band, y, x)``, NaN where no data.

    Nodata, zeros and non-finite values are NaN, never averaged in. Raises ImageryError when
    the file is unreadable or does not cover the grid at all.
    """
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
        raise ImageryError(f"{href}: no valid pixels over the site grid (no overlap?)")
    chosen = units if units != "auto" else (tag_units if tag_units in {"db", "linear"} else "auto")
    lin = to_linear(out, chosen)
    lin[~np.isfinite(lin) | (lin <= 0)] = np.nan
    return lin
