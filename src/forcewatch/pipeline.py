"""The main job's steps over a project: init, sites, ingest, analyze.

Each step is idempotent and resumable, reports progress through a callback (the CLI draws
bars; library code never prints), and returns a small summary value.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forcewatch.analysis import SarParams, measure, plan_all, short_series
from forcewatch.config import PROJECT_FILE, Project, load_project, render_template
from forcewatch.engine import client, map_unordered, scheduler_address
from forcewatch.errors import ConfigError, ForceWatchError, ImageryError, InputError
from forcewatch.imagery.catalog import read_scene, scan_paths
from forcewatch.sites import (
    GEOD,
    ReferenceLine,
    Site,
    check_side,
    check_swapped,
    load_reference,
    load_watchlist,
    reference_swapped,
    with_distance,
)
from forcewatch.store import repo
from forcewatch.store.db import Store, open_store

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


def _noop(_done: int, _total: int) -> None:
    return None


def init_project(
    folder: Path,
    *,
    name: str = "ForceWatch project",
    watchlist: str | None = None,
    reference: str | None = None,
    simulated: bool = False,
    ring_km: float = 0.5,
    margin_km: float = 1.0,
) -> Project:
    """Create ``folder/forcewatch.yaml`` (kept if present) and the store. Idempotent."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file; give a folder for the project")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the project folder {folder}: {exc.strerror}") from exc
    path = folder / PROJECT_FILE
    if not path.exists():
        text = render_template(name, watchlist, reference, simulated, ring_km, margin_km)
        path.write_text(text, encoding="utf-8")
    project = load_project(folder)
    open_store(project.store_url).dispose()
    return project


def store_for(project: Project) -> Store:
    return open_store(project.store_url)


@dataclass
class SitesSummary:
    added: int = 0
    updated: int = 0
    warnings: list[str] = field(default_factory=list)
    # no watchlist given or configured: the stored sites were measured against the reference
    stored_only: int = 0


def import_sites(
    project: Project,
    watchlist: Path | None = None,
    reference: Path | None = None,
    extra_sites: Sequence[Site] = (),
) -> SitesSummary:
    """Load the watchlist and reference line, compute distances and bands, store them."""
    cfg = project.config.sites
    ref_path = reference or (project.resolve(cfg.reference) if cfg.reference else None)
    wl_path = watchlist or (project.resolve(cfg.watchlist) if cfg.watchlist else None)
    store = store_for(project)
    try:
        ref: ReferenceLine | None = (
            load_reference(ref_path) if ref_path else repo.get_reference(store)
        )
        sites: list[Site] = list(extra_sites)
        stored_only = 0
        if wl_path:
            sites += load_watchlist(wl_path, cfg.default_radius_km)
        elif not extra_sites:
            sites = [s.site for s in repo.list_sites(store)]
            stored_only = len(sites)
        if not sites:
            raise ConfigError(
                "no watchlist: pass a GeoJSON/YAML file or set sites.watchlist in forcewatch.yaml"
            )
        computed = [with_distance(s, ref, cfg.bands_km) for s in sites]
        summary = SitesSummary(stored_only=stored_only)
        blamed = reference_swapped(computed, ref)
        summary.warnings = (
            [blamed]
            if blamed is not None
            else [
                w
                for s in computed
                for w in (
                    check_side(s, ref, cfg.reference_side),
                    check_swapped(s, ref, cfg.bands_km),
                )
                if w is not None
            ]
        )
        with store.begin() as conn:
            if ref is not None and ref_path:
                repo.set_reference(conn, ref)
            summary.added, summary.updated = repo.upsert_sites(conn, computed)
        return summary
    finally:
        store.dispose()


