"""Prometheus metrics of the server, per endpoint, model version and variant.

Each app gets its own registry (tests build many apps in one process). With ``--workers N`` the
runner sets ``PROMETHEUS_MULTIPROC_DIR`` so that every worker writes its counters to shared files
and ``GET /metrics`` on any worker reports the sum over all of them.

The per-request updates (request count, latency, scoring time, scored records) are not applied
on the request path: :meth:`Metrics.add` and :meth:`Metrics.observe` queue them, and they reach
the Prometheus objects when a scrape renders (so a scrape of this process sees every request
answered before it), every half second from a background thread (so the other workers' scrapes
with ``--workers N`` lag by at most that), and at shutdown. A Prometheus update takes a lock and
walks the histogram buckets, about 1.3 µs each; queueing one is a tenth of that, and a one-record
request makes five.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["CONTENT_TYPE", "FLUSH_INTERVAL_S", "Metrics"]

FLUSH_INTERVAL_S = 0.5
_PAUSE_EVERY = 200  # updates between two yields of the GIL in the background flush (~0.25 ms)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (
    0.0002,
    0.0005,
    0.001,
    0.002,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)


class Metrics:
    """The counters and histograms; ``render()`` gives the Prometheus text format."""

    def __init__(self) -> None:
        from prometheus_client import (
            CollectorRegistry,
            Counter,
            Gauge,
            Histogram,
            disable_created_metrics,
        )

        disable_created_metrics()  # the *_created series only double the size of a scrape
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        r = self.registry
        self.requests = Counter(
            "prodml_requests",
            "HTTP requests by endpoint and status code.",
            ["endpoint", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "prodml_request_latency_seconds",
            "Time from request received to response sent, by endpoint.",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "prodml_errors",
            "Error responses by endpoint and error code.",
            ["endpoint", "code"],
            registry=r,
        )
        self.records = Counter(
            "prodml_records",
            "Scored records by model version, variant and status (ok, repaired, rejected).",
            ["model_version", "variant", "status"],
            registry=r,
        )
        self.repairs = Counter(
            "prodml_repairs",
            "Repairs applied to input fields, by model version, variant and field.",
            ["model_version", "variant", "field"],
            registry=r,
        )
        self.rejections = Counter(
            "prodml_rejections",
            "Rejected records by model version and variant.",
            ["model_version", "variant"],
            registry=r,
        )
        self.scoring = Histogram(
            "prodml_scoring_latency_seconds",
            "Time spent validating and scoring one group of records, by model and variant.",
            ["model_version", "variant"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.shadow_dropped = Counter(
            "prodml_shadow_dropped",
            "Shadow scorings skipped because the shadow queue was full.",
            registry=r,
        )
        self.precomputed = Counter(
            "prodml_precomputed_answers",
            "Records answered from batch scores (prodml serve --precomputed) instead of live.",
            registry=r,
        )
        self.reloads = Counter(
            "prodml_model_reloads",
            "Routing changes picked up from the registry (alias moves).",
            registry=r,
        )
        self.reload_errors = Counter(
            "prodml_model_reload_errors",
            "Failed attempts to load a model named by an alias.",
            registry=r,
        )
        self.log_errors = Counter(
            "prodml_log_errors",
            "Failed background writes of the prediction log (rows stay in the WAL).",
            registry=r,
        )
        self._served: set[tuple[str, str]] = set()
        # (slot, value): deque.append and popleft are atomic, so the request path, scoring
        # threads and the flusher need no lock between them. A tuple of an int and a float is
        # untracked by the garbage collector at its first pass; a tuple holding the child would
        # stay tracked, age into the oldest generation while it waits for the flush, and make
        # the collector walk the whole heap several times as often (130-160 ms pauses, seen)
        self._pending: deque[tuple[int, float]] = deque()
        self._slots: list[Callable[[float], Any]] = []  # each child's inc or observe
        self._slot_of: dict[tuple[int, tuple[str, ...]], int] = {}
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        gauge_mode: dict[str, Any] = {"multiprocess_mode": "max"} if self.multiprocess else {}
        self.serving = Gauge(
            "prodml_serving_model",
            "1 for the model version serving each variant (champion, challenger, shadow).",
            ["variant", "model_version"],
            registry=r,
            **gauge_mode,
        )
        self.challenger_share = Gauge(
            "prodml_challenger_share",
            "Share of entities routed to the challenger.",
            registry=r,
            **gauge_mode,
        )

    def add(self, counter: Any, labels: tuple[str, ...], amount: float = 1.0) -> None:
        """``counter.labels(*labels).inc(amount)``, applied at the next flush."""
        self._pending.append((self._slot(counter, labels, histogram=False), amount))

    def observe(self, histogram: Any, labels: tuple[str, ...], value: float) -> None:
        """``histogram.labels(*labels).observe(value)``, applied at the next flush."""
        self._pending.append((self._slot(histogram, labels, histogram=True), value))

    def _slot(self, metric: Any, labels: tuple[str, ...], *, histogram: bool) -> int:
        """The slot of ``metric.labels(*labels)``, looked up once: ``labels()`` takes a lock
        and checks the names on every call, a cost paid per request for the same few sets."""
        key = (id(metric), labels)
        slot = self._slot_of.get(key)
        if slot is None:
            with self._flush_lock:
                slot = self._slot_of.get(key)
                if slot is None:
                    child = metric.labels(*labels)
                    self._slots.append(child.observe if histogram else child.inc)
                    slot = self._slot_of[key] = len(self._slots) - 1
        return slot

    def flush(self, *, pause_every: int = 0) -> None:
        """Apply the queued updates to the Prometheus objects.

        ``pause_every``: give up the GIL after that many updates (the background flush), so a
        request waiting for it waits a fraction of a millisecond, not the interpreter's switch
        interval (5 ms) for each of the thousands of updates a busy half second queues."""
        pending, slots = self._pending, self._slots
        done = 0
        with self._flush_lock:  # two flushes at once would still be exact; this keeps order
            while pending:
                slot, value = pending.popleft()
                slots[slot](value)
                done += 1
                if done == pause_every:
                    done = 0
                    time.sleep(0)

    def start(self) -> Metrics:
        """Flush every :data:`FLUSH_INTERVAL_S` in a background thread until :meth:`close`."""
        if self._flusher is None:
            self._stop.clear()
            self._flusher = threading.Thread(
                target=self._flush_periodically, name="prodml-metrics", daemon=True
            )
            self._flusher.start()
        return self

    def close(self) -> None:
        """Stop the background flushes and apply what is queued (shutdown)."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            self._stop.set()
            flusher.join()
        self.flush()

    def _flush_periodically(self) -> None:
        while not self._stop.wait(FLUSH_INTERVAL_S):
            self.flush(pause_every=_PAUSE_EVERY)

    def answered(self, endpoint: str, status: int, seconds: float, code: str | None) -> None:
        """One HTTP request is answered."""
        self.add(self.requests, (endpoint, str(status)))
        self.observe(self.latency, (endpoint,), seconds)
        if code:
            self.add(self.errors, (endpoint, str(code)))

    def routed(self, versions: dict[str, int], share: float) -> None:
        """A new routing is in service."""
        self.reloads.inc()
        current = {(variant, str(version)) for variant, version in versions.items()}
        for labels in self._served - current:  # clear() is not available with --workers N
            self.serving.labels(*labels).set(0)
        for labels in current:
            self.serving.labels(*labels).set(1)
        self._served = current
        self.challenger_share.set(share if "challenger" in versions else 0.0)

    def render(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest

        self.flush()

        if self.multiprocess:
            from prometheus_client import multiprocess

            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)
            return bytes(generate_latest(merged))
        return bytes(generate_latest(self.registry))
