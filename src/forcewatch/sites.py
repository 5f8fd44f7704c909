"""Sites, the watchlist, the reference line, geodesic distances and distance bands.

Geometry is held in EPSG:4326 (lon, lat). Distances are geodesic on the WGS84 ellipsoid: each
site gets an azimuthal-equidistant projection centred on it, in which the distance from the
centre to any point equals the geodesic distance; the reference line is densified along
geodesics (``pyproj.Geod``) before projection so its straight segments follow the ellipsoid.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import yaml
from pyproj import CRS, Geod, Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from forcewatch import yamlfile
from forcewatch.config import DEFAULT_BANDS_KM
from forcewatch.errors import InputError

GEOD = Geod(ellps="WGS84")
DENSIFY_KM = 1.0


@dataclass(frozen=True)
class Site:
    """A watched site: a polygon in EPSG:4326 with its attributes.

    ``distance_km`` is the geodesic distance to the reference line (negative when the site lies
    inside a reference polygon), ``band`` its distance band label; both None until computed.
    """

    name: str
    geometry: BaseGeometry
    kind: str | None = None
    country: str | None = None
    distance_km: float | None = None
    band: str | None = None
    properties: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def centroid_lonlat(self) -> tuple[float, float]:
        c = self.geometry.centroid
        return (c.x, c.y)


@dataclass(frozen=True)
class ReferenceLine:
    """A border or front line (LineString/Polygon family) in EPSG:4326."""

    name: str
    geometry: BaseGeometry

    @property
    def is_area(self) -> bool:
        return isinstance(self.geometry, Polygon | MultiPolygon)


def local_aeqd(lon: float, lat: float) -> CRS:
    """Azimuthal equidistant CRS centred on (lon, lat), metres."""
    return CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs")


def utm_crs(lon: float, lat: float) -> CRS:
    """The UTM zone CRS (WGS84) containing (lon, lat)."""
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def to_crs(geom: BaseGeometry, crs: CRS, inverse: bool = False) -> BaseGeometry:
    """Reproject a geometry from EPSG:4326 to ``crs`` (or back when ``inverse``)."""
    src, dst = ("EPSG:4326", crs) if not inverse else (crs, "EPSG:4326")
    tr = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


MAX_RADIUS_KM = 500.0  # a site is a base, a camp or a district, not a country


def circle_polygon(lon: float, lat: float, radius_km: float, n: int = 64) -> Polygon:
    """A geodesic circle of ``radius_km`` around (lon, lat), as a polygon in EPSG:4326."""
    if not (radius_km > 0):
        raise InputError(f"radius_km must be positive, got {radius_km}")
    if radius_km > MAX_RADIUS_KM:
        raise InputError(
            f"radius_km {radius_km} is too large for a site (at most {MAX_RADIUS_KM:.0f} km); "
            "draw a polygon for a large area"
        )
    az = [360.0 * i / n for i in range(n)]
    lons, lats, _ = GEOD.fwd([lon] * n, [lat] * n, az, [radius_km * 1000.0] * n)
    return Polygon(list(zip(lons, lats, strict=True)))


def _densify_geodesic(geom: BaseGeometry, step_km: float = DENSIFY_KM) -> BaseGeometry:
    """Insert points along each segment's geodesic so that no segment is longer than step_km."""

    def dens(coords: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for (x0, y0), (x1, y1) in itertools.pairwise(coords):
            out.append((x0, y0))
            _, _, dist_m = GEOD.inv(x0, y0, x1, y1)
            n = int(dist_m / (step_km * 1000.0))
            if n > 0:
                out.extend(GEOD.npts(x0, y0, x1, y1, n))
        out.append(tuple(coords[-1][:2]))  # type: ignore[arg-type]
        return out

    lines = shapely.get_parts(shapely.boundary(geom) if _is_area(geom) else geom)
    parts = []
    for line in lines:
        for sub in shapely.get_parts(line):
            parts.append(shapely.LineString(dens(list(sub.coords))))
    return shapely.MultiLineString(parts)


def _is_area(geom: BaseGeometry) -> bool:
    return isinstance(geom, Polygon | MultiPolygon)


def geodesic_distance_km(site_geom: BaseGeometry, reference: ReferenceLine) -> float:
    """Geodesic distance from a site to the reference line, km.

    Distance is measured from the nearest point of the site polygon. When the reference is a
    polygon and the site lies inside it, the distance to its boundary is returned negated.
    """
    c = site_geom.centroid
    crs = local_aeqd(c.x, c.y)
    lines = to_crs(_densify_geodesic(reference.geometry), crs)
    site_local = to_crs(site_geom, crs)
    dist_km = float(site_local.distance(lines)) / 1000.0
    if reference.is_area and reference.geometry.contains(site_geom.centroid):
        return -dist_km
    return dist_km


def band_label(distance_km: float | None, bands_km: Sequence[float] = DEFAULT_BANDS_KM) -> str:
    """The distance-band label ('0-20', '20-50', ..., '250+') or 'inside'/'unknown'."""
    if distance_km is None or math.isnan(distance_km):
        return "unknown"
    if distance_km < 0:
        return "inside"
    edges = list(bands_km)
    for lo, hi in itertools.pairwise(edges):
        if lo <= distance_km < hi:
            return f"{lo:g}-{hi:g}"
    return f"{edges[-1]:g}+"


def band_labels(bands_km: Sequence[float] = DEFAULT_BANDS_KM) -> list[str]:
    """All band labels, nearest first."""
    edges = list(bands_km)
    return [f"{lo:g}-{hi:g}" for lo, hi in itertools.pairwise(edges)] + [f"{edges[-1]:g}+"]


def band_midpoint_km(label: str) -> float | None:
    """The middle of a band in km (for '250+' the lower edge plus 50 km)."""
    if label.endswith("+"):
        return float(label[:-1]) + 50.0
    if "-" in label:
        lo, hi = label.split("-")
        return (float(lo) + float(hi)) / 2
    return None


def with_distance(
    site: Site, reference: ReferenceLine | None, bands_km: Sequence[float] = DEFAULT_BANDS_KM
) -> Site:
    """A copy of ``site`` with ``distance_km`` and ``band`` computed against ``reference``."""
    if reference is None:
        return replace(site, distance_km=None, band="unknown")
    d = geodesic_distance_km(site.geometry, reference)
    return replace(site, distance_km=round(d, 3), band=band_label(d, bands_km))


def check_side(site: Site, reference: ReferenceLine | None, side: str) -> str | None:
    """A warning text when the site is on the wrong side of a reference polygon, else None."""
    if reference is None or not reference.is_area or side == "any" or site.distance_km is None:
        return None
    inside = site.distance_km < 0
    if side == "outside" and inside:
        return (
            f"site '{site.name}' lies inside the reference area '{reference.name}'; "
            "its distance is to the area's edge (set sites.reference_side: any to silence)"
        )
    if side == "inside" and not inside:
        return f"site '{site.name}' lies outside the reference area '{reference.name}'"
    return None


def check_swapped(
    site: Site, reference: ReferenceLine | None, bands_km: Sequence[float] = DEFAULT_BANDS_KM
) -> str | None:
    """A warning text when the site lies beyond the last distance band and its coordinates read
    as (lat, lon) would put it within it: lon and lat were probably swapped (GeoJSON is lon,
    lat; a spreadsheet's "lat, lon" pasted into it lands thousands of km away)."""
    if reference is None or site.distance_km is None:
        return None
    near = max(bands_km) if bands_km else DEFAULT_BANDS_KM[-1]
    if abs(site.distance_km) <= max(near, 500.0):
        return None
    swapped = shapely.transform(site.geometry, lambda xy: xy[:, ::-1])
    minx, miny, maxx, maxy = swapped.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return None
    d = geodesic_distance_km(swapped, reference)
    if abs(d) > near:
        return None
    lon, lat = site.geometry.centroid.x, site.geometry.centroid.y
    return (
        f"site '{site.name}' is {site.distance_km:,.0f} km from the reference line, but "
        f"{abs(d):,.0f} km with its coordinates swapped: is ({lon:.4f}, {lat:.4f}) really "
        "(lon, lat)? GeoJSON and forcewatch take longitude first"
    )


def _valid_polygon(geom: BaseGeometry, name: str, where: str) -> BaseGeometry:
    """Check and orient a site polygon; raises InputError for unusable geometry."""
    if not _is_area(geom):
        raise InputError(f"{where}: site '{name}' must be a Polygon or a Point with radius_km")
    if geom.is_empty:
        raise InputError(f"{where}: site '{name}' has an empty geometry")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputError(
            f"{where}: site '{name}' has coordinates outside lon/lat range; "
            "give EPSG:4326 (lon, lat) coordinates"
        )
    if not geom.is_valid:
        raise InputError(
            f"{where}: site '{name}' has an invalid polygon ({explain_validity(geom)}); "
            "fix self-intersections, e.g. in QGIS with 'Fix geometries'"
        )
    # Right-hand rule (RFC 7946): exterior counter-clockwise. Wrong winding is fixed silently.
    return shapely.orient_polygons(geom) if hasattr(shapely, "orient_polygons") else geom


def _radius(rec: dict[str, Any], default_km: float, name: str, where: str) -> float:
    value = rec.get("radius_km", default_km)
    try:
        km = float(value)
    except (TypeError, ValueError):
        raise InputError(
            f"{where}: site '{name}' radius_km {value!r} is not a number of kilometres"
        ) from None
    if not km > 0:
        raise InputError(f"{where}: site '{name}' radius_km {value!r} must be positive")
    return km


def _misspelt_keys(rec: dict[str, Any], name: str, where: str) -> None:
    """Other keys are kept as the site's properties; one that looks like a key the site lacks
    ("radius_kn") is refused, as it would be kept and not used."""
    import difflib

    wanted = [k for k in ("radius_km", "lat", "lon") if k not in rec]
    if "geometry" in rec:
        wanted = [k for k in wanted if k == "radius_km"]
    for key in rec:
        if not isinstance(key, str) or key in ("name", "geometry"):
            continue
        close = difflib.get_close_matches(key, wanted, n=1, cutoff=0.75)
        if close:
            raise InputError(
                f"{where}: site '{name}' has a key {key!r}: did you mean {close[0]!r}? (it "
                "would be kept as a property and not used)"
            )


def _site_from_record(rec: dict[str, Any], where: str, default_radius_km: float) -> Site:
    name = rec.get("name")
    if isinstance(name, (int, float)) and not isinstance(name, bool):
        name = str(name)  # "name: 123"
    if not name or not isinstance(name, str) or not name.strip():
        raise InputError(f"{where}: every site needs a 'name'")
    _misspelt_keys(rec, name, where)
    props = {k: v for k, v in rec.items() if k not in {"name", "geometry", "lat", "lon"}}
    if "geometry" in rec and rec["geometry"] is not None:
        try:
            geom = shape(rec["geometry"])
        except Exception as exc:  # shapely raises several types for bad GeoJSON
            raise InputError(f"{where}: site '{name}' has malformed geometry ({exc})") from exc
        if isinstance(geom, Point):
            if not (-90 <= geom.y <= 90 and -180 <= geom.x <= 180):
                raise InputError(
                    f"{where}: site '{name}' point ({geom.x}, {geom.y}) is not lon/lat; "
                    "reproject the file to EPSG:4326 (WGS84 degrees)"
                )
            geom = circle_polygon(geom.x, geom.y, _radius(rec, default_radius_km, name, where))
    elif "lat" in rec and "lon" in rec:
        try:
            lat, lon = float(rec["lat"]), float(rec["lon"])
        except (TypeError, ValueError) as exc:
            raise InputError(f"{where}: site '{name}' has non-numeric lat/lon") from exc
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InputError(f"{where}: site '{name}' lat/lon out of range ({lat}, {lon})")
        geom = circle_polygon(lon, lat, _radius(rec, default_radius_km, name, where))
    else:
        raise InputError(f"{where}: site '{name}' needs a geometry or lat/lon")
    geom = _valid_polygon(geom, name, where)
    return Site(
        name=name,
        geometry=geom,
        kind=props.pop("kind", None),
        country=props.pop("country", None),
        properties=props,
    )


def _read_structured(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {path}: not UTF-8 text ({exc.reason})") from exc
    try:
        if path.suffix.lower() in {".json", ".geojson"}:
            return json.loads(text)
        return yamlfile.load(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    except ValueError as exc:  # YAML's date of an impossible day: "2022-02-30"
        raise InputError(f"{path}: {exc} (a date that does not exist? quote it or fix it)") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc


def load_watchlist(path: str | Path, default_radius_km: float = 1.0) -> list[Site]:
    """Sites from a GeoJSON FeatureCollection or a YAML/JSON list.

    YAML form: ``sites: [{name, lat, lon, radius_km?, kind?, country?}, ...]`` or a
    ``geometry`` mapping instead of lat/lon. GeoJSON: features with a ``name`` property;
    Points get a circle of ``radius_km`` (property) or ``default_radius_km``.
    Raises InputError for unreadable files, missing names, invalid or duplicate sites.
    """
    path = Path(path)
    data = _read_structured(path)
    records: list[dict[str, Any]]
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        records = []
        for i, feat in enumerate(data.get("features") or []):
            if not isinstance(feat, dict):
                raise InputError(f"{path}: feature {i} is not an object")
            rec = dict(feat.get("properties") or {})
            rec["geometry"] = feat.get("geometry")
            records.append(rec)
    elif isinstance(data, dict) and isinstance(data.get("sites"), list):
        records = data["sites"]
    elif isinstance(data, list):
        records = data
    else:
        raise InputError(
            f"{path}: expected a GeoJSON FeatureCollection or a YAML 'sites:' list of sites"
        )
    sites: list[Site] = []
    seen: set[str] = set()
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise InputError(f"{path}: site {i + 1} is not a mapping")
        site = _site_from_record(rec, f"{path} (site {i + 1})", default_radius_km)
        if site.name.casefold() in seen:
            raise InputError(
                f"{path}: site name '{site.name}' appears twice (whatever the case); names must "
                "be unique"
            )
        seen.add(site.name.casefold())
        sites.append(site)
    if not sites:
        raise InputError(f"{path}: no sites found")
    return sites


def load_reference(path: str | Path, name: str | None = None) -> ReferenceLine:
    """A reference line or polygon from GeoJSON (first feature, or all features unioned)."""
    path = Path(path)
    data = _read_structured(path)
    try:
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            geoms = [shape(f["geometry"]) for f in data.get("features", []) if f.get("geometry")]
            if not geoms:
                raise InputError(f"{path}: no geometry in the reference file")
            geom = shapely.union_all(geoms) if len(geoms) > 1 else geoms[0]
            props = (data["features"][0].get("properties") or {}) if data["features"] else {}
        elif isinstance(data, dict) and data.get("type") == "Feature":
            geom, props = shape(data["geometry"]), data.get("properties") or {}
        elif isinstance(data, dict) and "coordinates" in data:
            geom, props = shape(data), {}
        else:
            raise InputError(f"{path}: expected GeoJSON (FeatureCollection, Feature or geometry)")
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{path}: malformed GeoJSON geometry ({exc})") from exc
    if geom.is_empty or geom.geom_type not in {
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
    }:
        raise InputError(f"{path}: the reference must be a line or polygon, got {geom.geom_type}")
    x0, y0, x1, y1 = geom.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InputError(
            f"{path}: coordinates ({x0:.0f}, {y0:.0f}) are not lon/lat; reproject the reference "
            "to EPSG:4326 (WGS84 degrees)"
        )
    if not geom.is_valid:
        # (repairing a bow-tie silently moved every site's distance and band)
        raise InputError(
            f"{path}: the reference geometry is invalid ({explain_validity(geom)}); fix it, e.g. "
            "in QGIS with 'Fix geometries' or `ogr2ogr -makevalid`"
        )
    return ReferenceLine(name or str(props.get("name") or path.stem), geom)


def reference_swapped(sites: Sequence[Site], reference: ReferenceLine | None) -> str | None:
    """A warning when the reference, not the sites, has lon and lat swapped: every site is far
    from it, and the reference read as (lat, lon) passes near them."""
    if reference is None or not sites or any(s.distance_km is None for s in sites):
        return None
    if min(abs(s.distance_km or 0.0) for s in sites) <= 500.0:
        return None
    swapped = shapely.transform(reference.geometry, lambda xy: xy[:, ::-1])
    x0, y0, x1, y1 = swapped.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        return None
    near = min(abs(geodesic_distance_km(s.geometry, ReferenceLine("", swapped))) for s in sites)
    if near > 500.0:
        return None
    return (
        f"every site is over 500 km from the reference line '{reference.name}', but "
        f"{near:,.0f} km from it with the reference's coordinates swapped: is the reference file "
        "(lon, lat)? GeoJSON takes longitude first"
    )


def ring_polygon(site: Site, ring_km: float) -> BaseGeometry:
    """The ring of width ``ring_km`` around the site polygon (for dispersal), EPSG:4326."""
    lon, lat = site.centroid_lonlat
    crs = local_aeqd(lon, lat)
    local = to_crs(site.geometry, crs)
    ring = local.buffer(ring_km * 1000.0).difference(local)
    return to_crs(ring, crs, inverse=True)


def site_to_feature(site: Site) -> dict[str, Any]:
    """GeoJSON Feature of a site with its attributes."""
    # The computed fields win over a watchlist attribute of the same name (a "distance_km: 19"
    # typed in the file is not the geodesic distance ForceWatch measured).
    props = {
        **site.properties,
        "name": site.name,
        "kind": site.kind if site.kind is not None else site.properties.get("kind"),
        "country": site.country if site.country is not None else site.properties.get("country"),
        "distance_km": site.distance_km,
        "band": site.band,
    }
    return {"type": "Feature", "geometry": mapping(site.geometry), "properties": props}
