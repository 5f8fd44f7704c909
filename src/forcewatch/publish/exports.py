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
from forcewatch.publish.source import FUSED_KEY, Evidence, load_evidence, open_source
from forcewatch.store.db import Store

log = logging.getLogger(__name__)
LAYERS = ("sites", "detections", "series", "verdicts")
FORMATS = {"gpkg": ".gpkg", "parquet": ".parquet", "geojson": ".geojson", "csv": ".csv"}
CRS = "EPSG:4326"
SIMULATED_LABEL = "simulated imagery"


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


def _simulated_scene_ids(evidence: Evidence) -> set[str]:
    scenes = evidence.scenes
    if scenes.empty:
        return set()
    flagged = scenes[scenes["simulated"].fillna(False).astype(bool)]
    return {str(s) for s in flagged["scene_id"]}


def _site_scenes(evidence: Evidence) -> pd.DataFrame:
    """One row per (scene, site it overlaps): site (name), geometry_key, acquired_utc, scene_id."""
    cols = ["site", "geometry_key", "acquired_utc", "scene_id"]
    sc = evidence.scenes
    if sc.empty:
        return pd.DataFrame(columns=cols)
    names = {s.id: s.site.name for s in evidence.sites}
    site = sc["site_id"].map(lambda i: None if pd.isna(i) else names.get(int(i)))
    return sc.assign(site=site, scene_id=sc["scene_id"].astype(str)).dropna(subset=["site"])[cols]


def _index(frame: pd.DataFrame, keys: list[str]) -> dict[Any, set[str]]:
    """The scene ids of ``frame`` grouped by ``keys`` (a tuple key, or a scalar for one key)."""
    if frame.empty:
        return {}
    by = keys[0] if len(keys) == 1 else keys
    return {k: set(ids) for k, ids in frame.groupby(by)["scene_id"]}


def _fused_scene_ids(evidence: Evidence) -> dict[tuple[str, pd.Timestamp], set[str]]:
    """(site name, time) of each fused state to the scenes it combined (``details.scene_ids``)."""
    st = evidence.states
    if st.empty:
        return {}
    fused = st[st["geometry_key"] == FUSED_KEY]
    out: dict[tuple[str, pd.Timestamp], set[str]] = {}
    for site, when, details in zip(
        fused["site"], fused["acquired_utc"], fused["details"], strict=True
    ):
        ids = details.get("scene_ids") if isinstance(details, dict) else None
        out[(str(site), pd.Timestamp(when))] = {str(i) for i in ids or []}
    return out


def _series_scenes(evidence: Evidence, gdf: gpd.GeoDataFrame) -> list[set[str]]:
    ss = _site_scenes(evidence)
    by_site, by_series = _index(ss, ["site"]), _index(ss, ["site", "geometry_key"])
    at, at_series = _index(ss, ["site", "acquired_utc"]), _index(ss, list(ss.columns[:3]))
    fused = _fused_scene_ids(evidence)
    rows = []
    for site, key, when, scene in zip(
        gdf["site"], gdf["geometry_key"], gdf["acquired_utc"], gdf["scene_id"], strict=True
    ):
        when = pd.Timestamp(when)
        if not pd.isna(scene):
            rows.append({str(scene)})
        elif key == FUSED_KEY:
            now = fused.get((site, when), set()) | at.get((site, when), set())
            rows.append(now or by_site.get(site, set()))
        else:  # a state with no measurement ("no pass"): a gap in that series
            rows.append(at_series.get((site, key, when)) or by_series.get((site, key), set()))
    return rows


def row_scenes(evidence: Evidence, layer: str, gdf: gpd.GeoDataFrame) -> list[set[str]]:
    """For each row of a layer built from ``evidence``, the ids of the scenes behind it.

    sites: every scene over the site; detections: the detection's scene; verdicts: the scenes
    of its sites and drivers; series: the row's scene; a fused row: the scenes its state
    combined and the site's scenes of that time; a row with none of these (a gap, e.g. a
    blind "no pass" date): the scenes of its series (site and geometry; fused: the site).
    """
    if layer == "detections":
        return [set() if pd.isna(s) else {str(s)} for s in gdf["scene_id"]]
    if layer == "series":
        return _series_scenes(evidence, gdf)
    by_site = _index(_site_scenes(evidence), ["site"])
    if layer == "sites":
        return [by_site.get(str(name), set()) for name in gdf["name"]]
    rows = []
    for v in evidence.verdicts:
        ids = {str(d["scene_id"]) for d in v.get("drivers") or [] if d.get("scene_id")}
        for s in v.get("sites") or []:
            ids |= by_site.get(str(s.get("site")), set())
        rows.append(ids)
    return rows


def export_layers(
    evidence: Evidence, layers: Sequence[str] = LAYERS
) -> dict[str, gpd.GeoDataFrame]:
    """The named layers as GeoDataFrames (EPSG:4326).

    When the project holds simulated imagery every layer has an ``imagery`` column, so a layer
    opened on its own still says so: ``"simulated imagery"`` on each row drawn from a
    simulated scene (see ``row_scenes``), or on every row when the project file says
    ``simulated: true``; empty on rows from real scenes only. Projects without simulated
    imagery have no such column.
    """
    frames = {name: BUILDERS[name](evidence) for name in layers}
    if not evidence.simulated:
        return frames
    simulated = _simulated_scene_ids(evidence)
    everything = evidence.simulated_by_config
    for name, gdf in frames.items():
        marks = row_scenes(evidence, name, gdf)
        gdf["imagery"] = [
            SIMULATED_LABEL if everything or ids & simulated else None for ids in marks
        ]
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
    if (
        layer is not None
        and fmt != "gpkg"
        and (out.is_dir() or str(out_path).endswith(("/", "\\")))
    ):
        out = out / f"{layer}{FORMATS[fmt]}"  # "--out out/csv/": a folder, the layer in it
    if fmt == "gpkg" and out.is_dir():
        raise InputError(f"--out {out} is a folder; give a file name for the GeoPackage (x.gpkg)")
    if fmt == "gpkg" and out.suffix.lower() != ".gpkg":
        # (GDAL wrote it anyway, warning four times that the extension should be gpkg)
        raise InputError(f"--out {out}: a GeoPackage's name ends in .gpkg (e.g. {out.stem}.gpkg)")
    if fmt != "gpkg" and layer is None and out.is_file():
        raise InputError(
            f"--out {out} is a file; {fmt} writes one file per layer into a folder: give a folder "
            "(or --layer NAME for one file)"
        )
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
