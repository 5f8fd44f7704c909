"""STAC fetching, offline: a static catalog and a small STAC API on 127.0.0.1.

Both serve the recorded-style items in ``stac_fixtures/s1_rtc_items.json`` over two sites of the
tiny scenario (Klintsy, Valuyki). Their assets are small constant-valued COGs written here, so
each scene's pixels tell which item(s) it came from. Klintsy has: relative orbits 21 and 109, a
reprocessed duplicate (newer ``updated``), a pass split in two slices (south, then north), one
item with only ``sat:absolute_orbit``, one with ``sat:relative_orbit: -1`` and a product name,
and one with no orbit information at all. Valuyki has one good item and one whose assets are
missing (a permanent failure).
"""

from __future__ import annotations

import json
import math
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np
import pystac
import pytest
import rasterio
from affine import Affine
from pystac_client.exceptions import APIError
from rasterio.errors import RasterioIOError
from shapely.geometry import box, shape

from forcewatch.config import Project, StacSource
from forcewatch.errors import ConfigError, InputError
from forcewatch.imagery import stac
from forcewatch.imagery.catalog import read_scene, s1_relative_orbit
from forcewatch.imagery.stac.sources import is_transient
from forcewatch.pipeline import import_sites, init_project
from forcewatch.scenario.simulate import ScenarioSpec, scenario_sites
from forcewatch.sites import site_to_feature, to_crs, utm_crs
from forcewatch.store import repo
from forcewatch.store.db import open_store

GEOJSON = "application/geo+json"
FIXTURES = Path(__file__).parent / "stac_fixtures"
SPEC = ScenarioSpec(radius_km=0.4, ring_km=0.2, margin_km=0.4, sites=("Klintsy", "Valuyki"))
FAST = stac.FetchOptions(retry=stac.RetryPolicy(attempts=3, base_delay_s=0.01), timeout_s=5.0)

S2_WEST = "S2B_36UUC_20220110_0_L2A"
A1 = "S1A_IW_GRDH_1SDV_20220105T154012_20220105T154037_041218_04E6F0_rtc"
# vv of each item's COG (vh is a fifth of it); the missing Valuyki item has no COG.
VV = {
    A1: 0.10,
    A1 + "_r2": 0.15,
    "S1A_IW_GRDH_1SDV_20220110T035030_20220110T035055_041290_04E8A1_rtc": 0.20,
    "S1A_IW_GRDH_1SDV_20220117T154001_20220117T154026_041393_04EC00_rtc": 0.30,
    "S1A_IW_GRDH_1SDV_20220117T154026_20220117T154051_041393_04EC00_rtc": 0.35,
    "S1A_IW_GRDH_1SDV_20220122T035030_20220122T035055_041306_04ED11_rtc": 0.25,
    "S1A_IW_GRDH_1SDV_20220129T154012_20220129T154037_041568_04F0AA_rtc": 0.40,
    "klintsy-desc-20220203": 0.45,
    "S1A_IW_GRDH_1SDV_20220106T153210_20220106T153235_041291_04EA10_rtc": 0.50,
}
KLINTSY_KEYS = {
    "s1a_20220105_ro021": 21,
    "s1a_20220110_ro109": 109,
    "s1a_20220117_ro021": 21,
    "s1a_20220122_ro109": 109,
    "s1a_20220129_ro021": 21,
    "s1a_20220203_des04h": None,
}


# --- fixtures: project, COGs, recorded items --------------------------------------------------


def _project(root: Path, sources: list[StacSource]) -> Project:
    """Two imported sites, built like tests/helpers.py::tiny_project but without imagery."""
    root.mkdir(parents=True)
    features = [site_to_feature(s) for s in scenario_sites(SPEC)]
    fc = {"type": "FeatureCollection", "features": features}
    (root / "sites.geojson").write_text(json.dumps(fc))
    project = init_project(
        root, watchlist="sites.geojson", ring_km=SPEC.ring_km, margin_km=SPEC.margin_km
    )
    import_sites(project)
    return Project(project.root, project.config.model_copy(update={"stac": sources}))


