"""prodml: a tabular model from a data file to production, judged in money.

The public API is re-exported lazily so that ``import prodml`` (and ``prodml --help``) stay fast:
heavy libraries load only when a name that needs them is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prodml._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "ABStatus": "prodml.maintain.ab",
    "ABTest": "prodml.maintain.journal",
    "AuthError": "prodml.errors",
    "DataError": "prodml.errors",
    "DataRejectedError": "prodml.errors",
    "DatasetDiff": "prodml.data.diff",
    "DatasetInfo": "prodml.registry.datasets",
    "ExpressionError": "prodml.errors",
    "HistoryEntry": "prodml.maintain.journal",
    "IntegrityError": "prodml.errors",
    "Lineage": "prodml.registry.lineage",
    "MaintainReport": "prodml.maintain.step",
    "ModelBundle": "prodml.registry.bundle",
    "NotFoundError": "prodml.errors",
    "NotRegisteredError": "prodml.errors",
    "Policies": "prodml.data.repair",
    "ProdmlError": "prodml.errors",
    "Project": "prodml.project",
    "RequestError": "prodml.errors",
    "Spec": "prodml.spec",
    "SpecError": "prodml.errors",
    "StoreError": "prodml.errors",
    "TrainReport": "prodml.project",
    "UnavailableError": "prodml.errors",
    "UserError": "prodml.errors",
    "ValidationResult": "prodml.data.validation_result",
    "Validator": "prodml.data.validation",
    "init_project": "prodml.scaffold",
    "load_spec": "prodml.spec",
    "parse_expression": "prodml.expressions",
    "validate": "prodml.data.validation",
}

__all__ = [
    "ABStatus",
    "ABTest",
    "AuthError",
    "DataError",
    "DataRejectedError",
    "DatasetDiff",
    "DatasetInfo",
    "ExpressionError",
    "HistoryEntry",
    "IntegrityError",
    "Lineage",
    "MaintainReport",
    "ModelBundle",
    "NotFoundError",
    "NotRegisteredError",
    "Policies",
    "ProdmlError",
    "Project",
    "RequestError",
    "Spec",
    "SpecError",
    "StoreError",
    "TrainReport",
    "UnavailableError",
    "UserError",
    "ValidationResult",
    "Validator",
    "init_project",
    "load_spec",
    "parse_expression",
    "validate",
]

if TYPE_CHECKING:
    from prodml.data.diff import DatasetDiff
    from prodml.data.repair import Policies
    from prodml.data.validation import Validator, validate
    from prodml.data.validation_result import ValidationResult
    from prodml.errors import (
        AuthError,
        DataError,
        DataRejectedError,
        ExpressionError,
        IntegrityError,
        NotFoundError,
        NotRegisteredError,
        ProdmlError,
        RequestError,
        SpecError,
        StoreError,
        UnavailableError,
        UserError,
    )
    from prodml.expressions import parse_expression
    from prodml.maintain.ab import ABStatus
    from prodml.maintain.journal import ABTest, HistoryEntry
    from prodml.maintain.step import MaintainReport
    from prodml.project import Project, TrainReport
    from prodml.registry.bundle import ModelBundle
    from prodml.registry.datasets import DatasetInfo
    from prodml.registry.lineage import Lineage
    from prodml.scaffold import init_project
    from prodml.spec import Spec, load_spec


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
