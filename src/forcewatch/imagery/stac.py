"""Fetching Sentinel-1/2 scenes from STAC into the local cache, clipped to each site's grid.

For each site and each configured source (``stac:`` in ``forcewatch.yaml``): search for items
over the site's grid footprint (a STAC API through pystac-client, or a static catalog through
pystac); resolve each Sentinel-1 item's relative orbit; drop duplicates (one slice from two
providers, or a reprocessed item: the newest processing is kept); group the slices of one pass
into one scene; load the scene lazily with odc-stac onto the site's fixed grid; write it as a
cloud-optimised GeoTIFF with a STAC item sidecar, atomically; register it with
:func:`forcewatch.pipeline.ingest`. A scene already in the cache is not fetched again.

Network calls are retried with exponential back-off; what still fails is reported per item in
:class:`FetchSummary` and the run goes on. Values are written as the provider serves them:
Sentinel-1 RTC assets are linear (power) gamma0, tagged ``UNITS=linear``; see docs/stac.md.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np
import pystac
import rasterio
from odc.geo.geobox import GeoBox
from pyproj import CRS
from pystac_client import Client
from pystac_client.exceptions import APIError
from pystac_client.stac_api_io import StacApiIO
from rasterio.errors import RasterioError
from shapely.geometry import box, mapping, shape
from shapely.geometry.base import BaseGeometry

from forcewatch.config import Project, StacSource
from forcewatch.errors import ConfigError, FetchError, ForceWatchError, InputError
from forcewatch.imagery.catalog import S1_NAME, parse_datetime, s1_relative_orbit
from forcewatch.imagery.load import SiteGrid, grid_for_site
from forcewatch.sites import to_crs

log = logging.getLogger(__name__)
T = TypeVar("T")
Progress = Callable[[int, int], None]

PC_TOKEN_URL = "https://planetarycomputer.microsoft.com/api/sas/v1/token/{collection}"
# Canonical band -> asset keys tried in order (Planetary Computer names, then Earth Search's).
DEFAULT_ASSETS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "s1": {"vv": ("vv", "VV"), "vh": ("vh", "VH")},
    "s2": {
        "B02": ("B02", "blue"),
        "B03": ("B03", "green"),
        "B04": ("B04", "red"),
        "B08": ("B08", "nir"),
        "SCL": ("SCL", "scl"),
    },
}
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_PERMANENT_HINTS = ("404", "403", "401", "No such file", "does not exist", "not recognized as")
_NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    APIError,
    httpx.HTTPError,
    RasterioError,
    OSError,
)
_LOAD_ERRORS: tuple[type[BaseException], ...] = (*_NETWORK_ERRORS, ValueError)
_SEARCH_ERRORS: tuple[type[BaseException], ...] = (
    ForceWatchError,
    pystac.STACError,
    ValueError,
    *_NETWORK_ERRORS,
)
_PROCESSED_KEYS = ("processing:datetime", "s1:processing_datetime", "updated", "created")
_TILE_KEYS = ("grid:code", "s2:mgrs_tile", "mgrs:grid_square")
_PLATFORM = re.compile(r"sentinel-?([12])([a-d])", re.IGNORECASE)
_ID_PLATFORM = re.compile(r"^(S[12][A-D])_")
_S2_ORBIT = re.compile(r"_R(\d{3})_")


# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off: ``attempts`` tries in all; the n-th wait is base * 2**(n-1) s."""

    attempts: int = 4
    base_delay_s: float = 2.0
    max_delay_s: float = 60.0

    def delay_s(self, failed_attempts: int) -> float:
        return min(self.max_delay_s, self.base_delay_s * 2 ** (failed_attempts - 1))


