"""The scene catalogue: what a raster file is (sensor, time, geometry, orbit) and its checksum.

Acquisition metadata is taken, in order, from a STAC item sidecar (``NAME.json`` beside the
raster), GeoTIFF tags (``ACQUISITION_TIME``/``acquired_utc``, ``SENSOR``, ``RELATIVE_ORBIT``,
``POLARISATIONS``), Sentinel-1 product names in the file name, then a configurable file-name
regex. Footprints are stored in EPSG:4326.

A Sentinel-1 GRD ``.SAFE`` folder is one scene: its facts come from ``manifest.safe``, its
checksum covers the manifest and the measurement TIFFs, and its ``units`` is ``SAFE_UNITS``
(digital numbers, calibrated to sigma0 when read onto a grid).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.warp import transform_geom
from shapely.geometry import MultiPoint, box, mapping, shape
from shapely.geometry.base import BaseGeometry

from forcewatch.errors import ImageryError, InputError
from forcewatch.imagery.sentinel1 import SAFE_UNITS, check_safe, is_safe_path

RASTER_SUFFIXES = {".tif", ".tiff", ".gtiff", ".cog"}
S1_NAME = re.compile(
    r"(?P<mission>S1[ABCD])_(?P<mode>IW|EW|SM)_(?P<product>GRD[HMF]|SLC)_\w{4}_"
    r"(?P<start>\d{8}T\d{6})_\d{8}T\d{6}_(?P<absorbit>\d{6})_"
)


@dataclass(frozen=True)
class Scene:
    """One acquisition file.

    ``relative_orbit`` identifies the acquisition geometry for Sentinel-1 (None for others);
    ``geometry_key`` is the series key that keeps geometries apart (e.g. ``s1:ro021``).
    ``footprint`` is EPSG:4326; ``res_m`` the pixel size in metres (CRS units when projected).
    """

    scene_id: str
    href: str
    sha256: str
    sensor: str
    acquired_utc: datetime
    relative_orbit: int | None
    polarisations: tuple[str, ...]
    footprint: BaseGeometry
    crs: str
    width: int
    height: int
    res_m: float
    units: str = "auto"
    simulated: bool = False
    stac_item_id: str | None = None

    @property
    def geometry_key(self) -> str:
        return geometry_key(self.sensor, self.relative_orbit)


def geometry_key(sensor: str, relative_orbit: int | None) -> str:
    """Series key for an acquisition geometry: one per Sentinel-1 relative orbit."""
    if sensor == "s1":
        return f"s1:ro{relative_orbit:03d}" if relative_orbit is not None else "s1:ro-unknown"
    return sensor


def _hash_file(h: Any, path: Path, chunk_bytes: int) -> None:
    with open(path, "rb") as fh:
        while block := fh.read(chunk_bytes):
            h.update(block)


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, hex."""
    h = hashlib.sha256()
    _hash_file(h, path, chunk_bytes)
    return h.hexdigest()


