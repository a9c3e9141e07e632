"""Alerts reach a real HTTP receiver on 127.0.0.1: once per incident, then resolved."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from prodml import Project
from tests.monitor.conftest import day, production, write_predictions

pytestmark = pytest.mark.slow


class Receiver:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.attempts = 0
        self.fail_next = 1  # the first POST gets a 503: the sink must retry


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.attempts += 1
            if state.fail_next:
                state.fail_next -= 1
                self.send_response(503)
                self.end_headers()
                return
            state.events.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _rules(project: Path, url: str) -> None:
    with (project / "prodml.yaml").open("a") as handle:
        handle.write(
            "\nmonitoring:\n"
            "  alerts:\n"
            "    - name: inputs drifted\n"
            "      metric: drift_share\n"
            "      above: 0.1\n"
            "      severity: critical\n"
            "  sinks:\n"
            f"    - {{type: webhook, url: '{url}', retries: 2, backoff_s: 0.05, timeout_s: 5}}\n"
            "    - {type: file, path: alerts.jsonl}\n"
        )


def test_an_alert_fires_once_to_a_webhook_and_resolves(
    credit: Path, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    _rules(credit, url)
    rows = production()
    shifted = rows.iloc[:700].copy()
    shifted["Income"] = shifted["Income"] * 1.6
    write_predictions(credit, shifted, at=day(1))

    first = Project(credit).monitor(window="1d", domain=False)
    assert first.firing and first.sink_failures == []
    assert [e["event"] for e in state.events] == ["firing"]
    assert state.attempts == 2  # one 503, retried
    event = state.events[0]
    assert event["rule"] == "inputs drifted" and event["severity"] == "critical"
    assert event["value"] > 0.1 and event["project"] == "credit"

    again = Project(credit).monitor(window="1d", domain=False)
    assert again.firing and again.events == []  # the same incident: nothing sent twice
    assert len(state.events) == 1
    assert [a["rule"] for a in again.open_alerts] == ["inputs drifted"]

    write_predictions(credit, rows.iloc[700:], at=day(2))  # the inputs are back to normal
    cleared = Project(credit).monitor(window="1d", domain=False)
    assert not cleared.firing
    assert [e["event"] for e in state.events] == ["firing", "resolved"]
    [stored] = Project(credit).alerts()
    assert stored.status == "resolved" and stored.resolved_at is not None
    lines = (credit / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["firing", "resolved"]


def test_an_unreachable_webhook_is_reported_and_the_incident_kept(credit: Path) -> None:
    _rules(credit, "http://127.0.0.1:9/unreachable")
    shifted = production().iloc[:700].copy()
    shifted["Income"] = shifted["Income"] * 1.6
    write_predictions(credit, shifted, at=day(1))

    report = Project(credit).monitor(window="1d", domain=False)

    assert report.firing
    assert any("webhook" in f and "3 attempt" in f for f in report.sink_failures)
    assert [a.status for a in Project(credit).alerts()] == ["firing"]
