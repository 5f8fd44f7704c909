"""Repository functions: the only place that reads and writes store rows.

Each write function takes an open connection inside a transaction (``Store.begin()``), so the
caller decides what one unit of work is; reads take a Store. Times are returned UTC-aware.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import shapely
from sqlalchemy import Connection, Table, delete, func, insert, select, text, update

from forcewatch import __version__
from forcewatch.errors import InputError
from forcewatch.imagery.catalog import Scene
from forcewatch.sites import ReferenceLine, Site
from forcewatch.store import tables as t
from forcewatch.store.db import Store

CODE_VERSION = f"forcewatch {__version__} (python {platform.python_version()})"


def query_frame(store: Store, query: Any) -> pd.DataFrame:
    """Rows of a select as a DataFrame, ``acquired_utc`` as UTC timestamps; an empty result
    still has the query's columns."""
    with store.connect() as conn:
        df = pd.DataFrame(conn.execute(query).mappings().all())
    if df.empty:
        return pd.DataFrame(columns=[c.name for c in query.selected_columns])
    if "acquired_utc" in df:
        df["acquired_utc"] = pd.to_datetime(df["acquired_utc"], utc=True)
    return df


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; the store only holds UTC, so mark them so."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- runs -------------------------------------------------------------------------------------


def start_run(store: Store, command: str, params: dict[str, Any]) -> int:
    with store.begin() as conn:
        res = conn.execute(
            insert(t.runs).values(
                command=command,
                started_utc=now_utc(),
                status="running",
                params=params,
                code_version=CODE_VERSION,
            )
        )
        return int(res.inserted_primary_key[0])  # type: ignore[index]


def finish_run(store: Store, run_id: int, status: str, message: str | None = None) -> None:
    with store.begin() as conn:
        conn.execute(
            update(t.runs)
            .where(t.runs.c.id == run_id)
            .values(status=status, finished_utc=now_utc(), message=message)
        )


# --- sites ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredSite:
    """A site as stored, with its row id."""

    id: int
    site: Site


def upsert_sites(conn: Connection, sites: Iterable[Site]) -> tuple[int, int]:
    """Insert new sites, update changed ones (by name), and link the stored scenes to the sites
    whose geometry is new (a site added after its imagery was ingested gets that imagery).
    Returns (added, updated)."""
    added = updated = 0
    redrawn: list[str] = []
    existing = {r.name: r for r in conn.execute(select(t.sites))}
    folded = {name.casefold(): name for name in existing}
    for s in sites:
        other = folded.get(s.name.casefold())
        if other is not None and other != s.name:
            # claims and the dashboard match site names whatever their case: two would clash
            raise InputError(
                f"site {s.name!r}: a site named {other!r} exists (names differ only in case); "
                "use that name, or another one"
            )
        values = dict(
            kind=s.kind,
            country=s.country,
            geometry_wkt=s.geometry.wkt,
            distance_km=s.distance_km,
            band=s.band,
            properties=s.properties,
            updated_utc=now_utc(),
        )
        row = existing.get(s.name)
        if row is None:
            conn.execute(insert(t.sites).values(name=s.name, **values))
            added += 1
            redrawn.append(s.name)
        elif (row.geometry_wkt, row.distance_km, row.band, row.kind) != (
            values["geometry_wkt"],
            s.distance_km,
            s.band,
            s.kind,
        ):
            conn.execute(update(t.sites).where(t.sites.c.id == row.id).values(**values))
            updated += 1
            if row.geometry_wkt != values["geometry_wkt"]:
                redrawn.append(s.name)
    if redrawn:
        link_scenes(conn, redrawn)
    return added, updated


def overlap_fraction(footprint: Any, site_geometry: Any) -> float:
    """The fraction of a site a scene footprint covers (0 when they only touch or miss)."""
    inter = shapely.intersection(footprint, site_geometry)
    return 0.0 if inter.is_empty else round(inter.area / site_geometry.area, 4)


def site_overlaps(footprints: Sequence[Any], site_geometry: Any) -> dict[int, float]:
    """Index into ``footprints`` -> the fraction of the site each one covers (non-zero)."""
    if not len(footprints):
        return {}
    hits = shapely.intersects(footprints, site_geometry).nonzero()[0]
    fractions = {int(i): overlap_fraction(footprints[i], site_geometry) for i in hits}
    return {i: f for i, f in fractions.items() if f > 0}


