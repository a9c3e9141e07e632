"""Repair policies: from the project file and the model's contract to one concrete rule per column.

The project file says *what kind* of repair a column gets (``data.repairs``, with
``data.validation.defaults`` for every other column); the contract says *with what values*: the
training median and most frequent category to impute, the training range to clip to. This module
resolves both into :class:`ColumnRules` once, before any record is looked at, so that a bad policy
(a median for a categorical column, a text constant for a numeric one) is refused up front with the
field to fix, and validation itself only applies ready-made rules.

Defaults, and why:

* **missing** ``auto``: a column that had missing values in training keeps them missing, because
  the fitted pipeline learned what to do with them (an imputer or LightGBM's missing branch);
  a column that was always filled in training gets the training median (numbers) or most frequent
  category, because the model never saw a gap there and a tree would silently send it down an
  arbitrary branch.
* **out_of_range** ``clip``: a number beyond the training range widened by
  ``range_tolerance`` x (max - min) on each side is clipped to that widened range. Trees are flat
  beyond the range anyway; clipping stops a linear model extrapolating without bound.
* **unseen** ``unknown``: a category not seen in training becomes :data:`UNKNOWN_LEVEL`, which no
  fitted encoder knows: the one-hot encoder of linear models ignores it (all indicators zero, the
  model's intercept speaks), the ordinal encoder of LightGBM maps it to NaN (its missing branch).
  The raw unseen text would score identically; the explicit level keeps the repaired frame (and
  logs) honest and bounded.
* **infinite** ``reject``: +-inf in a feature is nearly always an upstream bug (a division by
  zero); clipping would hide it. ``clip`` and ``missing`` are available per column.
* Wrong types (text in a numeric column, a number or boolean where training had text
  categories), oversized text and a missing required column are never repaired: rejected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from prodml.data.contract import ColumnContract, Contract, category_text
from prodml.errors import SpecError
from prodml.spec import DataSection, RepairPolicy, ValidationSection

__all__ = [
    "DEFAULT_REPAIRS",
    "UNKNOWN_LEVEL",
    "ColumnRules",
    "Policies",
    "plan_repairs",
]

UNKNOWN_LEVEL = "__unknown__"
DEFAULT_REPAIRS: dict[str, str] = {
    "missing": "auto",
    "out_of_range": "clip",
    "unseen": "unknown",
    "infinite": "reject",
}
_MIN_STRING_LIMIT_FACTOR = 2
_TEXT_DTYPES = ("object", "str", "string", "category")

Action = Literal["pass", "impute", "reject", "clip", "unknown", "missing"]


@dataclass(frozen=True)
class Policies:
    """The validation settings of a project: per-column repairs, defaults and limits.

    Build it from the project file with :meth:`from_spec`; ``Policies()`` gives the built-in
    defaults (see the module docstring).
    """

    defaults: RepairPolicy = field(default_factory=RepairPolicy)
    columns: Mapping[str, RepairPolicy] = field(default_factory=dict)
    range_tolerance: float = 0.1
    max_string_length: int = 1000
    max_rejected_share: float = 0.01

    @classmethod
    def from_spec(cls, data: DataSection) -> Policies:
        settings: ValidationSection = data.validation
        return cls(
            defaults=settings.defaults,
            columns=dict(data.repairs),
            range_tolerance=settings.range_tolerance,
            max_string_length=settings.max_string_length,
            max_rejected_share=settings.max_rejected_share,
        )

    def policy(self, column: str, name: str) -> tuple[str, str]:
        """(the policy value, the project-file field it came from) for one column and check."""
        override = self.columns.get(column)
        if override is not None and getattr(override, name) is not None:
            return str(getattr(override, name)), f"data.repairs.{column}.{name}"
        default = getattr(self.defaults, name)
        if default is not None:
            return str(default), f"data.validation.defaults.{name}"
        return DEFAULT_REPAIRS[name], f"data.validation.defaults.{name} (built-in default)"

    def fill_value(self, column: str) -> tuple[Any, str]:
        override = self.columns.get(column)
        if override is not None and override.missing is not None:
            return override.fill_value, f"data.repairs.{column}.fill_value"
        return self.defaults.fill_value, "data.validation.defaults.fill_value"


@dataclass(frozen=True)
class ColumnRules:
    """Everything validation needs about one feature column, resolved and ready to apply.

    ``numeric`` columns are compared as float64 numbers, the others as the category text the
    pipeline's encoder sees (:func:`~prodml.data.contract.category_text`).
    """

    name: str
    numeric: bool
    missing: Action  # pass | impute | reject
    fill: Any = None  # float for numbers, str for categories, when missing == "impute"
    fill_label: str = ""  # "median 130", "most frequent 'owner'", "constant 0"
    out_of_range: Action = "clip"  # clip | pass | reject
    low: float | None = None
    high: float | None = None
    infinite: Action = "reject"  # reject | clip | missing
    unseen: Action = "unknown"  # unknown | impute | reject
    unseen_fill: str | None = None
    unseen_label: str = "unknown"
    known: frozenset[str] | None = None  # None: every level is acceptable (list incomplete)
    text_trained: bool = False  # training values were text: a number here is a wrong type
    max_length: int = 1000


def plan_repairs(
    contract: Contract, features: Sequence[str], policies: Policies
) -> dict[str, ColumnRules]:
    """One :class:`ColumnRules` per feature, in feature order.

    Raises :class:`~prodml.errors.SpecError` when a policy cannot apply to its column (a median
    for categories, a text constant for numbers, a repairs entry naming no column of the model).
    """
    unknown = sorted(name for name in policies.columns if name not in contract.columns)
    if unknown:
        raise SpecError(
            f"data.repairs.{unknown[0]}: the model has no column {unknown[0]!r}",
            where="data.repairs",
            fix="name columns of the training data: " + ", ".join(list(contract.columns)[:30]),
        )
    rules: dict[str, ColumnRules] = {}
    for name in features:
        column = contract.columns.get(name)
        if column is None:
            # a feature missing from the contract cannot be judged: require it, accept values
            rules[name] = ColumnRules(
                name=name, numeric=False, missing="pass", max_length=policies.max_string_length
            )
            continue
        rules[name] = _column_rules(column, policies)
    return rules


def _column_rules(column: ColumnContract, policies: Policies) -> ColumnRules:
    numeric = column.kind == "numeric"
    max_length = max(
        policies.max_string_length, _MIN_STRING_LIMIT_FACTOR * (column.max_length or 0)
    )
    _check_applies(column, numeric, policies)
    missing, fill, fill_label = _missing_rule(column, numeric, policies)
    if numeric:
        low, high = _bounds(column, policies.range_tolerance)
        out_of_range, _ = policies.policy(column.name, "out_of_range")
        infinite, _ = policies.policy(column.name, "infinite")
        if infinite == "clip" and low is None:
            infinite = "reject"  # no training range to clip to
        return ColumnRules(
            name=column.name,
            numeric=True,
            missing=missing,
            fill=fill,
            fill_label=fill_label,
            out_of_range=_action(out_of_range) if low is not None else "pass",
            low=low,
            high=high,
            infinite=_action(infinite),
            max_length=max_length,
        )
    unseen, where = policies.policy(column.name, "unseen")
    known = (
        frozenset(column.categories)
        if column.categories is not None and column.other_count == 0
        else None
    )
    mode = _mode(column)
    unseen_fill: str | None = None
    unseen_label = "unknown"
    if unseen == "impute_mode":
        if mode is None:
            raise SpecError(
                f"unseen: impute_mode, but {column.name!r} had no values in training",
                where=where,
                fix="use unseen: unknown or reject for this column",
            )
        unseen_fill, unseen_label = mode, f"most frequent {mode!r}"
    elif unseen == "unknown":
        unseen_fill = UNKNOWN_LEVEL
    return ColumnRules(
        name=column.name,
        numeric=False,
        missing=missing,
        fill=fill,
        fill_label=fill_label,
        unseen="impute" if unseen == "impute_mode" else _action(unseen),
        unseen_fill=unseen_fill,
        unseen_label=unseen_label,
        known=known,
        text_trained=column.kind != "numeric" and column.dtype.lower().startswith(_TEXT_DTYPES),
        max_length=max_length,
    )


def _missing_rule(
    column: ColumnContract, numeric: bool, policies: Policies
) -> tuple[Action, Any, str]:
    policy, where = policies.policy(column.name, "missing")
    if policy == "auto":
        if column.nullable:
            return "pass", None, ""
        policy = "impute_median" if numeric else "impute_mode"
        has_value = (
            (column.quantiles or {}).get("0.5") is not None
            if numeric
            else _mode(column) is not None
        )
        if not has_value:
            return "pass", None, ""  # no training values to impute from
    if policy in ("pass", "reject"):
        return _action(policy), None, ""
    if policy == "impute_median":
        if not numeric:
            raise SpecError(
                f"missing: impute_median needs a numeric column; {column.name!r} is {column.kind}",
                where=where,
                fix="use impute_mode (most frequent category) or impute_constant for it",
            )
        median = (column.quantiles or {}).get("0.5")
        if median is None:
            raise SpecError(
                f"missing: impute_median, but {column.name!r} had no numbers in training",
                where=where,
                fix="use impute_constant with a fill_value, pass or reject for this column",
            )
        return "impute", float(median), f"median {median:g}"
    if policy == "impute_mode":
        if numeric:
            raise SpecError(
                f"missing: impute_mode needs a categorical column; {column.name!r} is numeric",
                where=where,
                fix="use impute_median or impute_constant for numeric columns",
            )
        mode = _mode(column)
        if mode is None:
            raise SpecError(
                f"missing: impute_mode, but {column.name!r} had no values in training",
                where=where,
                fix="use impute_constant with a fill_value, pass or reject for this column",
            )
        return "impute", mode, f"most frequent {mode!r}"
    # impute_constant
    value, value_where = policies.fill_value(column.name)
    if numeric:
        if isinstance(value, str):
            raise SpecError(
                f"fill_value {value!r} is text, but {column.name!r} is numeric",
                where=value_where,
                fix="give a number, e.g. fill_value: 0",
            )
        return "impute", float(value), f"constant {value:g}"
    text = str(category_text(pd.Series([value], dtype=object)).iloc[0])
    return "impute", text, f"constant {text!r}"


def _check_applies(column: ColumnContract, numeric: bool, policies: Policies) -> None:
    """A policy set on a column of the other kind is a mistake worth a clear message."""
    override = policies.columns.get(column.name)
    if override is None:
        return
    foreign = ("unseen",) if numeric else ("out_of_range", "infinite")
    for name in foreign:
        if getattr(override, name) is not None:
            takes = "missing, out_of_range and infinite" if numeric else "missing and unseen"
            raise SpecError(
                f"{name} does not apply: {column.name!r} is {column.kind}",
                where=f"data.repairs.{column.name}.{name}",
                fix=f"remove it; {column.kind} columns take {takes}",
            )


def _bounds(column: ColumnContract, tolerance: float) -> tuple[float | None, float | None]:
    if column.min is None or column.max is None:
        return None, None
    span = column.max - column.min
    if span == 0:
        span = abs(column.max)
    low = column.min - tolerance * span
    if column.min >= 0:
        low = max(low, 0.0)  # never negative in training (amounts, counts): not negative now
    return low, column.max + tolerance * span


def _mode(column: ColumnContract) -> str | None:
    if not column.categories:
        return None
    return next(iter(column.categories))  # the contract lists the most frequent first


def _action(policy: str) -> Action:
    mapping: dict[str, Action] = {
        "pass": "pass",
        "reject": "reject",
        "clip": "clip",
        "unknown": "unknown",
        "missing": "missing",
        "impute_mode": "impute",
    }
    return mapping[policy]