@dataclass(frozen=True)
class FetchOptions:
    """How to fetch; defaults suit the public APIs, tests shrink delays and timeouts.

    ``assets`` maps sensor -> canonical band -> asset keys tried in order. ``pc_token_url`` is
    the Planetary Computer SAS endpoint (``{collection}`` is filled in); only asset hosts
    ending with one of ``pc_sign_hosts`` are signed. ``timeout_s`` bounds each HTTP call.
    """

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_s: float = 60.0
    page_size: int = 100
    search_method: str = "POST"
    assets: Mapping[str, Mapping[str, tuple[str, ...]]] = field(
        default_factory=lambda: dict(DEFAULT_ASSETS)
    )
    pc_token_url: str = PC_TOKEN_URL
    pc_sign_hosts: tuple[str, ...] = (".blob.core.windows.net",)
    pc_subscription_key_env: str = "PC_SDK_SUBSCRIPTION_KEY"
    pass_gap_s: float = 600.0
    duplicate_tolerance_s: float = 1.0
    chunk_px: int = 1024


# --- retries ----------------------------------------------------------------------------------


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: timeouts, refused connections, 408/429/5xx answers."""
    status = getattr(exc, "status_code", None)
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
    if status is not None:
        return int(status) in RETRY_STATUS
    if not isinstance(exc, _NETWORK_ERRORS):
        return False
    # GDAL reports HTTP failures as text only; a missing file will not appear by retrying.
    return not any(hint in str(exc) for hint in _PERMANENT_HINTS)


def with_retries(fn: Callable[[], T], policy: RetryPolicy, what: str) -> T:
    """Call ``fn``, retrying transient errors with back-off; re-raises the last error."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if attempt >= policy.attempts or not is_transient(exc):
                raise
            delay = policy.delay_s(attempt)
            log.warning("%s failed (%s); retry %d in %.2f s", what, _short(exc), attempt, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")  # the loop returns or raises


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}"