def link_scenes(conn: Connection, site_names: Sequence[str]) -> int:
    """Recompute which stored scenes cover the named sites (after a site is added or redrawn).
    Returns the number of (scene, site) links written."""
    rows = conn.execute(select(t.scenes.c.id, t.scenes.c.footprint_wkt)).all()
    ids = [r.id for r in rows]
    footprints = shapely.from_wkt([r.footprint_wkt for r in rows]) if rows else []
    links = 0
    for site in conn.execute(select(t.sites).where(t.sites.c.name.in_(list(site_names)))):
        conn.execute(delete(t.scene_sites).where(t.scene_sites.c.site_id == site.id))
        for i, frac in site_overlaps(footprints, shapely.from_wkt(site.geometry_wkt)).items():
            conn.execute(
                insert(t.scene_sites).values(
                    scene_id=ids[i], site_id=site.id, overlap_fraction=frac
                )
            )
            links += 1
    return links


def delete_sites(conn: Connection, names: Sequence[str]) -> list[str]:
    """Remove sites with their scene links, measurements, units and states; returns the names
    removed (the verdicts are recomputed by the next ``verdicts``)."""
    rows = conn.execute(select(t.sites.c.id, t.sites.c.name).where(t.sites.c.name.in_(names)))
    found = {r.name: r.id for r in rows}
    for site_id in found.values():
        for table in (t.scene_sites, t.measurements, t.analysis_units, t.series_states):
            conn.execute(delete(table).where(table.c.site_id == site_id))
        conn.execute(
            update(t.detections).where(t.detections.c.site_id == site_id).values(site_id=None)
        )
        conn.execute(delete(t.sites).where(t.sites.c.id == site_id))
    return sorted(found)


def _site_from_row(row: Any) -> StoredSite:
    site = Site(
        name=row.name,
        geometry=shapely.from_wkt(row.geometry_wkt),
        kind=row.kind,
        country=row.country,
        distance_km=row.distance_km,
        band=row.band,
        properties=dict(row.properties or {}),
    )
    return StoredSite(row.id, site)


def list_sites(store: Store, names: Sequence[str] | None = None) -> list[StoredSite]:
    """Stored sites ordered by name, optionally only those named."""
    q = select(t.sites).order_by(t.sites.c.name)
    if names:
        q = q.where(t.sites.c.name.in_(list(names)))
    with store.connect() as conn:
        return [_site_from_row(r) for r in conn.execute(q)]


