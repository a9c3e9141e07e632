"""``prodml serve``: check the project, then run uvicorn with the fast loop and parser.

The parent process checks everything a user can get wrong (project file, store, a champion,
its bundle's hash) before binding a port, so a mistake is a one-line error with exit code 2,
not a crash loop. Workers build the app from ``PRODML_SERVE_PROJECT`` (uvicorn imports it by
name in each worker). uvloop and httptools are pinned dependencies, so the fast event loop and
HTTP parser are always the ones in use.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["app_from_env", "check_project", "run_server"]

PROJECT_ENV = "PRODML_SERVE_PROJECT"
PRECOMPUTED_ENV = "PRODML_SERVE_PRECOMPUTED"


def check_project(
    project_dir: str | Path, *, precomputed: str | Path | None = None
) -> dict[str, Any]:
    """Fail fast, with the fix, if the project cannot be served; returns what will be served."""
    from prodml.project import Project
    from prodml.serve._model import load_served_model

    project = Project(project_dir)
    spec = project.spec
    try:
        record = project.store.metadata.resolve("champion")
        model = load_served_model(project.store, record.version, spec)
        aliases = project.aliases()
    finally:
        project.store.close()
    checked: dict[str, Any] = {
        "project": project.name,
        "champion": record.version,
        "aliases": aliases,
        "fast_path": model.scorer.kind,
    }
    if precomputed is not None:
        from prodml.serve._precomputed import precomputed_for

        scores = precomputed_for(spec, precomputed)
        checked["precomputed"] = {
            "rows": len(scores),
            "version": scores.version,
            "age_s": round(scores.age_s),
            "usable": scores.usable(record.version),
        }
    return checked


def app_from_env() -> Any:
    from prodml.serve._app import create_app
    from prodml.serve._logging import configure_logging

    configure_logging(access=os.environ.get("PRODML_ACCESS_LOG", "1") != "0")
    return create_app(
        os.environ[PROJECT_ENV],
        precomputed=os.environ.get(PRECOMPUTED_ENV) or None,
        freeze_heap=True,
    )


def run_server(
    project_dir: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int = 1,
    access_log: bool = True,
    graceful_timeout_s: int = 30,
    precomputed: str | Path | None = None,
) -> None:
    import uvicorn

    from prodml.serve._logging import configure_logging

    root = Path(project_dir).resolve()
    os.environ[PROJECT_ENV] = str(root)
    if precomputed is not None:  # each worker loads its own index of the file
        os.environ[PRECOMPUTED_ENV] = str(Path(precomputed).expanduser().resolve())
    else:  # not one left over from an earlier run_server in this process
        os.environ.pop(PRECOMPUTED_ENV, None)
    if not access_log:
        os.environ["PRODML_ACCESS_LOG"] = "0"
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # workers write their counters to files here; /metrics on any worker sums them
        metrics_dir = tempfile.mkdtemp(prefix="prodml-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        atexit.register(shutil.rmtree, metrics_dir, True)
    configure_logging(access=access_log)
    uvicorn.run(
        "prodml.serve._runner:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=graceful_timeout_s,
        server_header=False,
    )
