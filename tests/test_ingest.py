"""Ingest: idempotent, detects changed files, skips corrupt ones, reports no-overlap scenes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from forcewatch.pipeline import ingest
from forcewatch.store import repo
from forcewatch.store.db import open_store
from tests.helpers import tiny_project


def _scene_rows(project) -> int:
    store = open_store(project.store_url)
    try:
        return repo.count_rows(store, "scenes")
    finally:
        store.dispose()


def test_ingest_twice_changes_nothing(tmp_path: Path) -> None:
    project, imagery = tiny_project(tmp_path / "p")
    first = ingest(project, [imagery])
    assert first.new > 0 and not first.errors
    n = _scene_rows(project)
    second = ingest(project, [imagery])
    assert (second.new, second.changed, second.unchanged) == (0, 0, first.new)
    assert _scene_rows(project) == n


def test_changed_file_is_detected_and_replaced(tmp_path: Path) -> None:
    project, imagery = tiny_project(tmp_path / "p")
    ingest(project, [imagery])
    victim = sorted(imagery.rglob("*.tif"))[0]
    with rasterio.open(victim, "r+") as ds:
        data = ds.read()
        ds.write(data * 1.5)
    again = ingest(project, [imagery])
    assert again.changed == 1
    assert _scene_rows(project) == again.unchanged + 1


def test_corrupt_and_truncated_files_are_skipped_not_fatal(tmp_path: Path) -> None:
    project, imagery = tiny_project(tmp_path / "p")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "garbage.tif").write_bytes(b"not a tiff at all")
    src = sorted(imagery.rglob("*.tif"))[0]
    blob = src.read_bytes()
    (bad / "truncated.tif").write_bytes(blob[: len(blob) // 3])
    summary = ingest(project, [bad, imagery])
    assert len(summary.errors) == 2
    assert all("bad/" in e or "bad\\" in e for e in summary.errors)
    assert summary.new == len(list(imagery.rglob("*.tif")))


def test_duplicate_bytes_elsewhere_are_not_registered_twice(tmp_path: Path) -> None:
    project, imagery = tiny_project(tmp_path / "p")
    ingest(project, [imagery])
    src = sorted(imagery.rglob("*.tif"))[0]
    copy_dir = tmp_path / "copies"
    copy_dir.mkdir()
    shutil.copyfile(src, copy_dir / src.name)
    summary = ingest(project, [copy_dir])
    assert summary.duplicate == 1 and summary.new == 0


def _small_raster(path: Path, **tags: str) -> None:
    """An 8 x 8 float raster in UTM 33N, far from the scenario's sites, with ``tags``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = dict(
        driver="GTiff",
        width=8,
        height=8,
        count=1,
        dtype="float32",
        crs="EPSG:32633",
        transform=from_origin(500000, 6000000, 10, 10),
    )
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(np.ones((1, 8, 8), np.float32))
        ds.update_tags(**tags)


def test_scene_far_from_sites_is_reported(tmp_path: Path) -> None:
    project, _ = tiny_project(tmp_path / "p")
    far = tmp_path / "far"
    _small_raster(
        far / "x.tif", ACQUISITION_TIME="2022-01-01T00:00:00Z", SENSOR="s1", RELATIVE_ORBIT="5"
    )
    summary = ingest(project, [far])
    assert summary.new == 1 and summary.no_overlap == [str(far / "x.tif")]


def test_undated_raster_gets_a_clear_error(tmp_path: Path) -> None:
    project, _ = tiny_project(tmp_path / "p")
    d = tmp_path / "nodate"
    _small_raster(d / "x.tif")
    summary = ingest(project, [d])
    assert len(summary.errors) == 1 and "filename_pattern" in summary.errors[0]


def test_a_bad_orbit_tag_or_sidecar_skips_that_file_only(tmp_path: Path) -> None:
    import json as _json

    import rasterio

    project, imagery = tiny_project(tmp_path / "p")
    scenes = sorted(imagery.rglob("*.tif"))
    with rasterio.open(scenes[0], "r+") as ds:
        ds.update_tags(RELATIVE_ORBIT="abc")
    scenes[1].with_suffix(".json").write_text(_json.dumps([1, 2, 3]))
    summary = ingest(project, [imagery])  # the first ended the whole ingest with a traceback
    assert len(summary.errors) == 2 and summary.new == len(scenes) - 2
    assert "relative orbit 'abc' is not a number" in " ".join(summary.errors)
    assert "must be one item" in " ".join(summary.errors)


