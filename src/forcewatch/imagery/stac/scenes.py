"""Loading a pass with odc-stac onto a site's grid, and writing it as a cached scene.

Assets are renamed to canonical bands and signed; the pass is loaded lazily with odc-stac,
its time slices fused first-valid, and written as a cloud-optimised GeoTIFF with a STAC item
sidecar, each atomically.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pystac
import rasterio
from odc.geo.geobox import GeoBox
from pyproj import CRS
from shapely.geometry import box, mapping
from shapely.geometry.base import BaseGeometry

from forcewatch.config import StacSource
from forcewatch.errors import FetchError
from forcewatch.imagery.load import SiteGrid
from forcewatch.imagery.stac.grouping import Candidate, Pass
from forcewatch.imagery.stac.sources import FetchOptions, _Source
from forcewatch.sites import to_crs


def _utc_text(value: datetime) -> str:
    """RFC 3339 UTC text with 'Z', keeping fractions of a second."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def geobox_for(grid: SiteGrid) -> GeoBox:
    """The odc-geo GeoBox of a site grid (same shape, transform and CRS)."""
    return GeoBox(grid.shape, grid.transform, grid.crs)


def grid_footprint(grid: SiteGrid) -> BaseGeometry:
    """The grid's outline in EPSG:4326 (what each search must intersect)."""
    return to_crs(box(*grid.bounds), CRS.from_user_input(grid.crs), inverse=True)


def units_for(cfg: StacSource) -> str:
    """The UNITS tag for a source's values: 'linear' for Sentinel-1 RTC (gamma0 power), 'dn'
    for GRD digital numbers and Sentinel-2, 'auto' for other Sentinel-1 collections."""
    names = " ".join(cfg.collections).lower()
    if cfg.sensor != "s1":
        return "dn"
    if "rtc" in names:
        return "linear"
    return "dn" if "grd" in names else "auto"


def _canonical_items(
    p: Pass, sources: Sequence[_Source], options: FetchOptions
) -> tuple[list[str], list[pystac.Item]]:
    """The pass's items with assets renamed to canonical bands and hrefs absolute and signed."""
    table = options.assets[p.sensor]
    found: list[dict[str, pystac.Asset]] = []
    for c in p.items:
        assets = {}
        for band, keys in table.items():
            key = next((k for k in keys if k in c.item.assets), None)
            if key is not None:
                assets[band] = c.item.assets[key]
        found.append(assets)
    common = [b for b in table if all(b in a for a in found)]
    missing = [b for b in table if b not in common]
    if not common or (p.sensor != "s1" and missing):
        raise FetchError(
            f"pass {p.key}: items lack asset(s) {', '.join(missing)} "
            f"(looked for {', '.join(k for b in missing for k in table[b])})"
        )
    items = []
    for c, assets in zip(p.items, found, strict=True):
        signer = sources[c.source_rank].signer
        item = pystac.Item(
            id=c.item.id,
            geometry=c.item.geometry,
            bbox=c.item.bbox,
            datetime=c.acquired_utc,
            properties=dict(c.item.properties),
            stac_extensions=list(c.item.stac_extensions),
            collection=c.item.collection_id,
        )
        for band in common:
            src = assets[band]
            href = src.get_absolute_href() or src.href
            if signer is not None:
                href = signer.sign_href(href, c.item.collection_id)
            item.add_asset(
                band,
                pystac.Asset(href, media_type=src.media_type, extra_fields=dict(src.extra_fields)),
            )
        items.append(item)
    return common, items


def load_pass(p: Pass, grid: SiteGrid, sources: Sequence[_Source], options: FetchOptions) -> Any:
    """Lazily load a pass onto ``grid``: an xarray Dataset of dask arrays, one float32 variable
    per canonical band with dims (time, y, x); NaN where no slice has data."""
    import odc.stac  # heavy import, only when fetching

    bands, items = _canonical_items(p, sources, options)
    env = {
        "CPL_VSIL_CURL_NON_CACHED": "/vsicurl/",
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        "GDAL_HTTP_TIMEOUT": str(int(max(1, options.timeout_s))),
    }
    # odc-stac copies the GDAL options active here into its reader threads. GDAL remembers a
    # failed HTTP answer for a file; without NON_CACHED a retry would never reach the server.
    with rasterio.Env(**env):
        return odc.stac.load(
            items,
            bands=bands,
            geobox=geobox_for(grid),
            chunks={"x": options.chunk_px, "y": options.chunk_px},
            groupby="solar_day",
            resampling="nearest",
            dtype="float32",
            nodata=np.nan,
            fail_on_error=True,
        )


def compute_pass(dataset: Any, sensor: str) -> tuple[list[str], np.ndarray]:
    """(band names, float32 (band, y, x)) from a loaded pass: time slices fused first-valid;
    for Sentinel-1, zeros and negatives (no-data fill in backscatter) become NaN."""
    bands = [str(b) for b in dataset.data_vars]
    cube = dataset[bands].to_array("band").transpose("band", "time", "y", "x").values
    out = np.array(cube[:, 0], dtype=np.float32)
    for k in range(1, cube.shape[1]):
        hole = ~np.isfinite(out)
        out[hole] = cube[:, k][hole]
    if sensor == "s1":
        out[~np.isfinite(out) | (out <= 0)] = np.nan
    return bands, out


def write_cog(
    path: Path, data: np.ndarray, grid: SiteGrid, bands: Sequence[str], tags: Mapping[str, str]
) -> None:
    """Write float32 ``data`` (band, y, x) on ``grid`` as a deflated, tiled COG, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    profile = dict(
        driver="COG",
        width=grid.shape[1],
        height=grid.shape[0],
        count=data.shape[0],
        dtype="float32",
        crs=grid.crs,
        transform=grid.transform,
        nodata=np.nan,
        compress="deflate",
        blocksize=256,
    )
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data.astype(np.float32, copy=False))
        dst.descriptions = tuple(bands)
        dst.update_tags(**tags)
    os.replace(tmp, path)


def _write_json(path: Path, obj: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(obj, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _self_href(c: Candidate, cfg: StacSource) -> str:
    href = c.item.get_self_href()
    if href:
        return href
    return f"{cfg.url.rstrip('/')}/collections/{c.item.collection_id}/items/{c.item.id}"


def sidecar_item(
    p: Pass, grid: SiteGrid, tif: Path, bands: Sequence[str], units: str, hrefs: Sequence[str]
) -> dict[str, Any]:
    """The STAC item written beside a cached scene: the first slice's item with the pass's
    start time, resolved relative orbit, the bands kept, and the local COG as its asset."""
    first = p.items[0]
    props = dict(first.item.properties)
    props["datetime"] = _utc_text(p.acquired_utc)
    props.pop("sat:relative_orbit", None)
    if p.relative_orbit is not None:
        props["sat:relative_orbit"] = p.relative_orbit
    if p.sensor == "s1":
        props["sar:polarizations"] = [b.upper() for b in bands]
    props.update(
        {
            "forcewatch:pass": p.key,
            "forcewatch:items": [c.item.id for c in p.items],
            "forcewatch:orbit_from": p.orbit_from,
            "forcewatch:units": units,
        }
    )
    footprint = grid_footprint(grid)
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": list(first.item.stac_extensions),
        "id": first.item.id,
        "collection": first.item.collection_id,
        "geometry": mapping(footprint),
        "bbox": list(footprint.bounds),
        "properties": props,
        "links": [{"rel": "derived_from", "href": h} for h in hrefs],
        "assets": {
            "data": {
                "href": f"./{tif.name}",
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "roles": ["data"],
                "title": ",".join(bands),
            }
        },
    }
