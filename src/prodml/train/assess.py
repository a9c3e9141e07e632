"""After selection: calibrate, fix the served threshold, then evaluate once on held-out rows.

Order matters, and is the point of this module. Everything that is *chosen* (the calibrator, the
threshold on calibrated probabilities, the baseline's rule) is chosen on out-of-fold predictions
of the training rows. Only then are the held-out rows opened, exactly once (:class:`HeldOut`
refuses a second opening), and scored by the final model and by the baseline refit on the same
training rows. The full evaluation (:func:`prodml.evaluate.evaluate_rows`) and the overfitting
and hygiene checks are computed from those scores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from prodml.evaluate.calibration import Calibrator, choose_calibration, summarize_calibration
from prodml.evaluate.metrics import binary_metrics, regression_metrics
from prodml.evaluate.overfitting import check_gaps, check_hygiene
from prodml.evaluate.report import BaselinePolicy, EvaluationReport, evaluate_rows
from prodml.evaluate.rows import EvaluationRows
from prodml.evaluate.value import (
    BinaryValues,
    RegressionValues,
    best_threshold,
    perfect_value_per_decision,
    trivial_policies,
)
from prodml.spec import Spec
from prodml.train.candidates import CandidateConfig, build_pipeline
from prodml.train.crossval import CandidateResult, cross_validate_all, predict_scores
from prodml.train.features import FeaturePlan
from prodml.train.splits import Splits

__all__ = ["Assessment", "HeldOut", "assess_model"]

Progress = Callable[[str], None]


class HeldOut:
    """The held-out rows of a run: opened once, after everything is chosen."""

    def __init__(
        self, frame: pd.DataFrame, y: np.ndarray, values: BinaryValues | RegressionValues
    ) -> None:
        self._rows = (frame.reset_index(drop=True), y, values)
        self.openings = 0

    def open(self) -> tuple[pd.DataFrame, np.ndarray, BinaryValues | RegressionValues]:
        if self.openings:
            raise RuntimeError("the held-out rows were already evaluated in this run")
        self.openings += 1
        return self._rows


@dataclass(frozen=True)
class Assessment:
    calibrator: Calibrator
    decision_rule: float  # served: threshold on the calibrated probability, or offset
    holdout: dict[str, Any]  # the summary the success criterion is checked on
    evaluation: EvaluationReport


def assess_model(
    spec: Spec,
    *,
    frame: pd.DataFrame,
    y: np.ndarray,
    values: BinaryValues | RegressionValues,
    splits: Splits,
    plan: FeaturePlan,
    pipeline: Any,
    chosen: CandidateResult,
    candidates: list[CandidateResult],
    headroom: float,
    constant: float,
    datetime_columns: list[str],
    progress: Progress | None = None,
) -> Assessment:
    say = progress or (lambda _msg: None)
    task = spec.problem.task
    binary = task == "binary"
    evaluation = spec.evaluation
    X_train = frame.iloc[splits.train].reset_index(drop=True)
    y_train = y[splits.train]
    values_train = values.take(splits.train)

    calibrator, rule, selection, reason = Calibrator(), chosen.decision_rule, {}, ""
    if binary:
        say("choosing the calibration on out-of-fold predictions")
        scored = np.flatnonzero(~np.isnan(chosen.oof))
        oof, y_scored = chosen.oof[scored], y_train[scored]
        choice = choose_calibration(
            oof, y_scored, requested=evaluation.calibration, seed=evaluation.seed
        )
        calibrator, selection, reason = choice.calibrator, choice.scores, choice.reason
        if calibrator.method != "none":
            values_scored = values_train.take(scored)
            assert isinstance(values_scored, BinaryValues)
            rule = best_threshold(y_scored, calibrator.apply(oof), values_scored).threshold

    def score(X: pd.DataFrame) -> np.ndarray:
        return calibrator.apply(predict_scores(pipeline, X, task))

    baseline = next((c for c in candidates if c.config.name == "baseline"), None)
    if baseline is None:
        (baseline,) = cross_validate_all(
            [CandidateConfig("baseline", {})],
            task=task,
            plan=plan,
            X=X_train,
            y=y_train,
            values=values_train,
            folds=splits.folds,
            seed=evaluation.seed,
        )
    baseline_pipeline = build_pipeline(baseline.config, task, plan, evaluation.seed)
    baseline_pipeline.fit(X_train, y_train)

    held = HeldOut(frame.iloc[splits.holdout], y[splits.holdout], values.take(splits.holdout))
    say(f"evaluating once on {len(splits.holdout)} held-out rows")
    X_hold, y_hold, values_hold = held.open()
    raw_hold = predict_scores(pipeline, X_hold, task)
    hold_scores = calibrator.apply(raw_hold)
    baseline_hold = predict_scores(baseline_pipeline, X_hold, task)

    holdout = _holdout_summary(task, hold_scores, y_hold, values_hold, rule, constant)
    rows = EvaluationRows.build(
        task, X_hold, y_hold, hold_scores, rule, values_hold, constant_prediction=constant
    )
    calibration = (
        summarize_calibration(
            y_hold,
            hold_scores,
            method=calibrator.method,
            reason=reason,
            selection=selection,
            raw=raw_hold,
        )
        if binary
        else None
    )
    report = evaluate_rows(
        rows,
        evaluation,
        unit=spec.problem.unit,
        data=f"held-out rows ({len(y_hold)}, used once)",
        features=plan.columns,
        numeric=set(plan.numeric),
        edge_cases=evaluation.edge_case_filters(),
        baseline=BaselinePolicy(
            baseline.config.label, float(np.mean(baseline_hold)), baseline.decision_rule
        ),
        baseline_values=rows.policy_values(baseline_hold, baseline.decision_rule),
        calibration=calibration,
        score=score,
        reference=X_train,
        default_tolerance=0.01 if binary else 0.01 * float(np.std(y_train)),
    )

    say("checking train, validation and held-out gaps")
    train_rows = EvaluationRows.build(task, X_train, y_train, score(X_train), rule, values_train)
    metric = "roc_auc" if binary else "r2"
    report.overfitting = check_gaps(
        metric=metric,
        train={
            "value_per_decision": float(train_rows.row_values.mean()),
            "metric": train_rows.metrics().get(metric),
        },
        cv={"value_per_decision": chosen.value_per_decision, "metric": chosen.metrics.get(metric)},
        holdout={
            "value_per_decision": holdout["value_per_decision"],
            "metric": holdout["metrics"].get(metric),
        },
        holdout_ci=report.value.ci,
        headroom=headroom,
        tolerance=evaluation.gap_tolerance,
        unit=spec.problem.unit,
    )
    report.hygiene = check_hygiene(
        holdout_rows=len(y_hold),
        holdout_scorings=held.openings,
        time_ordered=splits.time_ordered,
        time_column=spec.data.time_column,
        datetime_columns=datetime_columns,
    )
    return Assessment(
        calibrator=calibrator, decision_rule=float(rule), holdout=holdout, evaluation=report
    )


def _holdout_summary(
    task: str,
    scores: np.ndarray,
    y: np.ndarray,
    values: BinaryValues | RegressionValues,
    rule: float,
    constant: float,
) -> dict[str, Any]:
    """The compact held-out summary (value, trivial policies, metrics) runs and gates read."""
    from prodml.evaluate.value import binary_row_values, regression_row_values

    if task == "binary":
        assert isinstance(values, BinaryValues)
        trivial = trivial_policies(y, values)
        vpd = float(binary_row_values(y, scores >= rule, values).mean())
        return {
            "metrics": binary_metrics(y, scores, rule),
            "threshold": rule,
            "value_per_decision": vpd,
            "total_value": vpd * len(y),
            "trivial": trivial,
            "best_trivial": max(trivial, key=lambda k: trivial[k]),
            "uplift_over_trivial": vpd - max(trivial.values()),
            "perfect_value_per_decision": perfect_value_per_decision(y, values),
            "rows": len(y),
        }
    assert isinstance(values, RegressionValues)
    vpd = float(regression_row_values(y, scores + rule, values).mean())
    trivial_vpd = float(regression_row_values(y, np.full(len(y), constant), values).mean())
    return {
        "metrics": regression_metrics(y, scores + rule),
        "offset": rule,
        "value_per_decision": vpd,
        "total_value": vpd * len(y),
        "trivial": {"constant_prediction": trivial_vpd},
        "best_trivial": "constant_prediction",
        "uplift_over_trivial": vpd - trivial_vpd,
        "perfect_value_per_decision": 0.0,
        "rows": len(y),
    }
