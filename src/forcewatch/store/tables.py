"""Store tables (SQLAlchemy 2 Core). Geometry is WKT in EPSG:4326; times are UTC.

Every measured row carries ``params_hash`` and ``code_version`` (what produced it), so a re-run
skips done work and a report can say where a number came from. Schema changes go through an
Alembic migration in ``store/migrations/versions``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("command", String(64), nullable=False),
    Column("started_utc", DateTime(timezone=True), nullable=False),
    Column("finished_utc", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),
    Column("params", JSON, nullable=False, default=dict),
    Column("code_version", String(64), nullable=False),
    Column("message", Text),
)

sites = Table(
    "sites",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(100)),
    Column("country", String(100)),
    Column("geometry_wkt", Text, nullable=False),
    Column("distance_km", Float),
    Column("band", String(32)),
    Column("properties", JSON, nullable=False, default=dict),
    Column("updated_utc", DateTime(timezone=True), nullable=False),
)

reference_lines = Table(
    "reference_lines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("geometry_wkt", Text, nullable=False),
    Column("updated_utc", DateTime(timezone=True), nullable=False),
)

scenes = Table(
    "scenes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("href", Text, nullable=False, unique=True),
    Column("sha256", String(64), nullable=False, index=True),
    Column("sensor", String(8), nullable=False),
    Column("acquired_utc", DateTime(timezone=True), nullable=False, index=True),
    Column("relative_orbit", Integer),
    Column("geometry_key", String(32), nullable=False),
    Column("polarisations", String(32), nullable=False, default=""),
    Column("footprint_wkt", Text, nullable=False),
    Column("crs", Text, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("res_m", Float, nullable=False),
    Column("units", String(16), nullable=False, default="auto"),
    Column("simulated", Boolean, nullable=False, default=False),
    Column("stac_item_id", String(200)),
    Column("ingested_utc", DateTime(timezone=True), nullable=False),
)

scene_sites = Table(
    "scene_sites",
    metadata,
    Column("scene_id", String(40), ForeignKey("scenes.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("overlap_fraction", Float, nullable=False),
)

analysis_units = Table(
    "analysis_units",
    metadata,
    Column("unit_key", String(64), primary_key=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("geometry_key", String(32), nullable=False),
    Column("params_hash", String(16), nullable=False),
    Column("code_version", String(64), nullable=False),
    Column("n_scenes", Integer, nullable=False),
    Column("run_id", Integer, ForeignKey("runs.id")),
    Column("completed_utc", DateTime(timezone=True), nullable=False),
    Index("ix_units_site_geom", "site_id", "geometry_key"),
)

measurements = Table(
    "measurements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("scene_id", String(40), ForeignKey("scenes.id", ondelete="CASCADE"), nullable=False),
    Column("geometry_key", String(32), nullable=False),
    Column("acquired_utc", DateTime(timezone=True), nullable=False),
    Column("metric", String(64), nullable=False),
    Column("value", Float),
    Column("unit_key", String(64), nullable=False),
    Column("params_hash", String(16), nullable=False),
    Column("code_version", String(64), nullable=False),
    UniqueConstraint("site_id", "scene_id", "metric", "params_hash", name="uq_measurement"),
    Index("ix_meas_series", "site_id", "geometry_key", "metric"),
)

detections = Table(
    "detections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="SET NULL")),
    Column("scene_id", String(40), ForeignKey("scenes.id", ondelete="CASCADE")),
    Column("image_href", Text, nullable=False),
    Column("acquired_utc", DateTime(timezone=True)),
    Column("class_name", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("bbox_px", JSON, nullable=False),
    Column("geometry_wkt", Text),
    Column("params_hash", String(16), nullable=False),
    Column("code_version", String(64), nullable=False),
    Index("ix_det_image", "image_href"),
)

series_states = Table(
    "series_states",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("geometry_key", String(32), nullable=False),
    Column("acquired_utc", DateTime(timezone=True), nullable=False),
    Column("state", String(32), nullable=False),
    Column("activity", Float),
    Column("details", JSON, nullable=False, default=dict),
    Column("params_hash", String(16), nullable=False),
    Column("code_version", String(64), nullable=False),
    UniqueConstraint("site_id", "geometry_key", "acquired_utc", "params_hash", name="uq_state"),
)

claims = Table(
    "claims",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("speaker", String(300), nullable=False),
    Column("stated_on", Date, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("force", String(32)),
    Column("outlet", String(200)),
    Column("source", Text),
    Column("data", JSON, nullable=False),
    Column("created_utc", DateTime(timezone=True), nullable=False),
)

verdicts = Table(
    "verdicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("claim_id", String(40), ForeignKey("claims.id", ondelete="CASCADE"), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("confidence", Float),
    Column("effect_size", Float),
    Column("data", JSON, nullable=False),
    Column("params_hash", String(16), nullable=False),
    Column("code_version", String(64), nullable=False),
    Column("created_utc", DateTime(timezone=True), nullable=False),
    UniqueConstraint("claim_id", "params_hash", name="uq_verdict"),
)

# --- monitoring (forcewatch.monitor, forcewatch.alerts; migration 0003) ---------------------------

watch_cycles = Table(
    "watch_cycles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_utc", DateTime(timezone=True), nullable=False),
    Column("finished_utc", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text),
    Column("steps", JSON, nullable=False, default=dict),
    Column("snapshot", JSON),
    Column("alerts_new", Integer, nullable=False, default=0),
    Column("code_version", String(64), nullable=False),
    Index("ix_watch_cycles_status", "status", "id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedup_key", String(64), nullable=False),
    Column("cycle_id", Integer, ForeignKey("watch_cycles.id", ondelete="SET NULL")),
    Column("kind", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("sites", JSON, nullable=False, default=list),
    Column("from_state", String(64)),
    Column("to_state", String(64), nullable=False),
    Column("effective_utc", DateTime(timezone=True)),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("link", Text, nullable=False),
    Column("evidence", JSON, nullable=False, default=dict),
    Column("created_utc", DateTime(timezone=True), nullable=False),
    Column("suppressed", Boolean, nullable=False, default=False),
    Column("suppressed_reason", String(32)),
    Column("acknowledged_utc", DateTime(timezone=True)),
    UniqueConstraint("dedup_key", name="uq_alert_dedup"),
    Index("ix_alerts_subject_created", "subject", "created_utc"),
    Index("ix_alerts_created", "created_utc"),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
    Column("channel", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("last_attempt_utc", DateTime(timezone=True)),
    Column("sent_utc", DateTime(timezone=True)),
    Index("ix_alert_deliveries_status", "status"),
)