def _lock_for_replace(conn: Connection, table: Table) -> None:
    """Before a transaction deletes every row of ``table`` and writes new ones: on PostgreSQL,
    a table lock that concurrent replacers queue on, so the second one's DELETE sees the first
    one's rows (at READ COMMITTED its DELETE would otherwise miss them and its INSERT collide).
    SQLite write transactions are already exclusive."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE"))


def set_reference(conn: Connection, ref: ReferenceLine) -> None:
    """Store the reference line (one per project: replaces any other)."""
    _lock_for_replace(conn, t.reference_lines)
    conn.execute(delete(t.reference_lines))
    conn.execute(
        insert(t.reference_lines).values(
            name=ref.name, geometry_wkt=ref.geometry.wkt, updated_utc=now_utc()
        )
    )


def get_reference(store: Store) -> ReferenceLine | None:
    with store.connect() as conn:
        row = conn.execute(select(t.reference_lines)).first()
    return None if row is None else ReferenceLine(row.name, shapely.from_wkt(row.geometry_wkt))


# --- scenes -----------------------------------------------------------------------------------


def scene_values(scene: Scene) -> dict[str, Any]:
    return dict(
        id=scene.scene_id,
        href=scene.href,
        sha256=scene.sha256,
        sensor=scene.sensor,
        acquired_utc=scene.acquired_utc,
        relative_orbit=scene.relative_orbit,
        geometry_key=scene.geometry_key,
        polarisations=",".join(scene.polarisations),
        footprint_wkt=scene.footprint.wkt,
        crs=scene.crs,
        width=scene.width,
        height=scene.height,
        res_m=scene.res_m,
        units=scene.units,
        simulated=scene.simulated,
        stac_item_id=scene.stac_item_id,
        ingested_utc=now_utc(),
    )


def scene_status(conn: Connection, scene: Scene) -> str:
    """'new', 'unchanged', 'changed' (same file, new bytes) or 'duplicate' (bytes known)."""
    row = conn.execute(select(t.scenes.c.sha256).where(t.scenes.c.href == scene.href)).first()
    if row is not None:
        return "unchanged" if row.sha256 == scene.sha256 else "changed"
    dup = conn.execute(select(t.scenes.c.id).where(t.scenes.c.sha256 == scene.sha256)).first()
    return "duplicate" if dup is not None else "new"


def same_pass(conn: Connection, scene: Scene) -> str | None:
    """The file of a stored scene of the same pass as ``scene`` (sensor, time and orbit equal,
    footprints overlapping, another file), or None."""
    rows = conn.execute(
        select(t.scenes.c.href, t.scenes.c.footprint_wkt).where(
            t.scenes.c.sensor == scene.sensor,
            t.scenes.c.acquired_utc == scene.acquired_utc,
            t.scenes.c.geometry_key == scene.geometry_key,
            t.scenes.c.href != scene.href,
        )
    ).all()
    for r in rows:
        if shapely.from_wkt(r.footprint_wkt).intersects(scene.footprint):
            return str(r.href)
    return None


def register_scene(conn: Connection, scene: Scene, overlaps: dict[int, float]) -> None:
    """Insert or replace a scene and its site overlaps; a changed scene loses its old results."""
    old = conn.execute(select(t.scenes.c.id).where(t.scenes.c.href == scene.href)).first()
    if old is not None:
        _forget_scene(conn, old.id)
    conn.execute(insert(t.scenes).values(**scene_values(scene)))
    for site_id, frac in overlaps.items():
        conn.execute(
            insert(t.scene_sites).values(
                scene_id=scene.scene_id, site_id=site_id, overlap_fraction=frac
            )
        )


def forget_files(conn: Connection, hrefs: Sequence[str]) -> tuple[int, list[str]]:
    """Remove the scenes ingested from these files and every unit that used them; returns the
    number removed and the files no scene came from."""
    rows = conn.execute(select(t.scenes.c.id, t.scenes.c.href).where(t.scenes.c.href.in_(hrefs)))
    found = {r.href: r.id for r in rows}
    for scene_id in found.values():
        _forget_scene(conn, scene_id)
    return len(found), [h for h in hrefs if h not in found]


def _forget_scene(conn: Connection, scene_id: str) -> None:
    """Remove a scene and every unit that used it (so it is re-analysed)."""
    site_geoms = conn.execute(
        select(t.measurements.c.unit_key).where(t.measurements.c.scene_id == scene_id).distinct()
    ).all()
    for (unit_key,) in site_geoms:
        conn.execute(delete(t.measurements).where(t.measurements.c.unit_key == unit_key))
        conn.execute(delete(t.analysis_units).where(t.analysis_units.c.unit_key == unit_key))
    conn.execute(delete(t.scene_sites).where(t.scene_sites.c.scene_id == scene_id))
    conn.execute(delete(t.detections).where(t.detections.c.scene_id == scene_id))
    conn.execute(delete(t.scenes).where(t.scenes.c.id == scene_id))


def scenes_frame(store: Store) -> pd.DataFrame:
    """All scenes with their site overlaps, one row per (scene, site)."""
    q = select(
        t.scenes.c.id.label("scene_id"),
        t.scenes.c.href,
        t.scenes.c.sha256,
        t.scenes.c.sensor,
        t.scenes.c.acquired_utc,
        t.scenes.c.relative_orbit,
        t.scenes.c.geometry_key,
        t.scenes.c.polarisations,
        t.scenes.c.units,
        t.scenes.c.simulated,
        t.scene_sites.c.site_id,
        t.scene_sites.c.overlap_fraction,
    ).join(t.scene_sites, t.scene_sites.c.scene_id == t.scenes.c.id, isouter=True)
    return query_frame(store, q)


def count_rows(store: Store, table: str) -> int:
    with store.connect() as conn:
        n = conn.execute(select(func.count()).select_from(t.metadata.tables[table])).scalar()
    return int(n or 0)


# --- analysis units and measurements ----------------------------------------------------------


def claim_unit(conn: Connection, unit_key: str) -> bool:
    """Inside a write transaction: True when ``unit_key`` is not stored yet and this
    transaction may write it. Serialises concurrent writers of one unit (an advisory lock on
    PostgreSQL; SQLite write transactions are already exclusive), so two processes analysing
    the same store never both write a unit."""
    if conn.dialect.name == "postgresql":
        lock_id = int(unit_key[:15], 16)
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_id})
    found = conn.execute(
        select(t.analysis_units.c.unit_key).where(t.analysis_units.c.unit_key == unit_key)
    ).first()
    return found is None


def forget_units(conn: Connection, site_ids: Sequence[int] | None = None) -> int:
    """Remove the stored units (and their measurements) of these sites, or of all: the next
    analysis measures them again. Returns the number of units removed."""
    units = select(t.analysis_units.c.unit_key)
    if site_ids is not None:
        units = units.where(t.analysis_units.c.site_id.in_(list(site_ids)))
    keys = [r.unit_key for r in conn.execute(units)]
    for key in keys:
        conn.execute(delete(t.measurements).where(t.measurements.c.unit_key == key))
        conn.execute(delete(t.analysis_units).where(t.analysis_units.c.unit_key == key))
    return len(keys)


def done_units(store: Store) -> set[str]:
    with store.connect() as conn:
        return {r.unit_key for r in conn.execute(select(t.analysis_units.c.unit_key))}


def write_unit(
    conn: Connection,
    *,
    unit_key: str,
    site_id: int,
    geometry_key: str,
    params_hash: str,
    run_id: int | None,
    rows: Sequence[dict[str, Any]],
    detections: Sequence[dict[str, Any]] = (),
) -> None:
    """Replace a (site, geometry) unit's measurements with ``rows`` (and, for sharp images,
    its detections) in the caller's transaction.

    Every earlier unit of the same (site, geometry) goes, whatever its parameters: after a
    parameter change the site's rows are those of the new parameters only (rows of two
    parameter sets side by side would be averaged into one series).

    Each row has scene_id, acquired_utc, metric, value; each detection site_id, scene_id,
    image_href, acquired_utc, class_name, score, bbox_px, geometry_wkt.
    """
    old = select(t.analysis_units.c.unit_key).where(
        t.analysis_units.c.site_id == site_id,
        t.analysis_units.c.geometry_key == geometry_key,
    )
    old_keys = [r.unit_key for r in conn.execute(old)]
    old_scenes: set[str] = set()
    if old_keys:
        old_scenes = {
            r.scene_id
            for r in conn.execute(
                select(t.measurements.c.scene_id)
                .where(t.measurements.c.unit_key.in_(old_keys))
                .distinct()
            )
        }
        conn.execute(delete(t.measurements).where(t.measurements.c.unit_key.in_(old_keys)))
        conn.execute(delete(t.analysis_units).where(t.analysis_units.c.unit_key.in_(old_keys)))
    if rows:
        conn.execute(
            insert(t.measurements),
            [
                dict(
                    site_id=site_id,
                    geometry_key=geometry_key,
                    unit_key=unit_key,
                    params_hash=params_hash,
                    code_version=CODE_VERSION,
                    **r,
                )
                for r in rows
            ],
        )
    # detections of the scenes of the old units go too (a scene that fails this time keeps
    # no detections from other parameters)
    scene_ids = sorted(
        {d["scene_id"] for d in detections} | {r["scene_id"] for r in rows} | old_scenes
    )
    if detections or geometry_key == "hr":
        conn.execute(
            delete(t.detections).where(
                t.detections.c.site_id == site_id, t.detections.c.scene_id.in_(scene_ids)
            )
        )
    if detections:
        conn.execute(
            insert(t.detections),
            [dict(params_hash=params_hash, code_version=CODE_VERSION, **d) for d in detections],
        )
    conn.execute(
        insert(t.analysis_units).values(
            unit_key=unit_key,
            site_id=site_id,
            geometry_key=geometry_key,
            params_hash=params_hash,
            code_version=CODE_VERSION,
            n_scenes=len({r["scene_id"] for r in rows}),
            run_id=run_id,
            completed_utc=now_utc(),
        )
    )


def measurements_frame(store: Store, site_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Measurements in long form: site, geometry_key, scene, acquired_utc, metric, value."""
    q = select(
        t.measurements.c.id,
        t.measurements.c.site_id,
        t.sites.c.name.label("site"),
        t.measurements.c.geometry_key,
        t.measurements.c.scene_id,
        t.measurements.c.acquired_utc,
        t.measurements.c.metric,
        t.measurements.c.value,
        t.measurements.c.params_hash,
    ).join(t.sites, t.sites.c.id == t.measurements.c.site_id)
    if site_ids:
        q = q.where(t.measurements.c.site_id.in_(list(site_ids)))
    return query_frame(store, q)


