"""What the metadata store hands back: plain frozen dataclasses, never ORM rows.

Callers (registry, CLI, reports) must not be able to mutate a row by accident or trigger a lazy
load after the session is gone, so every read copies the row into one of these. They are also
what gets printed as ``--json``, so field names are the stable, documented ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "AliasMove",
    "AliasState",
    "DatasetRecord",
    "ModelVersionRecord",
    "RunRecord",
    "RunStatus",
]

RunStatus = Literal["registered", "not_registered"]
RUN_STATUSES: tuple[RunStatus, ...] = ("registered", "not_registered")


@dataclass(frozen=True)
class DatasetRecord:
    """A training-data snapshot: its canonical hash and where its Parquet copy lives."""

    project: str
    hash: str
    rows: int
    n_columns: int
    columns: dict[str, str]
    source: str
    artifact_sha: str
    created_at: datetime


@dataclass(frozen=True)
class RunRecord:
    """Everything needed to say how a model was trained and to train it again."""

    id: int
    project: str
    started_at: datetime
    finished_at: datetime
    duration_s: float
    status: RunStatus
    spec_hash: str
    data_hash: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    seeds: dict[str, Any]
    git_commit: str | None
    git_dirty: bool | None
    packages: dict[str, str]
    platform: dict[str, Any]
    reasons: list[str]
    model_version: int | None


@dataclass(frozen=True)
class ModelVersionRecord:
    """A registered model: the bundle it loads from and the evaluation it was judged on."""

    project: str
    version: int
    run_id: int
    created_at: datetime
    bundle_sha: str
    task: str
    model_kind: str
    threshold: float | None
    value_per_decision: float
    metrics: dict[str, Any]
    format_version: int
    data_hash: str
    spec_hash: str
    parent_version: int | None


@dataclass(frozen=True)
class AliasMove:
    """One line of the alias audit trail: who pointed which alias from where to where, and why.

    ``from_version`` is None when the alias was created, ``to_version`` is None when it was removed.
    ``share`` is the traffic share the move set (a challenger's), None for other aliases.
    """

    id: int
    project: str
    alias: str
    from_version: int | None
    to_version: int | None
    at: datetime
    actor: str
    reason: str
    share: float | None = None


@dataclass(frozen=True)
class AliasState:
    """Where an alias points now, and the traffic share it carries (None: not a traffic split)."""

    alias: str
    version: int
    share: float | None = None
