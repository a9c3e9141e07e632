"""prodml: a tabular model from a data file to production, judged in money.

The public API is re-exported lazily so that ``import prodml`` (and ``prodml --help``) stay fast:
heavy libraries load only when a name that needs them is first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "DataError": "prodml.errors",
    "ExpressionError": "prodml.errors",
    "IntegrityError": "prodml.errors",
    "ModelBundle": "prodml.registry.bundle",
    "NotFoundError": "prodml.errors",
    "NotRegisteredError": "prodml.errors",
    "ProdmlError": "prodml.errors",
    "Project": "prodml.project",
    "Spec": "prodml.spec",
    "SpecError": "prodml.errors",
    "StoreError": "prodml.errors",
    "TrainReport": "prodml.project",
    "UserError": "prodml.errors",
    "init_project": "prodml.scaffold",
    "load_spec": "prodml.spec",
    "parse_expression": "prodml.expressions",
}

__all__ = [
    "DataError",
    "ExpressionError",
    "IntegrityError",
    "ModelBundle",
    "NotFoundError",
    "NotRegisteredError",
    "ProdmlError",
    "Project",
    "Spec",
    "SpecError",
    "StoreError",
    "TrainReport",
    "UserError",
    "init_project",
    "load_spec",
    "parse_expression",
]

if TYPE_CHECKING:
    from prodml.errors import (
        DataError,
        ExpressionError,
        IntegrityError,
        NotFoundError,
        NotRegisteredError,
        ProdmlError,
        SpecError,
        StoreError,
        UserError,
    )
    from prodml.expressions import parse_expression
    from prodml.project import Project, TrainReport
    from prodml.registry.bundle import ModelBundle
    from prodml.scaffold import init_project
    from prodml.spec import Spec, load_spec


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'prodml' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
