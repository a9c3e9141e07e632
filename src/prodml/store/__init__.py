"""The store: metadata in SQLite or PostgreSQL, artifacts as content-addressed files, and the
append-only prediction and feedback logs (Parquet segments, queried with DuckDB).

Open it with ``open_store``; everything else hangs off the returned ``Store``. SQLAlchemy and
Alembic are imported here and nowhere above this package, so ``import prodml`` stays light;
names are imported on first use, so the logs' helpers (``log_relation``, ``EventLog``) do not
import SQLAlchemy: ``prodml monitor`` starts its DuckDB queries while the registry loads.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prodml.store._actor import current_actor
    from prodml.store._artifacts import ArtifactStore
    from prodml.store._eventlog import EventLog
    from prodml.store._metadata import MetadataStore, UnitOfWork
    from prodml.store._open import Store, open_store
    from prodml.store._predictions import (
        FEEDBACK,
        PREDICTIONS,
        feedback_log_dir,
        feedback_schema,
        log_relation,
        log_root,
        log_window,
        prediction_log_dir,
        prediction_schema,
        read_feedback,
        read_labelled_predictions,
        read_predictions,
    )
    from prodml.store._records import (
        AliasMove,
        AliasState,
        DatasetRecord,
        ModelVersionRecord,
        RunRecord,
        RunStatus,
    )

__all__ = [
    "FEEDBACK",
    "PREDICTIONS",
    "AliasMove",
    "AliasState",
    "ArtifactStore",
    "DatasetRecord",
    "EventLog",
    "MetadataStore",
    "ModelVersionRecord",
    "RunRecord",
    "RunStatus",
    "Store",
    "UnitOfWork",
    "current_actor",
    "feedback_log_dir",
    "feedback_schema",
    "log_relation",
    "log_root",
    "log_window",
    "open_store",
    "prediction_log_dir",
    "prediction_schema",
    "read_feedback",
    "read_labelled_predictions",
    "read_predictions",
]

_HOMES = {
    "current_actor": "_actor",
    "ArtifactStore": "_artifacts",
    "EventLog": "_eventlog",
    "MetadataStore": "_metadata",
    "UnitOfWork": "_metadata",
    "Store": "_open",
    "open_store": "_open",
    "FEEDBACK": "_predictions",
    "PREDICTIONS": "_predictions",
    "feedback_log_dir": "_predictions",
    "feedback_schema": "_predictions",
    "log_relation": "_predictions",
    "log_root": "_predictions",
    "log_window": "_predictions",
    "prediction_log_dir": "_predictions",
    "prediction_schema": "_predictions",
    "read_feedback": "_predictions",
    "read_labelled_predictions": "_predictions",
    "read_predictions": "_predictions",
    "AliasMove": "_records",
    "AliasState": "_records",
    "DatasetRecord": "_records",
    "ModelVersionRecord": "_records",
    "RunRecord": "_records",
    "RunStatus": "_records",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'prodml.store' has no attribute {name!r}")
    value = getattr(import_module(f"prodml.store.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
