"""Safe, vectorised row filters for named edge cases: ``Age < 25 and Amount > 2000``.

The project file names slices of the data it cares about (``evaluation.edge_cases``); like value
expressions (:mod:`prodml.expressions`) they are parsed with :mod:`ast` when the file loads and
only a small language is accepted:

* comparisons ``< <= > >= == !=``, chained (``18 <= Age < 25``), between columns and literals;
* ``in`` / ``not in`` with a list of literals (``Home in ["rent", "other"]``);
* ``and``, ``or``, ``not`` and parentheses;
* literals are numbers and quoted strings; names are columns.

Nothing else (arithmetic, calls, attributes, subscripts, bare columns as truth values, booleans,
``None``) is accepted; the refusal names the filter, the part refused and the reason. Evaluation is
vectorised over whole columns. A comparison involving a missing value is false, whatever the
operator (also ``!=`` and ``not in``), as in SQL: a row whose age is unknown is neither young nor
old. Boolean columns compare as the text ``"true"`` / ``"false"``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prodml.errors import DataError, ExpressionError
from prodml.expressions import refuse_unknown_columns

__all__ = ["Filter", "parse_filter"]

_ORDER_OPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_EQUALITY_OPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_SYMBOLS = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_ALLOWED = (
    "comparisons (< <= > >= == !=), in / not in [list of literals], and, or, not, "
    "parentheses, numbers, quoted strings and column names"
)


@dataclass(frozen=True)
class Filter:
    """A checked row filter; ``columns`` are the names it reads."""

    source: str
    tree: ast.expr = field(repr=False, compare=False)
    columns: frozenset[str] = frozenset()

    def check_columns(
        self, available: set[str] | frozenset[str] | list[str], *, where: str
    ) -> None:
        """Refuse filters over columns the data does not have, naming them."""
        refuse_unknown_columns("filter", self.source, self.columns, available, where=where)

    def evaluate(
        self, data: Mapping[str, Any] | Any, n_rows: int, *, where: str = ""
    ) -> np.ndarray:
        """A boolean mask of length ``n_rows``: the rows the filter selects (``data``: a frame
        or a mapping of column name to values)."""
        self.check_columns(set(map(str, data.keys())), where=where or self.source)
        context = _Context(data=data, source=self.source, where=where or self.source)
        mask = np.asarray(_truth(self.tree, context), dtype=bool)
        return np.broadcast_to(mask, (n_rows,)).copy()


def parse_filter(source: str, *, where: str) -> Filter:
    """Parse and check ``source``, refusing anything outside the filter language."""
    if not isinstance(source, str):
        raise ExpressionError(
            f"{source!r} is not a filter",
            where=where,
            fix='write a condition in quotes, e.g. "Age < 25 and Amount > 2000"',
        )
    text = source.strip()
    if not text:
        raise ExpressionError(
            "the filter is empty", where=where, fix='write a condition, e.g. "Age < 25"'
        )
    try:
        module = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(
            f"cannot parse filter {text!r}: {exc.msg}",
            where=where,
            fix=f'use {_ALLOWED}; quote text values, e.g. Home == "rent"',
        ) from exc
    columns: set[str] = set()
    _check_condition(module.body, text, where, columns)
    return Filter(source=text, tree=module.body, columns=frozenset(columns))


def _refuse(source: str, where: str, reason: str) -> ExpressionError:
    return ExpressionError(
        f"filter {source!r} is refused: {reason}", where=where, fix=f"only {_ALLOWED} are allowed"
    )


def _check_condition(node: ast.expr, source: str, where: str, columns: set[str]) -> None:
    """A node that must be true or false: a comparison, or and/or/not of conditions."""
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check_condition(value, source, where, columns)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        _check_condition(node.operand, source, where, columns)
        return
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for op, right in zip(node.ops, node.comparators, strict=True):
            if type(op) not in _SYMBOLS:
                raise _refuse(source, where, f"operator {type(op).__name__} is not allowed")
            if isinstance(op, ast.In | ast.NotIn):
                _check_literal_list(right, source, where)
        for operand in operands:
            if isinstance(operand, ast.List | ast.Tuple | ast.Set):
                continue  # checked above, only allowed right of in / not in
            _check_operand(operand, source, where, columns)
        lists = [o for o in operands[:-1] if isinstance(o, ast.List | ast.Tuple | ast.Set)]
        if lists or (
            isinstance(operands[-1], ast.List | ast.Tuple | ast.Set)
            and not isinstance(node.ops[-1], ast.In | ast.NotIn)
        ):
            raise _refuse(source, where, "a list of values may only follow in / not in")
        return
    if isinstance(node, ast.Name):
        raise _refuse(
            source, where, f"column {node.id} is not a condition; compare it, e.g. {node.id} == 1"
        )
    if isinstance(node, ast.Constant):
        raise _refuse(source, where, f"{node.value!r} is not a condition")
    _literal(node, source, where)  # names the reason for calls, attributes, arithmetic...
    raise _refuse(source, where, f"{ast.unparse(node)!r} is not a condition")


def _check_operand(node: ast.expr, source: str, where: str, columns: set[str]) -> None:
    if isinstance(node, ast.Name):
        columns.add(node.id)
        return
    _literal(node, source, where)


def _check_literal_list(node: ast.expr, source: str, where: str) -> None:
    if not isinstance(node, ast.List | ast.Tuple | ast.Set):
        raise _refuse(source, where, 'in / not in needs a list of literals, e.g. ["a", "b"]')
    if not node.elts:
        raise _refuse(source, where, "the list after in / not in is empty")
    for element in node.elts:
        _literal(element, source, where)


def _literal(node: ast.expr, source: str, where: str) -> float | str:
    """A number (possibly negative) or a string; anything else is refused."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _literal(node.operand, source, where)
        if isinstance(inner, str):
            raise _refuse(source, where, f"cannot negate the text {inner!r}")
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or value is None:
            raise _refuse(
                source, where, f"{value!r} is not allowed; compare with a number or quoted text"
            )
        if isinstance(value, int | float):
            if not np.isfinite(value):
                raise _refuse(source, where, f"{value!r} is not a finite number")
            return float(value)
        if isinstance(value, str):
            return value
        raise _refuse(source, where, f"{value!r} is not a number or text")
    if isinstance(node, ast.Attribute):
        raise _refuse(source, where, f"attribute access {ast.unparse(node)!r}")
    if isinstance(node, ast.Call):
        raise _refuse(source, where, f"call to {ast.unparse(node.func)}")
    if isinstance(node, ast.BinOp):
        raise _refuse(source, where, f"arithmetic ({ast.unparse(node)!r})")
    raise _refuse(source, where, f"{type(node).__name__} ({ast.unparse(node)!r})")


