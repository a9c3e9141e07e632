"""Reads and the unit of work over the metadata tables, scoped to one project.

A training run writes a dataset snapshot, a run, maybe a model version and an alias move; they
land together or not at all, in one ``unit_of_work()`` transaction that also holds the project's
write lock (see ``_engine``), so version numbers and alias audit rows are exact under concurrency.
Everything returned is a frozen record from ``_records``; ORM rows never leave this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from prodml.errors import NotFoundError, UserError
from prodml.store._actor import current_actor
from prodml.store._engine import mask_url, store_errors, write_transaction
from prodml.store._records import (
    RUN_STATUSES,
    AliasMove,
    AliasState,
    DatasetRecord,
    ModelVersionRecord,
    RunRecord,
    RunStatus,
)
from prodml.store._schema import (
    AliasMoveRow,
    AliasRow,
    DatasetRow,
    ModelDocumentRow,
    ModelVersionRow,
    RunRow,
)
from prodml.store._types import utc_now

__all__ = ["MetadataStore", "UnitOfWork"]

_ALIAS = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
_VERSION_REF = re.compile(r"[vV]?([0-9]+)")
_STATUS: dict[str, RunStatus] = {status: status for status in RUN_STATUSES}


class _Reader:
    """The read queries, over whichever session the caller holds."""

    def __init__(self, session: Session, project: str) -> None:
        self._session = session
        self._project = project

    @property
    def project(self) -> str:
        return self._project

    def list_runs(self, limit: int | None = None) -> list[RunRecord]:
        """Runs of this project, newest first."""
        query = select(RunRow).where(RunRow.project == self._project).order_by(RunRow.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return [_run(row) for row in self._session.scalars(query)]

    def get_run(self, run_id: int) -> RunRecord:
        return _run(self._run_row(run_id))

    def list_model_versions(self) -> list[ModelVersionRecord]:
        """Model versions of this project, oldest (1) first."""
        query = (
            select(ModelVersionRow)
            .where(ModelVersionRow.project == self._project)
            .order_by(ModelVersionRow.version)
        )
        return [_version(row) for row in self._session.scalars(query)]

    def get_model_version(self, version: int) -> ModelVersionRecord:
        row = self._session.get(ModelVersionRow, (self._project, version))
        if row is None:
            raise NotFoundError(
                f"model version {version} not found in project {self._project!r}",
                fix=self._known_models(),
            )
        return _version(row)

    def aliases(self) -> dict[str, int]:
        """Alias name -> model version, sorted by alias."""
        query = select(AliasRow).where(AliasRow.project == self._project).order_by(AliasRow.alias)
        return {row.alias: row.version for row in self._session.scalars(query)}

    def alias_states(self) -> dict[str, AliasState]:
        """Alias name -> version and traffic share; one cheap query (servers poll it)."""
        query = select(AliasRow).where(AliasRow.project == self._project).order_by(AliasRow.alias)
        return {
            row.alias: AliasState(alias=row.alias, version=row.version, share=row.share)
            for row in self._session.scalars(query)
        }

    def model_documents(self, version: int) -> dict[str, str]:
        """Documents about a model version (``report.html``, ``card.md``...): kind -> sha256."""
        self.get_model_version(version)
        query = select(ModelDocumentRow).where(
            ModelDocumentRow.project == self._project, ModelDocumentRow.version == version
        )
        return {
            row.kind: row.sha
            for row in self._session.scalars(query.order_by(ModelDocumentRow.kind))
        }

    def alias_moves(self, alias: str | None = None) -> list[AliasMove]:
        """The audit trail, oldest first; all aliases unless one is named."""
        query = select(AliasMoveRow).where(AliasMoveRow.project == self._project)
        if alias is not None:
            query = query.where(AliasMoveRow.alias == alias)
        return [_move(row) for row in self._session.scalars(query.order_by(AliasMoveRow.id))]

    def get_dataset(self, hash: str) -> DatasetRecord:
        row = self._session.get(DatasetRow, (self._project, hash))
        if row is None:
            known = [d.hash[:12] for d in self.list_datasets()]
            raise NotFoundError(
                f"dataset snapshot {hash} not found in project {self._project!r}",
                fix=f"known snapshots: {_some(known)}"
                if known
                else "no snapshots yet: prodml train records the training data",
            )
        return _dataset(row)

    def list_datasets(self) -> list[DatasetRecord]:
        """Snapshots of this project, oldest first."""
        query = (
            select(DatasetRow)
            .where(DatasetRow.project == self._project)
            .order_by(DatasetRow.created_at, DatasetRow.hash)
        )
        return [_dataset(row) for row in self._session.scalars(query)]

    def resolve(self, ref: str | int) -> ModelVersionRecord:
        """A model version from a number (``3``, ``"3"``, ``"v3"``) or an alias (``"champion"``)."""
        if isinstance(ref, int):
            return self.get_model_version(ref)
        number = _VERSION_REF.fullmatch(ref.strip())
        if number:
            return self.get_model_version(int(number.group(1)))
        row = self._session.get(AliasRow, (self._project, ref.strip()))
        if row is None:
            raise NotFoundError(
                f"no alias {ref!r} and no such version in project {self._project!r}",
                fix=self._known_models(),
            )
        return self.get_model_version(row.version)

    def _run_row(self, run_id: int) -> RunRow:
        row = self._session.get(RunRow, run_id)
        if row is None or row.project != self._project:
            ids = self._session.scalars(
                select(RunRow.id).where(RunRow.project == self._project).order_by(RunRow.id.desc())
            ).all()
            fix = (
                f"known runs, newest first: {_some(ids)} (prodml runs lists them)"
                if ids
                else "no runs yet in this project: prodml train records one"
            )
            raise NotFoundError(f"run {run_id} not found in project {self._project!r}", fix=fix)
        return row

    def _known_models(self) -> str:
        versions = self._session.scalars(
            select(ModelVersionRow.version)
            .where(ModelVersionRow.project == self._project)
            .order_by(ModelVersionRow.version.desc())
        ).all()
        if not versions:
            return "no model versions yet in this project: prodml train registers one"
        aliases = self.aliases()
        named = ", ".join(f"{name} -> {version}" for name, version in aliases.items())
        text = f"known versions, newest first: {_some(versions)}"
        return f"{text}; aliases: {named}" if named else f"{text}; no aliases yet"


class UnitOfWork(_Reader):
    """Writes that commit together when the ``with`` block ends, or not at all.

    The reads of ``_Reader`` are available too and see this unit's own pending writes, so
    "promote if better than the current champion" is decided on the state being changed.
    """

    def add_dataset(
        self,
        *,
        hash: str,
        rows: int,
        columns: dict[str, str],
        source: str,
        artifact_sha: str,
    ) -> DatasetRecord:
        """Record a snapshot; the same data hash twice keeps the first record (it is the same
        data), so retraining on unchanged data does not fail or duplicate."""
        existing = self._session.get(DatasetRow, (self._project, hash))
        if existing is not None:
            return _dataset(existing)
        row = DatasetRow(
            project=self._project,
            hash=hash,
            rows=rows,
            n_columns=len(columns),
            columns=dict(columns),
            source=source,
            artifact_sha=artifact_sha,
            created_at=utc_now(),
        )
        self._session.add(row)
        self._session.flush()
        return _dataset(row)

    def add_run(
        self,
        *,
        started_at: datetime,
        finished_at: datetime,
        status: RunStatus,
        spec_hash: str,
        data_hash: str,
        params: dict[str, Any],
        metrics: dict[str, Any],
        seeds: dict[str, Any],
        packages: dict[str, str],
        platform: dict[str, Any],
        reasons: Iterable[str] = (),
        git_commit: str | None = None,
        git_dirty: bool | None = None,
        duration_s: float | None = None,
        model_version: int | None = None,
    ) -> int:
        """Record a run and return its id; ``duration_s`` defaults to finished - started."""
        if status not in RUN_STATUSES:
            raise ValueError(f"run status must be one of {RUN_STATUSES}, got {status!r}")
        for moment in (started_at, finished_at):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware one (UTC)")
        if model_version is not None:
            self.get_model_version(model_version)
        row = RunRow(
            project=self._project,
            started_at=started_at,
            finished_at=finished_at,
            duration_s=duration_s if duration_s is not None else _seconds(started_at, finished_at),
            status=status,
            spec_hash=spec_hash,
            data_hash=data_hash,
            params=params,
            metrics=metrics,
            seeds=seeds,
            git_commit=git_commit,
            git_dirty=git_dirty,
            packages=packages,
            platform=platform,
            reasons=list(reasons),
            model_version=model_version,
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def add_model_version(
        self,
        *,
        run_id: int,
        bundle_sha: str,
        task: str,
        model_kind: str,
        threshold: float | None,
        value_per_decision: float,
        metrics: dict[str, Any],
        format_version: int,
        data_hash: str,
        spec_hash: str,
        parent_version: int | None = None,
    ) -> int:
        """Register a model version and return its number: the project's previous highest + 1.

        The project's write lock is held, so the maximum read here cannot change before commit.
        """
        self._run_row(run_id)
        if parent_version is not None:
            self.get_model_version(parent_version)
        highest = self._session.scalar(
            select(func.max(ModelVersionRow.version)).where(
                ModelVersionRow.project == self._project
            )
        )
        version = (highest or 0) + 1
        self._session.add(
            ModelVersionRow(
                project=self._project,
                version=version,
                run_id=run_id,
                created_at=utc_now(),
                bundle_sha=bundle_sha,
                task=task,
                model_kind=model_kind,
                threshold=threshold,
                value_per_decision=value_per_decision,
                metrics=metrics,
                format_version=format_version,
                data_hash=data_hash,
                spec_hash=spec_hash,
                parent_version=parent_version,
            )
        )
        self._session.flush()
        return version

    def set_model_document(self, version: int, kind: str, sha: str) -> None:
        """Point a version's document of ``kind`` at an artifact (replacing an older one)."""
        self.get_model_version(version)
        if not kind or len(kind) > 32:
            raise ValueError(f"document kind must be 1 to 32 characters, got {kind!r}")
        row = self._session.get(ModelDocumentRow, (self._project, version, kind))
        if row is None:
            self._session.add(
                ModelDocumentRow(
                    project=self._project, version=version, kind=kind, sha=sha, created_at=utc_now()
                )
            )
        else:
            row.sha = sha
            row.created_at = utc_now()
        self._session.flush()

    def set_run_model_version(self, run_id: int, version: int) -> None:
        """Link a run to the version it produced (the version is created after the run)."""
        row = self._run_row(run_id)
        self.get_model_version(version)
        row.model_version = version
        self._session.flush()

    def move_alias(
        self,
        alias: str,
        version: int | None,
        *,
        reason: str,
        actor: str | None = None,
        share: float | None = None,
    ) -> AliasMove:
        """Point ``alias`` at ``version`` (None removes it) and append the move to the audit.

        ``actor`` defaults to ``current_actor()``. Every request is recorded, including one that
        leaves the alias where it was: the audit answers "who confirmed this, and when", too.
        ``share`` is the alias's traffic share (a challenger's), stored with it and audited.
        """
        if share is not None and not 0.0 < share < 1.0:
            raise UserError(
                f"traffic share {share!r} is outside (0, 1)",
                where="share",
                fix="give a share strictly between 0 and 1, e.g. 0.1 for 10% of entities",
            )
        _check_alias(alias)
        current = self._session.get(AliasRow, (self._project, alias))
        previous = current.version if current is not None else None
        if version is None:
            if current is None:
                known = ", ".join(self.aliases()) or "none yet"
                raise NotFoundError(
                    f"alias {alias!r} is not set in project {self._project!r}, so it cannot be "
                    "removed",
                    fix=f"known aliases: {known}",
                )
            self._session.delete(current)
        else:
            self.get_model_version(version)
            if current is None:
                self._session.add(
                    AliasRow(project=self._project, alias=alias, version=version, share=share)
                )
            else:
                current.version = version
                current.share = share
        move = AliasMoveRow(
            project=self._project,
            alias=alias,
            from_version=previous,
            to_version=version,
            at=utc_now(),
            actor=actor or current_actor(),
            reason=reason,
            share=share,
        )
        self._session.add(move)
        self._session.flush()
        return _move(move)


