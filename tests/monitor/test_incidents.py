"""Alert rules over windows (minimum duration, drop below reference) and incidents in the store,
on SQLite and PostgreSQL: fired once, kept while the rule holds, resolved when it clears."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from prodml.monitor.alerts import check_rules, list_alerts, sync_incidents
from prodml.spec import AlertRule
from prodml.store import open_store

START = datetime(2026, 10, 1, tzinfo=UTC)


def _windows(*values: float | None, metric: str = "drift_share") -> list[tuple[datetime, dict]]:
    return [(START + timedelta(days=i), {metric: v}) for i, v in enumerate(values)]


def test_a_rule_needs_its_minimum_duration_and_ignores_windows_without_the_metric() -> None:
    rule = AlertRule(metric="drift_share", above=0.3, for_windows=2)
    [once] = check_rules([rule], _windows(0.1, 0.5), {})
    [twice] = check_rules([rule], _windows(0.5, None, 0.6), {})
    [unknown] = check_rules([rule], _windows(None, None), {})
    assert once.holds is False
    assert twice.holds is True and "for 2 windows" in twice.message
    assert unknown.holds is None


def test_a_drop_is_measured_from_the_reference() -> None:
    rule = AlertRule(metric="value_per_decision", drop=0.2, severity="critical")
    [fine] = check_rules(
        [rule], _windows(25.0, metric="value_per_decision"), {"value_per_decision": 30.0}
    )
    [low] = check_rules(
        [rule], _windows(23.0, metric="value_per_decision"), {"value_per_decision": 30.0}
    )
    [no_ref] = check_rules([rule], _windows(1.0, metric="value_per_decision"), {})
    assert fine.holds is False and fine.threshold == pytest.approx(24.0)
    assert low.holds is True and "20% below the reference" in low.message
    assert no_ref.holds is None


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_an_incident_fires_once_and_resolves(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    rule = AlertRule(metric="rejected_share", above=0.01, name="too many rejections")
    with open_store(tmp_path, url=url, project="loans") as store:
        engine = store.metadata.engine
        holding = check_rules([rule], _windows(0.05, metric="rejected_share"), {})
        [(kind, fired)] = sync_incidents(engine, "loans", holding, version=3)
        assert kind == "firing" and fired.rule == "too many rejections" and fired.model_version == 3
        assert sync_incidents(engine, "loans", holding, version=3) == []  # once per incident
        assert sync_incidents(engine, "other", [], version=None) == []
        cleared = check_rules([rule], _windows(0.05, 0.0, metric="rejected_share"), {})
        [(kind, resolved)] = sync_incidents(engine, "loans", cleared, version=3)
        assert kind == "resolved" and resolved.id == fired.id
        [stored] = list_alerts(engine, "loans")
        assert stored.status == "resolved" and stored.resolved_at is not None
        assert list_alerts(engine, "loans", firing_only=True) == []
        assert list_alerts(engine, "other") == []
