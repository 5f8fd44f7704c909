"""Exports read back with geopandas/pyogrio and compared with the store."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from forcewatch.errors import InputError
from forcewatch.publish.exports import LAYERS, export
from forcewatch.store import repo
from forcewatch.store.db import open_store
from tests.publish.fixtures import Fixture


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