def _write_cog(path: Path, geometry: dict[str, Any], value: float, dtype: str = "float32") -> None:
    """A constant COG in the local UTM zone covering ``geometry`` (EPSG:4326), 10 m pixels;
    float32 with NaN no-data, or uint16 with 0 (Sentinel-2 style)."""
    geom = shape(geometry)
    crs = utm_crs(geom.centroid.x, geom.centroid.y)
    x0, y0, x1, y1 = to_crs(geom, crs).bounds
    x0, y1 = math.floor(x0 / 10) * 10, math.ceil(y1 / 10) * 10
    nx, ny = math.ceil((x1 - x0) / 10), math.ceil((y1 - y0) / 10)
    profile = dict(
        driver="COG",
        width=nx,
        height=ny,
        count=1,
        dtype=dtype,
        crs=crs.to_string(),
        transform=Affine(10, 0, x0, 0, -10, y1),
        nodata=float("nan") if dtype == "float32" else 0,
        compress="deflate",
    )
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(np.full((1, ny, nx), value, dtype))


@pytest.fixture(scope="module")
def cogs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cogs")
    for feat in json.loads((FIXTURES / "s1_rtc_items.json").read_text())["features"]:
        if feat["id"] in VV:
            _write_cog(folder / f"{feat['id']}_vv.tif", feat["geometry"], VV[feat["id"]])
            _write_cog(folder / f"{feat['id']}_vh.tif", feat["geometry"], VV[feat["id"]] / 5)
    for feat in json.loads((FIXTURES / "s2_l2a_items.json").read_text())["features"]:
        west = feat["id"] == S2_WEST
        for i, band in enumerate(("B02", "B03", "B04", "B08", "SCL")):
            value = 4 if band == "SCL" else (500 if west else 600) + 100 * i
            _write_cog(folder / f"{feat['id']}_{band}.tif", feat["geometry"], value, "uint16")
    return folder


def _items(assets: str, name: str = "s1_rtc_items.json") -> list[dict[str, Any]]:
    text = (FIXTURES / name).read_text().replace("{ASSETS}", assets)
    return list(json.loads(text)["features"])


def _static_catalog(folder: Path, cogs: Path) -> Path:
    """Both fixtures as a self-contained static catalog with two collections."""
    catalog = pystac.Catalog("recorded", "recorded Sentinel-1 RTC and Sentinel-2 L2A items")
    extent = pystac.Extent(
        pystac.SpatialExtent([[-180.0, -90.0, 180.0, 90.0]]),
        pystac.TemporalExtent([[datetime(2014, 4, 3, tzinfo=UTC), None]]),
    )
    for name, fixture in (
        ("sentinel-1-rtc", "s1_rtc_items.json"),
        ("sentinel-2-l2a", "s2_l2a_items.json"),
    ):
        coll = pystac.Collection(name, name, extent)
        for feat in _items(str(cogs), fixture):
            coll.add_item(pystac.Item.from_dict(feat))
        catalog.add_child(coll)
    catalog.normalize_hrefs(str(folder))
    catalog.save(pystac.CatalogType.SELF_CONTAINED)
    return folder / "catalog.json"


def _stored(project: Project) -> dict[str, dict[str, int | None]]:
    """site name -> {scene file stem: relative orbit} as registered in the store."""
    store = open_store(project.store_url)
    try:
        names = {s.id: s.site.name for s in repo.list_sites(store)}
        frame = repo.scenes_frame(store)
    finally:
        store.dispose()
    out: dict[str, dict[str, int | None]] = {}
    for row in frame.itertuples():
        orbit = (
            None
            if row.relative_orbit is None or np.isnan(row.relative_orbit)
            else row.relative_orbit
        )
        out.setdefault(names[row.site_id], {})[Path(row.href).stem] = (
            None if orbit is None else int(orbit)
        )
    return out


