"""PostGIS geometry columns with spatial indexes (PostgreSQL only).

On PostgreSQL with PostGIS, each table holding a WKT geometry gets a ``geom`` column of type
``geometry(Geometry, 4326)`` kept in step with the WKT by a trigger, and a GiST index, so
spatial queries (QGIS, SQL) run on real geometry while the application keeps one code path.
SQLite and PostgreSQL without PostGIS are left unchanged.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GEOMETRY_COLUMNS = {
    "sites": "geometry_wkt",
    "reference_lines": "geometry_wkt",
    "scenes": "footprint_wkt",
    "detections": "geometry_wkt",
}


def _has_postgis(bind: sa.engine.Connection) -> bool:
    if bind.dialect.name != "postgresql":
        return False
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    ).first()
    if available is None:
        return False
    bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    return True


def upgrade() -> None:
    bind = op.get_bind()
    if not _has_postgis(bind):
        return
    for table, wkt in GEOMETRY_COLUMNS.items():
        op.execute(f"ALTER TABLE {table} ADD COLUMN geom geometry(Geometry, 4326)")
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION {table}_sync_geom() RETURNS trigger AS $$
            BEGIN
              NEW.geom := CASE WHEN NEW.{wkt} IS NULL THEN NULL
                               ELSE ST_GeomFromText(NEW.{wkt}, 4326) END;
              RETURN NEW;
            END $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_geom BEFORE INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_sync_geom()"
        )
        op.execute(
            f"UPDATE {table} SET geom = ST_GeomFromText({wkt}, 4326) WHERE {wkt} IS NOT NULL"
        )
        op.execute(f"CREATE INDEX ix_{table}_geom ON {table} USING GIST (geom)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in GEOMETRY_COLUMNS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_geom ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_sync_geom()")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS geom")
