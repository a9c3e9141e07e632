"""A fired policy retrains on fresh data with lineage, gates the challenger, and cools down."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from prodml import Project
from prodml.maintain.gates import run_gates
from tests.maintain.conftest import log_and_label, production, set_maintenance

pytestmark = pytest.mark.slow


def test_retraining_registers_a_child_and_records_every_gate(pair: Path) -> None:
    set_maintenance(
        pair,
        "  policies: {new_labels: 500}\n  cooldown: 1d\n"
        "  gates: {min_rows: 100, min_uplift: 100000}\n",  # an uplift no model can show
    )
    log_and_label(pair, production())
    project = Project(pair)
    report = project.maintain(actor="cron")

    steps = [(a["kind"], a["decision"]) for a in report.actions]
    assert steps == [("policy", "fired"), ("retrain", "registered"), ("gate", "failed")]
    child = project.store.metadata.get_model_version(3)
    assert child.parent_version == 1
    dataset = project.store.metadata.get_dataset(child.data_hash)
    assert dataset.source.startswith("maintain: the data source (3000 rows) + ")
    assert dataset.rows == 3000 + report.actions[1]["details"]["log_rows"]

    gates = {g["name"]: g for g in report.actions[2]["details"]["gates"]}
    assert set(gates) == {"value", "segments", "behaviour", "latency"}
    assert not gates["value"]["passed"] and "100000" in gates["value"]["message"]
    assert gates["latency"]["details"]["p95_ms"] > 0
    assert project.aliases() == {"champion": 1}  # a failed challenger gets no traffic

    # the policy still holds, but the cool-down since the retraining has not passed
    again = project.maintain(actor="cron")
    assert [(a["kind"], a["decision"]) for a in again.actions] == [("policy", "cooling_down")]
    recorded = [(e.kind, e.decision, e.actor) for e in project.history() if e.kind != "move"]
    assert recorded == [
        ("policy", "fired", "cron"),
        ("retrain", "registered", "cron"),
        ("gate", "failed", "cron"),
    ]


def test_a_challenger_that_passes_the_gates_starts_an_ab_test(pair: Path) -> None:
    set_maintenance(
        pair,
        "  policies: {new_labels: 500}\n  data: {source: log, min_rows: 200}\n"
        "  gates: {min_rows: 100}\n  ab: {share: 0.25}\n",
    )
    log_and_label(pair, production())
    project = Project(pair)
    report = project.maintain()
    steps = [(a["kind"], a["decision"]) for a in report.actions]
    assert steps == [
        ("policy", "fired"),
        ("retrain", "registered"),
        ("gate", "passed"),
        ("ab", "started"),
    ]
    assert project.aliases() == {"champion": 1, "challenger": 3}
    assert project.store.metadata.alias_states()["challenger"].share == 0.25
    status = project.ab()
    assert status is not None and status.decision == "not_enough_data"


def test_gates_fail_a_challenger_worse_than_the_champion(pair: Path) -> None:
    project = Project(pair)
    recent = production().iloc[:800]
    good, noise = (2, project.load_model(2)), (1, project.load_model(1))
    results = {g.name: g for g in run_gates(project, good, noise, recent)}
    assert not results["value"].passed
    uplift = results["value"].details["uplift"]
    low, high = results["value"].details["interval"]
    assert uplift < 0 and low < uplift < high < 0

    better = {g.name: g for g in run_gates(project, noise, good, recent)}
    assert better["value"].passed
    assert np.isclose(better["value"].details["uplift"], -uplift)


def test_log_only_retraining_needs_enough_rows(pair: Path) -> None:
    set_maintenance(
        pair,
        "  policies: {new_labels: 100}\n  data: {source: log, min_rows: 5000}\n"
        "  gates: {min_rows: 30}\n",
    )
    log_and_label(pair, production().iloc[:300])
    report = Project(pair).maintain()
    assert [(a["kind"], a["decision"]) for a in report.actions] == [
        ("policy", "fired"),
        ("retrain", "skipped"),
    ]
    assert "maintenance.data.min_rows is 5000" in report.actions[1]["reason"]
