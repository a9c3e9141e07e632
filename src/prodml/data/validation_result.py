"""What validating a batch of records found: per row, per column, and the repaired frame.

Every consumer reads the same object: ``prodml validate`` prints its table and verdict, the HTTP
API answers each record's status and reasons, batch scoring scores :attr:`ValidationResult.frame`
and writes :meth:`ValidationResult.quarantine`, monitoring adds up :attr:`ValidationResult.columns`.

Findings are kept as row positions per (column, check) rather than as text per row: building a
reason string for each of a million rows costs more than the validation itself, and most callers
only need counts. The per-row texts (:attr:`ValidationResult.reasons`,
:attr:`ValidationResult.repairs`) are composed on first use, vectorised over the affected rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "CHECKS",
    "STATUSES",
    "ColumnReport",
    "Finding",
    "Outcome",
    "ValidationResult",
]

Outcome = Literal["rejected", "repaired", "passed"]
STATUSES = ("ok", "repaired", "rejected")
CHECKS = (
    "missing_column",
    "not_a_record",
    "missing",
    "oversized",
    "wrong_type",
    "infinite",
    "out_of_range",
    "unseen",
)
_EXAMPLES = 5
_VALUE_CHARS = 40
_OK, _REPAIRED, _REJECTED = 0, 1, 2


@dataclass(frozen=True, eq=False)
class Finding:
    """One check that failed in one column, on the rows at ``rows`` (input positions).

    ``outcome`` says what happened to those values: ``rejected`` (the row is not scored),
    ``repaired`` (the value was replaced by ``rule``) or ``passed`` (noted and counted, the value
    kept: a missing value the model handles, an out-of-range number under ``pass``).
    """

    column: str
    check: str
    outcome: Outcome
    rows: np.ndarray
    message: str
    values: np.ndarray | None = None  # the offending input values, aligned with rows
    rule: str = ""

    def texts(self) -> np.ndarray:
        """``"column: value message"`` (or ``-> rule`` for repairs) for each affected row."""
        head = f"{self.column}: "
        tail = f" -> {self.rule}" if self.outcome == "repaired" else f" {self.message}"
        if self.values is None:
            text = f"{head}{self.message}" if self.outcome != "repaired" else f"{head}{self.rule}"
            return np.full(len(self.rows), text, dtype=object)
        shown = _show(self.values)
        return (head + shown + tail).astype(object)

    def examples(self, limit: int = _EXAMPLES) -> list[str]:
        if self.values is None or len(self.values) == 0:
            return []
        distinct = pd.unique(pd.Series(_show(self.values[: limit * 50])))
        return [str(v) for v in distinct[:limit]]


@dataclass(frozen=True)
class ColumnReport:
    """One feature column over the whole batch: how many values were fine, repaired, rejected.

    ``checks`` counts rows per failed check (missing, wrong_type, out_of_range, unseen, ...),
    ``rules`` counts the repairs applied, ``examples`` shows a few offending values per check.
    """

    name: str
    kind: str
    present: bool
    ok: int
    repaired: int
    rejected: int
    passed: int
    checks: dict[str, int] = field(default_factory=dict)
    rules: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        return self.checks.get("missing", 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "present": self.present,
            "ok": self.ok,
            "repaired": self.repaired,
            "rejected": self.rejected,
            "passed": self.passed,
            "checks": dict(self.checks),
            "rules": dict(self.rules),
            "examples": {k: list(v) for k, v in self.examples.items()},
        }


@dataclass(frozen=True, eq=False)
class ValidationResult:
    """The verdict on a batch: every input row is ``ok``, ``repaired`` or ``rejected``.

    :attr:`frame` holds the repaired feature values of the rows that are not rejected, indexed by
    their input position, in the model's feature order: pass it straight to
    :meth:`prodml.ModelBundle.predict`. Rejected rows are never scored and never dropped
    silently: :attr:`reasons` says why, and :meth:`quarantine` returns them with a reason column.

    The frames and per-column reports are built on first use (``make_frame``, ``make_records``,
    ``make_columns``): for a few records the validator works without pandas, and an API request
    that only needs :attr:`arrays` and :attr:`findings` never pays for them.
    """

    n_rows: int
    codes: np.ndarray = field(repr=False)  # int8 per row: 0 ok, 1 repaired, 2 rejected
    make_frame: Callable[[], pd.DataFrame] = field(repr=False)
    make_columns: Callable[[], dict[str, ColumnReport]] = field(repr=False)
    extra_columns: list[str]
    missing_columns: list[str]
    findings: tuple[Finding, ...] = field(repr=False)
    make_records: Callable[[], pd.DataFrame] = field(repr=False)  # the input, for quarantine
    max_rejected_share: float = 0.01
    given_arrays: dict[str, np.ndarray] | None = field(default=None, repr=False)

    @cached_property
    def frame(self) -> pd.DataFrame:
        return self.make_frame()

    @cached_property
    def columns(self) -> dict[str, ColumnReport]:
        """Per feature column: counts of ok, repaired and rejected values, checks, examples."""
        return self.make_columns()

    @cached_property
    def records(self) -> pd.DataFrame:
        """The input as a frame (its columns as they came), for :meth:`quarantine`."""
        return self.make_records()

    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        """Per feature, the repaired values of the accepted rows as ``frame[name].to_numpy()``
        gives them (float64 numbers; categories as an object array with NaN for missing): what
        the compiled serving path scores, without a frame when the validator has them already."""
        if self.given_arrays is not None:
            return self.given_arrays
        frame = self.frame
        return {str(name): frame[name].to_numpy() for name in frame.columns}

    # -- per row -------------------------------------------------------------------------------

    @property
    def status(self) -> pd.Series:
        """``ok`` / ``repaired`` / ``rejected`` for every input row, in input order."""
        categories = pd.Index(list(STATUSES))
        return pd.Series(pd.Categorical.from_codes(self.codes.astype(np.int8), categories))

    @cached_property
    def reasons(self) -> pd.Series:
        """Why each row was rejected, ``"column: value message; ..."``; empty for others."""
        return self._row_texts(("rejected",))

    @cached_property
    def repairs(self) -> pd.Series:
        """The repairs applied to each row, ``"column: value -> rule; ..."``; empty if none."""
        return self._row_texts(("repaired",))

    def rows(self) -> pd.DataFrame:
        """One line per input row: position, status, reasons and repairs."""
        return pd.DataFrame(
            {
                "row": np.arange(self.n_rows),
                "status": self.status,
                "reasons": self.reasons,
                "repairs": self.repairs,
            }
        )

    def quarantine(self) -> pd.DataFrame:
        """The rejected input rows, as they came, with their input ``row`` and a ``reason``."""
        rejected = np.flatnonzero(self.codes == _REJECTED)
        out = self.records.iloc[rejected].reset_index(drop=True).copy()
        out.insert(0, _free_name("row", out.columns), rejected)
        out[_free_name("reason", out.columns)] = self.reasons.to_numpy()[rejected]
        return out

    # -- totals --------------------------------------------------------------------------------

    @property
    def n_ok(self) -> int:
        return int(np.count_nonzero(self.codes == _OK))

    @property
    def n_repaired(self) -> int:
        return int(np.count_nonzero(self.codes == _REPAIRED))

    @property
    def n_rejected(self) -> int:
        return int(np.count_nonzero(self.codes == _REJECTED))

    @property
    def rejected_share(self) -> float:
        return self.n_rejected / self.n_rows if self.n_rows else 0.0

    @property
    def passed(self) -> bool:
        """Whether the rejected share is within the project's ``max_rejected_share``."""
        return self.rejected_share <= self.max_rejected_share

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (no per-row data) for ``--json``, the API and monitoring."""
        return {
            "rows": self.n_rows,
            "ok": self.n_ok,
            "repaired": self.n_repaired,
            "rejected": self.n_rejected,
            "rejected_share": self.rejected_share,
            "max_rejected_share": self.max_rejected_share,
            "passed": self.passed,
            "missing_columns": list(self.missing_columns),
            "extra_columns": list(self.extra_columns),
            "columns": [column.to_dict() for column in self.columns.values()],
        }

    def _row_texts(self, outcomes: tuple[str, ...]) -> pd.Series:
        out = np.full(self.n_rows, "", dtype=object)
        for finding in self.findings:
            if finding.outcome not in outcomes or len(finding.rows) == 0:
                continue
            texts = finding.texts()
            current = out[finding.rows]
            out[finding.rows] = np.where(current == "", texts, current + "; " + texts)
        return pd.Series(out, dtype=object)


def row_codes(findings: Sequence[Finding], n_rows: int) -> np.ndarray:
    """Each row's status code: rejected if any finding rejects it, else repaired if any repairs."""
    codes = np.zeros(n_rows, dtype=np.int8)
    for finding in findings:
        if finding.outcome == "rejected":
            codes[finding.rows] = _REJECTED
        elif finding.outcome == "repaired":
            codes[finding.rows] = np.maximum(codes[finding.rows], _REPAIRED)
    return codes