class MetadataStore:
    """Runs, model versions, aliases and dataset snapshots of one project.

    Reads each use a short transaction of their own; writes go through ``unit_of_work()``.
    """

    def __init__(self, engine: Engine, *, project: str, origin: str | None = None) -> None:
        self._engine = engine
        self._project = project
        self._origin = origin

    def __repr__(self) -> str:
        return f"MetadataStore({mask_url(self._engine.url)!r}, project={self._project!r})"

    @property
    def project(self) -> str:
        return self._project

    @property
    def engine(self) -> Engine:
        """For other store components (evaluations, alerts) that add their own tables."""
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """One transaction under the project's write lock; rolls back if the block raises."""
        with (
            store_errors(self._engine, origin=self._origin),
            write_transaction(self._engine, f"project:{self._project}") as conn,
            Session(bind=conn, autoflush=True, expire_on_commit=False) as session,
        ):
            yield UnitOfWork(session, self._project)
            session.flush()

    def list_runs(self, limit: int | None = None) -> list[RunRecord]:
        with self._read() as reader:
            return reader.list_runs(limit)

    def get_run(self, run_id: int) -> RunRecord:
        with self._read() as reader:
            return reader.get_run(run_id)

    def list_model_versions(self) -> list[ModelVersionRecord]:
        with self._read() as reader:
            return reader.list_model_versions()

    def get_model_version(self, version: int) -> ModelVersionRecord:
        with self._read() as reader:
            return reader.get_model_version(version)

    def aliases(self) -> dict[str, int]:
        with self._read() as reader:
            return reader.aliases()

    def alias_states(self) -> dict[str, AliasState]:
        with self._read() as reader:
            return reader.alias_states()

    def model_documents(self, version: int) -> dict[str, str]:
        with self._read() as reader:
            return reader.model_documents(version)

    def alias_moves(self, alias: str | None = None) -> list[AliasMove]:
        with self._read() as reader:
            return reader.alias_moves(alias)

    def get_dataset(self, hash: str) -> DatasetRecord:
        with self._read() as reader:
            return reader.get_dataset(hash)

    def list_datasets(self) -> list[DatasetRecord]:
        with self._read() as reader:
            return reader.list_datasets()

    def resolve(self, ref: str | int) -> ModelVersionRecord:
        with self._read() as reader:
            return reader.resolve(ref)

    @contextmanager
    def _read(self) -> Iterator[_Reader]:
        with (
            store_errors(self._engine, origin=self._origin),
            Session(self._engine) as session,
            session.begin(),
        ):
            yield _Reader(session, self._project)


