"""The dashboard: written by ``prodml monitor --html``, served at ``GET /dashboard``, and drawn
by a real browser (headless Chromium) with its charts, no script error and no outside request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from prodml import Project
from prodml.monitor import render_dashboard
from tests.monitor.conftest import day, production, write_predictions
from tests.serve.conftest import thread_server

try:  # the report's headless Chromium fixture (skips when Chromium is absent)
    from tests.report.test_browser import browser
except ImportError:  # pragma: no cover - the helper moved: skip rather than break collection

    @pytest.fixture
    def browser() -> Any:
        pytest.skip("the headless Chromium helper (tests/report/test_browser.py) is not there")


pytestmark = pytest.mark.slow

__all__ = ["browser"]


@pytest.fixture
def monitored(credit: Path, tmp_path: Path) -> Path:
    rows = production()
    write_predictions(credit, rows.iloc[:500], at=day(1), latency_ms=3.0)
    shifted = rows.iloc[500:1000].copy()
    shifted["Income"] = shifted["Income"] * 1.6
    write_predictions(credit, shifted, at=day(2), latency_ms=5.0)
    labels = tmp_path / "labels.csv"
    rows.iloc[:500][["applicant", "Status"]].to_csv(labels, index=False)
    Project(credit).feedback(labels, id_column="applicant")
    return credit


def test_the_server_answers_the_dashboard(monitored: Path) -> None:
    with thread_server(monitored) as server:
        answer = server.client.get("/dashboard", params={"window": "1d"})
        bad = server.client.get("/dashboard", params={"since": "yesterday"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert "credit v1: monitoring" in page and "Income" in page
    assert "<script" not in page  # self-contained: nothing to run, nothing to fetch
    assert 'src="http' not in page and 'href="http' not in page and "url(http" not in page
    assert bad.status_code in (400, 422) and bad.json()["where"] == "since"


@pytest.mark.browser
def test_the_dashboard_renders_in_chromium_with_its_charts(
    browser: Any, monitored: Path, tmp_path: Path
) -> None:
    report = Project(monitored).monitor(window="1d", alerts=False)
    page = tmp_path / "dashboard.html"
    page.write_text(render_dashboard(report.to_dict()), encoding="utf-8")
    browser.get(page.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    charts = browser.execute_script(
        "return Array.from(document.querySelectorAll('svg')).map(function (s) {"
        "  var box = s.getBoundingClientRect();"
        "  return [box.width, box.height, s.querySelectorAll('polyline, rect, path').length]; })"
    )
    assert len(charts) >= 3  # value over time, drift by feature, latency
    for width, height, marks in charts:
        assert width > 200 and height > 100 and marks > 0
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    headings = browser.execute_script(
        "return Array.from(document.querySelectorAll('h2')).map(function (h) {"
        " return h.textContent; })"
    )
    for expected in ("Alerts", "Value per decision over time", "Drift by feature", "Data quality"):
        assert expected in headings
