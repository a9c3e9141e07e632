"""MLflow-compatible scoring: ``POST /invocations`` and ``GET /ping``.

Accepts what ``mlflow models serve`` accepts for a tabular model: JSON with ``dataframe_split``
(``{"columns": [...], "data": [[...], ...]}``) or ``dataframe_records`` (``[{...}, ...]``), or a
``text/csv`` body with a header row. Answers like a pyfunc model returning a DataFrame:
``{"predictions": [{"prediction": ..., "probability": ..., "decision": ..., ...}, ...]}``, so an
existing MLflow client keeps working, and each row also says its status and errors.
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from prodml.errors import RequestError
from prodml.serve._body import json_response, parse_json, require_json_type
from prodml.serve._predict import scored_records, service_of
from prodml.serve._schemas import ERROR_RESPONSES, request_body

__all__ = ["router"]

router = APIRouter(tags=["mlflow"])

_SCHEMA = {
    "type": "object",
    "properties": {
        "dataframe_split": {
            "type": "object",
            "required": ["columns", "data"],
            "properties": {
                "columns": {"type": "array", "items": {"type": "string"}},
                "data": {"type": "array", "items": {"type": "array"}},
                "index": {"type": "array"},
            },
        },
        "dataframe_records": {"type": "array", "items": {"type": "object"}},
    },
}
_FIX = (
    'send {"dataframe_split": {"columns": [...], "data": [[...]]}} or '
    '{"dataframe_records": [{...}]}, or text/csv with a header row'
)


@router.get("/ping", summary="MLflow health check", responses={503: ERROR_RESPONSES[503]})
async def ping(request: Request) -> Response:
    service_of(request).routing()
    return json_response({"status": "ok"})


@router.post(
    "/invocations",
    summary="MLflow-compatible scoring (dataframe_split, dataframe_records, CSV)",
    responses=ERROR_RESPONSES,
    openapi_extra=request_body(_SCHEMA),
)
async def invocations(request: Request) -> Response:
    started = request.scope.get("prodml.started", time.perf_counter())
    service = service_of(request)
    service.tokens.check_api(request.headers.get("authorization"))
    media = require_json_type(request, also=("text/csv",))
    body = await request.body()
    records = _csv_records(body) if media == "text/csv" else _json_records(parse_json(body))
    scored = await service.submit(records, endpoint="invocations", started=started)
    rows = scored_records(scored)
    if scored.valid == 0:
        return json_response(
            {
                "error": f"none of the {len(scored)} records could be scored",
                "code": "no_valid_records",
                "where": "records",
                "fix": "see results[].errors for each record's problems",
                "request_id": scored.request_id,
                "error_code": "BAD_REQUEST",
                "message": f"none of the {len(scored)} records could be scored",
                "results": rows,
            },
            status=422,
        )
    return json_response({"predictions": rows})


def _bad(message: str, where: str) -> RequestError:
    return RequestError(message, code="invalid_request", where=where, fix=_FIX)


def _json_records(payload: Any) -> list[Any]:
    if not isinstance(payload, dict):
        raise _bad("the body must be a JSON object", "body")
    formats = [key for key in ("dataframe_split", "dataframe_records") if key in payload]
    others = [key for key in ("instances", "inputs") if key in payload]
    if others and not formats:
        raise _bad(f"{others[0]!r} (tensor input) is not supported for a tabular model", others[0])
    if len(formats) != 1:
        raise _bad("give exactly one of dataframe_split or dataframe_records", "body")
    if formats[0] == "dataframe_records":
        records = payload["dataframe_records"]
        if not isinstance(records, list):
            raise _bad("dataframe_records must be a list of objects", "dataframe_records")
        return records
    split = payload["dataframe_split"]
    if not isinstance(split, dict):
        raise _bad("dataframe_split must be an object", "dataframe_split")
    columns, data = split.get("columns"), split.get("data")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise _bad("dataframe_split.columns must be a list of names", "dataframe_split.columns")
    if not isinstance(data, list):
        raise _bad("dataframe_split.data must be a list of rows", "dataframe_split.data")
    out: list[Any] = []
    for i, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(columns):
            raise _bad(
                f"row {i} does not have one value per column ({len(columns)})",
                f"dataframe_split.data[{i}]",
            )
        out.append(dict(zip(columns, row, strict=True)))
    return out


def _csv_records(body: bytes) -> list[Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad("the CSV body is not UTF-8 text", "body") from exc
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise _bad(f"malformed CSV: {exc}", "body") from exc
    if not rows:
        raise _bad("the CSV body is empty", "body")
    header, data = rows[0], rows[1:]
    return [
        {name: (value if value != "" else None) for name, value in zip(header, row, strict=False)}
        for row in data
    ]
