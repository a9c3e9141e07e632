"""Structured logs: one JSON object per line on stderr, written by a background thread.

Access log lines (logger ``prodml.access``) carry request id, method, path, route, status,
duration and client address; other lines (``prodml.*``, ``uvicorn.error``) carry level and
message (and the traceback of unexpected errors, which never reach a client). A
``QueueHandler`` hands records to a ``QueueListener`` thread, so a request never waits on the
terminal or a pipe.
"""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import sys
import time
from typing import Any

__all__ = ["JsonFormatter", "configure_logging"]

_configured: list[logging.handlers.QueueListener] = []


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


def configure_logging(level: int = logging.INFO, *, access: bool = True) -> None:
    """Idempotent; called in the supervisor and in every worker process."""
    if _configured:
        return
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(JsonFormatter())
    listener = logging.handlers.QueueListener(records, stream, respect_handler_level=False)
    listener.start()
    atexit.register(listener.stop)
    _configured.append(listener)
    handler = logging.handlers.QueueHandler(records)
    for name in ("prodml", "uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("prodml.access").setLevel(logging.INFO if access else logging.WARNING)
    logging.getLogger("uvicorn.access").disabled = True
