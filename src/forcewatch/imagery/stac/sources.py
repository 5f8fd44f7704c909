"""Where STAC items come from, and how the network is called.

Fetch settings (:class:`FetchOptions`, :class:`RetryPolicy`); retries with exponential back-off
for transient errors; item sources (a STAC API through pystac-client, or a static catalog
through pystac) with bearer-token auth; Planetary Computer SAS signing of asset hrefs.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import pystac
from pystac_client import Client
from pystac_client.exceptions import APIError
from pystac_client.stac_api_io import StacApiIO
from rasterio.errors import RasterioError
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from forcewatch.config import StacSource
from forcewatch.errors import ConfigError, FetchError
from forcewatch.imagery.catalog import parse_datetime
from forcewatch.imagery.stac.grouping import item_time

log = logging.getLogger(__name__)
T = TypeVar("T")

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
# GDAL reports HTTP failures as text only. A status is read where the text names it as one
# ("HTTP response code: 404", "HTTP error code: 403", "404 Not Found"), never as a bare run of
# digits: a port (127.0.0.1:44015) or an orbit number in a URL is not a status.
_PERMANENT_TEXT = re.compile(
    r"(?:HTTP (?:response |error |status )?code|status(?: code)?)\s*[:=]?\s*40[134]\b"
    r"|\b40[134] (?:Not Found|Forbidden|Unauthori[sz]ed)"
    r"|No such file|does not exist|not recognized as",
    re.IGNORECASE,
)
_NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    APIError,
    httpx.HTTPError,
    RasterioError,
    OSError,
)


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
    # A missing file will not appear by retrying, nor a refused one be let in.
    return _PERMANENT_TEXT.search(str(exc)) is None


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


# --- sources as used while fetching -----------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A configured source as used while loading: its settings, searcher and signer."""

    rank: int
    cfg: StacSource
    searcher: ItemSource
    signer: PlanetaryComputerSigner | None
