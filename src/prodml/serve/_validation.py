"""The request side of the one validator (:mod:`prodml.data.validation`).

The server builds one :class:`~prodml.data.validation.Validator` per served model (its contract,
its features, the project's repair policies) and calls it on each request's records. This module
only reshapes the :class:`~prodml.data.validation_result.ValidationResult` into what the API
answers and logs per record: a status, structured repairs and errors, and the repaired feature
columns of the records that can be scored. It judges nothing itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from prodml.data.validation import Validator
    from prodml.data.validation_result import ValidationResult
    from prodml.spec import Spec

__all__ = ["Checked", "check_records", "make_validator"]

_STATUS = ("ok", "repaired", "rejected")
_RECORD = "(record)"  # the validator's name for "the entry is not a record at all"


@dataclass(frozen=True)
class Checked:
    """Per input record: status, repairs, errors; the scorable records' repaired columns."""

    status: list[str]
    repairs: list[list[dict[str, Any]]]
    errors: list[list[dict[str, Any]]]
    accepted: np.ndarray  # input positions of the records to score, ascending
    columns: dict[str, np.ndarray]  # feature -> repaired values of the accepted records
    result: ValidationResult

    @property
    def frame(self) -> Any:
        """The validator's repaired frame (for explanations), built only when asked for."""
        return self.result.frame


def make_validator(contract: dict[str, Any], features: Sequence[str], spec: Spec) -> Validator:
    """A validator for one model; raises SpecError if the project's policies do not fit it."""
    from prodml.data.repair import Policies
    from prodml.data.validation import Validator

    return Validator(contract, Policies.from_spec(spec.data), features=list(features))


def check_records(validator: Validator, records: list[Any]) -> Checked:
    result = validator(records)
    n = result.n_rows
    codes = np.asarray(result.codes)
    status = [_STATUS[int(code)] for code in codes]
    repairs: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    errors: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    for finding in result.findings:
        if finding.outcome == "passed" or len(finding.rows) == 0:
            continue
        texts = finding.texts()  # "Age: 'abc' is not a number", long values cut short
        field = None if finding.column == _RECORD else finding.column
        target = repairs if finding.outcome == "repaired" else errors
        key = "repair" if finding.outcome == "repaired" else "message"
        for k, row in enumerate(finding.rows.tolist()):
            target[row].append({"field": field, "check": finding.check, key: str(texts[k])})
    for row in np.flatnonzero(codes == 2).tolist():
        repairs[row] = []  # nothing of a rejected record is scored, so nothing was repaired
    return Checked(
        status=status,
        repairs=repairs,
        errors=errors,
        accepted=np.flatnonzero(codes < 2),
        columns=result.arrays,
        result=result,
    )
