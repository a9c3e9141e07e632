"""Cross-validate one candidate configuration and judge it by business value.

Every candidate is scored the same way: out-of-fold predictions over the training rows, the
decision rule (threshold or offset) that maximises value on them, and the value per decision that
rule earns, overall and per fold (the spread says whether a difference between candidates is real).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
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
from prodml.train.candidates import COMPLEXITY, CandidateConfig, build_pipeline
from prodml.train.features import FeaturePlan, FrameCoercer

__all__ = ["CandidateResult", "cross_validate_all", "predict_scores"]


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


def cross_validate_all(
    configs: Sequence[CandidateConfig],
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
    progress: Callable[[str], None] | None = None,
) -> list[CandidateResult]:
    """Every candidate's folds in one pool of threads; results in the order of ``configs``.

    One pool for all candidates x folds, costliest fits first, keeps both workers busy to the
    end: a pool per candidate left one worker idle while the other fitted its odd fold (5 folds
    on 2 workers), five times over. Each fit is independent and seeded, so the results do not
    depend on the order or the thread that ran them. ``progress`` hears of each candidate as
    its last fold is in. A candidate's ``seconds`` is the time its fits took divided by the
    workers sharing them, plus its scoring: its share of the elapsed time.
    """
    from joblib import Parallel, delayed

    # Every pipeline starts with the same coercion, row by row and with nothing learned by
    # fit: coercing the rows once and fitting each fold's steps after it gives the very same
    # models as coercing each fold's rows again, 2 x folds x candidates times.
    coercer = FrameCoercer(numeric=list(plan.numeric), categorical=list(plan.categorical))
    X = coercer.fit_transform(X)

    def fit_fold(config: CandidateConfig, fold: int) -> tuple[np.ndarray, float]:
        started = time.perf_counter()
        train_idx, valid_idx = folds[fold]
        pipeline = _after_coercion(build_pipeline(config, task, plan, seed, monotone=monotone))
        pipeline.fit(X.iloc[train_idx], y[train_idx])
        predicted = predict_scores(pipeline, X.iloc[valid_idx], task)
        return predicted, time.perf_counter() - started

    order = sorted(range(len(configs)), key=lambda i: _expected_cost(configs[i]))
    tasks = [(i, fold) for i in order for fold in range(len(folds))]
    workers = max(1, min(n_jobs, len(tasks)))
    # threads, not processes: LightGBM and BLAS release the GIL, and nothing is copied
    fitted = Parallel(n_jobs=workers, backend="threading", return_as="generator")(
        delayed(fit_fold)(configs[i], fold) for i, fold in tasks
    )
    predictions: dict[int, list[np.ndarray]] = {i: [] for i in range(len(configs))}
    fit_seconds = dict.fromkeys(range(len(configs)), 0.0)
    results: dict[int, CandidateResult] = {}
    for (i, _), (predicted, seconds) in zip(tasks, fitted, strict=True):
        predictions[i].append(predicted)
        fit_seconds[i] += seconds
        if len(predictions[i]) == len(folds):
            started = time.perf_counter()
            result = _score_candidate(configs[i], task, y, values, folds, predictions[i])
            elapsed = fit_seconds[i] / workers + time.perf_counter() - started
            results[i] = dataclasses.replace(result, seconds=elapsed)
            if progress is not None:
                progress(
                    f"cross-validating: {configs[i].label} done ({len(results)}/{len(configs)})"
                )
    return [results[i] for i in range(len(configs))]


def _after_coercion(pipeline: Any) -> Any:
    """The steps of a candidate's pipeline after its first step, the :class:`FrameCoercer`."""
    name, step = pipeline.steps[0]
    if not isinstance(step, FrameCoercer):
        raise TypeError(f"a candidate pipeline starts with {name!r}, not the coercion")
    return pipeline[1:]


def _expected_cost(config: CandidateConfig) -> tuple[int, float]:
    """Sort key, costliest first: the most complex family, then the most boosting rounds."""
    return (-COMPLEXITY.index(config.name), -float(config.params.get("n_estimators", 0)))


def _score_candidate(
    config: CandidateConfig,
    task: str,
    y: np.ndarray,
    values: BinaryValues | RegressionValues,
    folds: list[tuple[np.ndarray, np.ndarray]],
    predictions: list[np.ndarray],
) -> CandidateResult:
    """Out-of-fold predictions -> the value-optimal decision rule, its value, fold by fold."""
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
        seconds=0.0,
        oof=oof,
    )
