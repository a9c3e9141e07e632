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
import contextlib
import logging
import sys
import threading
import time
from typing import Any

from prodml import fastjson

__all__ = ["JsonFormatter", "configure_logging", "log_access"]

_configured: list[logging.Handler] = []


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {}
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            fields.update(access)
        else:
            fields["message"] = record.getMessage()
        if record.exc_info:
            fields["traceback"] = self.formatException(record.exc_info)
        return json_line(record.created, record.levelname.lower(), record.name, fields)


_second: list[Any] = [None, ""]  # the last whole second formatted, and its text


def json_line(created: float, level: str, logger: str, fields: dict[str, Any]) -> str:
    """One log line: time (UTC, milliseconds), level, logger, then the fields."""
    whole = int(created)
    if _second[0] != whole:  # strftime once per second, not once per line
        _second[0], _second[1] = whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    ts = f"{_second[1]}.{int((created - whole) * 1000):03d}Z"
    payload = {"ts": ts, "level": level, "logger": logger, **fields}
    return fastjson.dumps(payload, default=str).decode()


class _Batching(logging.Handler):
    """Collects records in memory; a daemon thread writes them out every ``interval`` seconds.

    A ``QueueHandler`` wakes its listener thread for every record, and a woken thread competes
    with the request for the GIL (and, on a busy machine, for the core): with one access line
    per request that cost more than scoring the request. Here a request only appends to a
    deque; the writer wakes on its own clock, formats everything that accumulated (access lines
    straight from their fields, without a log record) and writes it with one call.
    """

    def __init__(self, stream: Any, interval: float = 0.05) -> None:
        super().__init__()
        self.stream = stream
        self._format = JsonFormatter().format
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
        """An access line; it is formatted in the writer, not in the request."""
        self._records.append((created, access))

    def emit(self, record: logging.LogRecord) -> None:  # pragma: no cover - handle() is used
        self._records.append(record)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.drain()

    def drain(self) -> None:
        lines = []
        while self._records:
            item = self._records.popleft()
            if isinstance(item, tuple):
                lines.append(json_line(item[0], "info", "prodml.access", item[1]))
            else:
                lines.append(self._format(item))
        if lines:
            # stderr closed or gone: there is nowhere left to report that to
            with contextlib.suppress(OSError, ValueError):
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()

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
    handler = _Batching(sys.stderr)
    atexit.register(handler.close)
    _configured.append(handler)
    for name in ("prodml", "uvicorn.error", "uvicorn"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("prodml.access").setLevel(logging.INFO if access else logging.WARNING)
    logging.getLogger("uvicorn.access").disabled = True
