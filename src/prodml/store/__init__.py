"""The store: metadata in SQLite or PostgreSQL, artifacts as content-addressed files.

Open it with ``open_store``; everything else hangs off the returned ``Store``. SQLAlchemy and
Alembic are imported here and nowhere above this package, so ``import prodml`` stays light.
"""

from prodml.store._actor import current_actor
from prodml.store._artifacts import ArtifactStore
from prodml.store._metadata import MetadataStore, UnitOfWork
from prodml.store._open import Store, open_store
from prodml.store._records import AliasMove, DatasetRecord, ModelVersionRecord, RunRecord, RunStatus

__all__ = [
    "AliasMove",
    "ArtifactStore",
    "DatasetRecord",
    "MetadataStore",
    "ModelVersionRecord",
    "RunRecord",
    "RunStatus",
    "Store",
    "UnitOfWork",
    "current_actor",
    "open_store",
]