def _vv(tif: Path) -> np.ndarray:
    with rasterio.open(tif) as ds:
        return ds.read(1)


# --- unit behaviour ---------------------------------------------------------------------------


def _item(item_id: str = "x", /, **props: Any) -> pystac.Item:
    when = props.pop("when", datetime(2022, 1, 5, 15, 40, 12, tzinfo=UTC))
    return pystac.Item(item_id, None, None, when, {"platform": "sentinel-1a", **props})


def test_relative_orbit_prefers_property_then_absolute_orbit_then_product_name() -> None:
    assert stac.resolve_relative_orbit(_item(**{"sat:relative_orbit": 21})) == (
        21,
        "sat:relative_orbit",
    )
    by_abs = stac.resolve_relative_orbit(
        _item(**{"sat:relative_orbit": -1, "sat:absolute_orbit": 41306})
    )
    assert (
        by_abs
        == (s1_relative_orbit("S1A", 41306), "sat:absolute_orbit")
        == (109, "sat:absolute_orbit")
    )
    named = _item(
        "S1B_IW_GRDH_1SDV_20210105T154012_20210105T154037_025000_02FA00_rtc", platform=None
    )
    assert stac.resolve_relative_orbit(named) == (s1_relative_orbit("S1B", 25000), "product name")
    assert stac.resolve_relative_orbit(_item("plain")) == (None, "none")


def test_duplicate_slice_keeps_the_newest_processing_whatever_the_order() -> None:
    old = _item("old", **{"sat:relative_orbit": 21, "updated": "2022-01-08T00:00:00Z"})
    new = _item(
        "new",
        when=datetime(2022, 1, 5, 15, 40, 12, 400000, tzinfo=UTC),
        **{"sat:relative_orbit": 21, "updated": "2023-03-02T00:00:00Z"},
    )
    other = _item(
        "other", when=datetime(2022, 1, 5, 15, 40, 37, tzinfo=UTC), **{"sat:relative_orbit": 21}
    )
    for order in ([old, new, other], [new, other, old]):
        kept, dropped = stac.drop_duplicates(stac.make_candidate(i, "s1") for i in order)
        assert [c.item.id for c in kept] == ["new", "other"] and dropped == 1


def test_duplicate_from_a_later_source_loses_a_tie_on_processing_time() -> None:
    a = stac.make_candidate(_item("a", **{"sat:relative_orbit": 21}), "s1", source_rank=1)
    b = stac.make_candidate(_item("b", **{"sat:relative_orbit": 21}), "s1", source_rank=0)
    assert [c.item.id for c in stac.drop_duplicates([a, b])[0]] == ["b"]


def test_consecutive_slices_merge_into_one_pass_and_orbits_stay_apart() -> None:
    def at(item_id: str, day: int, hh: int, mm: int, ss: int, orbit: int) -> stac.Candidate:
        when = datetime(2022, 1, day, hh, mm, ss, tzinfo=UTC)
        return stac.make_candidate(_item(item_id, when=when, **{"sat:relative_orbit": orbit}), "s1")

    passes = stac.group_passes(
        [
            at("n", 17, 15, 40, 26, 21),
            at("s", 17, 15, 40, 1, 21),
            at("d", 17, 3, 50, 30, 109),
            at("next", 29, 15, 40, 12, 21),
        ]
    )
    assert [(p.key, [c.item.id for c in p.items]) for p in passes] == [
        ("s1a_20220117_ro109", ["d"]),
        ("s1a_20220117_ro021", ["s", "n"]),
        ("s1a_20220129_ro021", ["next"]),
    ]