@dataclass
class IngestSummary:
    new: int = 0
    unchanged: int = 0
    changed: int = 0
    duplicate: int = 0
    no_overlap: list[str] = field(default_factory=list)
    # for each of those: where it lies and the nearest site ("centre 40.1N 74.2W, 7,512 km from
    # Klintsy"), empty when the project has no sites yet
    no_overlap_where: dict[str, str] = field(default_factory=dict)
    # new files of a pass already stored from another file ("PATH: the same pass as OTHER")
    same_pass: list[str] = field(default_factory=list)
    sites: int = 0
    errors: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # registered here before, file gone

    @property
    def total(self) -> int:
        return self.new + self.unchanged + self.changed + self.duplicate + len(self.errors)


def ingest(
    project: Project, paths: Sequence[str | Path], progress: Progress = _noop
) -> IngestSummary:
    """Register raster files and Sentinel-1 ``.SAFE`` products: one transaction per scene;
    bad ones are reported and skipped."""
    # imagery.paths in forcewatch.yaml are relative to the project folder, not to where the
    # command runs (`forcewatch ingest -p config` from elsewhere)
    roots = list(paths) or [project.resolve(p) for p in project.config.imagery.paths]
    if not roots:
        raise InputError(
            "no imagery given: pass image files or folders, or set imagery.paths in forcewatch.yaml"
        )
    files = list(scan_paths(roots))
    if not files:
        raise InputError("no raster files (.tif/.tiff) or .SAFE products found in the given paths")
    store = store_for(project)
    summary = IngestSummary()
    try:
        sites = repo.list_sites(store)
        for i, path in enumerate(files):
            try:
                scene = read_scene(path, project.config.imagery.filename_pattern)
            except (ImageryError, InputError) as exc:
                said = exc.message  # the file's name first, once
                summary.errors.append(said if str(path) in said else f"{path}: {said}")
                progress(i + 1, len(files))
                continue
            fractions = {
                s.id: repo.overlap_fraction(scene.footprint, s.site.geometry) for s in sites
            }
            overlaps = {site_id: f for site_id, f in fractions.items() if f > 0}
            with store.begin() as conn:
                status = repo.scene_status(conn, scene)
                if status == "new" and (other := repo.same_pass(conn, scene)) is not None:
                    summary.same_pass.append(f"{path}: the same pass as {other}")
                if status in {"new", "changed"}:
                    repo.register_scene(conn, scene, overlaps)
            setattr(summary, status, getattr(summary, status) + 1)
            if not overlaps and status != "duplicate":
                summary.no_overlap.append(str(path))
                summary.no_overlap_where[str(path)] = _where(scene.footprint, sites)
            progress(i + 1, len(files))
        summary.missing = _missing_files(store, roots)
        summary.sites = len(sites)
    finally:
        store.dispose()
    return summary


def _where(footprint: Any, sites: Sequence[repo.StoredSite]) -> str:
    """Where a footprint lies, and how far its nearest site is: "centre 40.10N 74.20W, 7512 km
    from Klintsy"."""
    c = footprint.centroid
    text = (
        f"centre {abs(c.y):.2f}{'N' if c.y >= 0 else 'S'} {abs(c.x):.2f}{'E' if c.x >= 0 else 'W'}"
    )
    if not sites:
        return text
    far = [
        (GEOD.inv(c.x, c.y, s.site.geometry.centroid.x, s.site.geometry.centroid.y)[2], s.site.name)
        for s in sites
    ]
    metres, name = min(far)
    return f"{text}, {metres / 1000:,.0f} km from {name}"


def _missing_files(store: Store, paths: Sequence[str | Path]) -> list[str]:
    """Scenes registered from under ``paths`` whose files are gone: analysis would skip them
    and their dates would drop out of the series."""
    roots = [Path(p).expanduser().resolve() for p in paths]
    frame = repo.scenes_frame(store)
    if frame.empty or "href" not in frame:
        return []
    gone = []
    for href in frame["href"].unique():
        path = Path(str(href))
        if "://" in str(href) or path.exists():
            continue
        if any(path.resolve().is_relative_to(root) for root in roots):
            gone.append(str(href))
    return sorted(gone)


