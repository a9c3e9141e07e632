"""What each column *means*, beyond its storage type.

The kind decides how a column is encoded for training, summarised in the contract, checked at
inference and compared by monitoring, so a wrong guess costs twice: a customer number used as a
feature leaks, and a numeric column read as text becomes thousands of one-row categories. The rules
below are deliberately simple and written down, so that a surprising kind can be explained.

Rules, per column, in order (``n`` = non-missing values, "distinct" = distinct non-missing values):

**bool dtype** (or Python booleans in an object column): ``boolean``.

**datetime dtype** (or ``datetime.date`` objects): ``datetime``.

**Numbers** (integer or float dtype):

1. ``boolean`` when the only values are 0 and 1 *and* the name reads like a flag (``is_*``,
   ``has_*``, ``was_*``, ``*_flag``, ``*_ind``, ``HasCrCard``...). Other 0/1 columns stay
   ``numeric``: a count such as ``children`` that happened to be 0 or 1 in training must accept a
   2 at inference (out of range, repairable) rather than reject it (unseen category).
2. ``identifier`` when every value is a whole number and either the name ends or starts with an id
   token (``id``, ``uuid``, ``guid``, ``key``, ``pk``, ``number``: ``application_id``,
   ``CustomerID``, ``account_number``) with at least one distinct value per five rows, or the
   column is a row number: unique whole numbers spanning at most twice the row count, at least 20
   rows.
3. ``numeric`` otherwise.

**Text** (string, object and category dtypes):

1. ``boolean`` when there are exactly two distinct values, case-insensitively one of the pairs
   yes/no, y/n, true/false, t/f, 1/0, on/off. Other two-level columns (Male/Female) are
   ``categorical``.
2. ``datetime`` when at least 95% of values are ISO 8601 dates or timestamps (``2024-05-01``,
   ``2024-05-01T10:30:00+02:00``). Day/month orders such as ``01/05/2024`` are ambiguous and are
   not guessed.
3. ``numeric`` when some but not all values are numbers, and either at least 80% of values are
   numbers, or at least 60% are and the rest is spelled in at most three ways (``n/a``,
   ``unknown``, ``-``): a numeric column with placeholder words in it. Such a column is *not*
   silently made categorical; :func:`check_numeric_columns` refuses it with the rows to clean
   (ordinal codes such as ``1, 2, 3, 4+`` are refused too: ``4+`` needs a decision only the user
   can make). Text that is entirely numbers (``"02134"``, ``"7"``) is a code (zip, branch)
   stored as text on purpose and stays text.
4. ``identifier`` when the name has an id token (as above) with at least one distinct value per
   five rows, or when, over at least 20 rows, at least 99% of values are distinct, none has
   whitespace and none is longer than 64 characters (order numbers, UUIDs, emails).
5. ``text`` (free text) when more than half of the values are distinct and they average at least
   three words or 25 characters.
6. ``categorical`` otherwise. A pandas ``category`` column is ``boolean`` or ``categorical``.

A column with no values at all is ``numeric`` for number dtypes and ``categorical`` otherwise.
Pattern tests look at a fixed, evenly spaced sample of at most 50,000 values so that inference
stays fast on large tables; counts reported to users are always over the full column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.types import (
    infer_dtype,
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
)

from prodml.errors import DataError

__all__ = [
    "COLUMN_KINDS",
    "ColumnKind",
    "TextInNumeric",
    "check_numeric_columns",
    "find_text_in_numeric",
    "infer_kinds",
    "parse_datetime",
    "suggest_id_column",
    "suggest_time_column",
]

ColumnKind = Literal["numeric", "categorical", "boolean", "datetime", "text", "identifier"]
COLUMN_KINDS: tuple[ColumnKind, ...] = get_args(ColumnKind)

_SAMPLE = 50_000
_BOOLEAN_PAIRS = frozenset(
    frozenset(pair)
    for pair in (
        ("yes", "no"),
        ("y", "n"),
        ("true", "false"),
        ("t", "f"),
        ("1", "0"),
        ("on", "off"),
    )
)
_FLAG_FIRST = frozenset({"is", "has", "was", "had", "can", "did", "does", "should", "will", "flag"})
_FLAG_LAST = frozenset({"flag", "ind", "indicator", "yn", "bool"})
_ID_TOKENS = frozenset({"id", "uuid", "guid", "key", "pk", "number"})
_TIME_TOKENS = frozenset(
    {"date", "time", "timestamp", "ts", "dt", "at", "on", "created", "updated", "day", "month"}
)
_ISO_DATETIME = (
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?"
    r"(?:\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?))?"
)
_NAME_TOKEN = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_ID_MIN_DISTINCT_SHARE = 0.2
_ROW_NUMBER_MIN_ROWS = 20
_DATETIME_SHARE = 0.95
_MOSTLY_NUMERIC_SHARE = 0.8
_MIN_NUMERIC_SHARE = 0.6
_MAX_MISSING_WORDS = 3


@dataclass(frozen=True)
class TextInNumeric:
    """A numeric column with words in some rows: where, how many, and what they look like."""

    column: str
    bad_rows: int
    examples: tuple[str, ...]


def infer_kinds(df: pd.DataFrame) -> dict[str, ColumnKind]:
    """The kind of every column, in data order (rules in the module docstring)."""
    return {str(name): _infer_one(str(name), df[name]) for name in df.columns}


def suggest_id_column(df: pd.DataFrame, kinds: Mapping[str, ColumnKind]) -> str | None:
    """An identifier that names each row once, preferring one whose name says it is an id.

    Feedback (labels arriving later) is joined on this column, so it must be complete and unique.
    """
    candidates = [
        name
        for name, kind in kinds.items()
        if kind == "identifier"
        and name in df.columns
        and not df[name].isna().any()
        and df[name].is_unique
    ]
    named = [name for name in candidates if _has_id_token(name)]
    ranked = named or candidates
    return ranked[0] if ranked else None


def suggest_time_column(df: pd.DataFrame, kinds: Mapping[str, ColumnKind]) -> str | None:
    """The datetime column that best orders the rows in time, or None.

    A time column enables time-ordered splits and monitoring windows, so it must be (almost)
    always filled and vary; among several, one named like ``date``/``created_at`` wins, then the
    most complete.
    """
    candidates: list[tuple[bool, float, int, str]] = []
    for position, (name, kind) in enumerate(kinds.items()):
        if kind != "datetime" or name not in df.columns or len(df) == 0:
            continue
        column = df[name]
        missing = float(column.isna().mean())
        if missing > 1 - _DATETIME_SHARE or column.nunique(dropna=True) < 2:
            continue
        named = bool(_TIME_TOKENS.intersection(_tokens(name)))
        candidates.append((not named, missing, position, name))
    return min(candidates)[3] if candidates else None


def parse_datetime(column: pd.Series) -> pd.Series:
    """Datetime values of a ``datetime`` column, whatever its storage, as UTC timestamps.

    Columns of ISO strings are kinds ``datetime`` too; naive values are taken to be UTC, the same
    convention the snapshot uses, so ranges in the contract and in the snapshot agree.
    """
    if is_datetime64_any_dtype(column.dtype):
        if getattr(column.dt, "tz", None) is None:
            return column.dt.tz_localize("UTC")
        return column.dt.tz_convert("UTC")
    values = column.where(column.notna(), None).astype("str")
    return pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")


def find_text_in_numeric(
    df: pd.DataFrame,
    kinds: Mapping[str, ColumnKind],
    columns: Iterable[str] | None = None,
) -> dict[str, TextInNumeric]:
    """Numeric-kind columns that hold words in some rows, with the full count of such rows."""
    names = list(df.columns) if columns is None else list(columns)
    found: dict[str, TextInNumeric] = {}
    for name in names:
        if kinds.get(name) != "numeric" or name not in df.columns:
            continue
        column = df[name]
        if is_numeric_dtype(column.dtype) and not is_bool_dtype(column.dtype):
            continue
        present = column.notna()
        parsed = pd.to_numeric(column.where(present, None).astype("str"), errors="coerce")
        bad = present & parsed.isna()
        count = int(bad.sum())
        if count:
            examples = tuple(str(v) for v in pd.unique(column[bad])[:3])
            found[name] = TextInNumeric(column=name, bad_rows=count, examples=examples)
    return found


def check_numeric_columns(
    df: pd.DataFrame,
    kinds: Mapping[str, ColumnKind],
    columns: Iterable[str] | None = None,
) -> None:
    """Refuse to train on numeric columns that hold words in some rows.

    Training would otherwise either crash deep inside a model or, worse, treat the column as
    categories; the user is the only one who knows whether ``n/a`` means missing or is an error.
    """
    problems = find_text_in_numeric(df, kinds, columns)
    if not problems:
        return
    rows = len(df)
    fix = (
        "clean these values in the source, or declare them missing by leaving the cells empty "
        "(NULL in SQL); prodml never guesses that a word means missing"
    )
    if len(problems) == 1:
        (p,) = problems.values()
        raise DataError(
            f"holds numbers, but {p.bad_rows} of {rows} rows hold text, e.g. {_examples(p)}",
            where=f"column {p.column!r}",
            fix=fix,
        )
    raise DataError(
        "numeric columns hold text: "
        + "; ".join(
            f"{p.column!r} in {p.bad_rows} of {rows} rows, e.g. {_examples(p)}"
            for p in problems.values()
        ),
        where="columns " + ", ".join(repr(name) for name in problems),
        fix=fix,
    )


def _examples(problem: TextInNumeric) -> str:
    return ", ".join(repr(example) for example in problem.examples)


def _infer_one(name: str, column: pd.Series) -> ColumnKind:
    dtype = column.dtype
    if is_bool_dtype(dtype):
        return "boolean"
    if is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.CategoricalDtype):
        values = column.dropna().astype("str")
        return "boolean" if _is_boolean_pair(values) else "categorical"
    if is_numeric_dtype(dtype):
        return _numeric_kind(name, column)
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "numeric"
    inferred = infer_dtype(column, skipna=True)
    if inferred == "boolean":
        return "boolean"
    if inferred in {"date", "datetime", "datetime64"}:
        return "datetime"
    if inferred == "empty":
        return "categorical"
    if inferred in {"integer", "floating", "mixed-integer-float", "decimal"}:
        return _numeric_kind(name, pd.to_numeric(column, errors="coerce"))
    return _text_kind(name, column)


def _numeric_kind(name: str, column: pd.Series) -> ColumnKind:
    values = column.dropna()
    if len(values) == 0:
        return "numeric"
    array = values.to_numpy(dtype="float64", na_value=np.nan)
    finite = array[np.isfinite(array)]
    whole = len(finite) == len(array) and bool(np.all(np.floor(finite) == finite))
    distinct = values.nunique()
    if whole and distinct == 2 and set(np.unique(finite)) == {0.0, 1.0} and _is_flag_name(name):
        return "boolean"
    if whole and _has_id_token(name) and distinct >= _ID_MIN_DISTINCT_SHARE * len(values):
        return "identifier"
    if (
        whole
        and len(values) >= _ROW_NUMBER_MIN_ROWS
        and distinct == len(values)
        and finite.max() - finite.min() + 1 <= 2 * len(values)
    ):
        return "identifier"
    return "numeric"


def _text_kind(name: str, column: pd.Series) -> ColumnKind:
    present = column.dropna()
    if len(present) == 0:
        return "categorical"
    counts = present.astype("str").value_counts(sort=False)
    distinct = len(counts)
    rows = len(present)
    if distinct == 2 and _is_boolean_pair(counts.index.to_series()):
        return "boolean"
    # pattern tests run once per distinct value, weighted by its count: exact shares, and fast
    # for the usual few-level column; very high-cardinality columns use an even sample instead
    if distinct <= _SAMPLE:
        levels = pd.Series(counts.index, dtype="str")
        weights: npt.NDArray[np.float64] = counts.to_numpy().astype(np.float64)
    else:
        levels = _sample(present.astype("str")).reset_index(drop=True)
        weights = np.ones(len(levels), dtype=np.float64)

    def share(mask: pd.Series) -> float:
        return float(np.average(mask.to_numpy(dtype="float64"), weights=weights))

    if share(levels.str.fullmatch(_ISO_DATETIME)) >= _DATETIME_SHARE:
        parsed = pd.to_datetime(levels, format="ISO8601", utc=True, errors="coerce")
        if share(parsed.notna()) >= _DATETIME_SHARE:
            return "datetime"
    is_number = pd.to_numeric(levels, errors="coerce").notna()
    numeric_share = share(is_number)
    if _MIN_NUMERIC_SHARE <= numeric_share < 1.0 and (
        numeric_share >= _MOSTLY_NUMERIC_SHARE or (~is_number).sum() <= _MAX_MISSING_WORDS
    ):
        return "numeric"
    if _has_id_token(name) and distinct >= _ID_MIN_DISTINCT_SHARE * rows:
        return "identifier"
    lengths = levels.str.len()
    if (
        rows >= _ROW_NUMBER_MIN_ROWS
        and distinct >= 0.99 * rows
        and not levels.str.contains(r"\s", regex=True).any()
        and lengths.max() <= 64
    ):
        return "identifier"
    if distinct > 0.5 * rows:
        words = levels.str.strip().str.count(r"\s+") + 1
        if share(words >= 3) >= 0.5 or float(np.average(lengths, weights=weights)) >= 25:
            return "text"
    return "categorical"


def _sample(values: pd.Series) -> pd.Series:
    positions = np.linspace(0, len(values) - 1, _SAMPLE).astype(np.int64)
    return values.iloc[positions]


def _is_boolean_pair(values: pd.Series) -> bool:
    levels = frozenset(values.str.strip().str.lower().unique())
    return levels in _BOOLEAN_PAIRS


def _tokens(name: str) -> list[str]:
    return [token.lower() for token in _NAME_TOKEN.findall(name)]


def _has_id_token(name: str) -> bool:
    tokens = _tokens(name)
    return bool(tokens) and (tokens[-1] in _ID_TOKENS or tokens[0] in {"id", "uuid", "guid"})


def _is_flag_name(name: str) -> bool:
    tokens = _tokens(name)
    return bool(tokens) and (tokens[0] in _FLAG_FIRST or tokens[-1] in _FLAG_LAST)
