"""Each retraining policy fires when its condition holds and stays quiet when it does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from prodml import Project
from prodml.maintain.policies import check_policies
from tests.maintain.conftest import log_and_label, production, set_maintenance

pytestmark = pytest.mark.slow


def verdicts(report: Any) -> dict[str, bool | None]:
    return {p["policy"]: p["fired"] for p in report.policies}


def test_max_age_fires_only_once_the_champion_is_old(pair: Path) -> None:
    set_maintenance(pair, "  policies: {max_age: 30d}\n  gates: {min_rows: 1000000}\n")
    project = Project(pair)
    young = project.maintain()
    assert verdicts(young) == {"max_age": False} and young.actions == []

    old = project.maintain(now=datetime.now(UTC) + timedelta(days=31))
    assert verdicts(old) == {"max_age": True}
    assert [(a["kind"], a["decision"]) for a in old.actions] == [
        ("policy", "fired"),
        ("retrain", "skipped"),  # no labelled decisions to compare a challenger on yet
    ]
    assert "too few to compare" in old.actions[1]["reason"]


def test_new_labels_fires_at_the_count(pair: Path) -> None:
    set_maintenance(pair, "  policies: {new_labels: 300}\n  gates: {min_rows: 1000000}\n")
    rows = production()
    log_and_label(pair, rows.iloc[:200])
    project = Project(pair)
    assert verdicts(project.maintain()) == {"new_labels": False}
    log_and_label(pair, rows.iloc[200:400], labels=False)  # decisions without outcomes yet
    assert verdicts(project.maintain()) == {"new_labels": False}
    log_and_label(pair, rows.iloc[400:500])
    fired = project.maintain()
    assert verdicts(fired) == {"new_labels": True}
    assert "300 labelled decisions" in fired.policies[0]["message"]


def test_drift_share_fires_on_a_drifted_window_only(pair: Path) -> None:
    set_maintenance(pair, "  policies: {drift_share: 0.2}\n  gates: {min_rows: 1000000}\n")
    rows = production()
    log_and_label(pair, rows.iloc[:600], labels=False)
    project = Project(pair)
    calm = project.maintain()
    assert verdicts(calm) == {"drift_share": False}

    drifted = Project(pair)
    shifted = rows.iloc[600:1400].copy()
    shifted["Income"] = shifted["Income"] * 2.0
    shifted["Seniority"] = shifted["Seniority"] + 15
    shifted["Home"] = "boat"
    tomorrow = datetime.now(UTC) + timedelta(days=1)  # the next daily window
    log_and_label(pair, shifted, labels=False, at=tomorrow)
    fired = drifted.maintain(now=tomorrow)
    assert verdicts(fired) == {"drift_share": True}, fired.policies
    assert "Income" in fired.policies[0]["message"]


def window(start: datetime, **metrics: float | None) -> dict[str, Any]:
    return {"start": start, "metrics": metrics, "drift": {"drifted_columns": []}}


def test_value_drop_prefers_realised_value_and_falls_back_to_estimated(pair: Path) -> None:
    set_maintenance(pair, "  policies: {value_drop: 0.2}\n")
    project = Project(pair)
    champion = project.store.metadata.resolve("champion")
    reference = champion.value_per_decision
    now = datetime.now(UTC)
    low, fine = reference - 0.5 * abs(reference) - 1, reference

    def fired(*windows: dict[str, Any]) -> bool | None:
        checks = check_policies(project, champion, SimpleNamespace(windows=list(windows)), now=now)  # type: ignore[arg-type]
        return checks[0].fired

    assert fired(window(now, value_per_decision=low, estimated_value_per_decision=fine)) is True
    assert fired(window(now, value_per_decision=fine, estimated_value_per_decision=low)) is False
    assert fired(window(now, value_per_decision=None, estimated_value_per_decision=low)) is True
    assert fired(window(now, value_per_decision=None, estimated_value_per_decision=fine)) is False
    assert fired() is None  # no window: nothing to judge, nothing fires


def test_no_policy_set_means_nothing_fires(pair: Path) -> None:
    log_and_label(pair, production().iloc[:300])
    report = Project(pair).maintain()
    assert report.policies == [] and report.actions == []
    assert "nothing to do" in report.lines()[-1]
