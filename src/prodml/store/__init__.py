"""The store: metadata in SQLite or PostgreSQL, artifacts as content-addressed files, and the
append-only prediction and feedback logs (Parquet segments, queried with DuckDB).

Open it with ``open_store``; everything else hangs off the returned ``Store``. SQLAlchemy and
Alembic are imported here and nowhere above this package, so ``import prodml`` stays light.
"""

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