def test_retries_back_off_exponentially_then_reraise(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(stac.time, "sleep", waits.append)
    calls = []

    def flaky() -> str:
        calls.append(1)
        raise RasterioIOError("HTTP response code: 503")

    with pytest.raises(RasterioIOError):
        stac.with_retries(flaky, stac.RetryPolicy(attempts=4, base_delay_s=0.5), "x")
    assert len(calls) == 4 and waits == [0.5, 1.0, 2.0]

    calls.clear()

    def missing() -> str:
        calls.append(1)
        raise RasterioIOError("HTTP response code: 404")

    with pytest.raises(RasterioIOError):
        stac.with_retries(missing, stac.RetryPolicy(attempts=4, base_delay_s=0.5), "x")
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("message", "transient"),
    [
        ("HTTP response code: 404", False),
        ("HTTP error code: 403 - AccessDenied", False),
        ("/vsicurl/https://x/a.tif: 401 Unauthorized", False),
        ("'/vsicurl/x.tif' does not exist in the file system", False),
        ("HTTP response code: 503", True),
        # A port or an orbit number holding 401, 403 or 404 is no HTTP status. (CI once drew
        # port 44015, and a timed-out search was given up as if it had been refused.)
        (
            "HTTPConnectionPool(host='127.0.0.1', port=44015): Read timed out. (timeout=2.5)",
            True,
        ),
        ("curl error: timeout reading /cogs/S1A_20220111_040404_04EB20_vv.tif", True),
    ],
)
def test_only_a_named_http_status_makes_an_error_permanent(message: str, transient: bool) -> None:
    assert is_transient(RasterioIOError(message)) is transient
    assert is_transient(APIError(message)) is transient


def test_missing_token_variable_and_unknown_site_are_user_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FW_TEST_NO_TOKEN", raising=False)
    src = StacSource(
        name="api", url="http://127.0.0.1:9/", collections=["c"], token_env="FW_TEST_NO_TOKEN"
    )
    project = _project(tmp_path / "p", [src])
    with pytest.raises(ConfigError, match="FW_TEST_NO_TOKEN"):
        stac.fetch(project, options=FAST)
    with pytest.raises(InputError, match="Atlantis"):
        stac.fetch(project, site_names=["Atlantis"], options=FAST)
    with pytest.raises(InputError, match="sensor"):
        stac.fetch(project, sensor="hr", options=FAST)
    with pytest.raises(InputError, match="after"):
        stac.fetch(project, since=date(2022, 2, 1), until=date(2022, 1, 1), options=FAST)


# --- static catalog: the whole path -----------------------------------------------------------


def test_static_catalog_fetch_stores_one_scene_per_pass_and_resumes(
    tmp_path: Path, cogs: Path
) -> None:
    catalog = _static_catalog(tmp_path / "catalog", cogs)
    src = StacSource(name="recorded", url=str(catalog), collections=["sentinel-1-rtc"])
    project = _project(tmp_path / "p", [src])
    seen: list[tuple[int, int]] = []

    first = stac.fetch(
        project,
        since=date(2022, 1, 1),
        until=date(2022, 2, 28),
        progress=lambda d, t: seen.append((d, t)),
        options=FAST,
    )

    assert first.duplicates_dropped == 1 and first.scenes_planned == 8
    assert first.fetched == 7 and first.ingested == 7
    assert len(first.failures) == 1 and "S1A_IW_GRDH_1SDV_20220111T034510" in first.failures[0]
    assert any("klintsy-desc-20220203" in w for w in first.warnings)
    assert seen[0] == (0, 8) and seen[-1] == (8, 8)
    stored = _stored(project)
    assert stored == {"Klintsy": KLINTSY_KEYS, "Valuyki": {"s1a_20220106_ro094": 94}}

    folder = project.cache_dir / "stac" / "klintsy"
    # The reprocessed duplicate replaced the first processing.
    assert np.nanmax(_vv(folder / "s1a_20220105_ro021.tif")) == pytest.approx(0.15)
    # The split pass is one scene: south rows from the south slice, north rows from the north.
    merged = _vv(folder / "s1a_20220117_ro021.tif")
    assert np.isfinite(merged).all()
    assert np.allclose(merged[:10], 0.35) and np.allclose(merged[-10:], 0.30)
    scene = read_scene(folder / "s1a_20220122_ro109.tif")
    assert scene.relative_orbit == 109 and scene.polarisations == ("VV", "VH")
    assert (
        scene.stac_item_id == "S1A_IW_GRDH_1SDV_20220122T035030_20220122T035055_041306_04ED11_rtc"
    )
    assert scene.units == "linear"
    with rasterio.open(folder / "s1a_20220117_ro021.tif") as ds:
        tags = ds.tags()
        assert ds.dtypes[0] == "float32" and ds.profile["tiled"]
        assert ds.profile["compress"].lower() == "deflate"
    assert tags["RELATIVE_ORBIT"] == "21" and tags["POLARISATIONS"] == "VV,VH"
    assert tags["ACQUISITION_TIME"].startswith("2022-01-17T15:40:01")
    assert tags["STAC_ITEM_ID"].count(",") == 1 and tags["STAC_HREF"].count(",") == 1

    again = stac.fetch(project, since=date(2022, 1, 1), until=date(2022, 2, 28), options=FAST)
    assert (again.fetched, again.cached, again.ingested) == (0, 7, 0)
    assert _stored(project) == stored

    # An interrupted fetch: the COG never made it (only its sidecar and a partial file).
    victim = folder / "s1a_20220110_ro109.tif"
    victim.unlink()
    victim.with_name(victim.name + ".part").write_bytes(b"half a tiff")
    resumed = stac.fetch(project, since=date(2022, 1, 1), until=date(2022, 2, 28), options=FAST)
    assert (resumed.fetched, resumed.cached) == (1, 6) and resumed.paths == [str(victim)]
    assert _stored(project) == stored


