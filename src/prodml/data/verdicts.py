"""What a failed check means for a value, per column: outcome, message and repair label.

The validator has two ways through a batch (vectorised over columns for large batches, value by
value for a few records, see :mod:`prodml.data.validation_small`); both take every outcome and
every word of their findings from here, resolved once per column when the
:class:`~prodml.data.validation.Validator` is built, so a record is judged and described the same
way whichever path it takes. The repaired *values* (the median filled in, the number clipped)
come from the same :class:`~prodml.data.repair.ColumnRules` in both paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from prodml.data.repair import ColumnRules
from prodml.data.validation_result import Finding, Outcome

__all__ = ["MISSING_COLUMN", "NOT_A_RECORD", "ColumnVerdicts", "Verdict", "column_verdicts"]


@dataclass(frozen=True)
class Verdict:
    """One check's outcome and wording in one column."""

    check: str
    outcome: Outcome
    message: str
    rule: str = ""

    def finding(self, column: str, rows: np.ndarray, values: np.ndarray | None) -> Finding:
        return Finding(column, self.check, self.outcome, rows, self.message, values, self.rule)


MISSING_COLUMN = Verdict("missing_column", "rejected", "required column is missing")
NOT_A_RECORD = Verdict("not_a_record", "rejected", "is not a mapping of column names to values")


@dataclass(frozen=True)
class ColumnVerdicts:
    """Every verdict one column can give, in the order its findings are listed."""

    oversized: Verdict
    wrong_type: Verdict
    missing: Verdict
    infinite: Verdict | None = None  # numeric columns
    out_of_range: Verdict | None = None  # numeric columns with a training range
    unseen: Verdict | None = None  # categorical columns with a complete list of levels


def column_verdicts(rules: ColumnRules) -> ColumnVerdicts:
    oversized = Verdict(
        "oversized", "rejected", f"is text longer than {rules.max_length} characters"
    )
    missing = _missing(rules)
    if not rules.numeric:
        unseen = None
        if rules.known is not None:
            unseen = (
                Verdict("unseen", "rejected", "is a category unseen in training")
                if rules.unseen == "reject"
                else Verdict("unseen", "repaired", "", rule=rules.unseen_label)
            )
        wrong = Verdict(
            "wrong_type", "rejected", "is not a category (training had text categories)"
        )
        return ColumnVerdicts(oversized, wrong, missing, unseen=unseen)
    out_of_range = None
    accepted = ""
    if rules.low is not None and rules.high is not None:
        accepted = f"[{rules.low:g}, {rules.high:g}]"
        if rules.out_of_range == "clip":
            out_of_range = Verdict("out_of_range", "repaired", "", f"clipped to {accepted}")
        else:
            out_of_range = Verdict(
                "out_of_range",
                "rejected" if rules.out_of_range == "reject" else "passed",
                f"is outside the accepted range {accepted}",
            )
    if rules.infinite == "reject":
        infinite = Verdict("infinite", "rejected", "is not a finite number")
    elif rules.infinite == "clip":  # plan_repairs allows clip only with a training range
        infinite = Verdict("infinite", "repaired", "", rule=f"clipped to {accepted}")
    else:  # treated as missing, then the missing policy applies
        infinite = Verdict(
            "infinite",
            missing.outcome,
            "is not a finite number (treated as missing, which is rejected)",
            rule=f"missing{', ' + missing.rule if missing.rule else ''}",
        )
    wrong = Verdict("wrong_type", "rejected", "is not a number")
    return ColumnVerdicts(oversized, wrong, missing, infinite, out_of_range)


def _missing(rules: ColumnRules) -> Verdict:
    if rules.missing == "impute":
        return Verdict("missing", "repaired", "missing value", rule=rules.fill_label)
    if rules.missing == "reject":
        return Verdict("missing", "rejected", "missing value")
    return Verdict("missing", "passed", "missing value")
