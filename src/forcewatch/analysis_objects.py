"""Object counts in sharp images for `analyze`: detection over the part of each image under a
site's grid, counts inside the site polygon and its ring, and the detections themselves.

Only the window of the image that covers the site grid is read and handed to the detector, so
an image covering many sites (or a huge one) is never detected whole for each site.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from pyproj import CRS
from rasterio.errors import RasterioError
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds
from shapely.geometry import Point, Polygon

from forcewatch.analysis import SceneRef, Unit, UnitResult, measurement
from forcewatch.errors import ImageryError, InputError, ModelError
from forcewatch.imagery.load import grid_for_site
from forcewatch.sites import ring_polygon, to_crs

VEHICLE_CLASSES = ("small-vehicle", "large-vehicle", "vehicle")


def _window_copy(href: str, bounds_4326: tuple[float, float, float, float], folder: Path) -> Path:
    """Copy the part of ``href`` under ``bounds_4326`` to a GeoTIFF in ``folder``."""
    try:
        with rasterio.open(href) as src:
            left, bottom, right, top = transform_bounds("EPSG:4326", src.crs, *bounds_4326)
            win = from_bounds(left, bottom, right, top, src.transform)
            win = (
                win.round_offsets()
                .round_lengths()
                .intersection(Window(0, 0, src.width, src.height))
            )
            data = src.read(window=win)
            profile = src.profile | {
                "width": int(win.width),
                "height": int(win.height),
                "transform": src.window_transform(win),
                "driver": "GTiff",
            }
            profile.pop("blockxsize", None)
            profile.pop("blockysize", None)
            profile["tiled"] = False
    except (RasterioError, OSError) as exc:
        raise ImageryError(f"{href}: cannot read ({str(exc).splitlines()[0]})") from exc
    except ValueError as exc:  # empty intersection
        raise ImageryError(f"{href}: does not cover the site") from exc
    out = folder / "window.tif"
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(data)
    return out


def measure_objects_unit(unit: Unit, model: str | None = None, tta: bool = False) -> UnitResult:
    """Detect objects in each sharp image of a site; count them in the site and its ring.
    ``model``: a detector .onnx (None: the shipped one); ``tta``: test-time flips."""
    from forcewatch.measure.objects import detect_image, load_model

    detector = load_model(model)  # once per unit: its sessions are reused across scenes
    grid = grid_for_site(unit.site, unit.params.res_m, unit.params.margin_km)
    footprint = to_crs(Polygon.from_bounds(*grid.bounds), CRS.from_user_input(grid.crs), True)
    ring = ring_polygon(unit.site, unit.params.ring_km)
    rows: list[dict[str, Any]] = []
    detections: list[dict[str, Any]] = []
    skipped: list[str] = []
    for ref in unit.scenes:
        try:
            with tempfile.TemporaryDirectory(prefix="fw-det-") as tmp:
                path = _window_copy(ref.href, footprint.bounds, Path(tmp))
                result = detect_image(path, model=detector, tta=tta)
        except (InputError, ModelError) as exc:  # unreadable, or too coarse to detect in
            skipped.append(exc.message)
            continue
        rows += _count_rows(ref, result, unit, ring)
        detections += _detection_rows(ref, result, unit)
    return UnitResult(rows, detections, skipped)


def _centres(result: Any) -> list[Point | None]:
    if result.corners_lonlat is None:
        return [None] * len(result)
    return [Point(np.asarray(c).mean(axis=0)) for c in result.corners_lonlat]


def _count_rows(ref: SceneRef, result: Any, unit: Unit, ring: Any) -> list[dict[str, Any]]:
    names = [result.class_names[int(i)] for i in result.class_ids]
    where: list[str | None] = []
    for c in _centres(result):
        if c is None:
            where.append(None)
        elif unit.site.geometry.contains(c):
            where.append("site")
        elif ring.contains(c):
            where.append("ring")
        else:
            where.append(None)
    out = []
    for region, suffix in (("site", ""), ("ring", "_ring")):
        vehicles = sum(
            1 for n, w in zip(names, where, strict=True) if w == region and n in VEHICLE_CLASSES
        )
        aircraft = sum(
            1 for n, w in zip(names, where, strict=True) if w == region and n == "aircraft"
        )
        out.append(("vehicles" + suffix, float(vehicles)))
        out.append(("aircraft" + suffix, float(aircraft)))
    return [measurement(ref, m, v) for m, v in out]


def _detection_rows(ref: SceneRef, result: Any, unit: Unit) -> list[dict[str, Any]]:
    rows = []
    for det, centre in zip(result.detections(), _centres(result), strict=True):
        if centre is None or not unit.site.geometry.buffer(0.02).contains(centre):
            continue
        geometry = Polygon(det.polygon_lonlat).wkt if det.polygon_lonlat else None
        rows.append(
            dict(
                site_id=unit.site_id,
                scene_id=ref.scene_id,
                image_href=ref.href,
                acquired_utc=ref.acquired_utc,
                class_name=det.class_name,
                score=det.score,
                bbox_px=list(det.bbox_px),
                geometry_wkt=geometry,
            )
        )
    return rows
