"""The report in a real browser (headless Chromium): it renders, charts and all, with no console
error and no request for anything outside the file."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prodml import Project

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("the selenium package (pip install -e '.[dev]')")
    if missing:
        reason = "headless Chromium is not available: missing " + ", ".join(missing)
        if os.environ.get("PRODML_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason} (PRODML_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tmp_path_factory.mktemp("chromium-profile")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.parametrize("fixture", ["loans_project", "prices_project"])
def test_the_report_renders_in_chromium_with_its_charts(
    browser: Any, fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    project: Project = request.getfixturevalue(fixture)
    page = tmp_path / "report.html"
    page.write_text(project.report(1), encoding="utf-8")
    browser.get(page.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    charts = browser.execute_script(
        "return Array.from(document.querySelectorAll('svg.chart')).map(function (s) {"
        "  var box = s.getBoundingClientRect();"
        "  return [s.getAttribute('aria-label'), box.width, box.height,"
        "          s.querySelectorAll('polyline, rect, circle, path').length]; })"
    )
    assert len(charts) >= (7 if fixture == "loans_project" else 4)
    for label, width, height, marks in charts:
        assert width > 200 and height > 100, label  # laid out, not collapsed
        assert marks > 0, label  # something drawn in it
    requests = browser.execute_script("return performance.getEntriesByType('resource').length")
    assert requests == 0
    assert browser.title == f"{project.name} v1: model report"
    heading = browser.execute_script("return document.querySelector('h1').textContent")
    assert heading.startswith(project.name)
