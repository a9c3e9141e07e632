"""The evaluated rows: labels, served scores, decisions and their realised value, side by side.

Every part of an evaluation (value, segments, edge cases, slices, calibration) reads the same
arrays, computed once; nothing downstream scores the model again on these rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from prodml.evaluate.metrics import binary_metrics, regression_metrics
from prodml.evaluate.value import (
    BinaryValues,
    RegressionValues,
    binary_row_values,
    regression_row_values,
)

__all__ = ["EvaluationRows"]


@dataclass(frozen=True)
class EvaluationRows:
    """One evaluation set. ``frame`` holds every column (segments and filters may use any)."""

    task: str
    frame: pd.DataFrame = field(repr=False)
    y: np.ndarray = field(repr=False)  # bool (binary) or float (regression)
    scores: np.ndarray = field(repr=False)  # served probability, or the raw prediction
    decision_rule: float  # threshold on ``scores`` (binary) or offset added (regression)
    values: BinaryValues | RegressionValues = field(repr=False)
    trivial: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    @classmethod
    def build(
        cls,
        task: str,
        frame: pd.DataFrame,
        y: np.ndarray,
        scores: np.ndarray,
        decision_rule: float,
        values: BinaryValues | RegressionValues,
        *,
        constant_prediction: float | None = None,
    ) -> EvaluationRows:
        """With the trivial policies' per-row values (act on everyone / no one, or constant)."""
        if task == "binary":
            assert isinstance(values, BinaryValues)
            yb = np.asarray(y, dtype=bool)
            trivial = {
                "act_on_everyone": values.if_acting(yb),
                "act_on_no_one": values.if_passing(yb),
            }
        else:
            assert isinstance(values, RegressionValues)
            constant = 0.0 if constant_prediction is None else constant_prediction
            trivial = {
                "constant_prediction": regression_row_values(
                    np.asarray(y, dtype=np.float64), np.full(len(y), constant), values
                )
            }
        return cls(
            task=task,
            frame=frame.reset_index(drop=True),
            y=np.asarray(y),
            scores=np.asarray(scores, dtype=np.float64),
            decision_rule=float(decision_rule),
            values=values,
            trivial=trivial,
        )

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def binary(self) -> bool:
        return self.task == "binary"

    @cached_property
    def decisions(self) -> np.ndarray:
        """Act (bool) for binary; the value-optimal prediction for regression."""
        if self.binary:
            return self.scores >= self.decision_rule
        return self.scores + self.decision_rule

    @cached_property
    def row_values(self) -> np.ndarray:
        if self.binary:
            assert isinstance(self.values, BinaryValues)
            return binary_row_values(self.y, self.decisions, self.values)
        assert isinstance(self.values, RegressionValues)
        return regression_row_values(self.y, self.decisions, self.values)

    @cached_property
    def regret(self) -> np.ndarray:
        """Value lost against perfect foresight, per row (0 where the decision was right)."""
        if self.binary:
            assert isinstance(self.values, BinaryValues)
            yb = np.asarray(self.y, dtype=bool)
            best = np.maximum(self.values.if_acting(yb), self.values.if_passing(yb))
            return np.asarray(best - self.row_values, dtype=np.float64)
        return np.asarray(-self.row_values, dtype=np.float64)

    def policy_values(self, scores: np.ndarray, rule: float) -> np.ndarray:
        """Per-row value of another policy's decisions (its scores and rule) on these rows."""
        scores = np.asarray(scores, dtype=np.float64)
        if self.binary:
            assert isinstance(self.values, BinaryValues)
            return binary_row_values(self.y, scores >= rule, self.values)
        assert isinstance(self.values, RegressionValues)
        return regression_row_values(self.y, scores + rule, self.values)

    @property
    def main_metric(self) -> str:
        """The technical metric given an interval beside value: ROC AUC, or MAE."""
        return "roc_auc" if self.binary else "mae"

    def metrics(self, mask: np.ndarray | None = None) -> dict[str, float]:
        index = slice(None) if mask is None else np.asarray(mask, dtype=bool)
        if self.binary:
            return binary_metrics(self.y[index], self.scores[index], self.decision_rule)
        return regression_metrics(self.y[index], self.decisions[index])

    def column(self, name: str) -> Any:
        return self.frame[name]
