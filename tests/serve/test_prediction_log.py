"""The prediction log: nothing acknowledged is lost, nothing is written twice."""

from __future__ import annotations

import json
import os
import signal
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from prodml.store import EventLog, feedback_schema, read_feedback, read_predictions
from tests.serve.conftest import CREDIT_RECORD, process_server


def _row(i: int, ts: datetime | None = None) -> dict[str, object]:
    moment = ts or datetime.now(UTC)
    return {
        "feedback_id": f"f{i}",
        "ts": int(moment.timestamp() * 1_000_000),
        "prediction_id": f"p{i}",
        "entity_id": None,
        "label": "bad",
        "label_value": None,
    }


def _log(root: Path, **options: float) -> EventLog:
    settings = {"flush_interval_s": 0.05, "segment_interval_s": 3600.0, **options}
    return EventLog(root / "feedback", feedback_schema, **settings)  # type: ignore[arg-type]


def test_rows_become_parquet_segments_partitioned_by_date(tmp_path: Path) -> None:
    log = _log(tmp_path).start()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    log.append([_row(1, yesterday), _row(2)])
    log.append([_row(3)])
    log.close()
    folders = sorted(p.name for p in (tmp_path / "feedback").glob("date=*"))
    assert folders == [f"date={yesterday.date()}", f"date={datetime.now(UTC).date()}"]
    assert not list((tmp_path / "feedback" / "_wal").glob("*.wal"))
    everything = read_feedback(tmp_path)
    assert list(everything["feedback_id"]) == ["f1", "f2", "f3"]
    today = read_feedback(tmp_path, since=datetime.now(UTC).date())
    assert list(today["feedback_id"]) == ["f2", "f3"]
    assert str(today["ts"].dt.tz) == "UTC"


def test_rows_left_in_a_dead_writer_s_wal_are_replayed_once(tmp_path: Path) -> None:
    crashed = _log(tmp_path).start()
    crashed.append([_row(1), _row(2)])
    wal = next((tmp_path / "feedback" / "_wal").glob("*.wal"))
    data = wal.read_bytes()
    # simulate a crash: the process vanished without a segment, a torn line at the end
    orphan = wal.with_name("deadwriter-00000001.wal")
    orphan.write_bytes(data + b'{"feedback_id": "torn')
    crashed.close()  # our own rows are written normally

    first = _log(tmp_path).start()
    first.close()
    second = _log(tmp_path).start()  # a second restart must not write the rows again
    second.close()
    ids = list(read_feedback(tmp_path)["feedback_id"])
    assert sorted(ids) == ["f1", "f1", "f2", "f2"]  # the live rows + the orphan's, once each
    assert not orphan.exists()


def test_a_wal_held_by_a_live_writer_is_left_alone(tmp_path: Path) -> None:
    live = _log(tmp_path).start()
    live.append([_row(1)])
    other = _log(tmp_path).start()  # a second worker process starting up
    assert other.replay() == 0
    other.close()
    live.close()
    assert list(read_feedback(tmp_path)["feedback_id"]) == ["f1"]


def test_queries_on_an_empty_log_return_the_columns(tmp_path: Path) -> None:
    empty = read_predictions(tmp_path, since=date(2020, 1, 1))
    assert len(empty) == 0 and {"prediction_id", "score", "variant"} <= set(empty.columns)


@pytest.mark.slow
def test_sigkill_after_acknowledged_predictions_loses_none_of_them(credit: Path) -> None:
    acknowledged: list[str] = []
    with process_server(credit) as (server, process):
        for i in range(40):
            response = server.predict({**CREDIT_RECORD, "Amount": 500 + i}, CREDIT_RECORD)
            assert response.status_code == 200
            acknowledged += [r["prediction_id"] for r in response.json()["results"]]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert not list((credit / ".prodml" / "predictions").glob("date=*/part-*.parquet"))

    with process_server(credit) as (server, process):  # the restart replays the WAL
        server.predict(CREDIT_RECORD)
        process.send_signal(signal.SIGTERM)  # graceful: flushes its own rows too
        process.wait(timeout=60)
    logged = read_predictions(credit / ".prodml")
    assert set(acknowledged) <= set(logged["prediction_id"])
    assert logged["prediction_id"].is_unique and len(logged) == len(acknowledged) + 1


@pytest.mark.slow
def test_graceful_shutdown_drains_and_flushes(credit: Path) -> None:
    with process_server(credit, "--workers", "2") as (server, process):
        answers = [server.predict(CREDIT_RECORD) for _ in range(20)]
        assert {a.status_code for a in answers} == {200}
        metrics = server.client.get("/metrics").text
        assert "prodml_requests_total" in metrics
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        with pytest.raises(httpx.TransportError):
            server.client.get("/v2/health/live")
    assert len(read_predictions(credit / ".prodml")) == 20
    assert not list((credit / ".prodml" / "predictions" / "_wal").glob("*.wal"))
    assert server.log is not None
    text = server.log.read_text().splitlines()
    assert text[0].startswith("serving credit")  # the one human line, before the server starts
    lines = [json.loads(line) for line in text[1:] if line.strip()]  # then JSON, line by line
    access = [line for line in lines if line.get("logger") == "prodml.access"]
    assert len([a for a in access if a["path"] == "/predict" and a["status"] == 200]) == 20
    assert {"request_id", "duration_ms", "method", "client"} <= set(access[0])
