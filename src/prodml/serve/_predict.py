"""prodml's own endpoints: ``POST /predict`` and ``POST /feedback``.

``/predict`` answers every record: scored ones with prediction, probability, decision, model
version, variant, source (``live``, or ``precomputed`` when a batch score answered, see
:mod:`prodml.serve._precomputed`), prediction id and the repairs applied; rejected ones with
per-field errors.
The status is 200 when at least one record was scored, 422 when none was (the body then lists
every record's errors).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from prodml.errors import ProdmlError, RequestError
from prodml.serve._body import (
    json_bytes,
    json_media_type,
    json_response,
    parse_json,
    read_json,
    require_json_type,
)
from prodml.serve._errors import error_reply, internal_error_body
from prodml.serve._middleware import Receive, Scope, Send
from prodml.serve._schemas import (
    ERROR_RESPONSES,
    FeedbackRequest,
    FeedbackResponse,
    PredictRequest,
    PredictResponse,
    inline_schema,
    request_body,
)
from prodml.serve._service import Scored, Service

__all__ = ["predict_answer", "predict_lane", "router", "scored_records"]

_log = logging.getLogger("prodml.serve")

router = APIRouter()


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def request_id_of(request: Request) -> str:
    return str(request.scope.get("prodml.request_id", ""))


@router.post(
    "/predict",
    tags=["predict"],
    summary="Score records: prediction, calibrated probability, decision, per-record status",
    response_model=PredictResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=request_body(inline_schema(PredictRequest)),
)
async def predict(request: Request) -> Response:
    """The route for the OpenAPI document and for the FastAPI app mounted on its own; the
    server prodml runs answers ``POST /predict`` in front of the framework (:func:`predict_lane`)
    with the same :func:`predict_answer`."""
    service = service_of(request)
    service.tokens.check_api(request.headers.get("authorization"))
    require_json_type(request)
    status, body = await predict_answer(
        service,
        await request.body(),
        started=request.scope.get("prodml.started", time.perf_counter()),
    )
    return json_response(body, status=status)


async def predict_lane(
    service: Service, scope: Scope, receive: Receive, send: Send, request_id: str
) -> None:
    """``POST /predict`` as a plain ASGI handler: the API's hot path, without the framework's
    routing, dependency solving and request objects (most of an empty FastAPI endpoint's cost).
    Same checks in the same order, same answers and errors as the route above."""
    authorization = content_type = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"content-type":
            content_type = value.decode("latin-1")
    try:
        service.tokens.check_api(authorization)
        json_media_type(content_type or "")
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        status, body = await predict_answer(
            service, b"".join(chunks), started=scope.get("prodml.started", time.perf_counter())
        )
        headers = None
    except ProdmlError as exc:
        status, body, headers = error_reply(exc, request_id)
        scope["prodml.error_code"] = body["code"]
        if body["code"] == "internal_error":
            _log.error("request %s failed: %s", request_id, exc.render())
    except Exception:
        _log.exception("request %s failed", request_id)
        scope["prodml.error_code"] = "internal_error"
        status, body, headers = 500, internal_error_body(request_id), None
    content = json_bytes(body)
    raw_headers = [
        (b"content-length", str(len(content)).encode()),
        (b"content-type", b"application/json"),
    ]
    if headers:
        raw_headers.extend((k.lower().encode(), v.encode()) for k, v in headers.items())
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": content})


async def predict_answer(service: Service, raw: bytes, *, started: float) -> tuple[int, Any]:
    """Status and body of the answer to a ``/predict`` body (authorised, JSON typed)."""
    payload = parse_json(raw)
    if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
        raise RequestError(
            'the body must be an object with a "records" list',
            code="invalid_request",
            where="records",
            fix='send {"records": [{"column": value, ...}, ...]}',
        )
    explain = payload.get("explain", False)
    if not isinstance(explain, bool):
        raise RequestError(
            "explain must be true or false",
            code="invalid_request",
            where="explain",
            fix='send "explain": true to get the reasons of each prediction',
        )
    scored = await service.submit(
        payload["records"], endpoint="predict", started=started, explain=explain
    )
    results = scored_records(scored)
    if scored.valid == 0:
        return 422, {
            "error": f"none of the {len(scored)} records could be scored",
            "code": "no_valid_records",
            "where": "records",
            "fix": "see results[].errors for each record's problems",
            "request_id": scored.request_id,
            "results": results,
        }
    return 200, {"request_id": scored.request_id, "results": results, "summary": scored.counts}


def scored_records(scored: Scored) -> list[dict[str, Any]]:
    binary = scored.task == "binary"
    out = []
    for i in range(len(scored)):
        item: dict[str, Any] = {
            "index": i,
            "status": scored.status[i],
            "prediction_id": scored.prediction_id[i],
            "prediction": scored.label[i],
            "probability": scored.score[i] if binary else None,
            "decision": scored.decision[i],
            "model_version": scored.version[i],
            "variant": scored.variant[i],
            "source": scored.source[i],
            "repairs": scored.repairs[i],
            "errors": scored.errors[i],
        }
        if scored.reasons is not None:
            item["reasons"] = scored.reasons[i]
        out.append(item)
    return out


@router.post(
    "/feedback",
    tags=["feedback"],
    summary="Record ground truth for earlier predictions (by prediction id or entity id)",
    response_model=FeedbackResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=request_body(inline_schema(FeedbackRequest)),
)
async def feedback(request: Request) -> Response:
    service = service_of(request)
    service.tokens.check_admin(request.headers.get("authorization"))
    payload = await read_json(request)
    if not isinstance(payload, dict) or not isinstance(payload.get("feedback"), list):
        raise RequestError(
            'the body must be an object with a "feedback" list',
            code="invalid_request",
            where="feedback",
            fix='send {"feedback": [{"prediction_id": "...", "label": "bad"}]}',
        )
    ids = service.record_feedback(payload["feedback"])
    return json_response({"accepted": len(ids), "feedback_ids": ids})
