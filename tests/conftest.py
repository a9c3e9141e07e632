"""Shared fixtures: copies of the bundled examples and a way to run the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PRODML = Path(sys.executable).with_name("prodml")


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
    environment = {**os.environ, "COLUMNS": "200", **(env or {})}
    environment.pop("PRODML_STORE_URL", None)
    done = subprocess.run(
        [str(PRODML), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=600,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def cli() -> Callable[..., Result]:
    return run_cli


@pytest.fixture
def example(tmp_path: Path) -> Callable[[str], Path]:
    """A private copy of a bundled example, so tests never write into the repository."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns(".prodml"))
        return target

    return copy