def test_date_range_and_site_selection_limit_what_is_fetched(tmp_path: Path, cogs: Path) -> None:
    catalog = _static_catalog(tmp_path / "catalog", cogs)
    src = StacSource(name="recorded", url=str(catalog), collections=["sentinel-1-rtc"])
    project = _project(tmp_path / "p", [src])
    summary = stac.fetch(
        project,
        since=date(2022, 1, 10),
        until=date(2022, 1, 17),
        site_names=["Klintsy"],
        options=FAST,
    )
    assert summary.fetched == 2 and not summary.failures
    assert _stored(project) == {"Klintsy": {"s1a_20220110_ro109": 109, "s1a_20220117_ro021": 21}}


def test_pass_without_valid_pixels_leaves_a_marker_and_is_not_fetched_again(
    tmp_path: Path, cogs: Path
) -> None:
    blank = tmp_path / "cogs"
    shutil.copytree(cogs, blank)
    feat = next(f for f in _items("") if f["id"] == "klintsy-desc-20220203")
    for pol in ("vv", "vh"):
        _write_cog(blank / f"{feat['id']}_{pol}.tif", feat["geometry"], float("nan"))
    catalog = _static_catalog(tmp_path / "catalog", blank)
    src = StacSource(name="recorded", url=str(catalog), collections=["sentinel-1-rtc"])
    project = _project(tmp_path / "p", [src])
    window = dict(since=date(2022, 2, 1), site_names=["Klintsy"], options=FAST)

    first = stac.fetch(project, **window)  # type: ignore[arg-type]
    again = stac.fetch(project, **window)  # type: ignore[arg-type]

    assert (first.empty, first.fetched, first.ingested) == (1, 0, 0) and not first.failures
    assert (again.empty, again.fetched) == (1, 0)
    assert (project.cache_dir / "stac/klintsy/s1a_20220203_des04h.empty").is_file()
    assert _stored(project) == {}


