"""Cross-validate one candidate configuration and judge it by business value.

Every candidate is scored the same way: out-of-fold predictions over the training rows, the
decision rule (threshold or offset) that maximises value on them, and the value per decision that
rule earns, overall and per fold (the spread says whether a difference between candidates is real).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from prodml.evaluate.metrics import binary_metrics, regression_metrics
from prodml.evaluate.value import (
    BinaryValues,
    RegressionValues,
    best_offset,
    best_threshold,
    binary_row_values,
    regression_row_values,
)
from prodml.train.candidates import CandidateConfig, build_pipeline
from prodml.train.features import FeaturePlan

__all__ = ["CandidateResult", "cross_validate", "predict_scores"]


@dataclass(frozen=True)
class CandidateResult:
    config: CandidateConfig
    value_per_decision: float  # out-of-fold, at the value-optimal decision rule
    fold_values: list[float]
    decision_rule: float  # threshold (binary) or offset (regression)
    metrics: dict[str, float]
    seconds: float
    oof: np.ndarray = field(repr=False)

    @property
    def value_std_error(self) -> float:
        folds = np.asarray(self.fold_values)
        return float(folds.std(ddof=1) / np.sqrt(len(folds))) if len(folds) > 1 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "candidate": self.config.name,
            "label": self.config.label,
            "description": self.config.description,
            "params": self.config.params,
            "cv_value_per_decision": self.value_per_decision,
            "cv_value_std_error": self.value_std_error,
            "cv_fold_values": self.fold_values,
            "decision_rule": self.decision_rule,
            "cv_metrics": self.metrics,
        }


def predict_scores(pipeline: Any, X: pd.DataFrame, task: str) -> np.ndarray:
    """Probability of the positive class (binary) or the prediction (regression)."""
    if task == "binary":
        return np.asarray(pipeline.predict_proba(X)[:, 1], dtype=np.float64)
    return np.asarray(pipeline.predict(X), dtype=np.float64)


def cross_validate(
    config: CandidateConfig,
    *,
    task: str,
    plan: FeaturePlan,
    X: pd.DataFrame,
    y: np.ndarray,
    values: BinaryValues | RegressionValues,
    folds: list[tuple[np.ndarray, np.ndarray]],
    seed: int,
    n_jobs: int = 2,
    monotone: Mapping[str, int] | None = None,
) -> CandidateResult:
    from joblib import Parallel, delayed

    started = time.perf_counter()

    def fit_fold(train_idx: np.ndarray, valid_idx: np.ndarray) -> np.ndarray:
        pipeline = build_pipeline(config, task, plan, seed, monotone=monotone)
        pipeline.fit(X.iloc[train_idx], y[train_idx])
        return predict_scores(pipeline, X.iloc[valid_idx], task)

    # threads, not processes: LightGBM and BLAS release the GIL, and nothing is copied
    predictions = Parallel(n_jobs=n_jobs, backend="threading")(
        delayed(fit_fold)(train_idx, valid_idx) for train_idx, valid_idx in folds
    )
    oof = np.full(len(y), np.nan)
    for (_, valid_idx), predicted in zip(folds, predictions, strict=True):
        oof[valid_idx] = predicted
    scored = np.flatnonzero(~np.isnan(oof))  # time-ordered folds never predict the first block
    y_s, oof_s = y[scored], oof[scored]
    values_s = values.take(scored)
    position = np.full(len(y), -1)
    position[scored] = np.arange(len(scored))
    if task == "binary":
        assert isinstance(values_s, BinaryValues)
        choice = best_threshold(y_s, oof_s, values_s)
        rule, vpd = choice.threshold, choice.value_per_decision
        row_values = binary_row_values(y_s, oof_s >= rule, values_s)
        metrics = binary_metrics(y_s, oof_s, rule)
    else:
        assert isinstance(values_s, RegressionValues)
        rule, vpd = best_offset(y_s, oof_s, values_s)
        row_values = regression_row_values(y_s, oof_s + rule, values_s)
        metrics = regression_metrics(y_s, oof_s)
    fold_values = [float(row_values[position[valid_idx]].mean()) for _, valid_idx in folds]
    return CandidateResult(
        config=config,
        value_per_decision=vpd,
        fold_values=fold_values,
        decision_rule=float(rule),
        metrics=metrics,
        seconds=time.perf_counter() - started,
        oof=oof,
    )
