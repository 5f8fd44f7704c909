"""The store on both back-ends: migrations, idempotent unit writes, atomic transactions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shapely.geometry import Point
from sqlalchemy import text

from forcewatch.errors import StoreError
from forcewatch.imagery.catalog import Scene
from forcewatch.sites import Site, circle_polygon
from forcewatch.store import repo
from forcewatch.store.db import Store, open_store
from forcewatch.store.tables import metadata


def _postgres_url() -> str | None:
    url = os.environ.get("FORCEWATCH_TEST_POSTGRES_URL")
    if not url and os.environ.get("FORCEWATCH_REQUIRE_POSTGRES") == "1":
        pytest.fail("FORCEWATCH_REQUIRE_POSTGRES=1 but FORCEWATCH_TEST_POSTGRES_URL is not set")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path / 'fw.db'}")
    else:
        url = _postgres_url()
        if not url:
            pytest.skip("no PostgreSQL (set FORCEWATCH_TEST_POSTGRES_URL; `make test` starts one)")
        s = open_store(url, migrate_schema=False)
        with s.begin() as conn:  # start from an empty schema
            metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        s.dispose()
        s = open_store(url)
    yield s
    s.dispose()


def _scene(i: int) -> Scene:
    return Scene(
        scene_id=f"scene{i}",
        href=f"/data/s{i}.tif",
        sha256=f"{i:064d}",
        sensor="s1",
        acquired_utc=datetime(2022, 1, 1 + i, 4, tzinfo=UTC),
        relative_orbit=21,
        polarisations=("VV", "VH"),
        footprint=Point(32, 52).buffer(0.1),
        crs="EPSG:32636",
        width=10,
        height=10,
        res_m=10.0,
    )


def _seed(store: Store) -> int:
    with store.begin() as conn:
        repo.upsert_sites(
            conn, [Site("A", circle_polygon(32, 52, 1.0), distance_km=50.0, band="50-100")]
        )
    site_id = repo.list_sites(store)[0].id
    with store.begin() as conn:
        for i in range(3):
            repo.register_scene(conn, _scene(i), {site_id: 1.0})
    return site_id


def _rows(n: int) -> list[dict]:
    return [
        dict(
            scene_id=f"scene{i}",
            acquired_utc=datetime(2022, 1, 1 + i, 4, tzinfo=UTC),
            metric="targets",
            value=float(i),
        )
        for i in range(n)
    ]


def test_migrations_are_idempotent(store: Store) -> None:
    again = open_store(store.url)
    again.dispose()
    assert repo.count_rows(store, "sites") == 0


def test_unit_rewrite_replaces_rows_without_duplicates(store: Store) -> None:
    site_id = _seed(store)
    for key in ("k1", "k2"):
        with store.begin() as conn:
            repo.write_unit(
                conn,
                unit_key=key,
                site_id=site_id,
                geometry_key="s1:ro021",
                params_hash="p",
                run_id=None,
                rows=_rows(3),
            )
    assert repo.count_rows(store, "measurements") == 3
    assert repo.done_units(store) == {"k2"}


def test_rewriting_a_sharp_unit_drops_the_detections_of_its_old_scenes(store: Store) -> None:
    site_id = _seed(store)

    def detection(i: int) -> dict:
        return dict(
            site_id=site_id,
            scene_id=f"scene{i}",
            image_href=f"/data/s{i}.tif",
            acquired_utc=datetime(2022, 1, 1 + i, 4, tzinfo=UTC),
            class_name="small-vehicle",
            score=0.9,
            bbox_px=[0.0, 0.0, 4.0, 2.0],
            geometry_wkt="POINT (32 52)",
        )

    unit = dict(site_id=site_id, geometry_key="hr", run_id=None)
    with store.begin() as conn:
        repo.write_unit(
            conn, unit_key="k1", params_hash="p1", rows=_rows(2), detections=[detection(0)], **unit
        )
    assert repo.count_rows(store, "detections") == 1
    # other parameters; scene 0 fails to read this time: its old detections must not stay
    with store.begin() as conn:
        repo.write_unit(conn, unit_key="k2", params_hash="p2", rows=_rows(2)[1:], **unit)
    assert repo.count_rows(store, "detections") == 0
    assert repo.count_rows(store, "measurements") == 1
    assert repo.done_units(store) == {"k2"}


def test_failed_transaction_leaves_nothing(store: Store) -> None:
    site_id = _seed(store)
    with pytest.raises(RuntimeError):
        with store.begin() as conn:
            repo.write_unit(
                conn,
                unit_key="k",
                site_id=site_id,
                geometry_key="s1:ro021",
                params_hash="p",
                run_id=None,
                rows=_rows(3),
            )
            raise RuntimeError("crash in the middle of a unit")
    assert repo.count_rows(store, "measurements") == 0
    assert repo.done_units(store) == set()


def test_changed_scene_drops_its_units(store: Store) -> None:
    site_id = _seed(store)
    with store.begin() as conn:
        repo.write_unit(
            conn,
            unit_key="k",
            site_id=site_id,
            geometry_key="s1:ro021",
            params_hash="p",
            run_id=None,
            rows=_rows(3),
        )
    changed = _scene(1)
    changed = Scene(**{**changed.__dict__, "sha256": "f" * 64})
    with store.begin() as conn:
        assert repo.scene_status(conn, changed) == "changed"
        repo.register_scene(conn, changed, {site_id: 1.0})
    assert repo.count_rows(store, "measurements") == 0
    assert repo.done_units(store) == set()


def test_claims_are_stored_once(store: Store) -> None:
    claim = {"id": "c1", "speaker": "X", "stated_on": "2022-02-15", "kind": "withdrawal"}
    with store.begin() as conn:
        assert repo.upsert_claim(conn, claim)
        assert not repo.upsert_claim(conn, claim)
    assert repo.list_claims(store) == [claim]


def test_missing_store_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        open_store(f"sqlite:///{tmp_path / 'nope' / 'fw.db'}")


def test_postgis_geometry_follows_wkt_with_spatial_index(store: Store) -> None:
    if store.is_sqlite:
        pytest.skip("PostGIS columns exist on PostgreSQL only")
    with store.connect() as conn:
        has_postgis = conn.execute(
            text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
        ).first()
    if has_postgis is None:
        if os.environ.get("FORCEWATCH_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostGIS is not installed in the test database")
        pytest.skip("PostGIS not installed")
    _seed(store)
    with store.connect() as conn:
        near = (
            conn.execute(
                text(
                    "SELECT name FROM sites WHERE ST_DWithin(geom::geography, "
                    "ST_SetSRID(ST_MakePoint(32.0, 52.0), 4326)::geography, 2000)"
                )
            )
            .scalars()
            .all()
        )
        far = conn.execute(
            text(
                "SELECT count(*) FROM sites WHERE ST_Intersects(geom, "
                "ST_SetSRID(ST_MakePoint(40.0, 60.0), 4326))"
            )
        ).scalar()
        indexes = conn.execute(
            text(
                "SELECT indexdef FROM pg_indexes "
                "WHERE tablename = 'sites' AND indexname = 'ix_sites_geom'"
            )
        ).scalar()
    assert near == ["A"] and far == 0
    assert "gist" in indexes.lower()


def test_two_concurrent_state_replacements_do_not_collide(store: Store) -> None:
    """Two transactions replacing the series states at once (two `analyze` runs finishing
    together): the second waits for the first and replaces its rows, on both back-ends."""
    import threading

    site_id = _seed(store)
    rows = [
        dict(
            site_id=site_id,
            geometry_key="s1:ro021",
            acquired_utc=datetime(2022, 1, 1 + i, 4, tzinfo=UTC),
            state="quiet",
            activity=0.1,
            details={},
        )
        for i in range(3)
    ]
    with store.begin() as conn:
        repo.replace_states(conn, "p0", rows)
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with store.begin() as conn:
                repo.replace_states(conn, "p2", rows)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    with store.begin() as conn:
        repo.replace_states(conn, "p1", rows)  # holds its deletions uncommitted
        worker = threading.Thread(target=second)
        worker.start()
        worker.join(timeout=1.0)  # the second transaction is now waiting on the first
    worker.join(timeout=60)
    assert not worker.is_alive() and errors == []  # was a UniqueViolation on PostgreSQL
    states = repo.states_frame(store)
    assert len(states) == 3


def test_a_damaged_or_emptied_store_is_named_with_what_to_do(tmp_path: Path) -> None:
    from forcewatch.store.db import open_store

    db = tmp_path / "forcewatch.db"
    open_store(f"sqlite:///{db}").dispose()
    (tmp_path / "forcewatch.yaml").write_text("version: 1\n")
    whole = db.read_bytes()
    db.write_bytes(whole[:5000])
    with pytest.raises(StoreError, match="is damaged .*restore it from a backup"):
        open_store(f"sqlite:///{db}")  # was "failed to migrate" and SQLAlchemy's link
    db.write_bytes(b"")
    with pytest.raises(StoreError, match="is empty"):  # was taken for a new, empty project
        open_store(f"sqlite:///{db}")
