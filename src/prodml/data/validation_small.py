"""The validator's path for a few records: the same rules, applied value by value, without pandas.

Through the vectorised path one record costs milliseconds, nearly all of it pandas' fixed cost per
call (a DataFrame from the records, a Series per column, ``factorize``, a ``Categorical`` per
category column); the checks themselves are a few comparisons. An API request holds one record or
a few, so :class:`~prodml.data.validation.Validator` sends a list of at most
:data:`SMALL_BATCH` records here first.

This path applies the column's :class:`~prodml.data.repair.ColumnRules` (the values to fill and
clip to) and :class:`~prodml.data.verdicts.ColumnVerdicts` (each check's outcome and wording) to
plain Python values, in the vectorised path's order of checks, and returns the same
:class:`~prodml.data.validation_result.ValidationResult`: the same findings in the same order with
the same offending values, the same repaired values (as :attr:`ValidationResult.arrays`; the
frames are built only when asked for). It handles the values JSON produces where their meaning
does not depend on the other records of the batch: dict records with text keys; in numeric
columns None, booleans, integers, floats and text; in categorical columns None, NaN and text.
Anything else (a non-record entry, a number where categories are expected, a container, text
that is not valid Unicode) returns None and the caller takes the vectorised path, so unusual input
is judged by one implementation only. ``tests/data/test_validation_small.py`` checks that both
paths agree on hostile records.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from prodml.data.text_numbers import parse_text, text_series, to_float
from prodml.data.validation_result import (
    ColumnReport,
    Finding,
    ValidationResult,
    column_report,
    repaired_frame,
    row_codes,
)
from prodml.data.verdicts import MISSING_COLUMN, ColumnVerdicts, Verdict

if TYPE_CHECKING:
    from prodml.data.repair import ColumnRules
    from prodml.data.validation import Validator

__all__ = ["SMALL_BATCH", "check_small"]

SMALL_BATCH = 16  # records; beyond this the vectorised path's fixed cost is spread thin enough

_NAN = float("nan")
_Hits = dict[str, tuple[list[int], list[Any]]]  # check -> (rows, offending values)


class _Decline(Exception):
    """A value this path does not judge: the vectorised path takes the whole batch."""


@dataclass(frozen=True)
class _Levels:
    """A categorical column's repaired codes over its categories (as the vectorised path's
    ``Categorical``: levels in order of first appearance, then the fill levels used)."""

    codes: list[int]
    categories: list[str]

    def categorical(self) -> pd.Categorical:
        categories = pd.Index(self.categories, dtype=object)
        return pd.Categorical.from_codes(self.codes, categories=categories)

    def values(self, rows: list[int]) -> np.ndarray:
        out = np.empty(len(rows), dtype=object)
        for k, i in enumerate(rows):
            code = self.codes[i]
            out[k] = self.categories[code] if code >= 0 else np.nan
        return out


def check_small(
    validator: Validator,
    records: Sequence[Any],
    make_records: Callable[[], pd.DataFrame],
) -> ValidationResult | None:
    """``validator(records)`` for a few dict records, or None when the vectorised path must
    judge them (see the module docstring). ``make_records`` builds the input frame if a caller
    asks for it (quarantine)."""
    n = len(records)
    if not 0 < n <= SMALL_BATCH:
        return None
    keys: dict[str, None] = {}
    for record in records:
        if type(record) is not dict:
            return None
        for key in record:
            if type(key) is not str:
                return None
        keys.update(dict.fromkeys(record))
    try:
        return _check(validator, records, keys, make_records)
    except _Decline:
        return None


def _check(
    validator: Validator,
    records: Sequence[dict[str, Any]],
    keys: dict[str, None],
    make_records: Callable[[], pd.DataFrame],
) -> ValidationResult:
    n = len(records)
    findings: list[Finding] = []
    out: dict[str, np.ndarray | _Levels] = {}
    per_column: dict[str, list[Finding]] = {}
    missing_columns = []
    for name, rules in validator.rules.items():
        if name in keys:
            values = [record.get(name) for record in records]
            verdicts = validator.verdicts[name]
            if rules.numeric:
                out[name], column_findings = _numeric(name, values, rules, verdicts)
            else:
                out[name], column_findings = _categorical(name, values, rules, verdicts)
        else:
            missing_columns.append(name)
            out[name] = np.full(n, np.nan)
            column_findings = [MISSING_COLUMN.finding(name, np.arange(n), None)]
        findings.extend(column_findings)
        per_column[name] = column_findings
    codes = row_codes(findings, n)
    accepted = np.flatnonzero(codes < 2)
    rows = accepted.tolist()
    everyone = len(rows) == n
    arrays = {
        name: column.values(rows)
        if isinstance(column, _Levels)
        else (column if everyone else column[accepted])
        for name, column in out.items()
    }

    def make_columns() -> dict[str, ColumnReport]:
        return {
            name: column_report(
                name,
                "numeric" if rules.numeric else "categorical",
                name in keys,
                n,
                per_column[name],
            )
            for name, rules in validator.rules.items()
        }

    def make_frame() -> pd.DataFrame:
        columns = {
            name: column.categorical() if isinstance(column, _Levels) else column
            for name, column in out.items()
        }
        return repaired_frame(columns, n, accepted)

    return ValidationResult(
        n_rows=n,
        codes=codes,
        make_frame=make_frame,
        make_columns=make_columns,
        extra_columns=[key for key in keys if key not in validator.known_columns],
        missing_columns=missing_columns,
        findings=tuple(findings),
        make_records=make_records,
        max_rejected_share=validator.policies.max_rejected_share,
        given_arrays=arrays,
    )


def _numeric(
    name: str, values: list[Any], rules: ColumnRules, verdicts: ColumnVerdicts
) -> tuple[np.ndarray, list[Finding]]:
    """The vectorised ``_check_numeric``, value by value: oversized, wrong type, infinite,
    missing, out of range, each row's first failing check deciding."""
    n = len(values)
    numbers = [_NAN] * n
    missing = [False] * n
    oversized = [False] * n
    wrong = [False] * n
    texts: list[int] = []
    for i, value in enumerate(values):
        kind = type(value)
        if value is None:
            missing[i] = True
        elif kind is float:
            if value != value:
                missing[i] = True
            else:
                numbers[i] = value
        elif kind is int:
            numbers[i] = to_float(value)
        elif kind is bool:
            wrong[i] = True
        elif kind is str:
            _require_text(value)
            texts.append(i)
        else:
            raise _Decline
    if texts:  # numbers sent as text: pandas' reading, exactly as the vectorised path
        array = np.empty(len(texts), dtype=object)
        array[:] = [values[i] for i in texts]
        parsed, t_missing, t_wrong, t_oversized = parse_text(text_series(array), rules.max_length)
        for k, i in enumerate(texts):
            numbers[i] = float(parsed[k])
            missing[i], wrong[i], oversized[i] = (
                bool(t_missing[k]),
                bool(t_wrong[k]),
                bool(t_oversized[k]),
            )
    hits: _Hits = {}
    ranged = verdicts.out_of_range is not None  # plan_repairs: clip only with a training range
    low = rules.low if rules.low is not None else -math.inf
    high = rules.high if rules.high is not None else math.inf
    for i in range(n):
        number = numbers[i]
        if oversized[i]:
            _hit(hits, "oversized", i, values[i])
        elif wrong[i]:
            _hit(hits, "wrong_type", i, values[i])
        elif missing[i]:
            _hit(hits, "missing", i, None)
            if rules.missing == "impute":
                numbers[i] = rules.fill
        elif math.isinf(number):
            _hit(hits, "infinite", i, number)
            if rules.infinite == "clip":
                numbers[i] = high if number > 0 else low
            elif rules.infinite != "reject":  # treated as missing, then the missing policy
                numbers[i] = rules.fill if rules.missing == "impute" else _NAN
        elif ranged and (number < low or number > high):
            _hit(hits, "out_of_range", i, number)
            if rules.out_of_range == "clip":
                numbers[i] = min(max(number, low), high)
    if not hits:
        return np.array(numbers, dtype=np.float64), []
    order = (
        verdicts.oversized,
        verdicts.wrong_type,
        verdicts.infinite,
        verdicts.missing,
        verdicts.out_of_range,
    )
    return np.array(numbers, dtype=np.float64), _findings(name, hits, order)


