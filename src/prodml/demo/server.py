"""``prodml serve`` as a child process for the demo: started on a free port, always stopped.

The demo talks to the server the way a production client would, over HTTP, so the prediction
log, A/B routing and feedback are exactly what ``prodml serve`` does in production. The server
is stopped when the ``with`` block ends for whatever reason (success, an error, Ctrl-C): a
SIGTERM lets it drain and flush its log, a kill follows if it does not stop in time.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prodml.errors import ProdmlError

__all__ = ["Server", "free_port", "running_server"]

# Settings a developer may have exported for their own project; the demo's project is
# self-contained, so its server must not inherit them.
FOREIGN_SETTINGS = (
    "PRODML_STORE_URL",
    "PRODML_ARTIFACTS_DIR",
    "PRODML_LOG_DIR",
    "PRODML_API_TOKEN",
    "PRODML_ADMIN_TOKEN",
)


@dataclass(frozen=True)
class Server:
    """A running server's address and the admin token the demo started it with."""

    url: str
    admin_token: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def post(self, path: str, payload: Any, *, admin: bool = False, timeout: float = 60) -> Any:
        """POST JSON, return the decoded answer; an error status raises with the server's words."""
        headers = {"Content-Type": "application/json"}
        if admin:
            headers["Authorization"] = f"Bearer {self.admin_token}"
        body = json.dumps(payload, allow_nan=False).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:500]
            raise ProdmlError(f"POST {path} answered {exc.code}: {detail}", where=self.url) from exc

    def follow_registry(self, timeout_s: float = 60.0) -> dict[str, int]:
        """Make the server re-read the aliases now and wait until it serves what they name.

        The server would see a move within a poll interval anyway; the demo sends its next
        batch right after ``maintain`` moved an alias, so it asks instead of hoping.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            reply = self.post("/admin/reload", {}, admin=True)
            if reply["serving"] == reply["aliases"]:
                return {str(k): int(v) for k, v in reply["serving"].items()}
            if time.monotonic() > deadline:
                raise ProdmlError(
                    f"the server still serves {reply['serving']} after {timeout_s:.0f} s; "
                    f"the registry names {reply['aliases']}",
                    where=str(self.log_path),
                    fix="read the server's log for the model that failed to load",
                )
            time.sleep(0.2)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/v2/health/ready", timeout=2) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    project: Path, *, admin_token: str, log_path: Path, ready_timeout_s: float = 120.0
) -> Iterator[Server]:
    """Start ``prodml serve`` on 127.0.0.1, wait until it is ready, stop it on exit."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_SETTINGS}
    env["PRODML_ADMIN_TOKEN"] = admin_token
    command = [sys.executable, "-m", "prodml.cli.main", "serve", "-p", str(project)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}", admin_token, process, log_path)
    try:
        _wait_ready(server, ready_timeout_s)
        yield server
    finally:
        _stop(process)


def _wait_ready(server: Server, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ProdmlError(
                f"the demo's server stopped at start-up (exit {server.process.returncode})",
                where=str(server.log_path),
                fix="read the server's log: " + _tail(server.log_path),
            )
        if server.ready():
            return
        time.sleep(0.2)
    raise ProdmlError(
        f"the demo's server was not ready after {timeout_s:.0f} s",
        where=str(server.log_path),
        fix="the machine may be overloaded; the server's log ends: " + _tail(server.log_path),
    )


def _stop(process: subprocess.Popen[bytes], grace_s: float = 20.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"
