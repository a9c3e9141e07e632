"""Alembic environment: run migrations on the connection prodml hands over.

At run time ``prodml.store`` passes an open connection in ``config.attributes["connection"]``
(inside its own transaction and lock). When a developer runs the ``alembic`` command instead,
the URL comes from ``PRODML_STORE_URL`` or the ``sqlalchemy.url`` option.
"""

from __future__ import annotations

import os
from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool

from prodml.store._schema import VERSION_TABLE, Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = os.environ.get("PRODML_STORE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set PRODML_STORE_URL to the database to migrate")
    return url


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,  # SQLite can only ALTER by copying the table
        compare_type=True,
        **kwargs,
    )


def run_offline() -> None:
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.begin() as own:
            _configure(connection=own)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
