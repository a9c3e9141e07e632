"""The demo's server process: a start-up failure is reported with its log, never left running."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from prodml.demo.project import create_project
from prodml.demo.server import free_port, running_server
from prodml.errors import ProdmlError


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path: Path) -> None:
    made = create_project(tmp_path / "demo")  # never trained: nothing to serve
    log = tmp_path / "server.log"
    with (
        pytest.raises(ProdmlError) as error,
        running_server(made.root, admin_token="t", log_path=log, ready_timeout_s=120),
    ):
        pytest.fail("the server must not become ready without a model")
    message = error.value.render()
    assert "stopped at start-up" in message
    assert str(log) in message
    assert log.read_text().strip()


def test_free_port_is_free() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))
