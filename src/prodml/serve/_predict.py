"""prodml's own endpoints: ``POST /predict`` and ``POST /feedback``.

``/predict`` answers every record: scored ones with prediction, probability, decision, model
version, variant, source (``live``, or ``precomputed`` when a batch score answered, see
:mod:`prodml.serve._precomputed`), prediction id and the repairs applied; rejected ones with
per-field errors.
The status is 200 when at least one record was scored, 422 when none was (the body then lists
every record's errors).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from prodml.errors import RequestError
from prodml.serve._body import json_response, read_json
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

__all__ = ["router", "scored_records"]

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
    started = request.scope.get("prodml.started", time.perf_counter())
    service = service_of(request)
    service.tokens.check_api(request.headers.get("authorization"))
    payload = await read_json(request)
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
    body: dict[str, Any] = {
        "request_id": scored.request_id,
        "results": results,
        "summary": scored.counts,
    }
    if scored.valid == 0:
        body = {
            "error": f"none of the {len(scored)} records could be scored",
            "code": "no_valid_records",
            "where": "records",
            "fix": "see results[].errors for each record's problems",
            "request_id": scored.request_id,
            "results": results,
        }
        return json_response(body, status=422)
    return json_response(body)


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