def sha256_files(paths: Iterable[Path], chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 over several files in order, each prefixed by its name and size (streamed), hex."""
    h = hashlib.sha256()
    for path in paths:
        h.update(f"{path.name}\0{path.stat().st_size}\0".encode())
        _hash_file(h, path, chunk_bytes)
    return h.hexdigest()


def _scan_folder(folder: Path) -> Iterator[Path]:
    """Raster files and ``.SAFE`` folders under ``folder``; never the files inside a SAFE."""
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        for d in [d for d in dirs if is_safe_path(d)]:
            dirs.remove(d)
            yield here / d
        yield from (here / f for f in files if Path(f).suffix.lower() in RASTER_SUFFIXES)


def scan_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Scenes named by ``paths``: raster files and Sentinel-1 ``.SAFE`` folders (one path per
    product), given directly or found by searching folders recursively, sorted per argument."""
    for p in paths:
        path = Path(p).expanduser()
        if path.is_dir() and is_safe_path(path):
            yield path
        elif path.is_dir():
            yield from sorted(_scan_folder(path))
        elif path.is_file():
            yield path
        else:
            raise InputError(f"{path}: no such file or folder")


def parse_datetime(value: str) -> datetime:
    """A UTC datetime from ISO-8601, 'YYYYMMDD[THHMMSS]' or TIFF 'YYYY:MM:DD HH:MM:SS'."""
    text = value.strip()
    for fmt in ("%Y%m%dT%H%M%S", "%Y%m%d", "%Y:%m:%d %H:%M:%S", "%Y%m%d%H%M%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        if "out of range" in str(exc) or "must be in" in str(exc):
            # "2022-02-30": the form is right, the day does not exist
            raise InputError(f"date '{value}' does not exist ({exc}); fix the day") from exc
        raise InputError(f"cannot read a date from '{value}'; use ISO-8601 (2022-02-15)") from exc
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def s1_relative_orbit(mission: str, absolute_orbit: int) -> int:
    """Sentinel-1 relative orbit from the absolute orbit number (ESA formulas)."""
    offset = {"S1A": 73, "S1B": 27, "S1C": 172, "S1D": 73}.get(mission.upper(), 73)
    return (absolute_orbit - offset) % 175 + 1


def _sidecar(path: Path) -> dict[str, Any]:
    for cand in (path.with_suffix(".json"), path.with_name(path.name + ".json")):
        if cand.is_file():
            try:
                item = json.loads(cand.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise InputError(f"{cand}: malformed STAC sidecar JSON ({exc.msg})") from exc
            except UnicodeDecodeError as exc:
                raise InputError(f"{cand}: the STAC sidecar is not UTF-8 text") from exc
            if not isinstance(item, dict) or not isinstance(item.get("properties") or {}, dict):
                raise InputError(
                    f"{cand}: a STAC sidecar must be one item (an object with 'properties'); "
                    "fix or remove the file"
                )
            props = dict(item.get("properties") or {})
            props["_id"] = item.get("id")
            return props
    return {}


def _from_pattern(name: str, pattern: str | None) -> dict[str, Any]:
    if not pattern:
        return {}
    m = re.search(pattern, name)
    if not m:
        return {}
    g = {k: v for k, v in m.groupdict().items() if v is not None}
    out: dict[str, Any] = {}
    if "date" in g:
        out["datetime"] = g["date"].replace("-", "") + ("T" + g["time"] if "time" in g else "")
    if "orbit" in g:
        out["sat:relative_orbit"] = int(g["orbit"])
    if "sensor" in g:
        out["sensor"] = g["sensor"].lower()
    return out


def _scene_id(sensor: str, acquired: datetime, rel_orbit: int | None, path: Path) -> str:
    ident = f"{sensor}|{acquired.isoformat()}|{rel_orbit}|{path.resolve()}"
    return hashlib.sha256(ident.encode()).hexdigest()[:20]


def read_safe_scene(path: str | Path) -> Scene:
    """Catalogue a Sentinel-1 GRD ``.SAFE`` folder as one scene.

    Time (product start), relative orbit, polarisations and footprint (EPSG:4326) come from
    the manifest; the size from the first measurement TIFF (image geometry, located by the
    annotation's tie points, hence ``crs`` EPSG:4326); ``res_m`` is the coarser of the range
    and azimuth pixel spacings. Raises ``ImageryError`` (one line) when the manifest, a
    measurement, annotation or calibration file is missing or a TIFF is unreadable.
    """
    path = Path(path)
    layout = check_safe(path)
    manifest = layout.manifest
    tiff = layout.files[0].measurement
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(tiff) as ds:
                width, height = ds.width, ds.height
                # Reading one small window catches truncated files early.
                ds.read(1, window=((height - 1, height), (width - 1, width)))
    except (RasterioError, OSError) as exc:
        raise ImageryError(f"{tiff}: not a readable raster ({str(exc).splitlines()[0]})") from exc
    if (height, width) != layout.image_shape:
        raise ImageryError(
            f"{tiff}: {height}x{width} px but its annotation says "
            f"{layout.image_shape[0]}x{layout.image_shape[1]}"
        )
    if len(manifest.footprint_lonlat) < 3:
        raise ImageryError(f"{path}: the manifest footprint has fewer than 3 corners")
    acquired = manifest.start_utc
    sha = sha256_files([path / "manifest.safe", *(f.measurement for f in layout.files)])
    return Scene(
        scene_id=_scene_id("s1", acquired, manifest.relative_orbit, path),
        href=str(path.resolve()),
        sha256=sha,
        sensor="s1",
        acquired_utc=acquired,
        relative_orbit=manifest.relative_orbit,
        polarisations=tuple(f.polarisation for f in layout.files),
        footprint=MultiPoint(manifest.footprint_lonlat).convex_hull,
        crs="EPSG:4326",
        width=width,
        height=height,
        res_m=max(layout.pixel_spacing_m),
        units=SAFE_UNITS,
    )


SENSORS = ("s1", "s2", "hr")
MAX_RELATIVE_ORBIT = 175  # Sentinel-1's relative orbits are 1-175 (Sentinel-2's 1-143)


def read_scene(path: str | Path, filename_pattern: str | None = None) -> Scene:
    """Catalogue one raster file or ``.SAFE`` folder. Raises ImageryError when it is
    unreadable, incomplete or undated."""
    path = Path(path)
    if path.is_dir() and is_safe_path(path):
        return read_safe_scene(path)
    meta: dict[str, Any] = {}
    try:
        with warnings.catch_warnings():
            # no geotransform: refused below in one line, not in rasterio's warning
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            opened = rasterio.open(path)
        with opened as ds:
            tags = {k.lower(): v for k, v in ds.tags().items()}
            if ds.crs is None:
                raise ImageryError(
                    f"{path}: no CRS; only georeferenced rasters can be ingested "
                    "(assign one with gdal_edit.py -a_srs)"
                )
            if ds.transform.is_identity:
                # a CRS but no place in it (a raw product's measurement TIFF, georeferenced by
                # its annotation): its pixel indices would be read as coordinates
                raise ImageryError(
                    f"{path}: a CRS but no geotransform (pixels are not placed on the ground); "
                    "georeference it first (gdalwarp with its GCPs, or ingest the whole .SAFE)"
                )
            bounds, crs = ds.bounds, ds.crs
            width, height, res = ds.width, ds.height, abs(ds.transform.a)
            bands = ds.count
            descriptions = [d for d in ds.descriptions if d]
            # Reading one small window catches truncated files early.
            ds.read(1, window=((height - 1, height), (width - 1, width)))
    except ImageryError:
        raise
    except (RasterioError, OSError) as exc:
        raise ImageryError(f"{path}: not a readable raster ({str(exc).splitlines()[0]})") from exc
    sidecar = _sidecar(path)
    pattern = _from_pattern(path.name, filename_pattern)
    s1 = S1_NAME.search(path.name) or S1_NAME.search(str(path.parent))
    when = (
        sidecar.get("datetime")
        or tags.get("acquired_utc")
        or tags.get("acquisition_time")
        or (s1.group("start") if s1 else None)
        or pattern.get("datetime")
        or tags.get("tifftag_datetime")
    )
    if not when:
        raise ImageryError(
            f"{path}: no acquisition time (no STAC sidecar, ACQUISITION_TIME tag or date in the "
            "name); set imagery.filename_pattern in forcewatch.yaml"
        )
    acquired = parse_datetime(str(when))
    if acquired > datetime.now(UTC) + timedelta(days=1):
        raise ImageryError(f"{path}: acquired {acquired:%Y-%m-%d}, in the future; fix its date")
    sensor = str(
        sidecar.get("sensor")
        or tags.get("sensor")
        or ("s1" if s1 or "sar:polarizations" in sidecar else None)
        or pattern.get("sensor")
        or "hr"
    ).lower()
    orbit = (
        sidecar.get("sat:relative_orbit")
        or tags.get("relative_orbit")
        or pattern.get("sat:relative_orbit")
    )
    if orbit is None and s1:
        orbit = s1_relative_orbit(s1.group("mission"), int(s1.group("absorbit")))
    try:
        rel_orbit = int(orbit) if orbit not in (None, "", -1, "-1") else None
    except (TypeError, ValueError):
        raise InputError(
            f"{path}: relative orbit {orbit!r} is not a number; fix the RELATIVE_ORBIT tag or "
            "the sidecar's sat:relative_orbit"
        ) from None
    if sensor not in SENSORS:
        raise ImageryError(
            f"{path}: sensor {sensor!r} is none of {', '.join(SENSORS)} (Sentinel-1, Sentinel-2, "
            "high resolution); fix the SENSOR tag or the sidecar"
        )
    if rel_orbit is not None and not 1 <= rel_orbit <= MAX_RELATIVE_ORBIT:
        raise ImageryError(
            f"{path}: relative orbit {rel_orbit} is outside 1-{MAX_RELATIVE_ORBIT}; fix the tag"
        )
    pols = sidecar.get("sar:polarizations") or (
        tags["polarisations"].split(",") if "polarisations" in tags else descriptions
    )
    polarisations = tuple(str(p).upper() for p in pols) if sensor == "s1" else ()
    if len(polarisations) > bands:
        raise ImageryError(
            f"{path}: tagged {','.join(polarisations)} but has {bands} band(s); fix the "
            "POLARISATIONS tag (or the sidecar's sar:polarizations) to the bands it holds"
        )
    footprint = shape(transform_geom(crs, "EPSG:4326", mapping(box(*bounds))))
    west, south, east, north = footprint.bounds
    if not (-180.0 <= west <= east <= 180.0 and -90.0 <= south <= north <= 90.0):
        raise ImageryError(
            f"{path}: its footprint ({west:.6g}, {south:.6g}, {east:.6g}, {north:.6g}) is not on "
            f"the Earth in {crs.to_string()}; the CRS or the geotransform is wrong"
        )
    res_m = float(res) if crs.is_projected else float(res) * 111_320.0
    sha = sha256_file(path)
    scene_id = _scene_id(sensor, acquired, rel_orbit, path)
    meta = dict(
        units=str(tags.get("units", "auto")).lower(),
        simulated=str(tags.get("simulated", "")).lower() in {"1", "true", "yes"},
    )
    return Scene(
        scene_id=scene_id,
        href=str(path.resolve()),
        sha256=sha,
        sensor=sensor,
        acquired_utc=acquired,
        relative_orbit=rel_orbit,
        polarisations=polarisations,
        footprint=footprint,
        crs=crs.to_string(),
        width=width,
        height=height,
        res_m=res_m,
        stac_item_id=sidecar.get("_id"),
        **meta,
    )


def with_href(scene: Scene, href: str) -> Scene:
    """A copy of ``scene`` pointing at another location of the same bytes."""
    return replace(scene, href=href)
