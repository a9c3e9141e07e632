"""The server's Prometheus metrics: per-request updates are queued off the request path and
still reach every scrape, the background flush (what other workers read with ``--workers N``)
and the shutdown flush."""

from __future__ import annotations

import gc
import time

from prodml.serve._metrics import FLUSH_INTERVAL_S, Metrics


def _requests(metrics: Metrics, status: str = "200") -> float | None:
    return metrics.registry.get_sample_value(
        "prodml_requests_total", {"endpoint": "/predict", "status": status}
    )


def test_a_scrape_sees_every_request_answered_before_it() -> None:
    metrics = Metrics()
    for _ in range(3):
        metrics.answered("/predict", 200, 0.0004, None)
    metrics.answered("/predict", 422, 0.0002, "no_valid_records")
    text = metrics.render().decode()
    assert 'prodml_requests_total{endpoint="/predict",status="200"} 3.0' in text
    assert 'prodml_errors_total{code="no_valid_records",endpoint="/predict"} 1.0' in text
    # 0.0002 and 0.0004 s: one in the first latency bucket, all four by the second
    assert 'prodml_request_latency_seconds_bucket{endpoint="/predict",le="0.0002"} 1.0' in text
    assert 'prodml_request_latency_seconds_bucket{endpoint="/predict",le="0.0005"} 4.0' in text
    assert 'prodml_request_latency_seconds_count{endpoint="/predict"} 4.0' in text


def test_queued_updates_reach_prometheus_without_a_scrape_while_started() -> None:
    metrics = Metrics().start()
    try:
        metrics.add(metrics.records, ("3", "champion", "ok"), 5)
        metrics.observe(metrics.scoring, ("3", "champion"), 0.001)
        deadline = time.monotonic() + 20 * FLUSH_INTERVAL_S
        while _records(metrics) != 5.0 and time.monotonic() < deadline:
            time.sleep(FLUSH_INTERVAL_S / 5)
        assert _records(metrics) == 5.0
        assert (
            metrics.registry.get_sample_value(
                "prodml_scoring_latency_seconds_count",
                {"model_version": "3", "variant": "champion"},
            )
            == 1.0
        )
    finally:
        metrics.close()


def _records(metrics: Metrics) -> float | None:
    return metrics.registry.get_sample_value(
        "prodml_records_total", {"model_version": "3", "variant": "champion", "status": "ok"}
    )


def test_close_applies_what_is_queued() -> None:
    metrics = Metrics().start()
    metrics.close()  # the flusher is gone: nothing applies updates but close itself
    metrics.answered("/predict", 200, 0.001, None)
    assert not _requests(metrics)  # queued: the label set exists, its count is still 0
    metrics.close()
    assert _requests(metrics) == 1.0


def test_queued_updates_give_the_garbage_collector_nothing_to_walk() -> None:
    """Updates wait up to half a second for their flush; at thousands of requests a second,
    queue entries the collector tracks would age into its oldest generation and trigger full
    passes over the whole heap (pauses of 130-160 ms were seen on one connection)."""
    metrics = Metrics()
    metrics.answered("/predict", 200, 0.001, None)  # the label sets exist before counting
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(10_000):
        metrics.answered("/predict", 200, 0.001, None)
    gc.collect()
    assert len(gc.get_objects()) - before < 1_000
    metrics.flush()
    assert _requests(metrics) == 10_001.0
