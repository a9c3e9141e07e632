"""``prodml demo`` end to end, through the installed command, as a newcomer runs it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import PRODML, Result


@pytest.mark.slow
def test_the_demo_tells_the_whole_story(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import prodml

    for name in ("PRODML_STORE_URL", "PRODML_ARTIFACTS_DIR", "PRODML_LOG_DIR"):
        monkeypatch.delenv(name, raising=False)  # the checks below read the demo's own store
    root = tmp_path / "demo"
    # A developer's own settings must not leak into the demo's self-contained project.
    foreign = {"PRODML_LOG_DIR": str(tmp_path / "elsewhere"), "PRODML_ADMIN_TOKEN": "not-this"}
    done = cli("demo", "--dir", root, env=foreign)

    assert done.code == 0, done.stderr + done.stdout
    out = done.stdout
    assert "version 1 (linear) registered as champion" in out
    assert "SIMULATED" in out
    assert "ALERT [warning] features drifted" in out
    assert "retrain: registered - v2 trained on" in out
    assert "gate: passed" in out
    assert "ab: promoted" in out
    assert "champion now v2" in out
    for phase in ("before drift", "under drift", "A/B test", "after promotion"):
        assert phase in out.split("Summary")[-1]
    assert not (tmp_path / "elsewhere").exists()

    project = prodml.Project(root)
    challenger = project.store.metadata.resolve(2)
    assert challenger.parent_version == 1
    assert project.aliases()["champion"] == 2
    [test] = project.ab_tests()
    assert (test.champion, test.challenger, test.status) == (1, 2, "promoted")
    kinds = [(e.kind, e.decision) for e in project.history()]
    assert ("policy", "fired") in kinds and ("ab", "promoted") in kinds

    alerts = [json.loads(line) for line in (root / "alerts.jsonl").read_text().splitlines()]
    assert {"features drifted", "unseen categories"} <= {a["rule"] for a in alerts}
    report = root / "report-v2.html"
    assert f"model report (v2): {report}" in out
    assert "<html" in report.read_text()[:500].lower()
    dashboard = root / "monitoring.html"
    assert f"monitoring dashboard: {dashboard}" in out
    assert "monitoring" in dashboard.read_text()


def test_a_folder_in_use_is_refused(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "prodml.yaml").write_text("mine")
    done = cli("demo", "--dir", tmp_path)
    assert done.code == 2
    assert "--dir" in done.stderr and "empty" in done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "prodml.yaml").read_text() == "mine"


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_demo_stops_its_server(tmp_path: Path, stop: signal.Signals) -> None:
    root = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if k != "PRODML_STORE_URL"}
    demo = subprocess.Popen(
        [str(PRODML), "demo", "--dir", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        # A shell's background job ignores SIGINT; a terminal's Ctrl-C does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        server = _server_pid(root / "server.log", timeout_s=300)
        demo.send_signal(stop)
        out, _ = demo.communicate(timeout=120)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert demo.returncode == 130, out
    assert "interrupted: the server is stopped" in out
    assert "Traceback" not in out
    with pytest.raises(ProcessLookupError):
        os.kill(server, 0)


def _server_pid(log: Path, *, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = (
            re.search(r"Started server process \[(\d+)\]", log.read_text())
            if log.exists()
            else None
        )
        if found:
            return int(found.group(1))
        time.sleep(0.25)
    raise AssertionError(f"the demo's server did not start within {timeout_s} s")
