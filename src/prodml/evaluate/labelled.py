"""Evaluate a trained model on new labelled data: the same evaluation as at training.

Used by ``prodml evaluate REF --data FILE`` and ``Project.evaluate``. The model is passed as plain
parts (its scoring function, decision rule, features), so this layer knows nothing of bundles or
the registry. Values of outcomes, segments, edge cases and behavioural tests come from the
project file as it is now; the decision rule and calibration are the model's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from prodml.errors import DataError
from prodml.evaluate.calibration import summarize_calibration
from prodml.evaluate.report import BaselinePolicy, EvaluationReport, evaluate_rows
from prodml.evaluate.rows import EvaluationRows
from prodml.evaluate.value import BinaryValues, RegressionValues
from prodml.spec import Spec

__all__ = ["evaluate_labelled"]


def evaluate_labelled(
    labelled: pd.DataFrame,
    y: np.ndarray,
    *,
    spec: Spec,
    predict: Callable[[pd.DataFrame], np.ndarray],
    task: str,
    decision_rule: float,
    features: list[str],
    numeric: set[str],
    calibration_method: str,
    baseline: dict[str, Any] | None,
    data: str,
    notes: list[str] | None = None,
) -> EvaluationReport:
    """``labelled``: the rows with a known outcome; ``y``: the outcome (bool or float)."""
    columns = set(map(str, labelled.columns))
    missing = [c for c in features if c not in columns]
    if missing:
        raise DataError(
            f"the data lacks {len(missing)} feature column(s) of the model: "
            + ", ".join(missing[:20]),
            where=data,
            fix="evaluate on data with the columns the model was trained on",
        )
    expressions = spec.problem.value_expressions()
    for name, expression in expressions.items():
        expression.check_columns(columns, where=f"{data}: problem.value.{name}")
    labelled = labelled.reset_index(drop=True)
    values_data = {c: labelled[c].to_numpy() for c in labelled.columns}
    values: BinaryValues | RegressionValues = (
        BinaryValues.from_expressions(expressions, values_data, len(labelled))
        if task == "binary"
        else RegressionValues.from_expressions(expressions, values_data, len(labelled))
    )
    scores = np.asarray(predict(labelled), dtype=np.float64)
    policy = BaselinePolicy(**baseline) if baseline else None
    constant = None
    if task != "binary" and policy is not None:
        constant = policy.score + policy.decision_rule
    rows = EvaluationRows.build(
        task, labelled, y, scores, decision_rule, values, constant_prediction=constant
    )
    calibration = (
        summarize_calibration(
            np.asarray(y, dtype=bool),
            scores,
            method=calibration_method,
            reason=f"{calibration_method}, as chosen at training",
        )
        if task == "binary"
        else None
    )
    settings = spec.evaluation
    absent = [c for c in settings.segments if c not in columns]
    report = evaluate_rows(
        rows,
        settings,
        unit=spec.problem.unit,
        data=data,
        features=features,
        numeric=numeric,
        edge_cases=settings.edge_case_filters(),
        baseline=policy,
        calibration=calibration,
        score=predict,
        reference=labelled,
        default_tolerance=0.01 if task == "binary" else 0.01 * float(np.std(y)),
    )
    report.warnings.extend(notes or [])
    if absent:
        report.warnings.append(
            f"segment column(s) {', '.join(absent)} are not in the data: not evaluated"
        )
    return report
