"""What a publication is made of: every stored row a report, bundle or export shows.

``load_evidence`` reads the store once into an immutable ``Evidence`` value; the report, the
bundle, the exports and the web pages all render from it, so they always agree. Reads that
``store.repo`` does not offer yet (detections, runs) are plain SELECTs on the store tables.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from forcewatch.config import DEFAULT_BANDS_KM, Project, load_project
from forcewatch.errors import InputError
from forcewatch.sites import ReferenceLine
from forcewatch.store import repo
from forcewatch.store import tables as t
from forcewatch.store.db import Store, open_store

log = logging.getLogger(__name__)

ACTIVITY_METRIC = "bright_frac_resid"
FUSED_KEY = "fused"
STATES = ("blind", "conditions-changed", "quiet", "build-up", "draw-down")


@dataclass(frozen=True)
class Source:
    """An open store and, when known, the project it belongs to."""

    store: Store
    project: Project | None = None

    @property
    def simulated_by_config(self) -> bool:
        return bool(self.project and self.project.config.simulated)

    @property
    def bands_km(self) -> list[float]:
        if self.project is None:
            return list(DEFAULT_BANDS_KM)
        return list(self.project.config.sites.bands_km)


def is_simulated(source: Source) -> bool:
    """Whether the project is marked simulated or any stored scene is simulated."""
    return source.simulated_by_config or repo.any_simulated_scene(source.store)


def open_source(project_or_store: Project | Store | str | Path) -> Source:
    """A Source from a Project, an open Store, a store URL or a project folder.

    A string containing ``://`` is a SQLAlchemy URL; anything else is a project folder.
    Raises ConfigError (no project there) or StoreError (store cannot be opened).
    """
    if isinstance(project_or_store, Store):
        return Source(project_or_store)
    if isinstance(project_or_store, Project):
        return Source(open_store(project_or_store.store_url), project_or_store)
    text = str(project_or_store)
    if "://" in text:
        return Source(open_store(text))
    project = load_project(text)
    return Source(open_store(project.store_url), project)


@dataclass(frozen=True)
class Evidence:
    """Every stored row a publication shows. Frames are long form with UTC times.

    ``sites`` are ``repo.StoredSite`` ordered by name; ``latest_state`` maps site name to its
    latest fused state (or latest state of any geometry when not fused, or ``unknown``).
    ``simulated``: the project says ``simulated: true`` (``simulated_by_config``) or any of
    its scenes is simulated.
    """

    sites: list[repo.StoredSite]
    reference: ReferenceLine | None
    scenes: pd.DataFrame
    measurements: pd.DataFrame
    states: pd.DataFrame
    detections: pd.DataFrame
    claims: list[dict[str, Any]]
    verdicts: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    simulated: bool
    bands_km: list[float]
    latest_state: dict[str, str] = field(default_factory=dict)
    simulated_by_config: bool = False

    @property
    def site_names(self) -> list[str]:
        return [s.site.name for s in self.sites]

    def site(self, name: str) -> repo.StoredSite | None:
        return next((s for s in self.sites if s.site.name == name), None)

    def verdict_for(self, claim_id: str) -> dict[str, Any] | None:
        """The latest stored verdict of a claim (verdicts are listed oldest first)."""
        found = [v for v in self.verdicts if v.get("claim_id") == claim_id]
        return found[-1] if found else None

    def scene(self, scene_id: str) -> dict[str, Any] | None:
        if self.scenes.empty:
            return None
        rows = self.scenes[self.scenes["scene_id"] == scene_id]
        return None if rows.empty else dict(rows.iloc[0])

    def params_hashes(self) -> list[str]:
        hashes: set[str] = set()
        for frame in (self.measurements, self.detections):
            if not frame.empty and "params_hash" in frame:
                hashes.update(str(h) for h in frame["params_hash"].dropna().unique())
        hashes.update(str(v["params_hash"]) for v in self.verdicts if v.get("params_hash"))
        return sorted(hashes)


def scene_row(store: Store, scene_id: str) -> dict[str, Any] | None:
    """One stored scene by id (href, polarisations, units, ...), or None."""
    with store.connect() as conn:
        row = conn.execute(select(t.scenes).where(t.scenes.c.id == scene_id)).mappings().first()
    return None if row is None else dict(row)


def detections_frame(
    store: Store, site_ids: Sequence[int] | None = None, scene_id: str | None = None
) -> pd.DataFrame:
    """Detections with their site name (optionally of some sites or one scene), UTC times."""
    q = select(
        t.detections.c.id,
        t.detections.c.site_id,
        t.sites.c.name.label("site"),
        t.detections.c.scene_id,
        t.detections.c.image_href,
        t.detections.c.acquired_utc,
        t.detections.c.class_name,
        t.detections.c.score,
        t.detections.c.bbox_px,
        t.detections.c.geometry_wkt,
        t.detections.c.params_hash,
    ).join(t.sites, t.sites.c.id == t.detections.c.site_id, isouter=True)
    if site_ids:
        q = q.where(t.detections.c.site_id.in_(list(site_ids)))
    if scene_id is not None:
        q = q.where(t.detections.c.scene_id == scene_id)
    return repo.query_frame(store, q.order_by(t.detections.c.id))


def runs_list(store: Store) -> list[dict[str, Any]]:
    """Stored runs (command, parameters, code version), oldest first."""
    with store.connect() as conn:
        rows = conn.execute(select(t.runs).order_by(t.runs.c.id)).mappings().all()
    return [dict(r) for r in rows]


def latest_states_of(states: pd.DataFrame) -> dict[str, str]:
    """Site name to its latest fused state (else the latest state of any geometry)."""
    if states.empty:
        return {}
    fused = states[states["geometry_key"] == FUSED_KEY]
    out: dict[str, str] = {}
    for name, group in states.groupby("site"):
        chosen = fused[fused["site"] == name]
        rows = chosen if not chosen.empty else group
        out[str(name)] = str(rows.sort_values("acquired_utc").iloc[-1]["state"])
    return out


def load_evidence(
    source: Source,
    site_names: Sequence[str] | None = None,
    claim_ids: Sequence[str] | None = None,
    with_measurements: bool = True,
) -> Evidence:
    """Read everything a publication shows, optionally only some sites and claims.

    ``with_measurements`` False leaves the measurements and detections empty (faster pages
    that show no series). Raises InputError when a named site or claim is not in the store.
    """
    store = source.store
    sites = repo.list_sites(store, site_names)
    if site_names:
        missing = sorted(set(site_names) - {s.site.name for s in sites})
        if missing:
            raise InputError(f"no site named {', '.join(missing)} in the store; see `sites list`")
    ids = [s.id for s in sites]
    claims = repo.list_claims(store)
    if claim_ids:
        missing = sorted(set(claim_ids) - {str(c.get("id")) for c in claims})
        if missing:
            raise InputError(f"no claim with id {', '.join(missing)} in the store")
        claims = [c for c in claims if c.get("id") in set(claim_ids)]
    kept = {str(c.get("id")) for c in claims}
    verdicts = [v for v in repo.list_verdicts(store) if str(v.get("claim_id")) in kept]
    scenes = repo.scenes_frame(store)
    measurements = (
        repo.measurements_frame(store, ids or None) if with_measurements else pd.DataFrame()
    )
    states = repo.states_frame(store)
    if not states.empty:
        states = states[states["site_id"].isin(ids)]
    if site_names and not scenes.empty:
        scenes = scenes[scenes["site_id"].isin(ids)]
    simulated = source.simulated_by_config or bool(
        not scenes.empty and scenes["simulated"].fillna(False).astype(bool).any()
    )
    return Evidence(
        sites=sites,
        reference=repo.get_reference(store),
        scenes=scenes,
        measurements=measurements,
        states=states,
        detections=detections_frame(store, (ids or None) if with_measurements else [-1]),
        claims=claims,
        verdicts=verdicts,
        runs=runs_list(store),
        simulated=simulated,
        bands_km=source.bands_km,
        latest_state=latest_states_of(states),
        simulated_by_config=source.simulated_by_config,
    )


def unique_scenes(scenes: pd.DataFrame) -> pd.DataFrame:
    """One row per scene (``scenes_frame`` repeats a scene for every site it overlaps)."""
    if scenes.empty:
        return scenes
    return scenes.drop_duplicates("scene_id").sort_values(["acquired_utc", "scene_id"])


def activity_by_orbit(evidence: Evidence, site: str) -> dict[str, pd.Series]:
    """Per-orbit activity (``bright_frac_resid``) of a site, indexed by acquisition time."""
    m = evidence.measurements
    if m.empty:
        return {}
    rows = m[(m["site"] == site) & (m["metric"] == ACTIVITY_METRIC)]
    out: dict[str, pd.Series] = {}
    for key, group in rows.groupby("geometry_key"):
        out[str(key)] = group.set_index("acquired_utc")["value"].sort_index()
    return out


def site_states(evidence: Evidence, site: str) -> pd.DataFrame:
    """A site's states, fused when there are fused rows, else those of every geometry."""
    s = evidence.states
    if s.empty:
        return s
    rows = s[s["site"] == site]
    fused = rows[rows["geometry_key"] == FUSED_KEY]
    return (fused if not fused.empty else rows).sort_values("acquired_utc")
