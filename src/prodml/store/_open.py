"""Opening a project's store: pick the URL, bring the schema to head, wire the two halves.

URL precedence, highest first: ``PRODML_STORE_URL`` (deployment setting, e.g. a shared
PostgreSQL), the project file's ``store.url``, then ``.prodml/prodml.db`` beside the project
file. A relative SQLite path in the project file is taken relative to the project directory, like
every other path in that file; one in ``PRODML_STORE_URL`` keeps the usual meaning (relative to
the current directory), as environment variables are set from a shell.

The schema is migrated on every open: ``alembic upgrade head`` under a lock is a no-op once the
store is current, and a user who upgrades prodml never runs a migration by hand. A brand-new
store is created at the newest schema in one step instead (see :func:`_create_at_head`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    inspect,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from prodml.errors import StoreError, UserError
from prodml.store._artifacts import ArtifactStore
from prodml.store._engine import make_engine, mask_url, store_errors, write_transaction
from prodml.store._metadata import MetadataStore
from prodml.store._schema import VERSION_TABLE, Base

__all__ = ["MIGRATIONS_DIR", "Store", "migrate", "open_store", "resolve_store_url"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
STORE_DIRNAME = ".prodml"


@dataclass(frozen=True)
class Store:
    """A project's metadata and artifacts. ``url`` has its password masked, for display.

    Close it when done (or use it as a context manager); it holds no idle connection either way,
    but closing releases the engine at once instead of at garbage collection.
    """

    metadata: MetadataStore
    artifacts: ArtifactStore
    url: str

    def close(self) -> None:
        self.metadata.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_store(project_dir: Path, *, url: str | None = None, project: str) -> Store:
    """Open (creating and migrating as needed) the store of ``project``.

    ``url`` is the project file's ``store.url``; ``project`` scopes every row, so several
    projects can share one PostgreSQL database. Raises StoreError when the database cannot be
    reached, opened or migrated.
    """
    if not project.strip():
        raise UserError(
            "the project name is empty",
            fix="set name: in prodml.yaml (it defaults to the project folder's name)",
        )
    project_dir = Path(project_dir)
    resolved, origin = resolve_store_url(project_dir, url)
    engine = make_engine(resolved, origin=origin)
    try:
        _prepare_sqlite_directory(engine.url, origin)
        migrate(engine, origin=origin)
    except BaseException:
        engine.dispose()
        raise
    artifacts_dir = os.environ.get("PRODML_ARTIFACTS_DIR", "").strip()
    root = Path(artifacts_dir) if artifacts_dir else project_dir / STORE_DIRNAME / "artifacts"
    return Store(
        metadata=MetadataStore(engine, project=project, origin=origin),
        artifacts=ArtifactStore(root),
        url=mask_url(engine.url),
    )


def resolve_store_url(project_dir: Path, url: str | None) -> tuple[URL | str, str]:
    """The URL to use and where it came from (for error messages)."""
    from_env = os.environ.get("PRODML_STORE_URL", "").strip()
    if from_env:
        return from_env, "from PRODML_STORE_URL"
    if url and url.strip():
        return _anchor_sqlite(url.strip(), project_dir), "from store.url in prodml.yaml"
    path = (project_dir / STORE_DIRNAME / "prodml.db").absolute()
    return URL.create("sqlite", database=str(path)), "the default store in .prodml/"


def migrate(engine: Engine, *, origin: str | None = None) -> None:
    """Bring the schema to the newest revision this prodml ships; harmless when it is current.

    Runs under a write lock so that two processes opening a new store at once do not both
    create the tables. Opening a store that is already current skips Alembic entirely (its
    import alone costs a quarter of a second on every command).
    """
    if _at_head(engine):
        return
    shown = mask_url(engine.url)
    where = f" ({origin})" if origin else ""
    try:
        with store_errors(engine, origin=origin), write_transaction(engine, "migrate") as conn:
            if _create_at_head(conn):
                return
    except DBAPIError as exc:
        raise _unprepared(shown, where, exc) from exc
    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    try:
        with store_errors(engine, origin=origin), write_transaction(engine, "migrate") as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except CommandError as exc:
        raise StoreError(
            f"the metadata store {shown}{where} has a schema this prodml does not know: {exc}",
            fix="it was written by a newer prodml: upgrade prodml, or point PRODML_STORE_URL "
            "at another store",
        ) from exc
    except DBAPIError as exc:
        raise _unprepared(shown, where, exc) from exc


def _create_at_head(conn: Connection) -> bool:
    """On a database with no prodml table yet: create the current schema and record the head.

    A new store is the common case (every ``prodml init`` and every CI run starts one), and
    running each migration in turn costs the Alembic import and SQLite's table copies. The
    tables ``create_all`` makes are the ones the migrations build, down to constraint and
    index names (``tests/store`` compares the two), so later migrations apply to either.
    Returns False, touching nothing, when any prodml table or the version table exists: then
    Alembic decides. Runs under the migration lock, so two processes cannot both create.
    """
    heads = shipped_heads()
    existing = set(inspect(conn).get_table_names())
    if len(heads) != 1 or VERSION_TABLE in existing or existing & set(Base.metadata.tables):
        return False
    Base.metadata.create_all(conn)
    # the table Alembic itself creates (alembic.runtime.migration), holding the head revision
    version = Table(
        VERSION_TABLE,
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),
    )
    version.create(conn)
    conn.execute(version.insert().values(version_num=heads.pop()))
    return True


def _unprepared(shown: str, where: str, exc: DBAPIError) -> StoreError:
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    return StoreError(
        f"cannot prepare the metadata store {shown}{where}: {detail}",
        fix="check that it is a prodml store (or an empty database) and that the user may "
        "create tables in it; PRODML_STORE_URL (or store.url in prodml.yaml) chooses the store",
    )


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


def shipped_heads() -> set[str]:
    """Head revisions of the migrations shipped with prodml, read without importing Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for key, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            names = set(re.findall(r"[\"']([^\"']+)[\"']", value))
            (revisions if key == "revision" else parents).update(names)
    return revisions - parents


def _at_head(engine: Engine) -> bool:
    """True when the store's recorded revision is exactly the newest shipped one."""
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
    except DBAPIError:
        return False  # no version table yet: a new store, let Alembic create it
    return {row[0] for row in rows} == shipped_heads()


def _anchor_sqlite(url: str, project_dir: Path) -> URL | str:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url  # make_engine reports it, with the masked URL
    database = parsed.database
    if (
        parsed.get_backend_name() != "sqlite"
        or database in (None, "", ":memory:")
        or database.startswith("file:")
        or Path(database).is_absolute()
    ):
        return url
    return parsed.set(database=str((project_dir / database).absolute()))


def _prepare_sqlite_directory(url: URL, origin: str) -> None:
    """Zero set-up: a SQLite store's folder is created like the file itself."""
    database = url.database
    if url.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return
    if database.startswith("file:"):
        return
    try:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the folder of the metadata store {mask_url(url)} ({origin}): {exc}",
            fix="check the path and its permissions; PRODML_STORE_URL (or store.url in "
            "prodml.yaml) chooses the store",
        ) from exc
