"""The maintenance audit trail and the A/B tests, in the metadata store.

Every policy firing, retraining, gate decision, A/B decision, guard check and rollback becomes
one append-only ``maintenance_events`` row (time, actor, kind, decision, versions, reason,
details). ``prodml history`` shows them merged with the registry's alias moves, which are
append-only too, so nothing a maintainer did can disappear from the record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prodml.jsonsafe import jsonable

if TYPE_CHECKING:
    from prodml.store import MetadataStore

__all__ = [
    "ABTest",
    "HistoryEntry",
    "end_ab_test",
    "history",
    "last_ab_test",
    "last_event",
    "list_ab_tests",
    "record_event",
    "running_ab_test",
    "start_ab_test",
    "update_ab_result",
]


@dataclass(frozen=True)
class HistoryEntry:
    """One line of ``prodml history``: an alias move or a maintenance event."""

    at: datetime
    kind: str  # alias move: "move"; maintenance: policy, retrain, gate, ab, guard, rollback
    actor: str
    decision: str
    reason: str
    alias: str | None = None
    from_version: int | None = None
    to_version: int | None = None
    champion: int | None = None
    challenger: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["at"] = self.at.isoformat()
        return out


@dataclass(frozen=True)
class ABTest:
    id: int
    champion: int
    challenger: int
    share: float
    started_at: datetime
    ended_at: datetime | None
    status: str
    result: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["started_at"] = self.started_at.isoformat()
        out["ended_at"] = self.ended_at.isoformat() if self.ended_at else None
        return out


def record_event(
    metadata: MetadataStore,
    *,
    kind: str,
    decision: str,
    reason: str,
    actor: str,
    champion: int | None = None,
    challenger: int | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> HistoryEntry:
    from sqlalchemy.orm import Session

    from prodml.store._engine import write_transaction
    from prodml.store._schema import MaintenanceEventRow

    row = MaintenanceEventRow(
        project=metadata.project,
        at=at or datetime.now(UTC),
        actor=actor[:200],
        kind=kind,
        decision=decision[:64],
        champion=champion,
        challenger=challenger,
        reason=reason,
        details=jsonable(details or {}),
    )
    with (
        write_transaction(metadata.engine, f"maintain:{metadata.project}") as conn,
        Session(bind=conn, expire_on_commit=False) as session,
    ):
        session.add(row)
        session.flush()
    return _event(row)


def last_event(
    metadata: MetadataStore, kind: str, decision: str | None = None
) -> HistoryEntry | None:
    """The newest event of ``kind`` (and ``decision``), e.g. the last retraining."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from prodml.store._schema import MaintenanceEventRow as Row

    query = select(Row).where(Row.project == metadata.project, Row.kind == kind)
    if decision is not None:
        query = query.where(Row.decision == decision)
    with Session(metadata.engine) as session:
        row = session.scalars(query.order_by(Row.id.desc()).limit(1)).first()
        return _event(row) if row is not None else None


def history(metadata: MetadataStore, *, limit: int | None = None) -> list[HistoryEntry]:
    """Alias moves and maintenance events, oldest first (the newest ``limit`` when given)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from prodml.store._schema import MaintenanceEventRow as Row

    with Session(metadata.engine) as session:
        rows = session.scalars(
            select(Row).where(Row.project == metadata.project).order_by(Row.id)
        ).all()
        entries = [_event(row) for row in rows]
    entries += [
        HistoryEntry(
            at=move.at,
            kind="move",
            actor=move.actor,
            decision=f"{move.alias} -> {move.to_version if move.to_version is not None else '-'}",
            reason=move.reason,
            alias=move.alias,
            from_version=move.from_version,
            to_version=move.to_version,
            details={"share": move.share} if move.share is not None else {},
        )
        for move in metadata.alias_moves()
    ]
    # stable: at equal times, moves (written inside the action) follow their event
    entries.sort(key=lambda e: e.at)
    return entries[-limit:] if limit else entries


def start_ab_test(
    metadata: MetadataStore, *, champion: int, challenger: int, share: float
) -> ABTest:
    from sqlalchemy.orm import Session

    from prodml.store._engine import write_transaction
    from prodml.store._schema import ABTestRow

    row = ABTestRow(
        project=metadata.project,
        champion=champion,
        challenger=challenger,
        share=share,
        started_at=datetime.now(UTC),
        ended_at=None,
        status="running",
        result={},
    )
    with (
        write_transaction(metadata.engine, f"maintain:{metadata.project}") as conn,
        Session(bind=conn, expire_on_commit=False) as session,
    ):
        session.add(row)
        session.flush()
    return _ab(row)


def running_ab_test(metadata: MetadataStore) -> ABTest | None:
    test = last_ab_test(metadata)
    return test if test is not None and test.status == "running" else None


def list_ab_tests(metadata: MetadataStore) -> list[ABTest]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from prodml.store._schema import ABTestRow as Row

    with Session(metadata.engine) as session:
        rows = session.scalars(
            select(Row).where(Row.project == metadata.project).order_by(Row.id.desc())
        )
        return [_ab(row) for row in rows]


def last_ab_test(metadata: MetadataStore) -> ABTest | None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from prodml.store._schema import ABTestRow as Row

    with Session(metadata.engine) as session:
        row = session.scalars(
            select(Row).where(Row.project == metadata.project).order_by(Row.id.desc()).limit(1)
        ).first()
        return _ab(row) if row is not None else None


def update_ab_result(metadata: MetadataStore, test_id: int, result: dict[str, Any]) -> None:
    _update_ab(metadata, test_id, result=jsonable(result))


def end_ab_test(metadata: MetadataStore, test_id: int, status: str, result: dict[str, Any]) -> None:
    _update_ab(
        metadata, test_id, result=jsonable(result), status=status, ended_at=datetime.now(UTC)
    )


def _update_ab(metadata: MetadataStore, test_id: int, **values: Any) -> None:
    from sqlalchemy import update

    from prodml.store._engine import write_transaction
    from prodml.store._schema import ABTestRow as Row

    with write_transaction(metadata.engine, f"maintain:{metadata.project}") as conn:
        conn.execute(
            update(Row).where(Row.project == metadata.project, Row.id == test_id).values(**values)
        )


def _event(row: Any) -> HistoryEntry:
    return HistoryEntry(
        at=row.at,
        kind=row.kind,
        actor=row.actor,
        decision=row.decision,
        reason=row.reason,
        champion=row.champion,
        challenger=row.challenger,
        details=dict(row.details or {}),
    )


def _ab(row: Any) -> ABTest:
    return ABTest(
        id=row.id,
        champion=row.champion,
        challenger=row.challenger,
        share=row.share,
        started_at=row.started_at,
        ended_at=row.ended_at,
        status=row.status,
        result=dict(row.result or {}),
    )
