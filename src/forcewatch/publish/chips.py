"""Image chips: a scene clipped around a site, VV backscatter in dB as a grey PNG.

A before/after pair shares one grey stretch so the two images can be compared by eye. The site
outline is drawn in cyan, stored detections (those with a geometry) as yellow outlines, and
pixels without data in dark blue.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from PIL import Image, ImageDraw
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from forcewatch.errors import ImageryError
from forcewatch.imagery.load import SiteGrid, grid_for_site, read_on_grid
from forcewatch.sites import Site, to_crs

log = logging.getLogger(__name__)
CHIP_PX = 256
NODATA_RGB = (30, 40, 110)  # dark blue: no data, never confused with dark (weak) backscatter


@dataclass(frozen=True)
class ChipData:
    """VV backscatter in dB on a site grid: ``sigma0_db`` float32 (y, x), NaN where no data."""

    sigma0_db: np.ndarray
    grid: SiteGrid


def vv_index(polarisations: str | None) -> int:
    """Band index of VV in a scene whose bands are ``polarisations`` ("VV,VH"); else 0."""
    pols = [p.strip().upper() for p in (polarisations or "").split(",") if p.strip()]
    return pols.index("VV") if "VV" in pols else 0


def read_chip(
    href: str,
    site: Site,
    *,
    band_index: int = 0,
    units: str = "auto",
    res_m: float = 10.0,
    margin_km: float = 1.0,
) -> ChipData:
    """Read one band of ``href`` on the site's grid, in dB. Raises ImageryError."""
    grid = grid_for_site(site, res_m=res_m, margin_km=margin_km)
    data = read_on_grid(href, grid, units=units)
    if band_index >= data.shape[0]:
        band_index = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        db = (10.0 * np.log10(data[band_index])).astype(np.float32)
    return ChipData(db, grid)


def shared_stretch(chips: Sequence[ChipData]) -> tuple[float, float]:
    """A common grey range (2nd-98th percentile of all finite values), dB."""
    values = np.concatenate([c.sigma0_db[np.isfinite(c.sigma0_db)].ravel() for c in chips])
    if values.size == 0:
        return (-25.0, 0.0)
    lo, hi = np.percentile(values, [2, 98])
    return (float(lo), float(hi) if hi > lo else float(lo) + 1.0)


def _pixels(geom: BaseGeometry, grid: SiteGrid, scale: float) -> list[list[tuple[float, float]]]:
    local = to_crs(geom, CRS.from_user_input(grid.crs))
    inv = ~grid.transform
    rings: list[list[tuple[float, float]]] = []
    for part in shapely.get_parts(local):
        if part.is_empty:
            continue
        line = part.exterior if part.geom_type == "Polygon" else part
        xy = np.asarray(line.coords)[:, :2]
        cols = inv.a * xy[:, 0] + inv.b * xy[:, 1] + inv.c
        rows = inv.d * xy[:, 0] + inv.e * xy[:, 1] + inv.f
        rings.append(
            [(float(c) * scale, float(r) * scale) for c, r in zip(cols, rows, strict=True)]
        )
    return rings


def chip_png(
    chip: ChipData,
    site: Site,
    stretch: tuple[float, float],
    detections: Sequence[BaseGeometry] = (),
    size_px: int = CHIP_PX,
) -> bytes:
    """PNG bytes: the chip in grey (``stretch`` dB to black..white), site and detections drawn."""
    lo, hi = stretch
    scaled = np.clip((chip.sigma0_db - lo) / (hi - lo), 0, 1)
    grey = np.where(np.isfinite(scaled), scaled * 255, 0).astype(np.uint8)
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    rgb[~np.isfinite(scaled)] = NODATA_RGB
    ny, nx = grey.shape
    scale = size_px / max(ny, nx)
    img = Image.fromarray(rgb).resize(
        (max(1, round(nx * scale)), max(1, round(ny * scale))), Image.Resampling.NEAREST
    )
    draw = ImageDraw.Draw(img)
    for ring in _pixels(site.geometry, chip.grid, scale):
        draw.line(ring, fill=(0, 220, 255), width=2)
    for geom in detections:
        for ring in _pixels(geom, chip.grid, scale):
            draw.line(ring, fill=(255, 230, 0), width=1)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def try_read_chip(href: str, site: Site, **kwargs: object) -> ChipData | None:
    """``read_chip``, or None (logged) when the scene file cannot be read over the site."""
    try:
        return read_chip(href, site, **kwargs)  # type: ignore[arg-type]
    except ImageryError as exc:
        log.warning("chip unavailable: %s", exc.message)
        return None
