"""The Open Inference Protocol (KServe V2) over REST, so existing clients work unchanged.

The model is the project (``GET /v2/models/credit``); its inputs are the feature columns, one
tensor per column of shape ``[n]`` (as MLServer's pandas codec sends a table), plus the entity id
column if the project has one. Outputs, one tensor each: ``prediction``, ``probability`` (binary),
``decision``, ``status``, ``prediction_id``, ``model_version``, ``variant``, ``errors`` (JSON text
per record). Both JSON tensors and the binary tensor extension (``Inference-Header-Content-Length``,
what ``tritonclient.http`` sends by default) are read and written.

``/v2/models/{name}/versions/{v}/infer`` pins a version, if it is one being served.
"""

from __future__ import annotations

import json
import struct
import time
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from starlette.responses import Response

from prodml.errors import NotFoundError, RequestError
from prodml.serve._body import json_response, parse_json, require_json_type
from prodml.serve._predict import service_of
from prodml.serve._schemas import ERROR_RESPONSES, request_body
from prodml.serve._service import Scored, Service

__all__ = ["router"]

router = APIRouter(prefix="/v2", tags=["kserve-v2"])

_HEADER = "inference-header-content-length"
_NUMPY = {
    "BOOL": np.bool_,
    "INT8": np.int8,
    "INT16": np.int16,
    "INT32": np.int32,
    "INT64": np.int64,
    "UINT8": np.uint8,
    "UINT16": np.uint16,
    "UINT32": np.uint32,
    "UINT64": np.uint64,
    "FP16": np.float16,
    "FP32": np.float32,
    "FP64": np.float64,
}
_TENSOR = {
    "type": "object",
    "required": ["name", "shape", "datatype"],
    "properties": {
        "name": {"type": "string"},
        "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "datatype": {"type": "string", "enum": [*_NUMPY, "BYTES"]},
        "parameters": {"type": "object"},
        "data": {"type": "array"},
    },
}
_INFER_SCHEMA = {
    "type": "object",
    "required": ["inputs"],
    "properties": {
        "id": {"type": "string"},
        "parameters": {"type": "object"},
        "inputs": {"type": "array", "items": _TENSOR},
        "outputs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "parameters": {"type": "object"}},
            },
        },
    },
}


@router.get("", summary="Server metadata")
async def server_metadata(request: Request) -> Response:
    from prodml import __version__

    return json_response({"name": "prodml", "version": __version__, "extensions": ["binary_data"]})


@router.get("/health/live", summary="Liveness: the process answers")
async def live() -> Response:
    return json_response({"live": True})


@router.get(
    "/health/ready",
    summary="Readiness: the champion is loaded and warmed up",
    responses={503: ERROR_RESPONSES[503]},
)
async def ready(request: Request) -> Response:
    service_of(request).routing()  # 503 with the reason when not ready
    return json_response({"ready": True})


def _check_model(service: Service, name: str, version: str | None = None) -> int | None:
    if name != service.config.name:
        raise NotFoundError(
            f"no model named {name[:100]!r} on this server",
            where="model name",
            fix=f"this server serves the model {service.config.name!r}",
        )
    if version is None:
        return None
    routing = service.routing()
    try:
        number = int(version)
    except ValueError:
        number = -1
    if routing.by_version(number) is None:
        raise NotFoundError(
            f"version {version[:20]!r} of {name!r} is not being served",
            where="model version",
            fix="served versions: " + ", ".join(f"{k} {v}" for k, v in routing.versions.items()),
        )
    return number


def _metadata(service: Service, version: int | None) -> dict[str, Any]:
    routing = service.routing()
    model = routing.champion if version is None else routing.by_version(version)
    assert model is not None
    contract = {c["name"]: c for c in model.bundle.contract.get("columns", [])}
    inputs = [
        {
            "name": feature,
            "datatype": "FP64" if contract.get(feature, {}).get("kind") == "numeric" else "BYTES",
            "shape": [-1],
        }
        for feature in model.features
    ]
    if service.config.id_column:
        inputs.append({"name": service.config.id_column, "datatype": "BYTES", "shape": [-1]})
    binary = model.task == "binary"
    outputs = [
        {"name": "prediction", "datatype": "BYTES" if binary else "FP64", "shape": [-1]},
        *([{"name": "probability", "datatype": "FP64", "shape": [-1]}] if binary else []),
        {"name": "decision", "datatype": "BOOL" if binary else "FP64", "shape": [-1]},
        {"name": "status", "datatype": "BYTES", "shape": [-1]},
        {"name": "prediction_id", "datatype": "BYTES", "shape": [-1]},
        {"name": "model_version", "datatype": "INT64", "shape": [-1]},
        {"name": "variant", "datatype": "BYTES", "shape": [-1]},
        {"name": "errors", "datatype": "BYTES", "shape": [-1]},
    ]
    return {
        "name": service.config.name,
        "versions": [str(v) for v in sorted(set(routing.versions.values()))],
        "platform": f"prodml-{model.bundle.model_kind}",
        "inputs": inputs,
        "outputs": outputs,
        "parameters": {"champion": routing.champion.version, "served": routing.versions},
    }


