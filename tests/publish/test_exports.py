"""Exports read back with geopandas/pyogrio and compared with the store."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import box
from sqlalchemy import insert

from forcewatch.config import Project, load_project
from forcewatch.errors import InputError
from forcewatch.imagery.catalog import Scene
from forcewatch.publish.exports import LAYERS, export, export_layers
from forcewatch.publish.source import load_evidence, open_source
from forcewatch.store import repo
from forcewatch.store import tables as t
from forcewatch.store.db import open_store
from tests.publish.fixtures import PROJECT_YAML, Fixture, build_fixture

REAL_SCENE = "real-hr-klintsy"
NO_PASS = datetime(2022, 3, 30, 15, 40, tzinfo=UTC)


def _read(fmt: str, out: Path, layer: str) -> pd.DataFrame:
    if fmt == "gpkg":
        return gpd.read_file(out, layer=layer, engine="pyogrio")
    path = out / f"{layer}.{'geojson' if fmt == 'geojson' else fmt}"
    if fmt == "parquet":
        return gpd.read_parquet(path)
    if fmt == "geojson":
        return gpd.read_file(path, engine="pyogrio")
    return pd.read_csv(path)


@pytest.mark.parametrize("fmt", ["gpkg", "parquet", "geojson", "csv"])
def test_export_reads_back_equal_to_the_store(
    fmt: str, fixture_project: Fixture, tmp_path: Path
) -> None:
    out = tmp_path / ("out.gpkg" if fmt == "gpkg" else "out")
    written = export(fixture_project.project, fmt, out)
    assert len(written) == (1 if fmt == "gpkg" else 4)
    if fmt == "gpkg":
        assert sorted(pyogrio.list_layers(out)[:, 0]) == sorted(LAYERS)
    store = open_store(fixture_project.project.store_url)

    sites = _read(fmt, out, "sites").sort_values("name").reset_index(drop=True)
    stored = repo.list_sites(store)
    assert list(sites["name"]) == [s.site.name for s in stored]
    assert list(sites["band"]) == [s.site.band for s in stored]
    assert sites["distance_km"].tolist() == pytest.approx([s.site.distance_km for s in stored])
    assert dict(zip(sites["name"], sites["latest_state"], strict=True)) == {
        "Klintsy": "build-up",
        "Valuyki": "quiet",
        "Yelnya": "draw-down",
    }
    geom = sites["geometry"] if fmt != "csv" else sites["geometry_wkt"].map(shapely.from_wkt)
    assert geom.iloc[0].equals_exact(stored[0].site.geometry, 1e-9)

    series = _read(fmt, out, "series")
    per_orbit = series[series["geometry_key"] != "fused"]
    assert len(per_orbit) * 3 == fixture_project.n_measurements  # 3 metrics per scene
    assert len(series) == len(per_orbit) + 120  # + one fused row per (site, date)
    row = per_orbit[(per_orbit["site"] == "Klintsy") & (per_orbit["date"] == "2022-02-18")]
    assert row["bright_frac_resid"].iloc[0] == pytest.approx(0.01 + 0.04 * 14 / 14)
    assert row["state"].iloc[0] == "build-up"
    blind = series[(series["site"] == "Valuyki") & (series["state"] == "blind")]
    assert len(blind) > 0 and blind["bright_frac_resid"].isna().all()

    dets = _read(fmt, out, "detections")
    assert len(dets) == fixture_project.n_detections
    assert set(dets["class_name"]) == {"vehicle"}
    assert set(dets["scene_id"]) == {fixture_project.driver_scene}

    verdicts = _read(fmt, out, "verdicts").set_index("claim_id")
    assert verdicts.loc["c1", "verdict"] == "contradicted"
    assert verdicts.loc["c1", "confidence"] == pytest.approx(0.97)
    assert verdicts.loc["c2", "effect_ci_lo"] == pytest.approx(-0.8)
    assert verdicts.loc["c3", "sites"] == "Valuyki"


def test_one_layer_goes_to_one_file(fixture_project: Fixture, tmp_path: Path) -> None:
    written = export(fixture_project.project, "parquet", tmp_path / "sites.parquet", "sites")
    assert written == [tmp_path / "sites.parquet"]
    assert len(gpd.read_parquet(written[0])) == 3


def test_one_layer_to_a_folder_goes_into_the_folder(
    fixture_project: Fixture, tmp_path: Path
) -> None:
    # "--out out/csv/" wrote a file named "out/csv"
    written = export(fixture_project.project, "csv", f"{tmp_path / 'csv'}/", "sites")
    assert written == [tmp_path / "csv" / "sites.csv"] and written[0].is_file()
    existing = tmp_path / "existing"
    existing.mkdir()
    assert export(fixture_project.project, "csv", existing, "sites") == [existing / "sites.csv"]


def test_series_points_sit_at_the_site_centroid(fixture_project: Fixture, tmp_path: Path) -> None:
    (path,) = export(fixture_project.project, "geojson", tmp_path / "s.geojson", "series")
    series = gpd.read_file(path)
    sites = {
        s.site.name: s.site for s in repo.list_sites(open_store(fixture_project.project.store_url))
    }
    first = series.iloc[0]
    assert first.geometry.distance(sites[first["site"]].geometry.centroid) < 1e-9


def test_every_layer_says_simulated_imagery(fixture_project: Fixture, tmp_path: Path) -> None:
    out = export(fixture_project.project, "gpkg", tmp_path / "all.gpkg")[0]
    for layer in ("sites", "series", "verdicts"):
        gdf = gpd.read_file(out, layer=layer, engine="pyogrio")
        assert len(gdf) and (gdf["imagery"] == "simulated imagery").all(), layer


def test_unknown_format_or_layer_is_an_input_error(
    fixture_project: Fixture, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="format"):
        export(fixture_project.project, "shp", tmp_path / "x")
    with pytest.raises(InputError, match="layer"):
        export(fixture_project.project, "csv", tmp_path / "x.csv", layer="tanks")


def _project_with_a_real_scene(root: Path, simulated_by_config: bool) -> Project:
    """The fixture (simulated Sentinel-1 scenes) plus one real sharp scene over Klintsy with
    two detections and one measurement, as `ingest` and `analyze` store a real GeoTIFF."""
    build_fixture(root)
    text = PROJECT_YAML.replace("simulated: true", f"simulated: {str(simulated_by_config).lower()}")
    (root / "forcewatch.yaml").write_text(text, encoding="utf-8")
    project = load_project(root)
    store = open_store(project.store_url)
    klintsy = next(s for s in repo.list_sites(store) if s.site.name == "Klintsy")
    when = datetime(2022, 2, 20, 8, 0, tzinfo=UTC)
    scene = Scene(
        scene_id=REAL_SCENE, href=str(root / "hr_klintsy.tif"), sha256="0" * 64, sensor="hr",
        acquired_utc=when, relative_orbit=None, polarisations=("RGB",),
        footprint=klintsy.site.geometry.envelope, crs="EPSG:4326", width=400, height=400,
        res_m=0.3, simulated=False,
    )  # fmt: skip
    lon, lat = klintsy.site.centroid_lonlat
    with store.begin() as conn:
        repo.register_scene(conn, scene, {klintsy.id: 1.0})
        rows = [dict(scene_id=REAL_SCENE, acquired_utc=when, metric="vehicles", value=2.0)]
        repo.write_unit(
            conn, unit_key=f"{klintsy.id}:hr:h0001", site_id=klintsy.id, geometry_key="hr",
            params_hash="h0001", run_id=None, rows=rows,
        )  # fmt: skip
        conn.execute(
            insert(t.detections),
            [
                dict(site_id=klintsy.id, scene_id=REAL_SCENE, image_href=scene.href,
                     acquired_utc=when, class_name="vehicle", score=0.8, bbox_px=[0, 0, 8, 8],
                     geometry_wkt=box(lon, lat, lon + 1e-4, lat + 1e-4).wkt,
                     params_hash="h0001", code_version=repo.CODE_VERSION)
                for _ in range(2)
            ],
        )  # fmt: skip
        conn.execute(  # a date the orbit did not pass: a state with no scene of its own
            insert(t.series_states),
            dict(site_id=klintsy.id, geometry_key="s1:ro021", acquired_utc=NO_PASS, state="blind",
                 activity=None, details={"reason": "no pass"}, params_hash="p0001",
                 code_version=repo.CODE_VERSION),
        )  # fmt: skip
    store.dispose()
    return project


def test_imagery_column_marks_each_row_by_its_own_scene(tmp_path: Path) -> None:
    project = _project_with_a_real_scene(tmp_path / "p", simulated_by_config=False)
    out = export(project, "gpkg", tmp_path / "all.gpkg")[0]
    layers = {n: gpd.read_file(out, layer=n, engine="pyogrio") for n in LAYERS}

    dets = layers["detections"]
    from_real = dets["scene_id"] == REAL_SCENE
    assert from_real.sum() == 2 and (~from_real).sum() == 3
    assert dets.loc[from_real, "imagery"].isna().all()
    assert (dets.loc[~from_real, "imagery"] == "simulated imagery").all()

    series = layers["series"]
    real_rows = series["geometry_key"] == "hr"
    assert real_rows.sum() == 1 and series.loc[real_rows, "imagery"].isna().all()
    # fused rows too, and the no-pass gap of a simulated series
    assert (series.loc[~real_rows, "imagery"] == "simulated imagery").all()
    assert series["date"].eq(f"{NO_PASS:%Y-%m-%d}").sum() == 1
    # Klintsy's states and the verdicts rest on simulated Sentinel-1 scenes as well
    assert (layers["sites"]["imagery"] == "simulated imagery").all()
    assert (layers["verdicts"]["imagery"] == "simulated imagery").all()


def test_a_project_file_saying_simulated_marks_every_row(tmp_path: Path) -> None:
    project = _project_with_a_real_scene(tmp_path / "p", simulated_by_config=True)
    (path,) = export(project, "csv", tmp_path / "d.csv", layer="detections")
    dets = pd.read_csv(path)
    assert (dets["scene_id"] == REAL_SCENE).sum() == 2
    assert (dets["imagery"] == "simulated imagery").all()


def test_no_imagery_column_without_simulated_scenes(fixture_project: Fixture) -> None:
    evidence = load_evidence(open_source(fixture_project.project))
    real = dataclasses.replace(
        evidence,
        scenes=evidence.scenes.assign(simulated=False),
        simulated=False,
        simulated_by_config=False,
    )
    assert all("imagery" not in gdf for gdf in export_layers(real).values())


def test_outputs_of_the_wrong_shape_are_refused_before_writing(
    fixture_project: Fixture, tmp_path: Path
) -> None:
    folder = tmp_path / "layers"
    folder.mkdir()
    with pytest.raises(InputError, match="is a folder"):  # was "[Errno 21] Is a directory"
        export(fixture_project.project, "gpkg", folder)
    with pytest.raises(InputError, match="ends in .gpkg"):  # was written, with 4 GDAL warnings
        export(fixture_project.project, "gpkg", tmp_path / "f.csv2")
    taken = tmp_path / "taken.txt"
    taken.write_text("x")
    with pytest.raises(InputError, match="one file per layer into a folder"):  # "File exists"
        export(fixture_project.project, "csv", taken)
    assert taken.read_text() == "x" and not (tmp_path / "f.csv2").exists()
