"""Shadow scoring off the response path: a bounded queue and one worker thread.

The request handler only enqueues (a few microseconds) after the answer is computed; the worker
validates and scores the records with the shadow model and writes them to the prediction log as
``variant = "shadow"``, with the served record's prediction id plus ``.shadow``. When the queue
is full (the shadow model is slower than traffic) the work is dropped and counted, never waited
for: a shadow must not slow the champion down.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["ShadowWorker"]

_log = logging.getLogger("prodml.serve")


class ShadowWorker:
    def __init__(
        self,
        handle: Callable[[Any], None],
        *,
        on_drop: Callable[[], None] | None = None,
        capacity: int = 1000,
    ) -> None:
        self._handle = handle
        self._on_drop = on_drop
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="prodml-shadow", daemon=True)
            self._thread.start()

    def submit(self, job: Any) -> bool:
        try:
            self._queue.put_nowait(job)
            return True
        except queue.Full:
            if self._on_drop is not None:
                self._on_drop()
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued (graceful shutdown), then stop."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until everything queued so far is done (tests, flush)."""
        done = threading.Event()
        if self._thread is None or not self.submit(done):
            return
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if isinstance(job, threading.Event):
                job.set()
                continue
            try:
                self._handle(job)
            except Exception:
                _log.exception("shadow scoring failed")
