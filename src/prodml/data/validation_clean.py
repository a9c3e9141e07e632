"""Recognising a clean record: one the validator would pass untouched, with no finding at all.

Most API records are clean: every feature present, numbers that are numbers within the training
range, categories that are known levels. For them the validator's answer is known in advance
(status ``ok``, no repairs, no errors, the values as sent, numbers as float), and building its
full result (findings, per-column arrays, reports) is most of the cost of a one-record request.
:class:`CleanRecords` only *recognises* such records, from the same
:class:`~prodml.data.repair.ColumnRules`, and judges nothing: a record it is not sure about
(anything missing, out of range, unseen, oversized, of another type, non-ASCII text, a huge
integer) is declined, and the caller takes the validator for the whole batch, so every repair and
rejection is still decided in one place. ``tests/data/test_validation_clean.py`` checks on
hostile records that whatever it accepts, the validator passes unchanged with the same values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prodml.data.validation import Validator

__all__ = ["CleanRecords"]

_EXACT_INT = 2**53  # integers up to this convert to float exactly (the validator's to_float)
_LOG_TEXT = 1000  # the prediction log cuts longer texts: such a record takes the general path


class CleanRecords:
    """``clean(records)``: each record's feature values (name -> float or str, in feature
    order) when every record is clean, else None."""

    def __init__(self, validator: Validator) -> None:
        plan: list[tuple[str, bool, float, float, int, frozenset[str] | None]] = []
        for name, rules in validator.rules.items():
            verdicts = validator.verdicts[name]
            ranged = rules.numeric and verdicts.out_of_range is not None
            low = rules.low if ranged and rules.low is not None else -math.inf
            high = rules.high if ranged and rules.high is not None else math.inf
            known = None if rules.numeric else rules.known
            plan.append((name, rules.numeric, low, high, min(rules.max_length, _LOG_TEXT), known))
        self._plan = tuple(plan)

    def __call__(self, records: Sequence[Any]) -> list[dict[str, float | str]] | None:
        out = []
        for record in records:
            values = self.record(record)
            if values is None:
                return None
            out.append(values)
        return out

    def record(self, record: Any) -> dict[str, float | str] | None:
        """One record's values if it is clean, else None."""
        if type(record) is not dict:
            return None
        values: dict[str, float | str] = {}
        for name, numeric, low, high, max_length, known in self._plan:
            value: Any = record.get(name)
            kind = type(value)
            if numeric:
                if kind is float:
                    number = value
                elif kind is int and -_EXACT_INT <= value <= _EXACT_INT:
                    number = float(value)
                else:  # missing, text, bool, huge integers, containers: the validator decides
                    return None
                # NaN and +-inf fail both comparisons or the range; within range means finite
                if not low <= number <= high or number - number != 0.0:
                    return None
                values[name] = number
            else:
                if (
                    kind is not str
                    or len(value) > max_length
                    or not value.isascii()
                    or (known is not None and value not in known)
                ):
                    return None
                values[name] = value
        return values