def _categorical(
    name: str, values: list[Any], rules: ColumnRules, verdicts: ColumnVerdicts
) -> tuple[_Levels, list[Finding]]:
    """The vectorised ``_check_categorical`` for text and missing values: oversized, missing,
    unseen. (Text is never a wrong type; numbers and booleans go the vectorised way.)"""
    index: dict[str, int] = {}
    codes: list[int] = []
    for value in values:
        if value is None or (type(value) is float and value != value):
            codes.append(-1)
        elif type(value) is str:
            _require_text(value)
            codes.append(index.setdefault(value, len(index)))
        else:
            raise _Decline
    categories = list(index)
    hits: _Hits = {}
    known = rules.known
    for i, code in enumerate(codes):
        if code < 0:
            _hit(hits, "missing", i, None)
        elif len(categories[code]) > rules.max_length:
            _hit(hits, "oversized", i, categories[code])
        elif known is not None and categories[code] not in known:
            _hit(hits, "unseen", i, categories[code])
    if not hits:
        return _Levels(codes, categories), []
    out = list(codes)
    if "missing" in hits and rules.missing == "impute":
        _fill(out, categories, hits["missing"][0], str(rules.fill))
    if "unseen" in hits and rules.unseen != "reject":
        _fill(out, categories, hits["unseen"][0], str(rules.unseen_fill))
    order = (verdicts.oversized, verdicts.wrong_type, verdicts.missing, verdicts.unseen)
    return _Levels(out, categories), _findings(name, hits, order)


def _fill(codes: list[int], categories: list[str], rows: list[int], level: str) -> None:
    if level not in categories:
        categories.append(level)
    code = categories.index(level)
    for i in rows:
        codes[i] = code


def _hit(hits: _Hits, check: str, row: int, value: Any) -> None:
    rows, shown = hits.setdefault(check, ([], []))
    rows.append(row)
    shown.append(value)


def _findings(name: str, hits: _Hits, order: Sequence[Verdict | None]) -> list[Finding]:
    """One finding per check that failed, in ``order``; missing values are not shown."""
    findings = []
    for verdict in order:
        if verdict is None or verdict.check not in hits:
            continue
        rows, shown = hits[verdict.check]
        values = None
        if verdict.check != "missing":
            values = np.empty(len(shown), dtype=object)
            values[:] = shown
        findings.append(verdict.finding(name, np.array(rows, dtype=np.intp), values))
    return findings


def _require_text(value: str) -> None:
    """Text with a lone surrogate is not Unicode: the vectorised path replaces or rejects it."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _Decline from None
