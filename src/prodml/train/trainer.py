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
from prodml.evaluate.behaviour import check_behaviour_settings
from prodml.evaluate.calibration import Calibrator
from prodml.evaluate.report import EvaluationReport
from prodml.evaluate.value import (
    BinaryValues,
    RegressionValues,
    best_offset,
    perfect_value_per_decision,
    trivial_policies,
)
from prodml.spec import Spec
from prodml.train.assess import assess_model
from prodml.train.candidates import COMPLEXITY, build_pipeline, search_space
from prodml.train.crossval import CandidateResult, cross_validate_all
from prodml.train.features import UNUSABLE_KINDS, FeaturePlan
from prodml.train.selection import select_candidate
from prodml.train.splits import Splits, make_splits
from prodml.train.target import prepare_target
from prodml.train.threads import import_model_libraries, single_native_threads

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
    calibrator: Calibrator = field(default_factory=Calibrator)  # served inside the bundle
    evaluation: EvaluationReport | None = None

    def metrics(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "holdout": self.holdout,
            "cv": {c.config.label: c.summary() for c in self.candidates},
            "chosen": self.chosen.config.label,
            "calibration": self.calibrator.method,
        }
        if self.evaluation is not None:
            out["evaluation"] = self.evaluation.to_dict()
        return out

    def bundle_metrics(self) -> dict[str, Any]:
        """What the model bundle carries: the held-out summary and the full evaluation."""
        out: dict[str, Any] = {"holdout": self.holdout}
        if self.evaluation is not None:
            out["evaluation"] = self.evaluation.to_dict()
        return out


def train_model(
    spec: Spec,
    frame: pd.DataFrame,
    plan: FeaturePlan,
    *,
    progress: Progress | None = None,
    while_fitting: Callable[[], object] | None = None,
) -> TrainingOutcome:
    """Cross-validate the candidates, choose by value, refit, calibrate, evaluate once.

    ``while_fitting`` is called as the folds start fitting, on the calling thread: a chance to
    start work that can use the cores' spare time meanwhile (it must return at once).
    """
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
    check_behaviour_settings(
        evaluation.behaviour,
        task=problem.task,
        numeric=set(plan.numeric),
        features=plan.columns,
        where="prodml.yaml",
    )
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

    monotone = _monotone_constraints(spec)
    notes = list(target.notes)
    if monotone and "lightgbm" in spec.training.candidates:
        notes.append(
            "LightGBM candidates are trained under the declared monotonic directions: "
            + ", ".join(
                f"{f} {'increasing' if d > 0 else 'decreasing'}" for f, d in monotone.items()
            )
        )
    names = [n for n in COMPLEXITY if n in spec.training.candidates]
    configs = [
        cfg
        for name in names
        for cfg in search_space(name, problem.task, spec.training.search_budget, evaluation.seed)
    ]
    say(
        f"cross-validating {len(configs)} candidates ({evaluation.folds} folds each): "
        + ", ".join(c.label for c in configs)
    )
    # the model libraries first: only pools already loaded can be capped
    import_model_libraries(names)
    with single_native_threads():  # fold workers are the parallelism (see threads.py)
        if while_fitting is not None:
            while_fitting()
        results = cross_validate_all(
            configs,
            task=problem.task,
            plan=plan,
            X=X_train,
            y=y_train,
            values=values_train,
            folds=splits.folds,
            seed=evaluation.seed,
            monotone=monotone,
            progress=say,
        )

        headroom, constant = _headroom(problem.task, y_train, values_train)
        selection = select_candidate(
            results, headroom=headroom, tolerance=spec.training.tolerance, unit=problem.unit
        )
        chosen = selection.chosen
        say(f"refitting {chosen.config.label} on {len(splits.train)} rows")
        pipeline = build_pipeline(
            chosen.config, problem.task, plan, evaluation.seed, monotone=monotone
        )
        pipeline.fit(X_train, y_train)

        assessment = assess_model(
            spec,
            frame=frame,
            y=y,
            values=values,
            splits=splits,
            plan=plan,
            pipeline=pipeline,
            chosen=chosen,
            candidates=results,
            headroom=headroom,
            constant=constant,
            datetime_columns=_datetime_columns(frame, plan),
            progress=say,
        )
    success, reasons = _check_success(spec, assessment.holdout)
    behaviour_ok, behaviour_reasons = _check_behaviour(spec, assessment.evaluation)
    return TrainingOutcome(
        task=problem.task,
        pipeline=pipeline,
        chosen=chosen,
        decision_rule=assessment.decision_rule,
        candidates=results,
        selection_notes=selection.notes,
        holdout=assessment.holdout,
        success=success and behaviour_ok,
        reasons=reasons + behaviour_reasons,
        splits=splits,
        notes=notes,
        positive_label=target.positive_label,
        calibrator=assessment.calibrator,
        evaluation=assessment.evaluation,
    )


def _monotone_constraints(spec: Spec) -> dict[str, int]:
    """Feature -> +1 / -1 from the monotonic behavioural tests that ask to be enforced."""
    out: dict[str, int] = {}
    for test in spec.evaluation.behaviour:
        check = test.monotonic
        if check is not None and check.enforce:
            out[check.feature] = 1 if check.direction == "increasing" else -1
    return out


def _datetime_columns(frame: pd.DataFrame, plan: FeaturePlan) -> list[str]:
    """Columns holding dates or times, whether skipped as such or stored as datetimes."""
    skipped = [c for c, why in plan.skipped.items() if why.startswith(UNUSABLE_KINDS["datetime"])]
    typed = [
        str(c)
        for c in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[c]) and c not in skipped
    ]
    return skipped + typed


def _check_behaviour(spec: Spec, report: EvaluationReport) -> tuple[bool, list[str]]:
    """A failing blocking behavioural test stops registration unless the project allows it."""
    allowed = spec.evaluation.allow_behaviour_failures
    ok = True
    reasons: list[str] = []
    for result in report.behaviour:
        if result.status != "failed":
            continue
        where = f"evaluation.behaviour[{result.index}]"
        if result.blocking and not allowed:
            ok = False
            reasons.append(f"behavioural test {where} ({result.name}) failed: {result.message}")
        else:
            why = "evaluation.allow_behaviour_failures" if result.blocking else "blocking: false"
            reasons.append(
                f"behavioural test {where} ({result.name}) failed, not blocking ({why}): "
                f"{result.message}"
            )
    return ok, reasons


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
