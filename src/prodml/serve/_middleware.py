"""The outermost ASGI layer for every request: id, timing, body limit, metrics, access log.

Pure ASGI (not Starlette's ``BaseHTTPMiddleware``, which costs a task and a queue per request):
it wraps ``receive`` to enforce the body limit while the body streams in (a ``Content-Length``
over the limit is refused before reading anything), and ``send`` to learn the status. The access
log is one JSON object per request, handed to a queue so that no request waits on a disk or a
terminal; it never contains headers, bodies or tokens.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from prodml.errors import RequestError
from prodml.serve._ids import new_id
from prodml.serve._logging import log_access

if TYPE_CHECKING:
    from prodml.serve._metrics import Metrics

__all__ = ["Lane", "Receive", "Scope", "Send", "ServingMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Lane = Callable[[Scope, Receive, Send, str], Awaitable[None]]

_access = logging.getLogger("prodml.access")


def too_large(limit: int) -> RequestError:
    return RequestError(
        f"the request body is larger than {limit} bytes",
        code="too_large",
        where="body",
        fix="send fewer records per request (or raise serving.max_body_bytes in prodml.yaml)",
    )


class ServingMiddleware:
    """The server's outermost ASGI layer, in front of the FastAPI app it wraps.

    ``POST /predict`` is answered here by ``lane`` (see
    :func:`prodml.serve._predict.predict_lane`), without the framework; everything else goes to
    the FastAPI app. Attribute access falls through to that app (``state``, ``openapi()``, ...),
    so the wrapper can stand wherever the app did.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        metrics: Callable[[], Metrics | None],
        lane: Lane | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._metrics = metrics
        self._lane = lane

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["app"], name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = new_id(8)
        scope["prodml.started"] = started
        scope["prodml.request_id"] = request_id
        limit = self.max_body_bytes
        status = 500
        received = 0

        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    scope["prodml.too_large"] = True
                break

        async def limited_receive() -> Message:
            nonlocal received
            if scope.get("prodml.too_large"):
                raise too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    scope["prodml.too_large"] = True
                    raise too_large(limit)
            return message

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        endpoint = None
        try:
            if self._lane is not None and scope["path"] == "/predict" and scope["method"] == "POST":
                endpoint = "/predict"
                await self._lane(scope, limited_receive, observed_send, request_id)
            else:
                await self.app(scope, limited_receive, observed_send)
        finally:
            elapsed = time.perf_counter() - started
            if endpoint is None:
                route = scope.get("route")
                endpoint = getattr(route, "path", None) or "unmatched"
            metrics = self._metrics()
            if metrics is not None:
                metrics.answered(endpoint, status, elapsed, scope.get("prodml.error_code"))
            if _access.isEnabledFor(logging.INFO):
                client = scope.get("client")
                log_access(
                    {
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "path": scope.get("path", "")[:200],
                        "endpoint": endpoint,
                        "status": status,
                        "duration_ms": round(elapsed * 1000.0, 3),
                        "bytes_in": received,
                        "client": client[0] if client else None,
                    }
                )