def test_sentinel2_tiles_of_one_datatake_merge_with_earth_search_asset_names(
    tmp_path: Path, cogs: Path
) -> None:
    catalog = _static_catalog(tmp_path / "catalog", cogs)
    sources = [
        StacSource(name="s1", url=str(catalog), collections=["sentinel-1-rtc"]),
        StacSource(name="s2", url=str(catalog), collections=["sentinel-2-l2a"], sensor="s2"),
    ]
    project = _project(tmp_path / "p", sources)

    summary = stac.fetch(project, sensor="s2", site_names=["Klintsy"], options=FAST)

    # Two MGRS tiles with one datetime are two slices, not duplicates.
    assert (summary.items_found, summary.duplicates_dropped, summary.fetched) == (2, 0, 1)
    tif = project.cache_dir / "stac" / "klintsy" / "s2b_20220110_r050.tif"
    assert _stored(project) == {"Klintsy": {tif.stem: 50}}
    with rasterio.open(tif) as ds:
        assert ds.descriptions == ("B02", "B03", "B04", "B08", "SCL")
        assert ds.tags()["SENSOR"] == "s2" and ds.tags()["UNITS"] == "dn"
        blue, scl = ds.read(1), ds.read(5)
    assert np.isfinite(blue).all() and np.all(scl == 4)
    assert np.all(blue[:, :10] == 500) and np.all(blue[:, -10:] == 600)
    assert read_scene(tif).sensor == "s2"


# --- a STAC API on 127.0.0.1 ------------------------------------------------------------------


