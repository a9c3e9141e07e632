"""Engines for the two supported backends, with the same write semantics on both.

Writers serialise per project: SQLite takes its database write lock when a write transaction
begins (``BEGIN IMMEDIATE``), PostgreSQL a transaction-scoped advisory lock on the project name.
Writes are a handful of rows at the end of a training run or an alias move, so holding a lock
for their duration costs nothing, and it makes "next version number" and "alias was at X" reads
exact without retry loops.

Engines hold no idle connections (``NullPool``): prodml opens the store from short CLI commands
and long-lived servers alike, and a caller that forgets ``close()`` then leaks nothing and keeps
no PostgreSQL connection slot busy. Opening a connection per operation is cheap at the rate the
metadata store is used (never per prediction).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.pool import NullPool, StaticPool

from prodml.errors import StoreError

__all__ = [
    "CONNECT_TIMEOUT_S",
    "SQLITE_BUSY_TIMEOUT_S",
    "make_engine",
    "mask_url",
    "store_errors",
    "write_transaction",
]

CONNECT_TIMEOUT_S = 5
SQLITE_BUSY_TIMEOUT_S = 30
_WRITE_OPTION = "prodml_write"
_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@]*@")


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***``, safe for messages and logs."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _PASSWORD_IN_URL.sub(r"\1***@", url)


def make_engine(url: str | URL, *, origin: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL; anything else is refused up front.

    ``origin`` says where the URL came from (env variable, project file, default) so an error
    message can point at the setting to change.
    """
    shown = mask_url(url)
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(
            f"the metadata store URL {shown} ({origin}) is not a valid SQLAlchemy URL",
            fix="use sqlite:///path/to/prodml.db or postgresql+psycopg://user@host:5432/db",
        ) from exc
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed)
        if backend == "postgresql":
            return _postgresql_engine(parsed)
    except (NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"no database driver for the metadata store URL {shown} ({origin}): {exc}",
            fix="use postgresql+psycopg://... (psycopg 3 ships with prodml) or sqlite:///...",
        ) from exc
    raise StoreError(
        f"the metadata store URL {shown} ({origin}) uses {backend!r}; prodml supports "
        "SQLite and PostgreSQL",
        fix="use sqlite:///path/to/prodml.db or postgresql+psycopg://user@host:5432/db",
    )


def _sqlite_engine(url: URL) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    engine = create_engine(
        url,
        # one shared connection keeps an in-memory database alive between operations
        poolclass=StaticPool if in_memory else NullPool,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": not in_memory},
    )

    # sqlite3's own transaction handling skips BEGIN for reads and DDL and cannot take the
    # write lock up front; take transaction control away from it (SQLAlchemy's documented recipe).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _postgresql_engine(url: URL) -> Engine:
    connect_args: dict[str, Any] = {}
    if url.get_driver_name() in ("psycopg", "psycopg2") and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


@contextmanager
def write_transaction(engine: Engine, lock: str) -> Iterator[Connection]:
    """One transaction holding the write lock named ``lock``; commits on success.

    On SQLite the lock is the whole database (SQLite has no finer one); on PostgreSQL it is an
    advisory lock, so writers of different projects in a shared store do not wait on each other.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE_OPTION: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(lock)})
            yield conn


def _lock_key(name: str) -> int:
    digest = hashlib.sha256(f"prodml:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def store_errors(engine: Engine, *, origin: str | None = None) -> Iterator[None]:
    """Turn "cannot connect / database locked / not a database" into a StoreError that says
    which store and what to check. Errors in prodml's own use of SQL still propagate as bugs."""
    try:
        yield
    except DBAPIError as exc:
        if not _is_environmental(exc):
            raise
        raise _store_error(engine.url, exc, origin) from exc


def _is_environmental(exc: DBAPIError) -> bool:
    return isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated


def _store_error(url: URL, exc: DBAPIError, origin: str | None) -> StoreError:
    shown = mask_url(url)
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    if url.password:
        detail = detail.replace(str(url.password), "***")
    where = f" ({origin})" if origin else ""
    if url.get_backend_name() == "postgresql":
        fix = (
            "check that the PostgreSQL server is running and reachable at that host and port, "
            "that the database exists and the user may log in; PRODML_STORE_URL (or store.url "
            "in prodml.yaml) chooses the store"
        )
    else:
        fix = (
            "check that the directory exists and is writable, that the file is a prodml SQLite "
            "database and that no other process holds it locked; PRODML_STORE_URL (or store.url "
            "in prodml.yaml) chooses the store"
        )
    return StoreError(f"cannot use the metadata store {shown}{where}: {detail}", fix=fix)
