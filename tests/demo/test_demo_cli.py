"""``prodml demo`` end to end, through the installed command, as a newcomer runs it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result


@pytest.mark.slow
def test_the_demo_tells_the_whole_story(cli: Callable[..., Result], tmp_path: Path) -> None:
    root = tmp_path / "demo"
    # A developer's own settings must not leak into the demo's self-contained project.
    foreign = {"PRODML_LOG_DIR": str(tmp_path / "elsewhere"), "PRODML_ADMIN_TOKEN": "not-this"}
    done = cli("demo", "--dir", root, env=foreign)

    assert done.code == 0, done.stderr + done.stdout
    out = done.stdout
    assert "registered as champion" in out
    assert "SIMULATED" in out
    assert "ALERT [warning] features drifted" in out
    assert "Summary" in out
    assert "before drift" in out and "under drift" in out
    assert not (tmp_path / "elsewhere").exists()

    alerts = [json.loads(line) for line in (root / "alerts.jsonl").read_text().splitlines()]
    assert {"features drifted", "unseen categories"} <= {a["rule"] for a in alerts}
    report = next(root.glob("report-v*.html"))
    assert str(report) in out
    assert "<html" in report.read_text()[:500].lower()
    dashboard = root / "monitoring.html"
    assert str(dashboard) in out and "monitoring" in dashboard.read_text()


def test_a_folder_in_use_is_refused(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "prodml.yaml").write_text("mine")
    done = cli("demo", "--dir", tmp_path)
    assert done.code == 2
    assert "--dir" in done.stderr and "empty" in done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "prodml.yaml").read_text() == "mine"