def _check_alias(alias: str) -> None:
    if not _ALIAS.fullmatch(alias) or _VERSION_REF.fullmatch(alias):
        raise UserError(
            f"{alias!r} is not a valid alias name",
            fix="start with a letter, then letters, digits, '_', '-' or '.' (at most 64); "
            "names like 3 or v3 are reserved for version numbers",
        )


def _seconds(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds()


def _some(values: Iterable[object], limit: int = 10) -> str:
    items = list(values)
    shown = ", ".join(str(v) for v in items[:limit])
    return f"{shown}, … ({len(items)} in all)" if len(items) > limit else shown


def _dataset(row: DatasetRow) -> DatasetRecord:
    return DatasetRecord(
        project=row.project,
        hash=row.hash,
        rows=row.rows,
        n_columns=row.n_columns,
        columns=dict(row.columns),
        source=row.source,
        artifact_sha=row.artifact_sha,
        created_at=row.created_at,
    )


def _run(row: RunRow) -> RunRecord:
    return RunRecord(
        id=row.id,
        project=row.project,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_s=row.duration_s,
        status=_STATUS[row.status],
        spec_hash=row.spec_hash,
        data_hash=row.data_hash,
        params=dict(row.params),
        metrics=dict(row.metrics),
        seeds=dict(row.seeds),
        git_commit=row.git_commit,
        git_dirty=row.git_dirty,
        packages=dict(row.packages),
        platform=dict(row.platform),
        reasons=list(row.reasons),
        model_version=row.model_version,
    )


def _version(row: ModelVersionRow) -> ModelVersionRecord:
    return ModelVersionRecord(
        project=row.project,
        version=row.version,
        run_id=row.run_id,
        created_at=row.created_at,
        bundle_sha=row.bundle_sha,
        task=row.task,
        model_kind=row.model_kind,
        threshold=row.threshold,
        value_per_decision=row.value_per_decision,
        metrics=dict(row.metrics),
        format_version=row.format_version,
        data_hash=row.data_hash,
        spec_hash=row.spec_hash,
        parent_version=row.parent_version,
    )


def _move(row: AliasMoveRow) -> AliasMove:
    return AliasMove(
        id=row.id,
        project=row.project,
        alias=row.alias,
        from_version=row.from_version,
        to_version=row.to_version,
        at=row.at,
        actor=row.actor,
        reason=row.reason,
        share=row.share,
    )
