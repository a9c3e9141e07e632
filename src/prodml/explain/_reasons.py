"""A feature's value in plain words, placed against the training data's contract.

"Income 80 is lower than 85% of applicants", "Home is rent (like 22% of applicants)",
"Amount 9,000 is above every applicant in the training data (highest 5,000)". Numbers are placed
with the contract's quantiles (interpolated between them, as the contract keeps only a few), and
categories with their training counts, so the words need no training rows at hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["describe_value", "format_number", "plural"]

_MEDIAN_BAND = (0.4, 0.6)


def plural(noun: str) -> str:
    """``applicant`` -> ``applicants``; ``employee`` -> ``employees``; ``house`` -> ``houses``."""
    if not noun or (noun.endswith("s") and not noun.endswith("ss")):
        return noun
    if noun.endswith(("ss", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and len(noun) > 1 and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def format_number(value: float, *, integer: bool = False) -> str:
    """Readable numbers: ``80``, ``1,250``, ``0.125``, ``3.1e-05``; never ``-0``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return str(value)
    number = float(value)
    if number == 0:
        return "0"
    if integer or (number.is_integer() and abs(number) < 1e15):
        return f"{round(number):,}"
    magnitude = abs(number)
    if magnitude >= 1000:
        return f"{number:,.0f}"
    if magnitude >= 1:
        return f"{number:,.4g}" if magnitude < 100 else f"{number:,.1f}"
    if magnitude >= 1e-3:
        return f"{number:.3g}"
    return f"{number:.2g}"


def describe_value(
    feature: str, value: Any, column: Mapping[str, Any] | None, *, rows_noun: str, n_rows: int
) -> str:
    """One phrase saying what ``value`` of ``feature`` is, relative to the training rows."""
    if column is None:
        return f"{feature} is {_show(value)}"
    if _is_missing(value):
        rate = float(column.get("missing_rate") or 0.0)
        if rate == 0:
            return f"{feature} is missing (never missing in training)"
        return f"{feature} is missing (as for {_percent(rate)} of {rows_noun})"
    if column.get("kind") == "numeric" and column.get("quantiles"):
        number = _as_float(value)
        if number is None:
            return f"{feature} is {_show(value)}"
        return _place_number(feature, number, column, rows_noun)
    counts = column.get("categories")
    if counts is not None:
        key = _category_key(value)
        count = counts.get(key)
        if count is None:
            return f"{feature} is {key} (never seen in training)"
        share = count / max(n_rows, 1)
        return f"{feature} is {key} (like {_percent(share)} of {rows_noun})"
    return f"{feature} is {_show(value)}"


def _place_number(feature: str, number: float, column: Mapping[str, Any], rows_noun: str) -> str:
    integer = bool(column.get("is_integer"))
    shown = format_number(number, integer=integer and number.is_integer())
    low, high = column.get("min"), column.get("max")
    if low is not None and number < low:
        lowest = format_number(low, integer=integer)
        return (
            f"{feature} {shown} is below every one of the {rows_noun} in training (lowest {lowest})"
        )
    if high is not None and number > high:
        highest = format_number(high, integer=integer)
        return (
            f"{feature} {shown} is above every one of the {rows_noun} in training "
            f"(highest {highest})"
        )
    below, at_most = _cdf(number, column)
    if at_most <= _MEDIAN_BAND[0]:
        return f"{feature} {shown} is lower than {_percent(1 - at_most)} of {rows_noun}"
    if below >= _MEDIAN_BAND[1]:
        return f"{feature} {shown} is higher than {_percent(below)} of {rows_noun}"
    median = column["quantiles"].get("0.5")
    typical = "" if median is None else f", median {format_number(median, integer=integer)}"
    return f"{feature} {shown} is typical of {rows_noun}{typical}"


def _cdf(number: float, column: Mapping[str, Any]) -> tuple[float, float]:
    """Estimated shares of training rows below ``number`` and at most ``number``.

    The contract's quantiles (and min/max as the 0 and 1 quantiles) define a piecewise-linear
    distribution. A value that several quantiles share (many zeros) is a jump whose size is
    unknown: it ends somewhere between the last shared level and the next one, so the estimate
    takes the middle of that gap (and likewise for where the jump starts).
    """
    points = sorted(
        [(float(v), float(level)) for level, v in column["quantiles"].items() if v is not None]
        + [(float(column["min"]), 0.0)] * (column.get("min") is not None)
        + [(float(column["max"]), 1.0)] * (column.get("max") is not None)
    )
    xs = np.array([p[0] for p in points])
    levels = np.array([p[1] for p in points])
    tied = levels[xs == number]
    if len(tied) == 1:
        return float(tied[0]), float(tied[0])
    if len(tied) > 1:
        low, high = float(tied.min()), float(tied.max())
        before = levels[xs < number]
        after = levels[xs > number]
        below = (low + float(before.max())) / 2 if len(before) else low
        at_most = (high + float(after.min())) / 2 if len(after) else high
        return below, at_most
    # between distinct points: interpolate on the upper envelope of ties
    unique_x, first = np.unique(xs, return_index=True)
    top = np.array([levels[xs == x].max() for x in unique_x])
    bottom = levels[first]
    position = int(np.searchsorted(unique_x, number))
    if position == 0:
        return 0.0, 0.0
    if position >= len(unique_x):
        return 1.0, 1.0
    x0, x1 = unique_x[position - 1], unique_x[position]
    share = top[position - 1] + (bottom[position] - top[position - 1]) * (number - x0) / (x1 - x0)
    return float(share), float(share)


def _percent(share: float) -> str:
    share = min(max(share, 0.0), 1.0)
    if 0 < share < 0.01:
        return "under 1%"
    if 0.99 < share < 1:
        return "over 99%"
    return f"{round(share * 100)}%"


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value)) if np.ndim(value) == 0 else False
    except (TypeError, ValueError):
        return False


def _as_float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _category_key(value: Any) -> str:
    """The contract's spelling of a category (see prodml.data.contract.category_keys)."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _show(value: Any) -> str:
    if isinstance(value, float | int | np.number) and not isinstance(value, bool):
        return format_number(float(value))
    return str(value)
