"""Opening a store: where it lives, that it is created and migrated, and how it fails."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

import prodml.store
from prodml.errors import StoreError, UserError
from prodml.store import Store, open_store
from prodml.store._schema import VERSION_TABLE, Base

from .conftest import PROJECT, OpenStore


def _remember(store: Store, note: str) -> None:
    with store.metadata.unit_of_work() as uow:
        uow.add_dataset(hash=note, rows=1, columns={}, source=note, artifact_sha="a" * 64)


def _notes(store: Store) -> list[str]:
    return [d.hash for d in store.metadata.list_datasets()]


def test_the_default_store_is_a_sqlite_file_beside_the_project(project_dir: Path) -> None:
    with open_store(project_dir, project=PROJECT) as store:
        _remember(store, "first")
        sha = store.artifacts.put_bytes(b"bundle")

    database = project_dir / ".prodml" / "prodml.db"
    assert database.is_file()
    assert store.url == f"sqlite:///{database}"
    assert (project_dir / ".prodml" / "artifacts" / sha[:2] / sha).is_file()


def test_reopening_keeps_the_data_and_migrating_again_is_harmless(
    open_project: OpenStore, store_url: str | None
) -> None:
    first = open_project()
    _remember(first, "kept")
    first.close()

    again = open_project()
    assert _notes(again) == ["kept"]
    with again.metadata.engine.connect() as conn:
        revision = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one()
    from prodml.store._open import shipped_heads

    assert {revision} == shipped_heads()  # the newest shipped migration


def test_the_migrated_schema_matches_the_tables_prodml_queries(store: Store) -> None:
    with store.metadata.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


def test_stores_opened_at_once_on_a_new_database_all_work(
    project_dir: Path, store_url: str | None
) -> None:
    def open_and_write(i: int) -> str:
        with open_store(project_dir, url=store_url, project=f"p{i}") as store:
            _remember(store, f"note{i}")
            return _notes(store)[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(open_and_write, range(4))) == [f"note{i}" for i in range(4)]


def test_the_environment_overrides_the_project_file(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared" / "meta.db"
    monkeypatch.setenv("PRODML_STORE_URL", f"sqlite:///{shared}")

    with open_store(project_dir, url="sqlite:///ignored.db", project=PROJECT) as store:
        _remember(store, "in shared")

    assert store.url == f"sqlite:///{shared}"
    assert shared.is_file()
    assert not (project_dir / "ignored.db").exists()
    assert not (project_dir / ".prodml" / "prodml.db").exists()


def test_a_relative_sqlite_path_in_the_project_file_is_relative_to_the_project(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store(project_dir, url="sqlite:///meta/store.db", project=PROJECT) as store:
        _remember(store, "here")

    assert (project_dir / "meta" / "store.db").is_file()
    assert not (tmp_path / "meta").exists()


def test_the_artifacts_folder_can_be_moved_by_the_environment(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODML_ARTIFACTS_DIR", str(tmp_path / "bucket"))
    with open_store(project_dir, project=PROJECT) as store:
        sha = store.artifacts.put_bytes(b"bundle")

    assert (tmp_path / "bucket" / sha[:2] / sha).is_file()
    assert not (project_dir / ".prodml" / "artifacts").exists()


def test_projects_share_one_store_without_mixing(open_project: OpenStore) -> None:
    credit, churn = open_project("credit"), open_project("churn")
    _remember(credit, "credit data")
    _remember(churn, "churn data")

    assert _notes(credit) == ["credit data"]
    assert _notes(churn) == ["churn data"]


def test_an_unreachable_server_fails_fast_with_the_password_masked(project_dir: Path) -> None:
    url = "postgresql+psycopg://prodml:s3cret-pw@127.0.0.1:1/metadata"
    started = time.monotonic()

    with pytest.raises(StoreError) as caught:
        open_store(project_dir, url=url, project=PROJECT)

    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert "postgresql+psycopg://prodml:***@127.0.0.1:1/metadata" in message
    assert "store.url in prodml.yaml" in message  # where the URL came from
    assert caught.value.fix is not None
    assert "server is running" in caught.value.fix
    assert "PRODML_STORE_URL" in caught.value.fix
    assert caught.value.exit_code == 2


def test_an_unreachable_server_named_by_the_environment_says_so(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODML_STORE_URL", "postgresql+psycopg://u:pw@127.0.0.1:1/x")

    with pytest.raises(StoreError, match=r"u:\*\*\*@127\.0\.0\.1:1/x \(from PRODML_STORE_URL\)"):
        open_store(project_dir, project=PROJECT)


def test_a_file_that_is_not_a_database_is_refused(project_dir: Path) -> None:
    store_dir = project_dir / ".prodml"
    store_dir.mkdir()
    (store_dir / "prodml.db").write_bytes(b"this is a CSV, not SQLite\n" * 100)

    with pytest.raises(StoreError, match=r"prodml\.db") as caught:
        open_store(project_dir, project=PROJECT)
    assert caught.value.fix is not None


def test_a_sqlite_path_that_cannot_be_opened_is_refused(project_dir: Path) -> None:
    (project_dir / "taken").mkdir()

    with pytest.raises(StoreError, match="cannot"):
        open_store(project_dir, url="sqlite:///taken", project=PROJECT)


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("mysql://root:pw@localhost/x", "supports SQLite and PostgreSQL"),
        ("not a url", "not a valid SQLAlchemy URL"),
    ],
)
def test_urls_prodml_cannot_use_are_refused(project_dir: Path, url: str, match: str) -> None:
    with pytest.raises(StoreError, match=match) as caught:
        open_store(project_dir, url=url, project=PROJECT)
    assert "pw" not in str(caught.value)


def test_a_store_from_a_newer_prodml_is_refused(project_dir: Path) -> None:
    with open_store(project_dir, project=PROJECT):
        pass
    database = project_dir / ".prodml" / "prodml.db"
    with sqlite3.connect(database) as conn:
        conn.execute(f"UPDATE {VERSION_TABLE} SET version_num = '9999'")
    conn.close()

    with pytest.raises(StoreError, match="newer prodml"):
        open_store(project_dir, project=PROJECT)


def test_an_empty_project_name_is_refused(project_dir: Path) -> None:
    with pytest.raises(UserError, match="project name is empty"):
        open_store(project_dir, project=" ")


def test_a_database_that_disappears_later_gives_a_store_error(project_dir: Path) -> None:
    with open_store(project_dir, project=PROJECT) as store:
        database = project_dir / ".prodml" / "prodml.db"
        database.unlink()
        database.mkdir()  # the path can no longer be opened as a database

        with pytest.raises(StoreError, match="cannot use the metadata store") as caught:
            store.metadata.list_runs()
    assert caught.value.fix is not None
    assert "writable" in caught.value.fix


def test_the_public_api_is_exactly_this() -> None:
    # the order is ruff's (RUF022: constants, classes, functions), checked by `make lint`
    assert len(set(prodml.store.__all__)) == len(prodml.store.__all__)
    assert set(prodml.store.__all__) == {
        "FEEDBACK",
        "PREDICTIONS",
        "AliasMove",
        "AliasState",
        "ArtifactStore",
        "DatasetRecord",
        "EventLog",
        "MetadataStore",
        "ModelVersionRecord",
        "RunRecord",
        "RunStatus",
        "Store",
        "UnitOfWork",
        "current_actor",
        "feedback_log_dir",
        "feedback_schema",
        "log_relation",
        "log_root",
        "log_window",
        "open_store",
        "prediction_log_dir",
        "prediction_schema",
        "read_feedback",
        "read_labelled_predictions",
        "read_predictions",
    }


@pytest.mark.postgres
def test_an_idle_store_holds_no_postgresql_connection(project_dir: Path, postgres_url: str) -> None:
    """Servers and CLI commands keep stores open; idle ones must not use up connection slots."""
    store = open_store(project_dir, url=postgres_url, project=PROJECT)
    _remember(store, "x")
    store.metadata.list_runs()
    probe = create_engine(postgres_url, poolclass=NullPool)
    try:
        with probe.connect() as conn:
            others = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        probe.dispose()
        store.close()
    assert others == 0


def test_shipped_heads_match_alembic(tmp_path: Path) -> None:
    """The fast "already current" check must agree with Alembic about the newest revision."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from prodml.store._open import MIGRATIONS_DIR, shipped_heads

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    assert shipped_heads() == set(ScriptDirectory.from_config(config).get_heads())
