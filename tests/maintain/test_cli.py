"""The real ``prodml maintain``, ``prodml ab`` and ``prodml history`` commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from prodml import Project
from prodml.maintain.journal import start_ab_test
from tests.conftest import Result
from tests.maintain.conftest import log_and_label, production, set_maintenance

pytestmark = pytest.mark.slow


def test_maintain_ab_and_history_through_the_cli(pair: Path, cli: Callable[..., Result]) -> None:
    set_maintenance(pair, "  policies: {max_age: 30d}\n  ab: {min_samples: 20}\n")
    quiet = cli("maintain", "-p", pair)
    assert quiet.code == 0, quiet.stderr
    assert "policy max_age: ok" in quiet.stdout and "nothing to do" in quiet.stdout

    none = cli("ab", "-p", pair)
    assert none.code == 0 and "no A/B test running" in none.stdout

    project = Project(pair)
    project.promote(2, role="challenger", share=0.5)
    start_ab_test(project.store.metadata, champion=1, challenger=2, share=0.5)
    rows = production()
    log_and_label(pair, rows.iloc[:40], version=1)
    log_and_label(pair, rows.iloc[40:80], version=2, variant="challenger")
    running = cli("ab", "-p", pair)
    assert running.code == 0, running.stderr
    assert "champion   v1: 40 labelled decisions" in running.stdout
    assert "decision: " in running.stdout

    step = cli("maintain", "-p", pair, "--json")
    assert step.code == 0, step.stderr
    payload = json.loads(step.stdout)
    assert payload["actions"][0]["kind"] == "ab"
    assert payload["ab"]["n_challenger"] == 40

    listed = json.loads(cli("ab", "-p", pair, "--all", "--json").stdout)
    assert [t["challenger"] for t in listed] == [2]

    history = cli("history", "-p", pair)
    assert history.code == 0, history.stderr
    assert "first registered version" in history.stdout and "challenger moved" in history.stdout
    entries = json.loads(cli("history", "-p", pair, "--json", "-n", "2").stdout)
    assert len(entries) == 2


def test_user_errors_name_the_field_and_the_fix(pair: Path, cli: Callable[..., Result]) -> None:
    set_maintenance(pair, "  policies: {max_age: soon}\n")
    bad = cli("maintain", "-p", pair)
    assert bad.code == 2
    assert "maintenance.policies.max_age" in bad.stderr and "Traceback" not in bad.stderr

    empty = pair.parent / "empty"
    empty.mkdir()
    (empty / "prodml.yaml").write_text((pair / "prodml.yaml").read_text().replace("soon", "30d"))
    (empty / "data").mkdir()
    (empty / "data" / "credit.csv").write_text((pair / "data" / "credit.csv").read_text())
    nothing = cli("maintain", "-p", empty)
    assert nothing.code == 2
    assert "no champion to maintain" in nothing.stderr and "prodml train" in nothing.stderr
