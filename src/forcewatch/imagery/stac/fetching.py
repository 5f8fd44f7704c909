"""The fetch step: plan the passes over each site, fetch what the cache lacks, ingest it.

Scenes are cached as cache/stac/<site-slug>/<pass key>.tif; one already complete is not
fetched again, and a pass with no valid pixel leaves an ``.empty`` marker. Failures are
reported per item in :class:`FetchSummary` and the run goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pystac
from shapely.geometry.base import BaseGeometry

from forcewatch.config import Project
from forcewatch.errors import ConfigError, FetchError, ForceWatchError, InputError
from forcewatch.imagery.load import SiteGrid, grid_for_site
from forcewatch.imagery.stac.grouping import (
    Candidate,
    Pass,
    drop_duplicates,
    group_passes,
    make_candidate,
)
from forcewatch.imagery.stac.scenes import (
    _self_href,
    _utc_text,
    _write_json,
    compute_pass,
    grid_footprint,
    load_pass,
    sidecar_item,
    units_for,
    write_cog,
)
from forcewatch.imagery.stac.sources import (
    _NETWORK_ERRORS,
    FetchOptions,
    PlanetaryComputerSigner,
    _short,
    _Source,
    open_source,
    with_retries,
)

Progress = Callable[[int, int], None]
_LOAD_ERRORS: tuple[type[BaseException], ...] = (*_NETWORK_ERRORS, ValueError)
_SEARCH_ERRORS: tuple[type[BaseException], ...] = (
    ForceWatchError,
    pystac.STACError,
    ValueError,
    *_NETWORK_ERRORS,
)


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