def test_a_filename_pattern_that_is_no_regex_is_refused_when_the_config_loads(
    tmp_path: Path,
) -> None:
    from forcewatch.config import load_project
    from forcewatch.errors import ConfigError

    project, _ = tiny_project(tmp_path / "p")
    text = project.config_path.read_text()
    project.config_path.write_text(
        text.replace("filename_pattern: null", "filename_pattern: '(?P<date>[0-9'")
    )
    with pytest.raises(ConfigError, match="not a regular expression"):  # was re.error at ingest
        load_project(project.root)


@pytest.mark.parametrize(
    ("tags", "says"),
    [
        ({"SENSOR": "lidar"}, "sensor 'lidar' is none of s1, s2, hr"),
        ({"SENSOR": "s1", "RELATIVE_ORBIT": "-7"}, "relative orbit -7 is outside 1-175"),
        ({"SENSOR": "s1", "ACQUISITION_TIME": "2099-01-01T00:00:00Z"}, "in the future"),
    ],
)
def test_scenes_that_no_analysis_would_take_are_refused_at_ingest(
    tmp_path: Path, tags: dict[str, str], says: str
) -> None:
    project, _ = tiny_project(tmp_path / "p")
    odd = tmp_path / "odd"
    _small_raster(odd / "x.tif", **{"ACQUISITION_TIME": "2022-01-01T00:00:00Z", **tags})
    summary = ingest(project, [odd])
    # were registered as new, then never analyzed (or analyzed as from 2099), without a word
    assert summary.new == 0 and len(summary.errors) == 1 and says in summary.errors[0]


