"""Shared fixtures: copies of the bundled examples and a way to run the real CLI."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from prodml import Project

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PRODML = Path(sys.executable).with_name("prodml")
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str


def run_cli(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Result:
    """Run the installed console script; a developer's own store URL never leaks in."""
    environment = {k: v for k, v in os.environ.items() if k != "PRODML_STORE_URL"}
    environment.update({"COLUMNS": "200", **(env or {})})
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


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Each bundled example trained once per session, on demand (``trained.copy`` before
    changing one); see ``tests.serve.conftest.TrainedExamples``."""
    from tests.serve.conftest import TrainedExamples

    return TrainedExamples(tmp_path_factory.mktemp("trained"))


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the ``postgres`` database, for CREATE/DROP DATABASE."""
    engine = create_engine(
        f"{PG_SERVER}/postgres",
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": 3},
    )
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        reason = f"PostgreSQL is not reachable ({PG_SERVER}): {exc.orig}"
        if os.environ.get("PRODML_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (PRODML_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """A freshly created, empty database, dropped after the test."""
    name = f"prodml_test_{secrets.token_hex(6)}"
    with postgres_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with postgres_admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="session")
def loans_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A small binary project, trained and registered once per session (explain, report)."""
    from tests.trained import make_project

    return make_project(tmp_path_factory.mktemp("loans"), "binary")


@pytest.fixture(scope="session")
def prices_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A small regression project, trained and registered once per session."""
    from tests.trained import make_project

    return make_project(tmp_path_factory.mktemp("prices"), "regression")
