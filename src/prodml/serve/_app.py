"""The FastAPI application: wiring, life cycle, and the error handlers.

Start-up (lifespan): open the project and its store, start the prediction and feedback logs
(replaying what a crashed process left), start the registry watcher (which loads, checks and
warms the champion, challenger and shadow) and the shadow worker, and wait for the champion
before taking connections. If no champion can be loaded the server still starts: liveness
answers, readiness (``/v2/health/ready``) is 503 with the reason, and the watcher keeps trying.
Shutdown (SIGTERM, Ctrl-C): stop taking predictions (503), let requests in flight finish, finish
queued shadow work, write every buffered log row to Parquet, close the store.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse, Response

from prodml.errors import ProdmlError, RequestError
from prodml.serve._body import json_response
from prodml.serve._errors import error_reply, internal_error_body
from prodml.serve._metrics import CONTENT_TYPE, Metrics
from prodml.serve._middleware import ServingMiddleware
from prodml.serve._predict import predict_lane

__all__ = ["create_app"]

_log = logging.getLogger("prodml.serve")
_FIRST_LOAD_TIMEOUT_S = 300.0


def create_app(
    project_dir: str | Path = ".",
    *,
    precomputed: str | Path | None = None,
    freeze_heap: bool = False,
) -> ServingMiddleware:
    """The server of the project in ``project_dir``; models are loaded when it starts.

    The ASGI app is the FastAPI app behind prodml's outermost layer (request ids, body limit,
    metrics, access log, and ``POST /predict`` answered without the framework); attributes such
    as ``state`` and ``openapi()`` are the FastAPI app's.

    ``precomputed``: a ``prodml score`` output whose scores answer known entity ids while they
    are fresh (see :mod:`prodml.serve._precomputed`); read here, so a wrong file fails now.

    ``freeze_heap``: once the models are in service, leave everything start-up built out of
    the garbage collector's full passes (see :func:`_freeze_heap`); for a process that only
    serves (``prodml serve`` sets it), not one that builds apps again and again (tests).
    """
    from prodml import __version__
    from prodml.project import Project

    project = Project(project_dir)
    spec = project.spec  # a bad project file fails here, before the server starts
    holder: dict[str, Any] = {}  # the running service and its metrics
    batch_scores = None
    if precomputed is not None:
        from prodml.serve._precomputed import precomputed_for

        batch_scores = precomputed_for(spec, precomputed)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = _start(project)
        service.precomputed = batch_scores
        app.state.service = service
        holder["metrics"] = service.metrics
        holder["service"] = service
        # Take connections only once the champion is in service (with --workers N the workers
        # share one socket: a worker still loading must not answer 503 next to a ready one).
        # If it cannot be loaded (no champion yet, store down), start anyway: readiness says
        # why and the watcher keeps trying.
        await asyncio.to_thread(service.watcher.wait_first, _FIRST_LOAD_TIMEOUT_S)
        if freeze_heap:
            _freeze_heap()
        try:
            yield
        finally:
            _stop(service)

    app = FastAPI(
        title=f"prodml: {project.name}",
        version=__version__,
        description=(
            f"Real-time scoring of the {project.name!r} model: "
            f"{spec.problem.decision or spec.problem.target}. "
            "prodml's own API (/predict, /feedback), the Open Inference Protocol (KServe V2, "
            "/v2/...) and MLflow-compatible /invocations. Errors are JSON: "
            '{"error", "code", "where", "fix", "request_id"}.'
        ),
        lifespan=lifespan,
    )
    _handlers(app)
    _routes(app)

    async def lane(scope: Any, receive: Any, send: Any, request_id: str) -> None:
        service = holder.get("service")  # app.state's, without Starlette's attribute hook
        if service is None:  # not started (no lifespan run): the framework answers
            await app(scope, receive, send)
        else:
            await predict_lane(service, scope, receive, send, request_id)

    return ServingMiddleware(
        app,
        max_body_bytes=spec.serving.max_body_bytes,
        metrics=lambda: holder.get("metrics"),
        lane=lane,
    )


def _start(project: Any) -> Any:
    from prodml.serve._model import load_served_model
    from prodml.serve._security import Tokens
    from prodml.serve._service import ServeConfig, Service
    from prodml.serve._shadow import ShadowWorker
    from prodml.serve._watcher import RoutingWatcher
    from prodml.store import (
        EventLog,
        feedback_log_dir,
        feedback_schema,
        log_root,
        prediction_log_dir,
        prediction_schema,
    )

    spec = project.spec
    serving = spec.serving
    metrics = Metrics().start()
    root = log_root(project.root)
    config = ServeConfig(root=project.root, spec=spec, name=project.name, log_root=root)
    logs = {
        name: EventLog(
            directory,
            schema,
            flush_interval_s=serving.log_flush_interval_s,
            segment_interval_s=serving.log_segment_interval_s,
            segment_rows=serving.log_segment_rows,
            on_error=lambda _exc: metrics.log_errors.inc(),
        ).start()
        for name, directory, schema in (
            ("predictions", prediction_log_dir(root), prediction_schema),
            ("feedback", feedback_log_dir(root), feedback_schema),
        )
    }
    watcher = RoutingWatcher(
        project.store,
        project=project.name,
        interval_s=serving.alias_poll_interval_s,
        default_share=serving.challenger_share,
        load=lambda store, version: load_served_model(store, version, spec),
        on_change=lambda routing: metrics.routed(routing.versions, routing.share),
        on_error=lambda _exc: metrics.reload_errors.inc(),
    )
    service = Service(
        config,
        watcher=watcher,
        predictions=logs["predictions"],
        feedback=logs["feedback"],
        metrics=metrics,
        tokens=Tokens.from_env(),
    )
    service.shadow = ShadowWorker(service.score_shadow, on_drop=metrics.shadow_dropped.inc)
    service.shadow.start()
    watcher.start()
    return service


def _freeze_heap() -> None:
    """Leave what start-up built (libraries, the models) out of the garbage collector's full
    passes: they are never garbage, and walking them is what made a full pass take 130-160 ms
    while a request waited (seen with wrk on one connection). Later objects (log rows, a model
    loaded by an alias move) are collected as usual."""
    gc.collect()
    gc.freeze()


def _stop(service: Any) -> None:
    service.draining = True
    service.watcher.stop()
    if service.shadow is not None:
        service.shadow.stop()
    for log in (service.predictions, service.feedback):
        try:
            log.close()
        except Exception:
            _log.exception("could not flush %s at shutdown; the next start replays it", log)
    service.metrics.close()
    service.watcher.store.close()


def _handlers(app: FastAPI) -> None:
    def request_id(request: Request) -> str | None:
        value = request.scope.get("prodml.request_id")
        return str(value) if value else None

    def answer(request: Request, exc: ProdmlError) -> Response:
        status, body, headers = error_reply(exc, request_id(request))
        request.scope["prodml.error_code"] = body["code"]
        if status >= 500 and body["code"] == "internal_error":
            _log.error("request %s failed: %s", request_id(request), exc.render())
        return json_response(body, status=status, headers=headers)

    @app.exception_handler(ProdmlError)
    async def prodml_error(request: Request, exc: ProdmlError) -> Response:
        return answer(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {}
        location = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        malformed = any(e.get("type") == "json_invalid" for e in errors)
        message = str(first.get("msg", "invalid request"))[:300]
        return answer(
            request,
            RequestError(
                "malformed JSON" if malformed else message,
                code="malformed_json" if malformed else "invalid_request",
                where=location,
                fix="see the request schema in the OpenAPI document (/docs)",
            ),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed"}
        code = codes.get(exc.status_code, "invalid_request")
        body = {
            "error": str(exc.detail)[:300],
            "code": code,
            "where": request.url.path[:200],
            "fix": "see the endpoints in the OpenAPI document (/docs)",
            "request_id": request_id(request),
        }
        request.scope["prodml.error_code"] = code
        return json_response(body, status=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        _log.exception("request %s failed", request_id(request))
        request.scope["prodml.error_code"] = "internal_error"
        return json_response(internal_error_body(request_id(request)), status=500)


def _routes(app: FastAPI) -> None:
    from prodml.serve import _admin, _dashboard, _kserve, _mlflow, _predict

    app.include_router(_predict.router)
    app.include_router(_dashboard.router)
    app.include_router(_kserve.router)
    app.include_router(_mlflow.router)
    app.include_router(_admin.router)

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses={200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}}},
    )
    async def metrics(request: Request) -> Response:
        service = request.app.state.service
        return Response(service.metrics.render(), media_type=CONTENT_TYPE)
