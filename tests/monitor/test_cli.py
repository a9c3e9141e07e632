"""The real ``prodml feedback``, ``prodml monitor`` and ``prodml alerts`` commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.monitor.conftest import day, production, write_predictions

pytestmark = pytest.mark.slow


def test_feedback_then_monitor_with_html_and_check(
    credit: Path, cli: Callable[..., Result], tmp_path: Path
) -> None:
    rows = production()
    write_predictions(credit, rows.iloc[:600], at=day(1))
    shifted = rows.iloc[600:1200].copy()
    shifted["Income"] = shifted["Income"] * 1.8
    shifted["Home"] = "boat"
    write_predictions(credit, shifted, at=day(2))
    labels = tmp_path / "labels.csv"
    rows.iloc[:600][["applicant", "Status"]].to_csv(labels, index=False)

    fed = cli("feedback", labels, "--id-column", "applicant", "-p", credit)
    assert fed.code == 0, fed.stderr
    assert "recorded 600 labels" in fed.stderr

    page = tmp_path / "monitor.html"
    checked = cli(
        "monitor", "-p", credit, "--window", "1d", "--since", "2026-10-01", "--html", page,
        "--check",
    )  # fmt: skip
    assert checked.code == 1, checked.stderr  # the shifted day fires the drift alert
    assert "Income" in checked.stdout and "Home" in checked.stdout
    assert "ALERT [warning] drift_share > 0.3" in checked.stdout
    assert "alert FIRING" in checked.stderr  # the console sink
    assert page.read_text().startswith("<!DOCTYPE html>")

    as_json = cli("monitor", "-p", credit, "--json", "--until", "2026-10-02")
    assert as_json.code == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    [window] = report["windows"]
    assert window["performance"]["labelled_share"] == 1.0
    assert report["firing"] is False

    listed = cli("alerts", "-p", credit, "--json")
    assert listed.code == 0
    [alert] = json.loads(listed.stdout)
    assert alert["rule"] == "drift_share > 0.3" and alert["status"] == "resolved"


def test_bad_monitor_and_feedback_arguments_exit_2_with_the_fix(
    credit: Path, cli: Callable[..., Result], tmp_path: Path
) -> None:
    window = cli("monitor", "-p", credit, "--window", "5x")
    assert window.code == 2 and "--window" in window.stderr and "1h, 1d" in window.stderr
    assert "Traceback" not in window.stderr
    since = cli("monitor", "-p", credit, "--since", "last week")
    assert since.code == 2 and "--since" in since.stderr
    labels = tmp_path / "labels.csv"
    production().iloc[:5][["applicant", "Status"]].to_csv(labels, index=False)
    missing = cli("feedback", labels, "--id-column", "application_id", "-p", credit)
    assert missing.code == 2 and "application_id" in missing.stderr
    assert "--id-column" in missing.stderr and "applicant" in missing.stderr


def test_the_domain_classifier_can_be_turned_off_for_one_run(
    credit: Path, cli: Callable[..., Result]
) -> None:
    write_predictions(credit, production().iloc[:400], at=day(1))
    on = json.loads(cli("monitor", "-p", credit, "--since", "2026-10-01", "--json").stdout)
    off = cli("monitor", "-p", credit, "--since", "2026-10-01", "--json", "--no-domain")
    assert off.code == 0, off.stderr
    assert on["domain"] is not None and json.loads(off.stdout)["domain"] is None