@router.get("/models/{name}", summary="Model metadata", responses=ERROR_RESPONSES)
async def model_metadata(name: str, request: Request) -> Response:
    service = service_of(request)
    _check_model(service, name)
    return json_response(_metadata(service, None))


@router.get(
    "/models/{name}/versions/{version}", summary="Model version metadata", responses=ERROR_RESPONSES
)
async def version_metadata(name: str, version: str, request: Request) -> Response:
    service = service_of(request)
    number = _check_model(service, name, version)
    return json_response(_metadata(service, number))


@router.get("/models/{name}/ready", summary="Model readiness", responses=ERROR_RESPONSES)
async def model_ready(name: str, request: Request) -> Response:
    service = service_of(request)
    _check_model(service, name)
    service.routing()
    return json_response({"name": name, "ready": True})


@router.get(
    "/models/{name}/versions/{version}/ready",
    summary="Model version readiness",
    responses=ERROR_RESPONSES,
)
async def version_ready(name: str, version: str, request: Request) -> Response:
    service = service_of(request)
    _check_model(service, name, version)
    return json_response({"name": name, "ready": True})


@router.post(
    "/models/{name}/infer",
    summary="Inference (one input tensor per column)",
    responses=ERROR_RESPONSES,
    openapi_extra=request_body(_INFER_SCHEMA),
)
async def infer(name: str, request: Request) -> Response:
    return await _infer(request, name, None)


@router.post(
    "/models/{name}/versions/{version}/infer",
    summary="Inference on one served version",
    responses=ERROR_RESPONSES,
    openapi_extra=request_body(_INFER_SCHEMA),
)
async def infer_version(name: str, version: str, request: Request) -> Response:
    return await _infer(request, name, version)


async def _infer(request: Request, name: str, version: str | None) -> Response:
    started = request.scope.get("prodml.started", time.perf_counter())
    service = service_of(request)
    service.tokens.check_api(request.headers.get("authorization"))
    pinned = _check_model(service, name, version)
    header_length = request.headers.get(_HEADER)
    if header_length is None and request.headers.get("content-type"):
        # the V2 protocol does not require a content type (tritonclient sends none for JSON)
        require_json_type(request, also=("application/octet-stream",))
    body = await request.body()
    payload, binary = _split_body(body, header_length)
    if not isinstance(payload, dict):
        raise _bad("the body must be a JSON object with an inputs list", "inputs")
    records = _records(payload, binary)
    scored = await service.submit(records, endpoint="v2", started=started, version=pinned)
    if scored.valid == 0:
        first = next((e for e in scored.errors if e), [])
        detail = "; ".join(str(e.get("message")) for e in first[:3])
        raise RequestError(
            f"none of the {len(scored)} records could be scored (first: {detail})",
            code="no_valid_records",
            where="inputs",
            fix="check the tensors against GET /v2/models/{name} (names and datatypes)",
        )
    return _answer(payload, scored, service)


def _bad(message: str, where: str) -> RequestError:
    return RequestError(
        message,
        code="invalid_request",
        where=where,
        fix="see the Open Inference Protocol (KServe V2) request format; one tensor per column",
    )


def _split_body(body: bytes, header_length: str | None) -> tuple[Any, bytes]:
    if header_length is None:
        return parse_json(body), b""
    try:
        size = int(header_length)
    except ValueError:
        size = -1
    if not 0 < size <= len(body):
        raise RequestError(
            f"Inference-Header-Content-Length {header_length[:20]!r} does not fit the body",
            code="malformed_json",
            where="Inference-Header-Content-Length header",
            fix="set it to the byte length of the JSON header that starts the body",
        )
    return parse_json(body[:size]), body[size:]


def _records(payload: dict[str, Any], binary: bytes) -> list[dict[str, Any]]:
    inputs = payload.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise _bad("inputs must be a non-empty list of tensors", "inputs")
    columns: dict[str, list[Any]] = {}
    offset = 0
    rows: int | None = None
    for position, tensor in enumerate(inputs):
        where = f"inputs[{position}]"
        if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str):
            raise _bad("each input must be an object with a name", where)
        name = tensor["name"]
        datatype = tensor.get("datatype")
        shape = tensor.get("shape")
        if datatype not in _NUMPY and datatype != "BYTES":
            raise _bad(f"unknown datatype {str(datatype)[:20]!r}", f"{where}.datatype")
        if (
            not isinstance(shape, list)
            or not shape
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
            or any(d != 1 for d in shape[1:])
        ):
            raise _bad("shape must be [n] (or [n, 1]): one value per record", f"{where}.shape")
        n = shape[0]
        parameters = tensor.get("parameters") or {}
        size = parameters.get("binary_data_size") if isinstance(parameters, dict) else None
        if size is not None:
            if not isinstance(size, int) or size < 0 or offset + size > len(binary):
                raise _bad("binary_data_size does not fit the binary part", f"{where}.parameters")
            values = _from_binary(binary[offset : offset + size], datatype, n, where)
            offset += size
        else:
            values = _from_json(tensor.get("data"), datatype, n, where)
        if rows is None:
            rows = n
        elif n != rows:
            raise _bad(f"input {name[:50]!r} has {n} values, others have {rows}", f"{where}.shape")
        columns[name] = values
    count = rows or 0
    names = list(columns)
    return [{name: columns[name][i] for name in names} for i in range(count)]


