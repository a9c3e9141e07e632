"""Property-based tests of the served OpenAPI document: whatever schemathesis sends (valid or
not), the server answers as documented and never with a 5xx."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.serve.conftest import thread_server

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


@pytest.mark.slow
def test_the_api_survives_schemathesis(credit: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODML_API_TOKEN", "st-token")
    monkeypatch.setenv("PRODML_ADMIN_TOKEN", "st-token")
    with thread_server(credit) as server:
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                "8",
                "--seed",
                "1",
                "--no-shrink",
                "--request-timeout",
                "20",
                "-H",
                "Authorization: Bearer st-token",
            ],
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
            cwd=credit.parent,  # its reports and caches stay out of the repository
        )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