@dataclass
class AnalyzeSummary:
    units_total: int = 0
    units_done_before: int = 0
    units_measured: int = 0
    rows_written: int = 0
    failures: list[str] = field(default_factory=list)
    # scenes a unit could not read ("Klintsy s1:ro021: PATH: why"): dates missing from a series
    skipped: list[str] = field(default_factory=list)
    run_id: int | None = None
    # series with too few scenes for a change test yet (they wait for the next pass)
    waiting: list[str] = field(default_factory=list)


def analyze(
    project: Project,
    *,
    scheduler: str | None = None,
    site_names: Sequence[str] | None = None,
    progress: Progress = _noop,
    redo: bool = False,
) -> AnalyzeSummary:
    """Measure every (site, geometry) unit not yet stored, one task per unit on the engine;
    ``redo``: measure the stored ones again too (of ``site_names``, else all)."""
    store = store_for(project)
    summary = AnalyzeSummary()
    params = SarParams.from_config(project.config, project.root)
    try:
        sites = repo.list_sites(store, site_names)
        if site_names and len(sites) != len(set(site_names)):
            missing = set(site_names) - {s.site.name for s in sites}
            raise InputError(
                f"unknown site(s): {', '.join(sorted(missing))}; see `forcewatch sites list`"
            )
        if redo:
            with store.begin() as conn:
                repo.forget_units(conn, [s.id for s in sites] if site_names else None)
        scenes = repo.scenes_frame(store)
        units = plan_all(sites, scenes, params)
        summary.waiting = short_series(sites, scenes)
        done = repo.done_units(store)
        todo = [u for u in units if u.unit_key not in done]
        summary.units_total = len(units)
        summary.units_done_before = len(units) - len(todo)
        progress(summary.units_done_before, len(units))
        if not todo:
            return summary
        if params.detector_model and any(u.geometry_key == "hr" for u in todo):
            from forcewatch.measure.objects import load_model

            load_model(params.detector_model)  # a bad detection.model: one error, before any task
        run_id = repo.start_run(store, "analyze", {"params": params.__dict__, "units": len(todo)})
        summary.run_id = run_id
        address = scheduler_address(scheduler, project.config.engine.scheduler)
        with client(address, project.config.engine.workers) as dask_client:
            for unit, result in map_unordered(dask_client, measure, todo):
                if isinstance(result, BaseException):
                    summary.failures.append(f"{unit.site.name} {unit.geometry_key}: {result}")
                else:
                    with store.begin() as conn:
                        fresh = repo.claim_unit(conn, unit.unit_key)
                        if fresh:
                            repo.write_unit(
                                conn,
                                unit_key=unit.unit_key,
                                site_id=unit.site_id,
                                geometry_key=unit.geometry_key,
                                params_hash=unit.params_hash,
                                run_id=run_id,
                                rows=result.rows,
                                detections=result.detections,
                            )
                    if fresh:
                        summary.units_measured += 1
                        summary.rows_written += len(result.rows)
                        summary.skipped += [
                            f"{unit.site.name} {unit.geometry_key}: {why}" for why in result.skipped
                        ]
                    else:  # another process stored this unit meanwhile
                        summary.units_done_before += 1
                progress(summary.units_done_before + summary.units_measured, len(units))
        status = "ok" if not summary.failures else "partial"
        repo.finish_run(store, run_id, status, "; ".join(summary.failures) or None)
    except ForceWatchError:
        raise
    finally:
        store.dispose()
    return summary


def describe(summary: Any) -> dict[str, Any]:
    """A summary dataclass as a plain dict (for --json output)."""
    return {k: v for k, v in vars(summary).items()}


def assess(project: Project) -> int:
    """Recompute and store series states from the stored measurements; returns rows written."""
    from forcewatch.series import assess_store

    store = store_for(project)
    try:
        return int(assess_store(store, project.config))
    finally:
        store.dispose()


def compute_verdicts(project: Project) -> list[dict[str, Any]]:
    """Test every stored claim against the stored series; stores and returns the verdicts."""
    from forcewatch.claims.verdict import verdicts_for_store

    store = store_for(project)
    try:
        return list(verdicts_for_store(store, project.config))
    finally:
        store.dispose()
