"""The store: metadata in SQLite or PostgreSQL, artifacts as content-addressed files, and the
append-only prediction and feedback logs (Parquet segments, queried with DuckDB).

Open it with ``open_store``; everything else hangs off the returned ``Store``. SQLAlchemy and
Alembic are imported here and nowhere above this package, so ``import prodml`` stays light;
names are imported on first use, so the logs' helpers (``log_relation``, ``EventLog``) do not
import SQLAlchemy: ``prodml monitor`` starts its DuckDB queries while the registry loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prodml._lazy import lazy_exports

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

_EXPORTS = {
    "current_actor": "prodml.store._actor",
    "ArtifactStore": "prodml.store._artifacts",
    "EventLog": "prodml.store._eventlog",
    "MetadataStore": "prodml.store._metadata",
    "UnitOfWork": "prodml.store._metadata",
    "Store": "prodml.store._open",
    "open_store": "prodml.store._open",
    "FEEDBACK": "prodml.store._predictions",
    "PREDICTIONS": "prodml.store._predictions",
    "feedback_log_dir": "prodml.store._predictions",
    "feedback_schema": "prodml.store._predictions",
    "log_relation": "prodml.store._predictions",
    "log_root": "prodml.store._predictions",
    "log_window": "prodml.store._predictions",
    "prediction_log_dir": "prodml.store._predictions",
    "prediction_schema": "prodml.store._predictions",
    "read_feedback": "prodml.store._predictions",
    "read_labelled_predictions": "prodml.store._predictions",
    "read_predictions": "prodml.store._predictions",
    "AliasMove": "prodml.store._records",
    "AliasState": "prodml.store._records",
    "DatasetRecord": "prodml.store._records",
    "ModelVersionRecord": "prodml.store._records",
    "RunRecord": "prodml.store._records",
    "RunStatus": "prodml.store._records",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
