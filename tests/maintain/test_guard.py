"""After a promotion the guard watches the new champion; a breach rolls it back and alerts."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from prodml import Project
from prodml.errors import UserError
from tests.maintain.conftest import log_and_label, production, set_maintenance

pytestmark = pytest.mark.slow


def promote_good_model(root: Path) -> Project:
    project = Project(root)
    project.promote(2, role="champion", reason="looked better offline")
    return project


def test_a_rejection_spike_rolls_the_champion_back_and_alerts(pair: Path) -> None:
    set_maintenance(pair, "  guard: {window: 1d, min_records: 50, max_rejected_share: 0.05}\n")
    project = promote_good_model(pair)
    rows = production()
    log_and_label(pair, rows.iloc[:100], version=2, labels=False)
    log_and_label(pair, rows.iloc[100:130], version=2, status="rejected", labels=False)

    report = project.maintain(actor="cron")

    assert [(a["kind"], a["decision"]) for a in report.actions] == [("guard", "rolled_back")]
    assert "rejected share 23.1% above 5.0%" in report.actions[0]["reason"]
    assert project.aliases() == {"champion": 1}
    last_move = project.store.metadata.alias_moves("champion")[-1]
    assert last_move.reason.startswith("[rollback]") and "promotion guard" in last_move.reason
    alert = project.alerts()[0]
    assert (alert.severity, alert.metric, alert.model_version) == ("critical", "guard", 2)
    sent = [json.loads(line) for line in (pair / "alerts.jsonl").read_text().splitlines()]
    assert sent[-1]["event"] == "rollback" and "rolled v2 back to v1" in sent[-1]["message"]

    # idempotent: the rolled-back promotion is not judged again
    again = project.maintain(actor="cron")
    assert again.actions == [] and project.aliases() == {"champion": 1}


def test_slow_answers_and_lost_value_are_breaches_too(pair: Path) -> None:
    set_maintenance(pair, "  guard: {min_records: 50, max_latency_p95_ms: 100, value_drop: 100}\n")
    project = promote_good_model(pair)
    log_and_label(pair, production().iloc[:200], version=2, latency_ms=400.0)
    report = project.maintain()
    assert report.actions[0]["decision"] == "rolled_back"
    assert "latency p95 400.0 ms above 100 ms" in report.actions[0]["reason"]
    assert report.actions[0]["details"]["metrics"]["value_kind"] == "realised"


def test_a_clean_window_is_cleared_once(pair: Path) -> None:
    set_maintenance(pair, "  guard: {window: 1h, min_records: 50}\n")
    project = promote_good_model(pair)
    log_and_label(pair, production().iloc[:300], version=2)

    watching = project.maintain()
    assert [(a["kind"], a["decision"]) for a in watching.actions] == [("guard", "watching")]
    assert watching.actions[0]["details"]["records"] == 300

    later = datetime.now(UTC) + timedelta(hours=2)
    cleared = project.maintain(now=later)
    assert [(a["kind"], a["decision"]) for a in cleared.actions] == [("guard", "cleared")]
    assert project.maintain(now=later).actions == []
    assert project.aliases() == {"champion": 2}


def test_too_few_records_are_not_judged(pair: Path) -> None:
    set_maintenance(pair, "  guard: {min_records: 500}\n")
    project = promote_good_model(pair)
    log_and_label(pair, production().iloc[:40], version=2, status="rejected", labels=False)
    report = project.maintain()
    assert [(a["kind"], a["decision"]) for a in report.actions] == [("guard", "watching")]
    assert project.aliases() == {"champion": 2}


def test_two_steps_at_once_are_refused(pair: Path) -> None:
    import fcntl

    folder = pair / ".prodml"
    handle = os.open(folder / "maintain.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(UserError, match="another prodml maintain is running"):
            Project(pair).maintain()
    finally:
        os.close(handle)


def test_failed_requests_are_a_breach(pair: Path) -> None:
    set_maintenance(pair, "  guard: {min_records: 50, max_error_share: 0.01}\n")
    project = promote_good_model(pair)
    rows = production()
    log_and_label(pair, rows.iloc[:100], version=2, labels=False)
    log_and_label(pair, rows.iloc[100:105], version=2, status="error", labels=False)
    report = project.maintain()
    assert report.actions[0]["decision"] == "rolled_back"
    assert "error share 4.8% above 1.0%" in report.actions[0]["reason"]
