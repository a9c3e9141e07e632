"""From a canonical training table to a chosen, refitted and once-evaluated model.

This module computes; it never writes. The project facade stores what it returns in one
transaction, so a training that fails half-way leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from prodml.errors import DataError
from prodml.evaluate.metrics import binary_metrics, regression_metrics
from prodml.evaluate.value import (
    BinaryValues,
    RegressionValues,
    best_offset,
    binary_row_values,
    perfect_value_per_decision,
    regression_row_values,
    trivial_policies,
)
from prodml.spec import Spec
from prodml.train.candidates import COMPLEXITY, build_pipeline, search_space
from prodml.train.crossval import CandidateResult, cross_validate, predict_scores
from prodml.train.features import FeaturePlan
from prodml.train.selection import select_candidate
from prodml.train.splits import Splits, make_splits
from prodml.train.target import prepare_target

__all__ = ["TrainingOutcome", "train_model"]

Progress = Callable[[str], None]


@dataclass
class TrainingOutcome:
    task: str
    pipeline: Any  # fitted on all non-held-out rows
    chosen: CandidateResult
    decision_rule: float  # threshold (binary) or offset (regression)
    candidates: list[CandidateResult]
    selection_notes: list[str]
    holdout: dict[str, Any]
    success: bool
    reasons: list[str]
    splits: Splits
    notes: list[str] = field(default_factory=list)
    positive_label: str | None = None

    def metrics(self) -> dict[str, Any]:
        return {
            "holdout": self.holdout,
            "cv": {c.config.label: c.summary() for c in self.candidates},
            "chosen": self.chosen.config.label,
        }


def train_model(
    spec: Spec,
    frame: pd.DataFrame,
    plan: FeaturePlan,
    *,
    progress: Progress | None = None,
) -> TrainingOutcome:
    say = progress or (lambda _msg: None)
    problem = spec.problem
    target = prepare_target(frame, problem)
    frame = frame.iloc[target.rows].reset_index(drop=True)
    y = target.y
    data = {c: frame[c].to_numpy() for c in frame.columns}
    expressions = problem.value_expressions()
    values: BinaryValues | RegressionValues = (
        BinaryValues.from_expressions(expressions, data, len(frame))
        if problem.task == "binary"
        else RegressionValues.from_expressions(expressions, data, len(frame))
    )
    time_order = None
    if spec.data.time_column:
        times = frame[spec.data.time_column]
        time_order = np.argsort(pd.to_datetime(times, utc=True).to_numpy(), kind="stable")
    evaluation = spec.evaluation
    minimum_rows = evaluation.folds * 2 + 2
    if len(frame) < minimum_rows / (1 - evaluation.holdout):
        raise DataError(
            f"only {len(frame)} labelled rows: too few for a held-out set and "
            f"{evaluation.folds}-fold cross-validation",
            where=problem.target,
            fix="provide more labelled rows or lower evaluation.folds",
        )
    splits = make_splits(
        len(frame),
        y=y,
        stratify=problem.task == "binary",
        holdout_share=evaluation.holdout,
        folds=evaluation.folds,
        seed=evaluation.seed,
        time_order=time_order,
    )
    X_train = frame.iloc[splits.train].reset_index(drop=True)
    y_train = y[splits.train]
    values_train = values.take(splits.train)

    results: list[CandidateResult] = []
    names = [n for n in COMPLEXITY if n in spec.training.candidates]
    configs = [
        cfg
        for name in names
        for cfg in search_space(name, problem.task, spec.training.search_budget, evaluation.seed)
    ]
    for i, config in enumerate(configs, start=1):
        say(f"cross-validating {config.label} ({i}/{len(configs)}, {evaluation.folds} folds)")
        results.append(
            cross_validate(
                config,
                task=problem.task,
                plan=plan,
                X=X_train,
                y=y_train,
                values=values_train,
                folds=splits.folds,
                seed=evaluation.seed,
            )
        )

    headroom, constant = _headroom(problem.task, y_train, values_train)
    selection = select_candidate(
        results, headroom=headroom, tolerance=spec.training.tolerance, unit=problem.unit
    )
    chosen = selection.chosen
    say(f"refitting {chosen.config.label} on {len(splits.train)} rows")
    pipeline = build_pipeline(chosen.config, problem.task, plan, evaluation.seed)
    pipeline.fit(X_train, y_train)

    say(f"evaluating once on {len(splits.holdout)} held-out rows")
    X_hold = frame.iloc[splits.holdout].reset_index(drop=True)
    holdout = _evaluate_holdout(
        problem.task,
        predict_scores(pipeline, X_hold, problem.task),
        y[splits.holdout],
        values.take(splits.holdout),
        chosen.decision_rule,
        constant,
    )
    holdout["rows"] = len(splits.holdout)
    success, reasons = _check_success(spec, holdout)
    return TrainingOutcome(
        task=problem.task,
        pipeline=pipeline,
        chosen=chosen,
        decision_rule=chosen.decision_rule,
        candidates=results,
        selection_notes=selection.notes,
        holdout=holdout,
        success=success,
        reasons=reasons,
        splits=splits,
        notes=target.notes,
        positive_label=target.positive_label,
    )


def _headroom(
    task: str, y: np.ndarray, values: BinaryValues | RegressionValues
) -> tuple[float, float]:
    """(perfect minus best trivial value per decision, the value-optimal constant prediction)."""
    if task == "binary":
        assert isinstance(values, BinaryValues)
        trivial = max(trivial_policies(y, values).values())
        return perfect_value_per_decision(y, values) - trivial, 0.0
    assert isinstance(values, RegressionValues)
    constant, trivial_value = best_offset(y, np.zeros(len(y)), values)
    return -trivial_value, constant


def _evaluate_holdout(
    task: str,
    scores: np.ndarray,
    y: np.ndarray,
    values: BinaryValues | RegressionValues,
    rule: float,
    constant: float,
) -> dict[str, Any]:
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
    }


def _check_success(spec: Spec, holdout: dict[str, Any]) -> tuple[bool, list[str]]:
    """The success criterion, on held-out data: reasons are kept with the run either way."""
    unit = spec.problem.unit
    vpd = holdout["value_per_decision"]
    uplift = holdout["uplift_over_trivial"]
    wanted_uplift = spec.success.min_uplift_over_trivial
    reasons = []
    ok = True
    if uplift >= wanted_uplift:
        reasons.append(
            f"uplift over the best trivial policy ({holdout['best_trivial']}) is {uplift:.4g} "
            f"{unit} per decision, at least the required {wanted_uplift:.4g}"
        )
    else:
        ok = False
        reasons.append(
            f"uplift over the best trivial policy ({holdout['best_trivial']}) is {uplift:.4g} "
            f"{unit} per decision, below the required {wanted_uplift:.4g} "
            "(success.min_uplift_over_trivial)"
        )
    wanted = spec.success.min_value_per_decision
    if wanted is not None:
        if vpd >= wanted:
            reasons.append(f"value per decision {vpd:.4g} {unit} meets the minimum {wanted:.4g}")
        else:
            ok = False
            reasons.append(
                f"value per decision {vpd:.4g} {unit} is below the minimum {wanted:.4g} "
                "(success.min_value_per_decision)"
            )
    return ok, reasons