def _flatten(data: Any) -> list[Any]:
    if not isinstance(data, list):
        return [data]
    out: list[Any] = []
    for item in data:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _from_json(data: Any, datatype: str, n: int, where: str) -> list[Any]:
    if not isinstance(data, list):
        raise _bad("data must be a list of values (or use binary_data_size)", f"{where}.data")
    values = _flatten(data)
    if len(values) != n:
        raise _bad(f"data has {len(values)} values but shape says {n}", f"{where}.data")
    return values


def _from_binary(raw: bytes, datatype: str, n: int, where: str) -> list[Any]:
    if datatype == "BYTES":
        values: list[Any] = []
        position = 0
        while position < len(raw):
            if position + 4 > len(raw):
                raise _bad("truncated BYTES element", f"{where}.parameters")
            (length,) = struct.unpack_from("<I", raw, position)
            position += 4
            if position + length > len(raw):
                raise _bad("truncated BYTES element", f"{where}.parameters")
            values.append(raw[position : position + length].decode("utf-8", "replace"))
            position += length
    else:
        dtype = np.dtype(_NUMPY[datatype]).newbyteorder("<")
        if len(raw) % dtype.itemsize:
            raise _bad("binary size is not a multiple of the datatype", f"{where}.parameters")
        values = np.frombuffer(raw, dtype=dtype).tolist()
    if len(values) != n:
        raise _bad(f"binary data has {len(values)} values but shape says {n}", where)
    return values


def _answer(payload: dict[str, Any], scored: Scored, service: Service) -> Response:
    binary_task = scored.task == "binary"
    n = len(scored)
    tensors: dict[str, tuple[str, list[Any]]] = {
        "prediction": ("BYTES" if binary_task else "FP64", list(scored.label)),
        "decision": ("BOOL" if binary_task else "FP64", list(scored.decision)),
        "status": ("BYTES", list(scored.status)),
        "prediction_id": ("BYTES", list(scored.prediction_id)),
        "model_version": ("INT64", list(scored.version)),
        "variant": ("BYTES", list(scored.variant)),
        "errors": ("BYTES", [json.dumps(e) if e else "" for e in scored.errors]),
    }
    if binary_task:
        tensors["probability"] = ("FP64", list(scored.score))
    parameters = payload.get("parameters")
    binary_all = isinstance(parameters, dict) and parameters.get("binary_data_output") is True
    wanted = payload.get("outputs")
    chosen: list[tuple[str, bool]] = []
    if isinstance(wanted, list) and wanted:
        for position, item in enumerate(wanted):
            name = item.get("name") if isinstance(item, dict) else None
            if name not in tensors:
                raise _bad(
                    f"unknown output {str(name)[:50]!r}; outputs are {', '.join(tensors)}",
                    f"outputs[{position}]",
                )
            params = item.get("parameters") or {}
            chosen.append((name, bool(isinstance(params, dict) and params.get("binary_data"))))
    else:
        chosen = [(name, binary_all) for name in tensors]
    outputs: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    for name, as_binary in chosen:
        datatype, values = tensors[name]
        tensor: dict[str, Any] = {"name": name, "datatype": datatype, "shape": [n]}
        if as_binary:
            blob = _to_binary(values, datatype)
            tensor["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            tensor["data"] = [_json_value(v, datatype) for v in values]
        outputs.append(tensor)
    versions = sorted(set(scored.version))
    answer: dict[str, Any] = {
        "model_name": service.config.name,
        "model_version": str(versions[0]) if len(versions) == 1 else ",".join(map(str, versions)),
        "outputs": outputs,
        "parameters": {"request_id": scored.request_id, **scored.counts},
    }
    if isinstance(payload.get("id"), str):
        answer["id"] = payload["id"]
    if not blobs:
        return json_response(answer)
    header = json.dumps(answer, separators=(",", ":"), allow_nan=False).encode()
    return Response(
        header + b"".join(blobs),
        media_type="application/octet-stream",
        headers={"Inference-Header-Content-Length": str(len(header))},
    )


def _json_value(value: Any, datatype: str) -> Any:
    if value is None:
        return None if datatype != "BYTES" else ""
    if datatype == "BYTES":
        return str(value)
    return value


def _to_binary(values: list[Any], datatype: str) -> bytes:
    if datatype == "BYTES":
        parts = []
        for value in values:
            data = ("" if value is None else str(value)).encode()
            parts.append(struct.pack("<I", len(data)) + data)
        return b"".join(parts)
    if datatype == "BOOL":
        return np.asarray([bool(v) for v in values], dtype=np.bool_).tobytes()
    dtype = np.dtype(_NUMPY[datatype]).newbyteorder("<")
    filled = [np.nan if v is None else v for v in values]
    return np.asarray(filled, dtype=dtype).tobytes()
