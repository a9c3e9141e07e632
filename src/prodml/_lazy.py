"""Packages whose public names are imported on first use.

``import prodml`` (and the CLI's start-up) must stay light: scikit-learn, SQLAlchemy, DuckDB and
FastAPI are imported only by the code that uses them. Each package lists its names and their
modules; a module-level ``__getattr__`` (PEP 562) imports a name when it is first asked for and
keeps it in the package's namespace, so later look-ups cost nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose names live in the modules
    ``exports`` maps them to."""
    namespace = vars(sys.modules[package])

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted([*namespace, *exports])

    return __getattr__, __dir__
