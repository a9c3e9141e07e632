"""A new store is created at the newest schema in one step; it must be the migrations' schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.pool import NullPool

from prodml.store import open_store
from prodml.store._open import MIGRATIONS_DIR, resolve_store_url, shipped_heads
from prodml.store._schema import VERSION_TABLE, Base

from .conftest import PROJECT


def _engine(project_dir: Path, store_url: str | None) -> Engine:
    url, _ = resolve_store_url(project_dir, store_url)
    return create_engine(url, poolclass=NullPool)


def _alembic_upgrade(engine: Engine, revision: str = "head") -> None:
    """The migrations one by one, as every store was built before the one-step creation."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def _schema(engine: Engine) -> dict[str, Any]:
    """Everything a database says about its tables, as comparable text, and the revision."""
    found = inspect(engine)
    tables: dict[str, Any] = {}
    for table in sorted(found.get_table_names()):
        tables[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in found.get_columns(table)
            ],
            "primary key": found.get_pk_constraint(table),
            "foreign keys": sorted(map(str, found.get_foreign_keys(table))),
            "indexes": sorted(map(str, found.get_indexes(table))),
            "unique": sorted(map(str, found.get_unique_constraints(table))),
            "checks": sorted(map(str, found.get_check_constraints(table))),
        }
    with engine.connect() as conn:
        revisions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
        return {"tables": tables, "revisions": sorted(revisions)}


def _drop_everything(engine: Engine) -> None:
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text(f"DROP TABLE {VERSION_TABLE}"))
    assert inspect(engine).get_table_names() == []


def test_a_new_store_has_exactly_the_schema_the_migrations_build(
    project_dir: Path, store_url: str | None
) -> None:
    open_store(project_dir, url=store_url, project=PROJECT).close()
    engine = _engine(project_dir, store_url)
    try:
        created = _schema(engine)
        _drop_everything(engine)
        _alembic_upgrade(engine)
        migrated = _schema(engine)
    finally:
        engine.dispose()

    assert set(created["tables"]) == {*Base.metadata.tables, VERSION_TABLE}
    assert created["revisions"] == sorted(shipped_heads())
    assert created == migrated


def test_a_store_at_an_older_revision_is_migrated_not_recreated(
    project_dir: Path, store_url: str | None
) -> None:
    engine = _engine(project_dir, store_url)
    if store_url is None:
        (project_dir / ".prodml").mkdir()
    try:
        _alembic_upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO datasets (project, hash, rows, n_columns, columns, source, "
                    "artifact_sha, created_at) VALUES (:p, 'kept', 1, 0, '{}', 'old', :sha, "
                    "'2025-01-01 00:00:00+00:00')"
                ),
                {"p": PROJECT, "sha": "a" * 64},
            )
        with open_store(project_dir, url=store_url, project=PROJECT) as store:
            assert [d.hash for d in store.metadata.list_datasets()] == ["kept"]
        assert _schema(engine)["revisions"] == sorted(shipped_heads())
    finally:
        engine.dispose()