# -- evaluation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    data: Mapping[str, Any]
    source: str
    where: str


@dataclass(frozen=True)
class _Operand:
    """Column values (with their missing mask) or a literal."""

    values: Any  # np.ndarray for columns, float | str for literals
    missing: np.ndarray | bool
    numeric: bool
    label: str


def _truth(node: ast.expr, ctx: _Context) -> np.ndarray:
    if isinstance(node, ast.BoolOp):
        parts = [_truth(v, ctx) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        combined = parts[0]
        for part in parts[1:]:
            combined = combine(combined, part)
        return np.asarray(combined, dtype=bool)
    if isinstance(node, ast.UnaryOp):
        return ~_truth(node.operand, ctx)
    assert isinstance(node, ast.Compare)  # _check_condition admitted nothing else
    result: np.ndarray | bool = True
    left = _operand(node.left, ctx)
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, ast.In | ast.NotIn):
            assert isinstance(right_node, ast.List | ast.Tuple | ast.Set)
            choices = [_literal(e, ctx.source, ctx.where) for e in right_node.elts]
            found = _isin(left, choices, ctx)
            part = found if isinstance(op, ast.In) else ~found
            result = np.logical_and(result, part & ~np.asarray(left.missing))
            continue
        right = _operand(right_node, ctx)
        result = np.logical_and(result, _compare(left, right, op, ctx))
        left = right
    return np.asarray(result, dtype=bool)


def _operand(node: ast.expr, ctx: _Context) -> _Operand:
    if isinstance(node, ast.Name):
        return _column(ctx.data[node.id], node.id)
    value = _literal(node, ctx.source, ctx.where)
    return _Operand(value, False, not isinstance(value, str), repr(value))


def _column(raw: Any, name: str) -> _Operand:
    import pandas as pd

    series = raw if isinstance(raw, pd.Series) else pd.Series(np.asarray(raw, dtype=object))
    missing = series.isna().to_numpy()
    if pd.api.types.is_bool_dtype(series.dtype):
        text = np.where(series.to_numpy(dtype=bool, na_value=False), "true", "false")
        return _Operand(np.asarray(text, dtype=object), missing, False, f"column {name}")
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return _Operand(values, missing, True, f"numeric column {name}")
    values = series.astype(object).to_numpy()
    values = np.where(missing, "", values).astype(str).astype(object)
    return _Operand(values, missing, False, f"text column {name}")


def _number_as_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _compare(left: _Operand, right: _Operand, op: ast.cmpop, ctx: _Context) -> np.ndarray:
    symbol = _SYMBOLS[type(op)]
    a, b = left.values, right.values
    if left.numeric != right.numeric:
        text_side, number_side = (left, right) if right.numeric else (right, left)
        if isinstance(op, ast.Eq | ast.NotEq) and not isinstance(number_side.values, np.ndarray):
            # a category stored as text ("1", "2") compared with a number: compare as text
            number = _number_as_text(float(number_side.values))
            a, b = (text_side.values, number) if text_side is left else (number, text_side.values)
        else:
            raise DataError(
                f"filter {ctx.source!r} compares {left.label} {symbol} {right.label}",
                where=ctx.where,
                fix="compare numbers with numbers and text with quoted text, "
                'e.g. Age < 25 or Home == "rent"',
            )
    elif not left.numeric and isinstance(op, tuple(_ORDER_OPS)):
        raise DataError(
            f"filter {ctx.source!r} orders text ({left.label} {symbol} {right.label})",
            where=ctx.where,
            fix="use == / != / in with text columns, or compare a numeric column",
        )
    function = _ORDER_OPS.get(type(op)) or _EQUALITY_OPS[type(op)]
    result = np.asarray(function(a, b), dtype=bool)
    present = ~(np.asarray(left.missing) | np.asarray(right.missing))
    return result & present


def _isin(left: _Operand, choices: list[float | str], ctx: _Context) -> np.ndarray:
    texts = [c for c in choices if isinstance(c, str)]
    numbers = [c for c in choices if not isinstance(c, str)]
    if left.numeric:
        if texts:
            raise DataError(
                f"filter {ctx.source!r} looks for text {texts[0]!r} in {left.label}",
                where=ctx.where,
                fix="write numbers without quotes for a numeric column",
            )
        return np.isin(np.asarray(left.values, dtype=np.float64), np.asarray(numbers))
    wanted = [*texts, *(_number_as_text(float(n)) for n in numbers)]
    return np.isin(np.asarray(left.values, dtype=object), np.asarray(wanted, dtype=object))
