"""Reading request bodies and writing JSON answers, shared by the protocols.

Hot endpoints read the raw body and parse it with the standard library's ``json`` (no pydantic
round trip); every way a body can be wrong becomes a :class:`~prodml.errors.RequestError` with a
stable code, so it turns into a 4xx JSON answer, never a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from prodml import fastjson
from prodml.errors import RequestError

__all__ = [
    "json_bytes",
    "json_media_type",
    "json_response",
    "parse_json",
    "read_json",
    "require_json_type",
]

_JSON_TYPES = ("application/json",)


def require_json_type(request: Request, *, also: tuple[str, ...] = ()) -> str:
    """The media type, if it is JSON (or one of ``also``); 415 otherwise."""
    return json_media_type(request.headers.get("content-type", ""), also=also)


def json_media_type(raw: str, *, also: tuple[str, ...] = ()) -> str:
    """The media type of a ``Content-Type`` header, if it is JSON (or one of ``also``)."""
    media = raw.split(";", 1)[0].strip().lower()
    if media in _JSON_TYPES or media.endswith("+json") or media in also:
        return media
    accepted = ", ".join((*_JSON_TYPES, *also))
    raise RequestError(
        f"content type {media or '(none)'!r} is not accepted",
        code="unsupported_media_type",
        where="Content-Type header",
        fix=f"send the body as {accepted}",
    )


async def read_json(request: Request) -> Any:
    require_json_type(request)
    body = await request.body()
    return parse_json(body)


def parse_json(body: bytes) -> Any:
    if not body:
        raise RequestError(
            "the request body is empty",
            code="malformed_json",
            where="body",
            fix="send a JSON object",
        )
    try:
        payload = fastjson.loads(body)
    except UnicodeDecodeError as exc:
        raise RequestError(
            "the request body is not UTF-8 text",
            code="malformed_json",
            where="body",
            fix="encode the JSON body as UTF-8",
        ) from exc
    except json.JSONDecodeError as exc:
        raise RequestError(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            code="malformed_json",
            where="body",
            fix="send valid JSON (check quotes, commas and brackets)",
        ) from exc
    except RecursionError as exc:
        raise RequestError(
            "the JSON body is nested too deeply",
            code="malformed_json",
            where="body",
            fix="send flat records: an object of column name -> value per record",
        ) from exc
    if _ESCAPED_SURROGATE.search(body):
        _check_text(payload)
    return payload


# JSON may escape a lone UTF-16 surrogate ("\ud800"), which is no character at all: Python
# decodes it, but it cannot be encoded again (Arrow, Parquet, the log would fail on it later).
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _check_text(payload: Any) -> None:
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RequestError(
            "the JSON body holds a lone UTF-16 surrogate escape (e.g. \\ud800), which is not text",
            code="malformed_json",
            where="body",
            fix="send valid Unicode text (escape characters outside the BMP as a surrogate pair)",
        ) from exc


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    content = json_bytes(payload)
    return Response(content, status_code=status, media_type="application/json", headers=headers)


def json_bytes(payload: Any) -> bytes:
    """Compact JSON; NaN and infinities (not JSON) become null."""
    return fastjson.dumps(payload)
