"""What registering a version needs, loaded on a spare thread while cross-validation runs.

A ``prodml train`` process pays its imports once. Those of the step after training (SQLAlchemy
and the store, explanations, documents, the monitoring profile, the package versions recorded
with the run) cost about half a second of one core, in a step where the other core is idle.
While the folds are fitted the main thread only waits, and the fold workers spend their time in
LightGBM and BLAS, which run without the GIL: loading those modules then takes the cores' spare
time instead of adding to the end of the run. Nothing is written and nothing is opened: the store
is still only touched once everything is computed.

The thread is an optimisation only. Whatever it has not finished, or failed to do, the main
thread does (or reports) where it needs it: a module being imported by this thread makes another
importer wait for it, and :func:`~prodml.train.environment.package_versions` caches its answer.
"""

from __future__ import annotations

import importlib
import threading

__all__ = ["REGISTRATION_MODULES", "preload_registration"]

# imported by Project.train after training: the store (SQLAlchemy, its SQLite dialect), the
# explanation, the report and model card, the monitoring profile
REGISTRATION_MODULES = (
    "prodml.store",
    "sqlalchemy.dialects.sqlite",
    "prodml.explain",
    "prodml.report",
    "prodml.monitor.reference",
    "prodml.monitor.estimation",
)


def preload_registration() -> threading.Thread:
    """Start loading what registration needs on a daemon thread; join it only in tests."""
    thread = threading.Thread(target=_preload, name="prodml-preload", daemon=True)
    thread.start()
    return thread


def _preload() -> None:
    from prodml.train.environment import package_versions

    for name in REGISTRATION_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # the importer that needs it will raise it
            continue
    package_versions()