def repaired_frame(columns: dict[str, Any], n_rows: int, accepted: np.ndarray) -> pd.DataFrame:
    """The repaired feature columns as a frame of the accepted rows, indexed by input position."""
    # copy=False keeps one block per column: no consolidating copy of the float columns
    repaired = pd.DataFrame(columns, index=pd.RangeIndex(n_rows), copy=False)
    if len(accepted) < n_rows:
        repaired = repaired.iloc[accepted]
    return repaired


def column_report(
    name: str, kind: str, present: bool, n_rows: int, findings: list[Finding]
) -> ColumnReport:
    """Counts for one column from its findings (each row has at most one per column)."""
    if not findings:  # the usual case, and per request on the API: no counting to do
        return ColumnReport(name, kind, present, n_rows, 0, 0, 0)
    checks: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for finding in findings:
        count = len(finding.rows)
        if not count:
            continue
        checks[finding.check] += count
        outcomes[finding.outcome] += count
        if finding.outcome == "repaired":
            rules[finding.rule] += count
        shown = finding.examples()
        if shown:
            merged = examples.setdefault(finding.check, [])
            merged.extend(v for v in shown if v not in merged)
            del merged[_EXAMPLES:]
    return ColumnReport(
        name=name,
        kind=kind,
        present=present,
        ok=n_rows - outcomes["rejected"] - outcomes["repaired"] - outcomes["passed"],
        repaired=outcomes["repaired"],
        rejected=outcomes["rejected"],
        passed=outcomes["passed"],
        checks=dict(checks),
        rules=dict(rules),
        examples=examples,
    )


def _show(values: np.ndarray) -> np.ndarray:
    """Short, quoted text of each value (strings quoted, long ones cut), vectorised by pandas."""
    series = pd.Series(values, dtype=object)
    return series.map(_short).to_numpy(dtype=object)


def _short(value: Any) -> str:
    try:
        text = repr(value.item() if isinstance(value, np.generic) else value)
    except Exception:  # a hostile __repr__ must not break the report
        text = f"<{type(value).__name__}>"
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


def _free_name(name: str, taken: Any) -> str:
    names = {str(c) for c in taken}
    while name in names:
        name = f"_{name}"
    return name
