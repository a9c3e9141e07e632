"""Real-time serving: the HTTP API, the fast path, routing, prediction logging, metrics.

``create_app(project_dir)`` builds the ASGI app (the FastAPI app behind prodml's outermost
layer, which answers ``POST /predict`` itself; other attributes are the FastAPI app's);
``run_server`` runs it under uvicorn (what ``prodml serve`` does). ``compile_scorer`` is the
fast path on its own, for in-process scoring.
Everything is imported on first use, so ``import prodml.serve`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prodml._lazy import lazy_exports

__all__ = ["CompiledScorer", "check_project", "compile_scorer", "create_app", "run_server"]

_EXPORTS = {
    "CompiledScorer": "prodml.registry.fastpath",
    "check_project": "prodml.serve._runner",
    "compile_scorer": "prodml.registry.fastpath",
    "create_app": "prodml.serve._app",
    "run_server": "prodml.serve._runner",
}

if TYPE_CHECKING:
    from prodml.registry.fastpath import CompiledScorer, compile_scorer
    from prodml.serve._app import create_app
    from prodml.serve._runner import check_project, run_server


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