def test_configured_imagery_paths_are_relative_to_the_project_not_the_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forcewatch.config import load_project
    from forcewatch.pipeline import ingest
    from tests.helpers import tiny_project

    project, imagery = tiny_project(tmp_path / "p")
    config = project.root / "forcewatch.yaml"
    text = config.read_text()
    assert "  paths: []" in text
    config.write_text(text.replace("  paths: []", f"  paths: [{imagery.name}]"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # was: "imagery: no such file or folder"
    summary = ingest(load_project(project.root), [])
    assert summary.new > 0 and not summary.errors


def test_a_site_added_after_its_imagery_was_ingested_gets_that_imagery(tmp_path: Path) -> None:
    from forcewatch.pipeline import analyze, import_sites
    from forcewatch.sites import Site, circle_polygon

    project, imagery = tiny_project(tmp_path / "p")
    ingest(project, [imagery])
    store = open_store(project.store_url)
    try:
        klintsy = next(s for s in repo.list_sites(store) if s.site.name == "Klintsy")
        centre = klintsy.site.geometry.centroid
        frame = repo.scenes_frame(store)
        covering = set(frame.loc[frame.site_id == klintsy.id, "scene_id"])
    finally:
        store.dispose()
    # a second site inside the same scenes, added after the ingest ("sites add" after "ingest")
    late = Site("Late", circle_polygon(centre.x, centre.y, 0.2))
    import_sites(project, extra_sites=[late])
    assert ingest(project, [imagery]).new == 0  # nothing new to read; the links were made
    store = open_store(project.store_url)
    try:
        late_id = next(s.id for s in repo.list_sites(store) if s.site.name == "Late")
        frame = repo.scenes_frame(store)
        assert set(frame.loc[frame.site_id == late_id, "scene_id"]) == covering  # was none
    finally:
        store.dispose()
    done = analyze(project, site_names=["Late"])
    assert done.units_measured >= 1 and not done.failures


def test_a_raster_with_a_crs_but_no_geotransform_is_refused(tmp_path: Path, recwarn) -> None:
    project, _ = tiny_project(tmp_path / "p")
    path = tmp_path / "raw" / "measurement.tif"
    path.parent.mkdir()
    with rasterio.open(
        path, "w", driver="GTiff", width=16, height=16, count=1, dtype="float32", crs="EPSG:4326"
    ) as ds:  # a CRS, and the identity transform (pixel indices as coordinates)
        ds.write(np.ones((1, 16, 16), np.float32))
        ds.update_tags(ACQUISITION_TIME="2022-01-01T00:00:00Z", SENSOR="s1", RELATIVE_ORBIT="5")
    recwarn.clear()  # (writing it warned)
    summary = ingest(project, [path.parent])
    # was stored with a footprint of 0..16 "degrees" that covered every site, and broke analyze
    assert summary.new == 0 and len(summary.errors) == 1
    assert "no geotransform" in summary.errors[0]
    assert not [w for w in recwarn if "geotransform" in str(w.message)]  # said once, not twice


def test_ingest_command_exits_non_zero_when_a_file_was_skipped(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from forcewatch.cli import app

    project, imagery = tiny_project(tmp_path / "p")
    bad = imagery / "zz_broken.tif"
    bad.write_bytes(b"not a tiff at all")
    result = CliRunner().invoke(app, ["ingest", str(imagery), "-p", str(project.root)])
    assert result.exit_code == 3, result.output  # was 0 when some files were good
    said = " ".join(result.output.split())
    assert "1 of 19 file(s) skipped" in said and "1 unreadable" in said
    assert _scene_rows(project) == len(list(imagery.rglob("*.tif"))) - 1  # the others stored


def test_ingest_command_says_where_a_scene_no_site_covers_lies(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from forcewatch.cli import app

    project, _ = tiny_project(tmp_path / "p")
    far = tmp_path / "far"
    _small_raster(
        far / "x.tif", ACQUISITION_TIME="2022-01-01T00:00:00Z", SENSOR="s1", RELATIVE_ORBIT="5"
    )
    result = CliRunner().invoke(app, ["ingest", str(far), "-p", str(project.root)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "km from Klintsy" in said and "wrong CRS" in said


def test_a_second_file_of_one_pass_is_named_and_its_date_counts_once(tmp_path: Path) -> None:
    from forcewatch.analysis import SarParams, plan_all
    from forcewatch.pipeline import ingest as run_ingest

    project, imagery = tiny_project(tmp_path / "p")
    run_ingest(project, [imagery])
    original = sorted(imagery.rglob("*klintsy*.tif"))[1]
    copy = tmp_path / "again" / "reprocessed.tif"
    copy.parent.mkdir()
    with rasterio.open(original) as src:
        profile, data, tags = src.profile, src.read(), src.tags()
    with rasterio.open(copy, "w", **profile) as dst:  # other bytes, same pass
        dst.write(data * 0.5)
        dst.update_tags(**tags)
    summary = run_ingest(project, [copy.parent])
    assert summary.new == 1 and len(summary.same_pass) == 1  # was taken without a word
    assert str(original.resolve()) in summary.same_pass[0]
    store = open_store(project.store_url)
    try:
        params = SarParams.from_config(project.config, project.root)
        units = plan_all(repo.list_sites(store), repo.scenes_frame(store), params)
    finally:
        store.dispose()
    klintsy = [u for u in units if u.site.name == "Klintsy"]
    dates = [r.acquired_utc for u in klintsy for r in u.scenes]
    assert len(dates) == len(set(dates))  # was the same date twice in the series


def test_a_stored_scene_can_be_forgotten(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from forcewatch.cli import app

    project, imagery = tiny_project(tmp_path / "p")
    ingest(project, [imagery])
    n = _scene_rows(project)
    victim = sorted(imagery.rglob("*.tif"))[0]
    runner = CliRunner()
    p = ["--project", str(project.root)]
    missing = runner.invoke(app, ["scenes", "remove", str(tmp_path / "nope.tif"), *p])
    assert "not ingested" in str(missing.exception) and _scene_rows(project) == n
    removed = runner.invoke(app, ["scenes", "remove", str(victim), *p])
    assert removed.exit_code == 0 and "1 removed" in removed.output, removed.output
    assert _scene_rows(project) == n - 1 and victim.exists()  # the file stays
    assert ingest(project, [imagery]).new == 1  # and can be ingested again


def test_polarisations_the_bands_do_not_hold_are_refused(tmp_path: Path) -> None:
    project, _ = tiny_project(tmp_path / "p")
    one = tmp_path / "one"
    _small_raster(
        one / "x.tif",
        ACQUISITION_TIME="2022-01-01T00:00:00Z",
        SENSOR="s1",
        RELATIVE_ORBIT="5",
        POLARISATIONS="VV,VH",
    )  # one band
    summary = ingest(project, [one])
    assert summary.new == 0 and "tagged VV,VH but has 1 band" in summary.errors[0]


def test_sites_import_with_no_watchlist_says_it_measured_the_stored_sites(
    tmp_path: Path,
) -> None:
    from forcewatch.pipeline import import_sites, init_project
    from forcewatch.sites import Site, circle_polygon

    project = init_project(tmp_path / "p")  # no watchlist configured
    import_sites(project, extra_sites=[Site("A", circle_polygon(32.2, 52.7, 1.0))])
    again = import_sites(project)  # was "0 added, 0 updated" and nothing else
    assert again.stored_only == 1 and (again.added, again.updated) == (0, 0)