class FakeApi:
    """Recorded items behind ``/``, ``/conformance``, ``/search`` (GET and POST, paged by
    ``next`` links), ``/cogs/NAME`` (byte ranges) and a SAS token endpoint.

    ``faults`` lists what the next ``/search`` calls do: '500' answers an error, 'sleep'
    answers only after ``sleep_s``. ``cog_errors`` counts 503 answers still to give per COG
    file name. With ``token`` set, API calls need that bearer token;
    with ``need_sig``, COG reads need a ``sig=`` query (a signed href).
    """

    def __init__(self, cog_dir: Path, token: str | None = None, need_sig: bool = False) -> None:
        self.cog_dir = cog_dir
        self.token = token
        self.need_sig = need_sig
        self.faults: list[str] = []
        self.sleep_s = 1.0
        self.log: list[tuple[str, str, int]] = []
        self.searches: list[str] = []
        self.cog_errors: dict[str, int] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.items = _items(self.base + "/cogs")
        self._lock = threading.Lock()

    def calls(self, path: str) -> list[int]:
        return [status for _, p, status in self.log if p == path]

    def _root(self) -> dict[str, Any]:
        return {
            "type": "Catalog",
            "id": "fake",
            "stac_version": "1.0.0",
            "description": "recorded items",
            "conformsTo": [
                "https://api.stacspec.org/v1.0.0/core",
                "https://api.stacspec.org/v1.0.0/item-search",
            ],
            "links": [
                {"rel": "self", "href": self.base + "/"},
                {"rel": "root", "href": self.base + "/"},
                {"rel": "conformance", "href": self.base + "/conformance"},
                {"rel": "search", "type": GEOJSON, "href": self.base + "/search", "method": "GET"},
                {"rel": "search", "type": GEOJSON, "href": self.base + "/search", "method": "POST"},
            ],
        }

    def _search(self, params: dict[str, Any], method: str) -> dict[str, Any]:
        if "intersects" in params:
            geom = params["intersects"]
            area = shape(json.loads(geom) if isinstance(geom, str) else geom)
        else:
            area = box(*[float(v) for v in str(params.get("bbox", "-180,-90,180,90")).split(",")])
        collections = params.get("collections") or []
        if isinstance(collections, str):
            collections = collections.split(",")
        start, _, end = str(params.get("datetime", "../..")).partition("/")
        found = []
        for feat in self.items:
            when = feat["properties"]["datetime"]
            if collections and feat["collection"] not in collections:
                continue
            if (start not in ("..", "") and when < start) or (end not in ("..", "") and when > end):
                continue
            if shape(feat["geometry"]).intersects(area):
                found.append(feat)
        limit, offset = int(params.get("limit", 10)), int(params.get("token", 0))
        links = []
        if offset + limit < len(found):
            nxt = {**params, "token": str(offset + limit)}
            if method == "POST":
                links.append(
                    {"rel": "next", "href": self.base + "/search", "method": "POST", "body": nxt}
                )
            else:
                query = urlencode(nxt)
                links.append(
                    {"rel": "next", "href": f"{self.base}/search?{query}", "method": "GET"}
                )
        page = found[offset : offset + limit]
        return {
            "type": "FeatureCollection",
            "features": page,
            "links": links,
            "numberReturned": len(page),
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                return None

            def _send(
                self,
                status: int,
                body: bytes,
                ctype: str = "application/json",
                extra: dict[str, str] | None = None,
            ) -> None:
                with api._lock:
                    api.log.append((self.command, urlsplit(self.path).path, status))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    try:
                        self.wfile.write(body)
                    except (BrokenPipeError, ConnectionResetError):
                        pass

            def _json(self, status: int, obj: Any) -> None:
                self._send(status, json.dumps(obj).encode())

            def _api(self, params: dict[str, Any]) -> None:
                path = urlsplit(self.path).path
                if api.token and self.headers.get("Authorization") != f"Bearer {api.token}":
                    return self._json(401, {"code": "unauthorised"})
                if path == "/":
                    return self._json(200, api._root())
                if path == "/conformance":
                    return self._json(200, {"conformsTo": api._root()["conformsTo"]})
                if path == "/search":
                    with api._lock:
                        fault = api.faults.pop(0) if api.faults else None
                        api.searches.append(fault or "ok")
                    if fault == "500":
                        return self._json(500, {"code": "InternalServerError"})
                    if fault == "sleep":
                        time.sleep(api.sleep_s)
                    return self._json(200, api._search(params, self.command))
                return self._json(404, {"code": "NotFound"})

            def _cog(self) -> None:
                parts = urlsplit(self.path)
                file = api.cog_dir / Path(parts.path).name
                if api.need_sig and "sig=" not in parts.query:
                    return self._send(403, b"no SAS token", "text/plain")
                if not file.is_file():
                    return self._send(404, b"not found", "text/plain")
                with api._lock:
                    failing = api.cog_errors.get(file.name, 0)
                    api.cog_errors[file.name] = max(0, failing - 1)
                if failing:
                    return self._send(503, b"busy", "text/plain")
                data = file.read_bytes()
                rng = self.headers.get("Range")
                if rng and rng.startswith("bytes="):
                    a, _, b = rng[6:].partition("-")
                    lo, hi = int(a), min(int(b) if b else len(data) - 1, len(data) - 1)
                    extra = {
                        "Content-Range": f"bytes {lo}-{hi}/{len(data)}",
                        "Accept-Ranges": "bytes",
                    }
                    return self._send(206, data[lo : hi + 1], "image/tiff", extra)
                return self._send(200, data, "image/tiff", {"Accept-Ranges": "bytes"})

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path.startswith("/cogs/"):
                    return self._cog()
                if parts.path.startswith("/api/sas/v1/token/"):
                    expiry = "2099-01-01T00:00:00Z"
                    return self._json(
                        200, {"msft:expiry": expiry, "token": "sv=2021-06-08&sig=test%2Bsig"}
                    )
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                return self._api(params)

            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                return self._api(json.loads(self.rfile.read(size) or b"{}"))

        return Handler

    def __enter__(self) -> FakeApi:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api_factory(cogs: Path) -> Iterator[Any]:
    started: list[FakeApi] = []

    def make(**kw: Any) -> FakeApi:
        api = FakeApi(cogs, **kw).__enter__()
        started.append(api)
        return api

    yield make
    for api in started:
        api.__exit__()


def test_api_fetch_pages_retries_a_500_and_a_timeout_signs_and_reports_a_dead_item(
    tmp_path: Path, api_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = api_factory(token="s3cret", need_sig=True)
    api.faults = ["500", "sleep"]
    # A timed-out call sleeps well past the timeout, and the timeout is well past what a
    # normal answer takes on a loaded 2-core CI machine (0.3 s once timed out there; 1.2 s
    # was once too short on a 2-core machine running other work beside the tests).
    api.sleep_s = 5.0
    monkeypatch.setenv("FW_TEST_TOKEN", "s3cret")
    src = StacSource(
        name="pc",
        url=api.base + "/",
        collections=["sentinel-1-rtc"],
        token_env="FW_TEST_TOKEN",
        sign="planetary-computer",
    )
    project = _project(tmp_path / "p", [src])
    options = stac.FetchOptions(
        retry=stac.RetryPolicy(attempts=3, base_delay_s=0.01),
        timeout_s=2.5,
        page_size=5,
        pc_token_url=api.base + "/api/sas/v1/token/{collection}",
        pc_sign_hosts=("127.0.0.1",),
    )

    summary = stac.fetch(project, options=options)

    # Klintsy: 500, then a timed-out call, then two pages; Valuyki: one page.
    assert api.searches == ["500", "sleep", "ok", "ok", "ok"]
    assert summary.items_found == 10 and summary.duplicates_dropped == 1
    assert summary.fetched == 7
    assert len(summary.failures) == 1 and "041233" in summary.failures[0]
    assert _stored(project) == {"Klintsy": KLINTSY_KEYS, "Valuyki": {"s1a_20220106_ro094": 94}}
    assert 403 not in api.calls("/cogs/" + A1 + "_r2_vv.tif")
    assert api.calls("/api/sas/v1/token/sentinel-1-rtc") == [200]
    sidecar = json.loads((project.cache_dir / "stac/klintsy/s1a_20220117_ro021.json").read_text())
    assert sidecar["properties"]["sat:relative_orbit"] == 21
    assert len(sidecar["properties"]["forcewatch:items"]) == 2
    assert all(link["href"].startswith(api.base) for link in sidecar["links"])

    api.log.clear()
    again = stac.fetch(project, options=options)
    assert again.fetched == 0 and again.cached == 7
    # Only the failed item is asked for again (one of its bands or both: the loader may stop
    # at the first missing band before it asks for the other).
    read = {p for _, p, _ in api.log if p.startswith("/cogs/")}
    assert read and read <= {"/cogs/missing_vv.tif", "/cogs/missing_vh.tif"}
    assert len(again.failures) == 1


def test_api_search_that_keeps_timing_out_is_reported_and_other_sites_go_on(
    tmp_path: Path, api_factory: Any
) -> None:
    api = api_factory()
    api.faults = ["sleep", "sleep"]
    api.sleep_s = 5.0
    src = StacSource(name="es", url=api.base, collections=["sentinel-1-rtc"])
    project = _project(tmp_path / "p", [src])
    options = stac.FetchOptions(
        retry=stac.RetryPolicy(attempts=2, base_delay_s=0.01),
        timeout_s=2.5,
        page_size=1,
        search_method="GET",
    )

    summary = stac.fetch(project, options=options)

    assert len(summary.failures) == 2
    assert "search for site 'Klintsy' failed" in summary.failures[0]
    assert "041233" in summary.failures[1]
    # Valuyki's two items came one per page over GET.
    assert api.searches == ["sleep", "sleep", "ok", "ok"]
    assert _stored(project) == {"Valuyki": {"s1a_20220106_ro094": 94}}


def test_asset_read_that_fails_once_is_retried_and_lands(tmp_path: Path, api_factory: Any) -> None:
    api = api_factory()
    flaky = "S1A_IW_GRDH_1SDV_20220106T153210_20220106T153235_041291_04EA10_rtc_vv.tif"
    api.cog_errors = {flaky: 2}
    src = StacSource(name="es", url=api.base, collections=["sentinel-1-rtc"])
    project = _project(tmp_path / "p", [src])

    summary = stac.fetch(project, site_names=["Valuyki"], options=FAST)

    assert api.cog_errors[flaky] == 0 and 503 in api.calls("/cogs/" + flaky)
    assert summary.fetched == 1 and len(summary.failures) == 1
    assert _stored(project) == {"Valuyki": {"s1a_20220106_ro094": 94}}