# --- states, claims, verdicts -----------------------------------------------------------------


def replace_states(conn: Connection, params_hash: str, rows: Sequence[dict[str, Any]]) -> None:
    """Replace the series states (derived data: states of older parameters go too)."""
    _lock_for_replace(conn, t.series_states)
    conn.execute(delete(t.series_states))
    if rows:
        conn.execute(
            insert(t.series_states),
            [dict(params_hash=params_hash, code_version=CODE_VERSION, **r) for r in rows],
        )


def states_frame(store: Store) -> pd.DataFrame:
    q = select(
        t.series_states.c.site_id,
        t.sites.c.name.label("site"),
        t.series_states.c.geometry_key,
        t.series_states.c.acquired_utc,
        t.series_states.c.state,
        t.series_states.c.activity,
        t.series_states.c.details,
    ).join(t.sites, t.sites.c.id == t.series_states.c.site_id)
    return query_frame(store, q)


def upsert_claim(conn: Connection, claim: dict[str, Any]) -> bool:
    """Insert a claim (JSON-able dict with at least id, speaker, stated_on, kind).

    Returns False when a claim with that id is already stored (nothing changes).
    """
    if conn.execute(select(t.claims.c.id).where(t.claims.c.id == claim["id"])).first():
        return False
    stated = claim["stated_on"]
    conn.execute(
        insert(t.claims).values(
            id=claim["id"],
            speaker=claim["speaker"],
            stated_on=stated if isinstance(stated, date) else date.fromisoformat(str(stated)),
            kind=claim["kind"],
            force=claim.get("force"),
            outlet=claim.get("outlet"),
            source=claim.get("source"),
            data=claim,
            created_utc=now_utc(),
        )
    )
    return True


