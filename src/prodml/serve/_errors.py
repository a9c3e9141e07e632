"""The one place where errors become HTTP statuses and JSON bodies.

Every error response, from every endpoint, has the same shape::

    {"error": "<one-line message>", "code": "<stable reason>", "where": ..., "fix": ...,
     "request_id": "..."}

``error`` is a string, as the Open Inference Protocol (KServe V2) requires, so V2 clients such
as ``tritonclient`` show the message as is. Nothing else goes into a body: never a traceback,
never a header or a token; unexpected exceptions become ``500 internal_error`` with the request
id, and the traceback goes to the server log only.
"""

from __future__ import annotations

from typing import Any

from prodml.errors import (
    AuthError,
    IntegrityError,
    NotFoundError,
    ProdmlError,
    RequestError,
    StoreError,
    UnavailableError,
    UserError,
)

__all__ = ["error_body", "error_reply", "error_status", "internal_error_body"]

# RequestError codes whose status is not 400.
_REQUEST_STATUS = {
    "unsupported_media_type": 415,
    "too_large": 413,
    "too_many_records": 413,
    "invalid_records": 422,
    "no_valid_records": 422,
    "empty_batch": 422,
    "invalid_request": 422,
    "not_found": 404,
    "method_not_allowed": 405,
    "unauthorized": 401,
    "forbidden": 403,
    "admin_disabled": 403,
}


def error_status(exc: ProdmlError) -> int:
    """HTTP status for a prodml error; the mapping lives here and nowhere else."""
    if isinstance(exc, AuthError):
        return _REQUEST_STATUS.get(exc.code, 401)
    if isinstance(exc, RequestError):
        return _REQUEST_STATUS.get(exc.code, 400)
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, UnavailableError | StoreError):
        return 503
    if isinstance(exc, UserError):
        return 422
    if isinstance(exc, IntegrityError):
        return 500
    return 500


def error_code(exc: ProdmlError) -> str:
    if isinstance(exc, RequestError):
        return exc.code
    if isinstance(exc, NotFoundError):
        return "not_found"
    if isinstance(exc, UnavailableError):
        return "unavailable"
    if isinstance(exc, StoreError):
        return "store_unavailable"
    if isinstance(exc, UserError):
        return "invalid_request"
    return "internal_error"


def error_body(
    exc: ProdmlError, request_id: str | None = None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    status = error_status(exc)
    if status >= 500 and not isinstance(exc, UnavailableError | StoreError):
        return internal_error_body(request_id)
    body: dict[str, Any] = {
        "error": exc.message,
        "code": error_code(exc),
        "where": exc.where,
        "fix": exc.fix,
        "request_id": request_id,
    }
    if extra:
        body.update(extra)
    return body


def internal_error_body(request_id: str | None) -> dict[str, Any]:
    return {
        "error": "internal error: the server could not answer this request",
        "code": "internal_error",
        "where": None,
        "fix": "retry; if it persists, give the request_id to the operator (the server log "
        "has the details)",
        "request_id": request_id,
    }


def error_reply(
    exc: ProdmlError, request_id: str | None
) -> tuple[int, dict[str, Any], dict[str, str] | None]:
    """Status, body and extra headers of the answer to ``exc`` (401 asks for a bearer token)."""
    status = error_status(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return status, error_body(exc, request_id), headers
