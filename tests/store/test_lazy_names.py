"""``prodml.store`` imports its names on first use: the logs' helpers come without SQLAlchemy
(``prodml monitor`` starts its DuckDB queries while the registry is still being imported)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import prodml.store

_PROBE = "\nimport sys\nprint(' '.join(m for m in sys.modules if m == 'sqlalchemy'))"


def _imports(code: str) -> list[str]:
    """Whether running ``code`` in a fresh interpreter imported SQLAlchemy: [] or [name]."""
    done = subprocess.run(
        [sys.executable, "-c", code + _PROBE], capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_the_log_helpers_do_not_import_sqlalchemy() -> None:
    code = "from prodml.store import EventLog, log_relation, log_root, log_window, PREDICTIONS"
    assert _imports(code) == []
    assert _imports("from prodml.store import open_store") == ["sqlalchemy"]


def test_every_exported_name_resolves_and_unknown_names_fail() -> None:
    for name in prodml.store.__all__:
        assert getattr(prodml.store, name) is not None
    assert set(prodml.store.__all__) <= set(dir(prodml.store))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = prodml.store.nothing
