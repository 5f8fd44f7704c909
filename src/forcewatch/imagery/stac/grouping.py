"""From STAC items to passes: relative-orbit resolution, duplicate dropping, pass merging.

Each item found for a site becomes a :class:`Candidate` (acquisition time, platform, relative
orbit and where it came from, tile, processing time); duplicates of one slice are dropped (the
newest processing wins); the slices of one satellite pass are merged into one :class:`Pass`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pystac

from forcewatch.errors import InputError
from forcewatch.imagery.catalog import S1_NAME, parse_datetime, s1_relative_orbit

_PROCESSED_KEYS = ("processing:datetime", "s1:processing_datetime", "updated", "created")
_TILE_KEYS = ("grid:code", "s2:mgrs_tile", "mgrs:grid_square")
_PLATFORM = re.compile(r"sentinel-?([12])([a-d])", re.IGNORECASE)
_ID_PLATFORM = re.compile(r"^(S[12][A-D])_")
_S2_ORBIT = re.compile(r"_R(\d{3})_")


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
