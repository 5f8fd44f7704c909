"""Opening the store: engine creation, SQLite WAL settings, migrations to the latest schema."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError

from forcewatch.errors import StoreError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Store:
    """An open store. Use ``begin()`` for one transaction (one analysis unit, one ingest)."""

    url: str
    engine: Engine

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back on any exception.

        On SQLite it starts with ``BEGIN IMMEDIATE``, taking the write lock at once, so what
        the transaction reads cannot be changed by another process before it writes.
        """
        try:
            with self.engine.connect() as conn:
                conn.execution_options(forcewatch_write=True)
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise StoreError(f"store {self.safe_url}: {str(exc.orig).splitlines()[0]}") from exc

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred and late).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("forcewatch_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def migrate(store: Store, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (idempotent)."""
    from alembic import command

    with store.engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


def open_store(url: str, *, migrate_schema: bool = True) -> Store:
    """Open (and create/migrate) the store at a SQLAlchemy URL. Raises StoreError."""
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            parent = Path(path).parent
            if not parent.is_dir():
                raise StoreError(f"store folder {parent} does not exist; run `forcewatch init`")
        kwargs["connect_args"] = {"timeout": 60}
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        engine = create_engine(url, **kwargs)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(
            f"cannot use store URL {url!r}: {exc} (for PostgreSQL install forcewatch[postgres])"
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    store = Store(url, engine)
    db_file = Path(url.split("///", 1)[-1]) if engine.dialect.name == "sqlite" else None
    if db_file is not None and db_file.is_file() and db_file.stat().st_size == 0:
        if (db_file.parent / "forcewatch.yaml").exists():
            # (SQLite would take it for a new store: the project would look empty)
            raise StoreError(
                f"{db_file} is empty (0 bytes) in a project that has a forcewatch.yaml: restore "
                "it from a backup, or delete it to start this project's store afresh"
            )
    try:
        if migrate_schema:
            migrate(store)
        else:
            inspect(engine).get_table_names()
    except (OperationalError, DatabaseError) as exc:
        raise StoreError(_open_failure(store, db_file, exc.orig)) from exc
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0]
        raise StoreError(f"store {store.safe_url} failed to migrate: {first}") from exc
    return store


def _open_failure(store: Store, db_file: Path | None, orig: Any) -> str:
    """Why a store would not open, with what to do, in one line."""
    said = str(orig).splitlines()[0] if orig is not None else "unknown error"
    if db_file is not None:
        folder = db_file.parent
        if "malformed" in said or "not a database" in said:
            return (
                f"{db_file} is damaged ({said}): restore it from a backup (a copy of the project "
                "folder), or delete it and ingest and analyze again"
            )
        if not os.access(folder, os.W_OK) or (db_file.exists() and not os.access(db_file, os.W_OK)):
            return (
                f"cannot open store {db_file}: the project folder is read-only (SQLite writes "
                "beside forcewatch.db); copy the project somewhere writable"
            )
    return f"cannot open store {store.safe_url}: {said}"
