"""Exports for GIS and spreadsheets: sites, detections, per-site series and verdicts.

Four layers, EPSG:4326, times UTC:

- ``sites``: polygons with distance to the reference, band and latest state;
- ``detections``: detected objects (class, score, scene, time) with their footprint;
- ``series``: one row per (site, geometry, date): the stored metrics as columns and the state;
  a point at the site centroid (``geometry_key`` "fused" rows carry the fused activity);
- ``verdicts``: one row per verdict (claim, verdict, confidence, effect, sites) with a
  multipoint of its sites' centroids.

Formats: ``gpkg`` (one GeoPackage, one layer each), ``parquet`` (GeoParquet, one file per
layer in a folder), ``geojson`` (one file per layer in a folder), ``csv`` (one file per layer,
geometry as WKT in ``geometry_wkt``). With ``layer`` given, ``out_path`` is that one file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from pyogrio.errors import DataSourceError
from shapely.geometry import MultiPoint

from forcewatch.config import Project
from forcewatch.errors import InputError
from forcewatch.publish import PublishError
from forcewatch.publish.source import Evidence, load_evidence, open_source
from forcewatch.store.db import Store

log = logging.getLogger(__name__)
LAYERS = ("sites", "detections", "series", "verdicts")
FORMATS = {"gpkg": ".gpkg", "parquet": ".parquet", "geojson": ".geojson", "csv": ".csv"}
CRS = "EPSG:4326"


def sites_layer(evidence: Evidence) -> gpd.GeoDataFrame:
    states = evidence.states
    rows = []
    for stored in evidence.sites:
        s = stored.site
        latest = None
        if not states.empty:
            mine = states[states["site"] == s.name]
            if not mine.empty:
                latest = mine["acquired_utc"].max()
        rows.append(
            {
                "name": s.name,
                "kind": s.kind,
                "country": s.country,
                "distance_km": s.distance_km,
                "band": s.band,
                "latest_state": evidence.latest_state.get(s.name, "unknown"),
                "latest_state_utc": latest,
                "geometry": s.geometry,
            }
        )
    cols = ["name", "kind", "country", "distance_km", "band", "latest_state", "latest_state_utc"]
    return _frame(rows, cols)


def detections_layer(evidence: Evidence) -> gpd.GeoDataFrame:
    d = evidence.detections
    cols = ["id", "site", "scene_id", "acquired_utc", "class_name", "score", "params_hash"]
    if d.empty:
        return _frame([], cols)
    rows = d[cols].to_dict("records")
    for row, wkt in zip(rows, d["geometry_wkt"], strict=True):
        row["geometry"] = shapely.from_wkt(wkt) if isinstance(wkt, str) and wkt else None
    return _frame(rows, cols)


def series_layer(evidence: Evidence) -> gpd.GeoDataFrame:
    """Wide per-(site, geometry, time) rows: metric columns, state and activity."""
    m, st = evidence.measurements, evidence.states
    keys = ["site", "geometry_key", "acquired_utc"]
    parts = []
    if not m.empty:
        wide = m.pivot_table(
            index=[*keys, "scene_id"], columns="metric", values="value", aggfunc="first"
        )
        wide.columns = [str(c) for c in wide.columns]
        parts.append(wide.reset_index())
    frame = parts[0] if parts else pd.DataFrame(columns=[*keys, "scene_id"])
    if not st.empty:
        states = st[[*keys, "state", "activity"]]
        frame = frame.merge(states, on=keys, how="outer")
    else:
        frame = frame.assign(state=None, activity=None)
    frame = frame.sort_values(keys).reset_index(drop=True)
    frame["acquired_utc"] = pd.to_datetime(frame["acquired_utc"], utc=True)
    frame.insert(2, "date", frame["acquired_utc"].dt.strftime("%Y-%m-%d"))
    centroids = {s.site.name: s.site.geometry.centroid for s in evidence.sites}
    geoms = [centroids.get(name) for name in frame["site"]]
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)


def verdicts_layer(evidence: Evidence) -> gpd.GeoDataFrame:
    rows = []
    centroids = {s.site.name: s.site.geometry.centroid for s in evidence.sites}
    for v in evidence.verdicts:
        names = [str(s.get("site")) for s in v.get("sites") or [] if s.get("site")]
        ci = v.get("effect_ci") or [None, None]
        window = v.get("window") or [None, None]
        points = [centroids[n] for n in names if n in centroids]
        rows.append(
            {
                "claim_id": v.get("claim_id"),
                "verdict": v.get("verdict"),
                "confidence": v.get("confidence"),
                "effect_size": v.get("effect_size"),
                "effect_ci_lo": ci[0],
                "effect_ci_hi": ci[1],
                "expected": v.get("expected"),
                "observed": v.get("observed"),
                "window_start": window[0],
                "window_end": window[1],
                "sites": ", ".join(names),
                "explanation": v.get("explanation"),
                "params_hash": v.get("params_hash"),
                "geometry": MultiPoint(points) if points else None,
            }
        )
    cols = [
        "claim_id", "verdict", "confidence", "effect_size", "effect_ci_lo", "effect_ci_hi",
        "expected", "observed", "window_start", "window_end", "sites", "explanation",
        "params_hash",
    ]  # fmt: skip
    return _frame(rows, cols)


def _frame(rows: list[dict[str, Any]], cols: list[str]) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows, columns=[*cols, "geometry"])
    for col in df.columns:
        if col != "geometry" and df[col].map(lambda v: isinstance(v, dict | list)).any():
            df[col] = df[col].map(json.dumps)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=CRS)


BUILDERS = {
    "sites": sites_layer,
    "detections": detections_layer,
    "series": series_layer,
    "verdicts": verdicts_layer,
}


def export_layers(
    evidence: Evidence, layers: Sequence[str] = LAYERS
) -> dict[str, gpd.GeoDataFrame]:
    """The named layers as GeoDataFrames (EPSG:4326). Rows from simulated imagery carry
    ``imagery = "simulated imagery"`` so a layer opened on its own still says so."""
    frames = {name: BUILDERS[name](evidence) for name in layers}
    if evidence.simulated:
        for gdf in frames.values():
            gdf["imagery"] = "simulated imagery"
    return frames


def to_csv_text(gdf: gpd.GeoDataFrame) -> str:
    """A layer as CSV with the geometry as WKT (``geometry_wkt``); times in ISO-8601 UTC."""
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    df["geometry_wkt"] = [None if g is None else g.wkt for g in gdf.geometry]
    for col in df.columns:
        if isinstance(df[col].dtype, pd.DatetimeTZDtype):
            df[col] = df[col].map(lambda t: None if pd.isna(t) else t.isoformat())
    return str(df.to_csv(index=False, lineterminator="\n"))


def _write(gdf: gpd.GeoDataFrame, fmt: str, path: Path, layer: str) -> None:
    if fmt == "csv":
        path.write_text(to_csv_text(gdf), encoding="utf-8")
    elif fmt == "parquet":
        gdf.to_parquet(path, index=False)
    elif fmt == "geojson":
        gdf = gdf.copy()
        for col in gdf.columns:
            if isinstance(gdf[col].dtype, pd.DatetimeTZDtype):
                gdf[col] = gdf[col].map(lambda t: None if pd.isna(t) else t.isoformat())
        gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    else:
        try:
            gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
        except DataSourceError as exc:  # GDAL cannot open or create the file there
            raise OSError(str(exc)) from exc


def export(
    project_or_store: Project | Store | str | Path,
    fmt: str,
    out_path: str | Path,
    layer: str | None = None,
    site_names: Sequence[str] | None = None,
) -> list[Path]:
    """Write the export layers in ``fmt`` (gpkg, parquet, geojson, csv); return the files.

    ``gpkg`` writes one file holding every layer; the others write one file per layer in the
    folder ``out_path``, or only ``layer`` to the file ``out_path``. Existing outputs are
    replaced. Raises InputError (unknown format or layer), PublishError (cannot write).
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}")
    if layer is not None and layer not in LAYERS:
        raise InputError(f"unknown layer '{layer}'; choose one of {', '.join(LAYERS)}")
    evidence = load_evidence(open_source(project_or_store), site_names=site_names)
    chosen = [layer] if layer else list(LAYERS)
    frames = export_layers(evidence, chosen)
    out = Path(out_path)
    written: list[Path] = []
    try:
        if fmt == "gpkg" or layer is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.unlink(missing_ok=True)
            for name, gdf in frames.items():
                _write(gdf, fmt, out, name)
            written.append(out)
        else:
            out.mkdir(parents=True, exist_ok=True)
            for name, gdf in frames.items():
                path = out / f"{name}{FORMATS[fmt]}"
                path.unlink(missing_ok=True)
                _write(gdf, fmt, path, name)
                written.append(path)
    except (OSError, ValueError) as exc:
        raise PublishError(f"cannot write the {fmt} export to {out}: {exc}") from exc
    log.info("exported %s to %s", ", ".join(chosen), out)
    return written
