"""Quality and health counts of the log, counted for every version at once (monitoring starts
them before it knows the version) and for one version: the same numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prodml.monitor.logquery import Scope, log_counts, parse_window
from prodml.store import PREDICTIONS, EventLog, prediction_schema

DAY = datetime(2026, 10, 5, 9, tzinfo=UTC)


def _row(i: int, version: int | None, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "prediction_id": f"p{i}",
        "request_id": f"r{i}",
        "ts": int(DAY.timestamp() * 1_000_000) + i,
        "endpoint": "predict",
        "model_version": version,
        "variant": "champion",
        "entity_id": None,
        "assignment": "random",
        "status": "ok",
        "score": 0.5,
        "decision": 1.0,
        "decision_rule": 0.5,
        "latency_ms": float(i),
        "features": json.dumps({"x": i}),
        "repairs": None,
        "errors": None,
    }
    row.update(fields)
    return row


def _write(root: Path) -> None:
    repair = json.dumps([{"field": "x", "check": "missing", "repair": "median"}])
    error = json.dumps([{"field": "y", "check": "type"}])
    rows = [
        # version 1: a duplicated prediction id, a duplicated entity, one repair, one reject
        _row(0, 1, entity_id="a"),
        _row(1, 1, entity_id="a", prediction_id="p0"),
        _row(2, 1, entity_id="b", status="repaired", repairs=repair),
        _row(3, 1, status="rejected", errors=error, score=None, decision=None),
        # version 2: two records in one request, both ids duplicated thrice
        _row(4, 2, entity_id="c", request_id="r4"),
        _row(5, 2, entity_id="c", request_id="r4", prediction_id="p4"),
        _row(6, 2, entity_id="c", prediction_id="p4", status="repaired", repairs=repair),
        # no version: rejected before routing
        _row(7, None, status="rejected", errors=error, score=None, decision=None),
    ]
    log = EventLog(root / PREDICTIONS, prediction_schema).start()
    try:
        log.append(rows)
    finally:
        log.close()


def test_counts_of_every_version_equal_the_counts_of_each_version(tmp_path: Path) -> None:
    root = tmp_path / ".prodml"
    _write(root)
    window = parse_window("1d")
    every = log_counts(Scope(root, None, window))
    start = DAY.replace(hour=0)

    for version in (1, 2):
        one = log_counts(Scope(root, version, window))
        assert every.of(version) == one.of(version)
        assert every.health == one.health  # health is of every version either way
    assert every.of(3) == {}

    v1, v2 = every.of(1)[start], every.of(2)[start]
    assert (v1["rows"], v1["repaired"], v1["rejected"]) == (4, 1, 1)
    assert (v1["duplicate_prediction_ids"], v1["duplicate_entity_ids"]) == (1, 1)
    assert v1["checks"] == {"x": {"repaired:missing": 1}, "y": {"rejected:type": 1}}
    assert (v2["rows"], v2["repaired"], v2["rejected"]) == (3, 1, 0)
    assert (v2["duplicate_prediction_ids"], v2["duplicate_entity_ids"]) == (2, 2)
    assert v2["checks"] == {"x": {"repaired:missing": 1}}
    requests = {(h["version"], h["requests"], h["records"]) for h in every.health}
    assert requests == {(1, 4, 4), (2, 2, 3), (None, 1, 1)}