def replace_claim(conn: Connection, claim: dict[str, Any]) -> str:
    """Store a claim: "added" (new id), "updated" (the id was stored with other content; its
    verdicts are dropped, to be tested again) or "same"."""
    row = conn.execute(select(t.claims.c.data).where(t.claims.c.id == claim["id"])).first()
    if row is None:
        upsert_claim(conn, claim)
        return "added"
    if _json_equal(row.data, claim):
        return "same"
    delete_claim(conn, claim["id"])
    upsert_claim(conn, claim)
    return "updated"


def _json_equal(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def delete_claims_of_sources(conn: Connection, sources: Iterable[str], keep: set[str]) -> int:
    """Remove the claims taken from these source files (and their verdicts), except the ids in
    ``keep``; returns how many went."""
    wanted = list(sources)
    if not wanted:
        return 0
    rows = conn.execute(select(t.claims.c.id).where(t.claims.c.source.in_(wanted))).all()
    gone = [r.id for r in rows if r.id not in keep]
    for claim_id in gone:
        delete_claim(conn, claim_id)
    return len(gone)


def delete_claim(conn: Connection, claim_id: str) -> bool:
    """Remove a claim and its verdicts; False when no claim has that id."""
    conn.execute(t.verdicts.delete().where(t.verdicts.c.claim_id == claim_id))
    return bool(conn.execute(t.claims.delete().where(t.claims.c.id == claim_id)).rowcount)


def list_claims(store: Store) -> list[dict[str, Any]]:
    """Stored claims (their JSON), oldest statement first."""
    q = select(t.claims.c.data).order_by(t.claims.c.stated_on, t.claims.c.id)
    with store.connect() as conn:
        return [dict(r.data) for r in conn.execute(q)]


def replace_verdicts(conn: Connection, params_hash: str, rows: Sequence[dict[str, Any]]) -> None:
    """Replace the verdicts (derived data: verdicts of older parameters go too)."""
    _lock_for_replace(conn, t.verdicts)
    conn.execute(delete(t.verdicts))
    for r in rows:
        conn.execute(
            insert(t.verdicts).values(
                claim_id=r["claim_id"],
                verdict=r["verdict"],
                confidence=r.get("confidence"),
                effect_size=r.get("effect_size"),
                data=r,
                params_hash=params_hash,
                code_version=CODE_VERSION,
                created_utc=now_utc(),
            )
        )


def any_simulated_scene(store: Store) -> bool:
    """Whether any stored scene comes from simulated imagery."""
    q = select(t.scenes.c.id).where(t.scenes.c.simulated.is_(True)).limit(1)
    with store.connect() as conn:
        return conn.execute(q).first() is not None


def list_verdicts(store: Store) -> list[dict[str, Any]]:
    q = select(t.verdicts.c.data).order_by(t.verdicts.c.id)
    with store.connect() as conn:
        return [dict(r.data) for r in conn.execute(q)]
