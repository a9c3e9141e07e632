"""Safe, vectorised arithmetic over columns for the value of outcomes.

Business value differs per row (a missed default costs the loan amount), so the project file may
say ``fn: "-Amount"``. We parse such text with :mod:`ast` and accept only numbers, column names,
``+ - * /``, unary minus and the calls ``min``, ``max``, ``abs``. Anything else (attribute access,
subscripts, other calls, comparisons, keywords, lambdas) is refused when the project file is
loaded, with the expression and the reason, long before any data is touched. Evaluation is numpy
over whole columns: no per-row Python.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prodml.errors import DataError, ExpressionError

__all__ = ["Expression", "parse_expression", "refuse_unknown_columns"]

_BINARY_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}
_CALLS = {"min": 2, "max": 2, "abs": 1}  # minimum number of arguments


@dataclass(frozen=True)
class Expression:
    """A checked expression; ``columns`` are the names it reads."""

    source: str
    tree: ast.expr = field(repr=False, compare=False)
    columns: frozenset[str] = frozenset()

    @property
    def is_constant(self) -> bool:
        return not self.columns

    def check_columns(
        self, available: set[str] | frozenset[str] | list[str], *, where: str
    ) -> None:
        """Refuse expressions over columns the data does not have, naming them."""
        refuse_unknown_columns("expression", self.source, self.columns, available, where=where)

    def evaluate(self, data: Mapping[str, Any], n_rows: int, *, where: str = "") -> np.ndarray:
        """Evaluate over whole columns; returns float64 values of length ``n_rows``."""
        self.check_columns(set(data.keys()), where=where or self.source)
        with np.errstate(divide="ignore", invalid="ignore"):
            result = np.asarray(_eval(self.tree, data), dtype=np.float64)
        result = np.broadcast_to(result, (n_rows,)).astype(np.float64, copy=True)
        bad = ~np.isfinite(result)
        if bad.any():
            raise DataError(
                f"expression {self.source!r} is not a finite number on {int(bad.sum())} of "
                f"{n_rows} rows (missing values or division by zero in "
                f"{', '.join(sorted(self.columns)) or 'constants'})",
                where=where or self.source,
                fix="fill the missing values in the data, or guard the expression, e.g. "
                "max(Amount, 1)",
            )
        return result


def refuse_unknown_columns(
    kind: str,
    source: str,
    columns: frozenset[str],
    available: set[str] | frozenset[str] | list[str],
    *,
    where: str,
) -> None:
    """The one message for an expression or filter naming columns the data lacks."""
    missing = sorted(columns - set(available))
    if missing:
        raise ExpressionError(
            f"{kind} {source!r} uses unknown column(s) {', '.join(missing)}",
            where=where,
            fix="use column names from the data (case-sensitive): "
            + ", ".join(sorted(available)[:20]),
        )


def parse_expression(source: str | float | int, *, where: str) -> Expression:
    """Parse and check ``source``; numbers become constant expressions."""
    if isinstance(source, bool):
        raise ExpressionError(
            f"{source!r} is a boolean, not a value", where=where, fix="write a number"
        )
    if isinstance(source, int | float):
        if not np.isfinite(source):
            raise ExpressionError(
                f"{source!r} is not a finite number", where=where, fix="write a finite number"
            )
        return Expression(source=repr(source), tree=ast.Constant(value=float(source)))
    text = str(source).strip()
    if not text:
        raise ExpressionError(
            "the expression is empty", where=where, fix="write a number or e.g. -Amount"
        )
    try:
        module = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(
            f"cannot parse expression {text!r}: {exc.msg}",
            where=where,
            fix="use numbers, column names, + - * /, parentheses and min(), max(), abs()",
        ) from exc
    columns: set[str] = set()
    _check(module.body, text, where, columns)
    return Expression(source=text, tree=module.body, columns=frozenset(columns))


def _refuse(node: ast.AST, source: str, where: str, reason: str) -> ExpressionError:
    return ExpressionError(
        f"expression {source!r} is refused: {reason}",
        where=where,
        fix="only numbers, column names, + - * /, parentheses and min(), max(), abs() are allowed",
    )


def _check(node: ast.expr, source: str, where: str, columns: set[str]) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise _refuse(node, source, where, f"{node.value!r} is not a number")
        return
    if isinstance(node, ast.Name):
        if node.id in _CALLS:
            raise _refuse(node, source, where, f"{node.id} must be called, e.g. {node.id}(a, b)")
        columns.add(node.id)
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY_OPS:
            raise _refuse(node, source, where, f"operator {type(node.op).__name__} is not allowed")
        _check(node.left, source, where, columns)
        _check(node.right, source, where, columns)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise _refuse(node, source, where, f"operator {type(node.op).__name__} is not allowed")
        _check(node.operand, source, where, columns)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _CALLS:
            name = ast.unparse(node.func)
            raise _refuse(node, source, where, f"call to {name} (only min, max, abs)")
        if node.keywords:
            raise _refuse(node, source, where, "keyword arguments are not allowed")
        minimum = _CALLS[node.func.id]
        count = len(node.args)
        if count < minimum or (node.func.id == "abs" and count != 1):
            raise _refuse(
                node,
                source,
                where,
                f"{node.func.id}() takes {'1' if minimum == 1 else '2+'} argument(s), got {count}",
            )
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise _refuse(node, source, where, "starred arguments are not allowed")
            _check(arg, source, where, columns)
        return
    if isinstance(node, ast.Attribute):
        raise _refuse(node, source, where, f"attribute access {ast.unparse(node)!r}")
    raise _refuse(node, source, where, f"{type(node).__name__} ({ast.unparse(node)!r})")


def _column(data: Mapping[str, Any], name: str) -> np.ndarray:
    values = data[name]
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"column {name!r} is used in a value expression but is not numeric",
            where=name,
            fix="use a numeric column in value expressions",
        ) from exc


def _eval(node: ast.expr, data: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # _check admitted only numbers
        return float(node.value)
    if isinstance(node, ast.Name):
        return _column(data, node.id)
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, data)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, data), _eval(node.right, data)
        op = _BINARY_OPS[type(node.op)]
        if op == "+":
            return np.add(left, right)
        if op == "-":
            return np.subtract(left, right)
        if op == "*":
            return np.multiply(left, right)
        return np.divide(left, right)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    args = [_eval(arg, data) for arg in node.args]
    if node.func.id == "abs":
        return np.abs(args[0])
    reducer = np.minimum if node.func.id == "min" else np.maximum
    result = args[0]
    for arg in args[1:]:
        result = reducer(result, arg)
    return result
