"""Fixtures for the store tests: a fresh PostgreSQL database per test, and stores on both backends.

PostgreSQL tests need the server on 127.0.0.1:5432 (trust auth, user ``postgres``). When it is not
reachable they are skipped, unless ``PRODML_REQUIRE_POSTGRES=1`` (set in CI), which makes them fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from prodml.store import Store, open_store

PROJECT = "credit"

OpenStore = Callable[..., Store]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own store settings must not leak into (or be written by) the tests."""
    for name in ("PRODML_STORE_URL", "PRODML_ARTIFACTS_DIR", "PRODML_ACTOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """The metadata URL for one backend; None means the default SQLite file in .prodml/."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    path = tmp_path / "loans"
    path.mkdir()
    return path


@pytest.fixture
def open_project(project_dir: Path, store_url: str | None) -> Iterator[OpenStore]:
    """Opens stores on this test's backend (one per project name); closes them afterwards."""
    opened: list[Store] = []

    def _open(project: str = PROJECT) -> Store:
        store = open_store(project_dir, url=store_url, project=project)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def store(open_project: OpenStore) -> Store:
    return open_project()
