"""The metadata tables, as typed SQLAlchemy ORM classes.

This is the *current* shape, used by queries and by Alembic autogenerate. Migrations in
``migrations/versions`` are written out in full instead of importing these classes, so that an
old migration still creates the schema it was written for after the classes change.

Every table carries ``project``: one PostgreSQL store can hold many projects, and every query
filters on it. Foreign keys that would form a cycle (a run names its model version, a version
names its run) are kept one way only, ``model_versions.run_id -> runs.id``; the other direction
is checked in code when it is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from prodml.store._types import JSONValue, UTCDateTime

__all__ = [
    "VERSION_TABLE",
    "ABTestRow",
    "AlertRow",
    "AliasMoveRow",
    "AliasRow",
    "Base",
    "DatasetRow",
    "MaintenanceEventRow",
    "ModelDocumentRow",
    "ModelVersionRow",
    "RunRow",
]

# Our own name, so prodml can share a PostgreSQL database with another Alembic-managed app.
VERSION_TABLE = "prodml_alembic_version"

# Deterministic constraint names: Alembic can only alter or drop what it can name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PROJECT = 200
SHA = 64
NAME = 200


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DatasetRow(Base):
    __tablename__ = "datasets"

    project: Mapped[str] = mapped_column(String(PROJECT), primary_key=True)
    hash: Mapped[str] = mapped_column(String(SHA), primary_key=True)
    rows: Mapped[int] = mapped_column(Integer)
    n_columns: Mapped[int] = mapped_column(Integer)
    columns: Mapped[dict[str, str]] = mapped_column(JSONValue)
    source: Mapped[str] = mapped_column(Text)
    artifact_sha: Mapped[str] = mapped_column(String(SHA))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(PROJECT), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(32))
    spec_hash: Mapped[str] = mapped_column(String(SHA))
    data_hash: Mapped[str] = mapped_column(String(SHA))
    params: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    seeds: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    git_commit: Mapped[str | None] = mapped_column(String(64))
    git_dirty: Mapped[bool | None] = mapped_column(Boolean)
    packages: Mapped[dict[str, str]] = mapped_column(JSONValue)
    platform: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    reasons: Mapped[list[str]] = mapped_column(JSONValue)
    model_version: Mapped[int | None] = mapped_column(Integer)


class ModelVersionRow(Base):
    """``(project, version)`` is the key: the database itself refuses a duplicate number."""

    __tablename__ = "model_versions"

    project: Mapped[str] = mapped_column(String(PROJECT), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    bundle_sha: Mapped[str] = mapped_column(String(SHA))
    task: Mapped[str] = mapped_column(String(32))
    model_kind: Mapped[str] = mapped_column(String(NAME))
    threshold: Mapped[float | None] = mapped_column(Float)
    value_per_decision: Mapped[float] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    format_version: Mapped[int] = mapped_column(Integer)
    data_hash: Mapped[str] = mapped_column(String(SHA))
    spec_hash: Mapped[str] = mapped_column(String(SHA))
    parent_version: Mapped[int | None] = mapped_column(Integer)


class AliasRow(Base):
    __tablename__ = "aliases"
    __table_args__ = (
        ForeignKeyConstraint(
            ["project", "version"], ["model_versions.project", "model_versions.version"]
        ),
    )

    project: Mapped[str] = mapped_column(String(PROJECT), primary_key=True)
    alias: Mapped[str] = mapped_column(String(NAME), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    share: Mapped[float | None] = mapped_column(Float)  # traffic share (challenger), else None


class AliasMoveRow(Base):
    """Append-only: the store never updates or deletes these rows."""

    __tablename__ = "alias_moves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(PROJECT), index=True)
    alias: Mapped[str] = mapped_column(String(NAME))
    from_version: Mapped[int | None] = mapped_column(Integer)
    to_version: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(NAME))
    reason: Mapped[str] = mapped_column(Text)
    share: Mapped[float | None] = mapped_column(Float)


class ModelDocumentRow(Base):
    """A document about a model version (report, model card): kind -> artifact sha256."""

    __tablename__ = "model_documents"
    __table_args__ = (
        ForeignKeyConstraint(
            ["project", "version"], ["model_versions.project", "model_versions.version"]
        ),
    )

    project: Mapped[str] = mapped_column(String(PROJECT), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    sha: Mapped[str] = mapped_column(String(SHA))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertRow(Base):
    """A monitoring incident: opened when a rule fires, closed (``resolved_at``) when it clears."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(PROJECT), index=True)
    rule: Mapped[str] = mapped_column(String(NAME))
    metric: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # firing | resolved
    model_version: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JSONValue)


class MaintenanceEventRow(Base):
    """Append-only audit of maintenance: policy firings, retrainings, gates, A/B decisions,
    guard checks and rollbacks. The store never updates or deletes these rows."""

    __tablename__ = "maintenance_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(PROJECT), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(NAME))
    kind: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(64))
    champion: Mapped[int | None] = mapped_column(Integer)
    challenger: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONValue)


class ABTestRow(Base):
    """One champion-vs-challenger test: running until promoted, stopped or expired."""

    __tablename__ = "ab_tests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(PROJECT), index=True)
    champion: Mapped[int] = mapped_column(Integer)
    challenger: Mapped[int] = mapped_column(Integer)
    share: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(32))  # running | promoted | stopped | expired
    result: Mapped[dict[str, Any]] = mapped_column(JSONValue)
