"""Structured logs: one JSON object per line on stderr, written by a background thread.

Access log lines (logger ``prodml.access``) carry request id, method, path, route, status,
duration and client address; other lines (``prodml.*``, ``uvicorn.error``) carry level and
message (and the traceback of unexpected errors, which never reach a client). Records are
collected in memory and written by a background thread every 50 ms (see :class:`_Batching`), so
a request never waits on the terminal or a pipe, nor on a thread woken for its log line.
"""

from __future__ import annotations

import atexit
import collections
import json
import logging
import sys
import threading
import time
from typing import Any

__all__ = ["JsonFormatter", "configure_logging", "log_access"]

_configured: list[logging.Handler] = []


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            payload.update(access)
        else:
            payload["message"] = record.getMessage()
        if record.exc_info:
            payload["traceback"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class _Batching(logging.Handler):
    """Collects records in memory; a daemon thread writes them out every ``interval`` seconds.

    A ``QueueHandler`` wakes its listener thread for every record, and a woken thread competes
    with the request for the GIL (and, on a busy machine, for the core): with one access line
    per request that cost more than scoring the request. Here a request only appends to a
    deque; the writer wakes on its own clock, formats and writes everything that accumulated.
    """

    def __init__(self, target: logging.Handler, interval: float = 0.05) -> None:
        super().__init__()
        self.target = target
        self.interval = interval
        self._records: collections.deque[Any] = collections.deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="prodml-log-writer", daemon=True)
        self._thread.start()

    def handle(self, record: logging.LogRecord) -> bool:
        # no filter or lock needed: deque.append is atomic; formatting happens in the writer
        self._records.append(record)
        return True

    def defer_access(self, created: float, access: dict[str, Any]) -> None:
        """An access line; its log record is made in the writer, not in the request."""
        self._records.append((created, access))

    def emit(self, record: logging.LogRecord) -> None:  # pragma: no cover - handle() is used
        self._records.append(record)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.drain()

    def drain(self) -> None:
        while self._records:
            item = self._records.popleft()
            if isinstance(item, tuple):
                created, access = item
                item = logging.makeLogRecord(
                    {"name": "prodml.access", "msg": "request", "access": access}
                )
                item.created, item.msecs = created, (created % 1.0) * 1000.0
                item.levelno, item.levelname = logging.INFO, "INFO"
            self.target.handle(item)
        self.target.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.drain()
        super().close()


def log_access(access: dict[str, Any]) -> None:
    """One access log line (the caller checked that ``prodml.access`` is enabled)."""
    if _configured and isinstance(_configured[0], _Batching):
        _configured[0].defer_access(time.time(), access)
    else:  # embedded in another server's logging: an ordinary record
        logging.getLogger("prodml.access").info("request", extra={"access": access})


def configure_logging(level: int = logging.INFO, *, access: bool = True) -> None:
    """Idempotent; called in the supervisor and in every worker process."""
    if _configured:
        return
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(JsonFormatter())
    handler = _Batching(stream)
    atexit.register(handler.close)
    _configured.append(handler)
    for name in ("prodml", "uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("prodml.access").setLevel(logging.INFO if access else logging.WARNING)
    logging.getLogger("uvicorn.access").disabled = True