class _RetryingStacApiIO(StacApiIO):
    """pystac-client I/O that retries each request (every page of a search) on its own."""

    def __init__(self, policy: RetryPolicy, **kwargs: Any) -> None:
        super().__init__(max_retries=None, **kwargs)
        self._policy = policy

    def request(
        self,
        href: str,
        method: str | None = None,
        headers: dict[str, str] | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> str:
        parent = super().request
        return with_retries(
            lambda: parent(href, method, headers, parameters),
            self._policy,
            f"{method or 'GET'} {href}",
        )


# --- item sources -----------------------------------------------------------------------------


class ItemSource(Protocol):
    """Somewhere to find STAC items: ``search`` returns those intersecting ``geometry``
    (EPSG:4326) acquired within [start_utc, end_utc] (None: open)."""

    cfg: StacSource

    def search(
        self, geometry: BaseGeometry, start_utc: datetime | None, end_utc: datetime | None
    ) -> list[pystac.Item]: ...


def _auth_headers(cfg: StacSource) -> dict[str, str]:
    if not cfg.token_env:
        return {}
    token = os.environ.get(cfg.token_env)
    if not token:
        raise ConfigError(
            f"stac source '{cfg.name}': environment variable {cfg.token_env} is not set "
            "(it must hold the API's bearer token)"
        )
    return {"Authorization": f"Bearer {token}"}


def _utc_text(value: datetime) -> str:
    """RFC 3339 UTC text with 'Z', keeping fractions of a second."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _iso(value: datetime | None) -> str:
    return ".." if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class StacApiSource:
    """A STAC API searched with pystac-client (POST or GET ``/search``, paged by ``next``)."""

    def __init__(self, cfg: StacSource, options: FetchOptions) -> None:
        self.cfg = cfg
        self._options = options
        self._headers = _auth_headers(cfg)
        self._client: Client | None = None

    def _open(self) -> Client:
        if self._client is None:
            io = _RetryingStacApiIO(
                self._options.retry, headers=self._headers, timeout=self._options.timeout_s
            )
            # Client.open passes its own timeout on to stac_io, so it is given here as well.
            self._client = Client.open(
                self.cfg.url, headers=self._headers, stac_io=io, timeout=self._options.timeout_s
            )
        return self._client

    def search(
        self, geometry: BaseGeometry, start_utc: datetime | None, end_utc: datetime | None
    ) -> list[pystac.Item]:
        found = self._open().search(
            collections=list(self.cfg.collections) or None,
            intersects=mapping(geometry),
            datetime=f"{_iso(start_utc)}/{_iso(end_utc)}",
            limit=self._options.page_size,
            method=self._options.search_method,
        )
        return list(found.items())


class StaticCatalogSource:
    """A static STAC catalog (``catalog.json``, local or over HTTP) read with pystac; items
    are filtered here by collection, time and geometry. Items outside any collection match
    every configured collection."""

    def __init__(self, cfg: StacSource, options: FetchOptions) -> None:
        self.cfg = cfg
        self._options = options
        self._items: list[pystac.Item] | None = None

    def _all(self) -> list[pystac.Item]:
        if self._items is None:
            href = self.cfg.url.removeprefix("file://")
            root = pystac.Catalog.from_file(href)
            self._items = list(root.get_items(recursive=True))
        return self._items

    def search(
        self, geometry: BaseGeometry, start_utc: datetime | None, end_utc: datetime | None
    ) -> list[pystac.Item]:
        wanted = set(self.cfg.collections)
        out = []
        for item in self._all():
            if wanted and item.collection_id is not None and item.collection_id not in wanted:
                continue
            when = item_time(item)
            if (start_utc and when < start_utc) or (end_utc and when > end_utc):
                continue
            if item.geometry is None or not shape(item.geometry).intersects(geometry):
                continue
            out.append(item)
        return out


def open_source(cfg: StacSource, options: FetchOptions) -> ItemSource:
    """The item source for a configured ``stac:`` entry: an API unless the URL names a JSON
    file or a local path (then a static catalog)."""
    is_http = cfg.url.startswith(("http://", "https://"))
    if not is_http or urlsplit(cfg.url).path.endswith(".json"):
        return StaticCatalogSource(cfg, options)
    return StacApiSource(cfg, options)


# --- signing ----------------------------------------------------------------------------------


class PlanetaryComputerSigner:
    """Appends Planetary Computer SAS tokens to asset hrefs; one token per collection, reused
    until five minutes before its expiry."""

    def __init__(self, options: FetchOptions) -> None:
        self._options = options
        self._tokens: dict[str, tuple[str, datetime]] = {}

    def token(self, collection: str) -> str:
        cached = self._tokens.get(collection)
        if cached and cached[1] - timedelta(minutes=5) > datetime.now(UTC):
            return cached[0]
        url = self._options.pc_token_url.format(collection=collection)
        headers = {}
        key = os.environ.get(self._options.pc_subscription_key_env)
        if key:
            headers["Ocp-Apim-Subscription-Key"] = key

        def get() -> dict[str, Any]:
            resp = httpx.get(url, headers=headers, timeout=self._options.timeout_s)
            resp.raise_for_status()
            return dict(resp.json())

        body = with_retries(get, self._options.retry, f"SAS token for {collection}")
        if not body.get("token"):
            raise FetchError(f"{url} answered without a SAS token")
        token = str(body["token"]).lstrip("?")
        expiry = body.get("msft:expiry")
        expires = parse_datetime(expiry) if expiry else datetime.now(UTC) + timedelta(minutes=30)
        self._tokens[collection] = (token, expires)
        return token

    def sign_href(self, href: str, collection: str | None) -> str:
        parts = urlsplit(href)
        host = parts.hostname or ""
        if parts.scheme not in {"http", "https"} or "sig=" in parts.query:
            return href
        if not any(host == h or host.endswith(h) for h in self._options.pc_sign_hosts):
            return href
        token = self.token(collection or "")
        query = f"{parts.query}&{token}" if parts.query else token
        return urlunsplit(parts._replace(query=query))


# --- candidates, duplicates, passes -----------------------------------------------------------


def item_time(item: pystac.Item) -> datetime:
    """Acquisition start of an item, UTC."""
    when = item.datetime or item.common_metadata.start_datetime
    if when is None:
        raise InputError(f"STAC item {item.id} has no datetime")
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def item_platform(item: pystac.Item, sensor: str) -> str:
    """'s1a', 's2b', ... from ``platform`` or the id; the sensor when neither says."""
    m = _PLATFORM.search(str(item.properties.get("platform") or ""))
    if m:
        return f"s{m.group(1)}{m.group(2).lower()}"
    m2 = _ID_PLATFORM.match(item.id)
    return m2.group(1).lower() if m2 else sensor


def resolve_relative_orbit(item: pystac.Item, sensor: str = "s1") -> tuple[int | None, str]:
    """(relative orbit, where it came from) for an item.

    Order: ``sat:relative_orbit`` (ignored when missing or -1); for Sentinel-2 the ``R###`` of
    the product name (id, ``s2:product_uri``); for Sentinel-1 the ESA formula
    on ``sat:absolute_orbit`` and the platform; then the absolute orbit in a Sentinel-1 product
    name (item id, ``s1:product_identifier`` or ``title``). (None, 'none') when nothing says;
    the caller then groups by orbit state and hour.
    """
    props = item.properties
    try:
        rel = int(props.get("sat:relative_orbit") or -1)
    except (TypeError, ValueError):
        rel = -1
    if rel > 0:
        return rel, "sat:relative_orbit"
    if sensor == "s2":
        for text in (item.id, props.get("s2:product_uri"), props.get("s2:product_id")):
            m = _S2_ORBIT.search(str(text or ""))
            if m:
                return int(m.group(1)), "product name"
        return None, "none"
    platform = item_platform(item, sensor)
    absolute = props.get("sat:absolute_orbit")
    if platform.startswith("s1") and len(platform) == 3 and isinstance(absolute, int):
        if absolute > 0:
            return s1_relative_orbit(platform.upper(), absolute), "sat:absolute_orbit"
    for text in (item.id, props.get("s1:product_identifier"), props.get("title")):
        name = S1_NAME.search(str(text or ""))
        if name:
            rel = s1_relative_orbit(name.group("mission"), int(name.group("absorbit")))
            return rel, "product name"
    return None, "none"


@dataclass(frozen=True)
class Candidate:
    """One item found for a site, with what de-duplication and grouping need.

    ``source_rank`` is the source's position in ``stac:`` (earlier wins ties);
    ``processed_utc`` the item's processing or update time (None: unknown, oldest).
    """

    item: pystac.Item
    source_rank: int
    sensor: str
    platform: str
    acquired_utc: datetime
    processed_utc: datetime | None
    relative_orbit: int | None
    orbit_from: str
    orbit_state: str
    tile: str | None

    @property
    def orbit_group(self) -> tuple[str, str]:
        if self.relative_orbit is not None:
            return ("ro", str(self.relative_orbit))
        return ("state", self.orbit_state)


def make_candidate(item: pystac.Item, sensor: str, source_rank: int = 0) -> Candidate:
    props = item.properties
    processed = None
    for key in _PROCESSED_KEYS:
        if props.get(key):
            try:
                processed = parse_datetime(str(props[key]))
                break
            except InputError:
                continue
    rel, how = resolve_relative_orbit(item, sensor)
    tile = next((str(props[k]) for k in _TILE_KEYS if props.get(k)), None)
    return Candidate(
        item=item,
        source_rank=source_rank,
        sensor=sensor,
        platform=item_platform(item, sensor),
        acquired_utc=item_time(item),
        processed_utc=processed,
        relative_orbit=rel,
        orbit_from=how,
        orbit_state=str(props.get("sat:orbit_state") or "unknown").lower(),
        tile=tile,
    )


def _freshness(c: Candidate) -> tuple[float, int, str]:
    """Sort key: newest processing first, then earlier source, then id."""
    processed = c.processed_utc.timestamp() if c.processed_utc else float("-inf")
    return (-processed, c.source_rank, c.item.id)


def drop_duplicates(
    candidates: Iterable[Candidate], tolerance_s: float = 1.0
) -> tuple[list[Candidate], int]:
    """Keep one item per slice: same sensor, platform, orbit, tile and start time within
    ``tolerance_s``. The newest processing wins. Returns (kept in time order, dropped count)."""
    by_slice: dict[tuple[Any, ...], list[Candidate]] = {}
    for c in candidates:
        by_slice.setdefault((c.sensor, c.platform, c.orbit_group, c.tile), []).append(c)
    kept: list[Candidate] = []
    for group in by_slice.values():
        group.sort(key=lambda c: c.acquired_utc)
        cluster: list[Candidate] = []
        for c in group:
            if cluster and (c.acquired_utc - cluster[0].acquired_utc).total_seconds() > tolerance_s:
                kept.append(min(cluster, key=_freshness))
                cluster = []
            cluster.append(c)
        if cluster:
            kept.append(min(cluster, key=_freshness))
    dropped = sum(len(g) for g in by_slice.values()) - len(kept)
    return sorted(kept, key=lambda c: (c.acquired_utc, c.item.id)), dropped


@dataclass(frozen=True)
class Pass:
    """The slices of one satellite pass over a site, merged into one scene (time order).

    ``key`` names the cached file, e.g. ``s1a_20220105_ro021`` (or ``s1a_20220105_asc16h``
    when no relative orbit is known).
    """

    key: str
    sensor: str
    items: tuple[Candidate, ...]
    relative_orbit: int | None
    orbit_from: str

    @property
    def acquired_utc(self) -> datetime:
        return self.items[0].acquired_utc


def _pass_key(first: Candidate) -> str:
    day = first.acquired_utc.strftime("%Y%m%d")
    if first.relative_orbit is not None:
        prefix = "ro" if first.sensor == "s1" else "r"
        return f"{first.platform}_{day}_{prefix}{first.relative_orbit:03d}"
    if first.sensor != "s1":
        return f"{first.platform}_{day}"
    hour = (first.acquired_utc + timedelta(minutes=30)).hour
    return f"{first.platform}_{day}_{first.orbit_state[:3]}{hour:02d}h"


def group_passes(candidates: Iterable[Candidate], gap_s: float = 600.0) -> list[Pass]:
    """Merge slices of one pass: same sensor, platform and orbit (or orbit state when the
    orbit is unknown), each slice starting within ``gap_s`` of the previous one."""
    by_track: dict[tuple[Any, ...], list[Candidate]] = {}
    for c in candidates:
        by_track.setdefault((c.sensor, c.platform, c.orbit_group), []).append(c)
    passes: list[Pass] = []
    for group in by_track.values():
        group.sort(key=lambda c: c.acquired_utc)
        run: list[Candidate] = []
        for c in group:
            if run and (c.acquired_utc - run[-1].acquired_utc).total_seconds() > gap_s:
                passes.append(_make_pass(run))
                run = []
            run.append(c)
        if run:
            passes.append(_make_pass(run))
    passes.sort(key=lambda p: (p.acquired_utc, p.key))
    seen: dict[str, int] = {}
    out = []
    for p in passes:
        n = seen[p.key] = seen.get(p.key, 0) + 1
        out.append(p if n == 1 else replace(p, key=f"{p.key}-{n}"))
    return out


def _make_pass(run: list[Candidate]) -> Pass:
    first = run[0]
    return Pass(_pass_key(first), first.sensor, tuple(run), first.relative_orbit, first.orbit_from)


# --- loading and writing ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A configured source as used while loading: its settings, searcher and signer."""

    rank: int
    cfg: StacSource
    searcher: ItemSource
    signer: PlanetaryComputerSigner | None


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


# --- the fetch step ---------------------------------------------------------------------------


@dataclass
class FetchSummary:
    """What a fetch did. ``paths`` are the scene files written by this run."""

    items_found: int = 0
    duplicates_dropped: int = 0
    scenes_planned: int = 0
    fetched: int = 0
    cached: int = 0
    empty: int = 0
    ingested: int = 0
    paths: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def site_slug(name: str) -> str:
    """File-system name of a site: lower case, runs of other characters as '-'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def scene_path(project: Project, site_name: str, key: str) -> Path:
    """Where the cached scene ``key`` of a site lives: cache/stac/<site-slug>/<key>.tif."""
    return project.cache_dir / "stac" / site_slug(site_name) / f"{key}.tif"


def is_complete(tif: Path) -> bool:
    """A cached scene is complete when both its COG and its sidecar exist (the sidecar is
    written first, the COG renamed into place last)."""
    return tif.is_file() and tif.with_suffix(".json").is_file()


def _day_start(d: date | None) -> datetime | None:
    return None if d is None else datetime(d.year, d.month, d.day, tzinfo=UTC)


def _day_end(d: date | None) -> datetime | None:
    return None if d is None else datetime(d.year, d.month, d.day, 23, 59, 59, 999999, tzinfo=UTC)


def _open_sources(
    project: Project, sensor: str | None, options: FetchOptions, summary: FetchSummary
) -> list[_Source]:
    configured = project.config.stac
    if not configured:
        raise ConfigError(
            "no STAC sources: add one under 'stac:' in forcewatch.yaml (see docs/stac.md)"
        )
    out: list[_Source] = []
    for cfg in configured:
        if sensor is not None and cfg.sensor != sensor:
            continue
        if cfg.sensor not in options.assets:
            summary.warnings.append(
                f"stac source '{cfg.name}': sensor '{cfg.sensor}' cannot be fetched; skipped"
            )
            continue
        signer = PlanetaryComputerSigner(options) if cfg.sign == "planetary-computer" else None
        out.append(_Source(len(out), cfg, open_source(cfg, options), signer))
        if units_for(cfg) == "dn" and cfg.sensor == "s1":
            summary.warnings.append(
                f"stac source '{cfg.name}': GRD assets are uncalibrated amplitude numbers "
                "(and in radar geometry on Earth Search); prefer an RTC collection"
            )
    if not out:
        raise ConfigError(f"no STAC source for sensor '{sensor}' in forcewatch.yaml")
    return out


def plan_site(
    footprint: BaseGeometry,
    sources: Sequence[_Source],
    start_utc: datetime | None,
    end_utc: datetime | None,
    options: FetchOptions,
    summary: FetchSummary,
    site_name: str,
) -> list[Pass]:
    """Search every source over one site, drop duplicates and group passes."""
    found: list[Candidate] = []
    for src in sources:
        try:
            items = src.searcher.search(footprint, start_utc, end_utc)
        except _SEARCH_ERRORS as exc:
            summary.failures.append(
                f"{src.cfg.name}: search for site '{site_name}' failed ({_short(exc)})"
            )
            continue
        for item in items:
            try:
                found.append(make_candidate(item, src.cfg.sensor, src.rank))
            except InputError as exc:
                summary.failures.append(f"{src.cfg.name}: {exc.message}")
    summary.items_found += len(found)
    kept, dropped = drop_duplicates(found, options.duplicate_tolerance_s)
    summary.duplicates_dropped += dropped
    passes = group_passes(kept, options.pass_gap_s)
    for p in passes:
        if p.sensor == "s1" and p.relative_orbit is None:
            summary.warnings.append(
                f"site '{site_name}': {', '.join(c.item.id for c in p.items)} carry no relative "
                f"orbit, absolute orbit or product name; grouped by orbit state and hour ({p.key})"
            )
    return passes


def fetch_pass(
    p: Pass, grid: SiteGrid, tif: Path, sources: Sequence[_Source], options: FetchOptions
) -> bool:
    """Load one pass onto the grid and cache it (sidecar then COG). False when the pass has no
    valid pixel over the grid (an ``.empty`` marker is left so it is not asked for again).
    Raises FetchError when loading fails after retries."""
    what = f"scene {p.key} ({', '.join(c.item.id for c in p.items)})"
    try:
        bands, data = with_retries(
            lambda: compute_pass(load_pass(p, grid, sources, options), p.sensor),
            options.retry,
            what,
        )
    except _LOAD_ERRORS as exc:
        # ValueError: a raster odc-stac cannot place on the grid (e.g. no CRS, GCPs only).
        raise FetchError(f"{what}: {_short(exc)}") from exc
    if not np.isfinite(data).any():
        _write_json(
            tif.with_suffix(".empty"), {"pass": p.key, "reason": "no valid pixel on the site grid"}
        )
        return False
    cfg = sources[p.items[0].source_rank].cfg
    units = units_for(cfg)
    hrefs = [_self_href(c, sources[c.source_rank].cfg) for c in p.items]
    tags = {
        "ACQUISITION_TIME": _utc_text(p.acquired_utc),
        "SENSOR": p.sensor,
        "UNITS": units,
        "STAC_ITEM_ID": ",".join(c.item.id for c in p.items),
        "STAC_HREF": ",".join(hrefs),
        "STAC_SOURCE": cfg.name,
    }
    if p.relative_orbit is not None:
        tags["RELATIVE_ORBIT"] = str(p.relative_orbit)
    if p.sensor == "s1":
        tags["POLARISATIONS"] = ",".join(b.upper() for b in bands)
    _write_json(tif.with_suffix(".json"), sidecar_item(p, grid, tif, bands, units, hrefs))
    write_cog(tif, data, grid, [b.upper() if p.sensor == "s1" else b for b in bands], tags)
    return True


def fetch(
    project: Project,
    since: date | None = None,
    until: date | None = None,
    sensor: str | None = None,
    site_names: Sequence[str] | None = None,
    progress: Progress | None = None,
    options: FetchOptions | None = None,
) -> FetchSummary:
    """Fetch scenes acquired from ``since`` to ``until`` (UTC dates, inclusive; None: open)
    from every ``stac:`` source of ``sensor`` ('s1', 's2'; None: all) over the stored sites
    (all, or those named), cache them and register them in the store.

    ``progress(done, total)`` counts (site, scene) pairs. Raises ConfigError when no source
    applies or a token variable is unset, InputError for unknown site names or sensor or an
    empty date range; network failures
    are retried and then listed in ``FetchSummary.failures``.
    """
    # Imported here: pipeline is the layer above imagery and may import this module.
    from forcewatch.pipeline import ingest, store_for
    from forcewatch.store import repo

    if sensor not in (None, "s1", "s2"):
        raise InputError(f"unknown sensor '{sensor}'; use s1 or s2")
    if since and until and since > until:
        raise InputError(f"--since {since} is after --until {until}")
    options = options or FetchOptions()
    report: Progress = progress or (lambda _d, _t: None)
    summary = FetchSummary()
    store = store_for(project)
    try:
        sites = repo.list_sites(store, site_names)
        frame = repo.scenes_frame(store)
    finally:
        store.dispose()
    if site_names and len(sites) != len(set(site_names)):
        missing = set(site_names) - {s.site.name for s in sites}
        raise InputError(
            f"unknown site(s): {', '.join(sorted(missing))}; see `forcewatch sites list`"
        )
    registered = set(frame["href"]) if not frame.empty else set()
    sources = _open_sources(project, sensor, options, summary)
    start, end = _day_start(since), _day_end(until)
    cfg = project.config
    plan: list[tuple[str, SiteGrid, Pass]] = []
    for stored in sites:
        grid = grid_for_site(stored.site, cfg.imagery.grid_res_m, cfg.sites.margin_km)
        footprint = grid_footprint(grid)
        for p in plan_site(footprint, sources, start, end, options, summary, stored.site.name):
            plan.append((stored.site.name, grid, p))
    summary.scenes_planned = len(plan)
    report(0, len(plan))
    to_register: list[Path] = []
    for done, (site_name, grid, p) in enumerate(plan, start=1):
        tif = scene_path(project, site_name, p.key)
        if is_complete(tif):
            summary.cached += 1
            if str(tif.resolve()) not in registered:
                to_register.append(tif)
        elif tif.with_suffix(".empty").is_file():
            summary.empty += 1
        else:
            try:
                if fetch_pass(p, grid, tif, sources, options):
                    summary.fetched += 1
                    summary.paths.append(str(tif))
                    to_register.append(tif)
                else:
                    summary.empty += 1
            except ForceWatchError as exc:
                summary.failures.append(f"site '{site_name}': {exc.message}")
        report(done, len(plan))
    if to_register:
        ingested = ingest(project, to_register)
        summary.ingested = ingested.new + ingested.changed
        summary.failures.extend(ingested.errors)
    return summary
