"""The evaluation of one model on one set of labelled rows, as one JSON-serialisable report.

:func:`evaluate_rows` is the single evaluation used at training (on the held-out rows, once) and
by ``prodml evaluate`` (on new labelled data): value with an interval, comparison with the
trivial policies and the baseline, the value curve, metrics with intervals, calibration,
segments, edge cases, weak slices and behavioural tests. Training adds the overfitting gaps and
the validation-hygiene checks.

:class:`EvaluationReport` is what reports, model cards and scripts read. ``to_dict()`` gives
plain JSON types (``NaN`` becomes ``null``); it is stored with the run
(``run.metrics["evaluation"]``) and in the model bundle (``bundle.metrics["evaluation"]``), and
``EvaluationReport.from_dict`` reads it back. Its ``format`` number changes only when a field
changes meaning or disappears.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from prodml.evaluate.behaviour import BehaviourResult, run_behaviour
from prodml.evaluate.bootstrap import Bootstrap, weighted_auc
from prodml.evaluate.business import (
    PolicyComparison,
    ValueEstimate,
    compare_policies,
    error_value_bins,
    estimate_value,
    offset_curve,
    threshold_curve,
)
from prodml.evaluate.calibration import CalibrationReport, summarize_calibration
from prodml.evaluate.overfitting import Hygiene, OverfittingCheck
from prodml.evaluate.rows import EvaluationRows
from prodml.evaluate.slices import (
    SliceFamily,
    SliceResult,
    evaluate_edge_cases,
    evaluate_segments,
    find_weak_slices,
)
from prodml.evaluate.value import BinaryValues, RegressionValues
from prodml.filters import Filter
from prodml.spec import EvaluationSection

__all__ = ["REPORT_FORMAT", "BaselinePolicy", "EvaluationReport", "evaluate_rows"]

REPORT_FORMAT = 1


@dataclass(frozen=True)
class BaselinePolicy:
    """The simplest model's decisions: a constant score and its value-optimal rule.

    The baseline (prior probability, or mean) scores every row alike, so it is stored as that
    score and the rule chosen for it by cross-validation; re-evaluating it on new data needs no
    fitted model.
    """

    label: str
    score: float
    decision_rule: float

    def row_values(self, rows: EvaluationRows) -> np.ndarray:
        return rows.policy_values(np.full(rows.n, self.score), self.decision_rule)


@dataclass
class EvaluationReport:
    """Everything known about a model's decisions on one set of labelled rows."""

    task: str
    unit: str
    data: str  # which rows: "held-out rows (used once)" or the new data's source
    rows: int
    decision_rule: float  # threshold on the served probability, or offset (regression)
    confidence: float
    ci_method: str
    value: ValueEstimate
    metrics: dict[str, float]
    metric_ci: dict[str, list[float]]
    policies: list[PolicyComparison]
    value_curve: dict[str, list[float]]
    error_value: list[dict[str, Any]]  # regression: value by sign and size of error
    calibration: CalibrationReport | None
    segments: SliceFamily
    edge_cases: SliceFamily
    weak_slices: SliceFamily
    behaviour: list[BehaviourResult]
    baseline: BaselinePolicy | None = None
    overfitting: OverfittingCheck | None = None
    hygiene: Hygiene | None = None
    warnings: list[str] = field(default_factory=list)
    format: int = REPORT_FORMAT

    @property
    def blocking_failures(self) -> list[BehaviourResult]:
        return [b for b in self.behaviour if b.blocks]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; NaN and infinities become ``None``."""
        return _json_safe(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationReport:
        def family(d: dict[str, Any]) -> SliceFamily:
            return SliceFamily(
                test=d["test"],
                tested=d["tested"],
                results=[SliceResult(**r) for r in d["results"]],
            )

        return cls(
            task=data["task"],
            unit=data["unit"],
            data=data["data"],
            rows=data["rows"],
            decision_rule=data["decision_rule"],
            confidence=data["confidence"],
            ci_method=data["ci_method"],
            value=ValueEstimate(**data["value"]),
            metrics=data["metrics"],
            metric_ci=data["metric_ci"],
            policies=[PolicyComparison(**p) for p in data["policies"]],
            value_curve=data["value_curve"],
            error_value=data["error_value"],
            calibration=(
                CalibrationReport(**data["calibration"]) if data.get("calibration") else None
            ),
            segments=family(data["segments"]),
            edge_cases=family(data["edge_cases"]),
            weak_slices=family(data["weak_slices"]),
            behaviour=[BehaviourResult(**b) for b in data["behaviour"]],
            baseline=BaselinePolicy(**data["baseline"]) if data.get("baseline") else None,
            overfitting=(
                OverfittingCheck(**data["overfitting"]) if data.get("overfitting") else None
            ),
            hygiene=Hygiene(**data["hygiene"]) if data.get("hygiene") else None,
            warnings=list(data.get("warnings", [])),
            format=data.get("format", REPORT_FORMAT),
        )


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def evaluate_rows(
    rows: EvaluationRows,
    settings: EvaluationSection,
    *,
    unit: str,
    data: str,
    features: list[str],
    numeric: set[str],
    edge_cases: dict[str, Filter],
    baseline: BaselinePolicy | None = None,
    baseline_values: np.ndarray | None = None,
    calibration: CalibrationReport | None = None,
    score: Callable[[pd.DataFrame], np.ndarray] | None = None,
    reference: pd.DataFrame | None = None,
    default_tolerance: float = 0.01,
) -> EvaluationReport:
    """Evaluate the decisions in ``rows``; ``score`` (served scores of a frame) runs behaviour.

    ``baseline_values`` are the baseline's per-row values when it was refit and scored on these
    rows (training); otherwise they are derived from ``baseline``.
    """
    boot = Bootstrap(
        rows.n, resamples=settings.bootstrap, seed=settings.seed, confidence=settings.confidence
    )
    row_values = rows.row_values
    warnings: list[str] = []
    policies: dict[str, tuple[str, np.ndarray]] = {
        name: (_POLICY_TEXT[name], values) for name, values in rows.trivial.items()
    }
    if baseline is not None:
        base = baseline_values if baseline_values is not None else baseline.row_values(rows)
        policies["baseline"] = (
            f"the baseline model ({baseline.label}) refit on the same training rows",
            base,
        )
    perfect = None
    if rows.binary:
        assert isinstance(rows.values, BinaryValues)
        yb = np.asarray(rows.y, dtype=bool)
        perfect = np.maximum(rows.values.if_acting(yb), rows.values.if_passing(yb))
        curve = threshold_curve(rows.y, rows.scores, rows.values, chosen=rows.decision_rule)
        error_value: list[dict[str, Any]] = []
        if calibration is None:
            calibration = summarize_calibration(
                rows.y, rows.scores, method="unknown", reason="not recorded"
            )
    else:
        assert isinstance(rows.values, RegressionValues)
        curve = offset_curve(rows.y, rows.scores, rows.values, chosen=rows.decision_rule)
        error_value = error_value_bins(rows.y, rows.decisions, rows.values)
        calibration = None
    segments = evaluate_segments(
        rows,
        boot,
        [c for c in settings.segments if c in rows.frame.columns],
        min_rows=settings.min_segment_rows,
        significance=settings.significance,
        bins=settings.slice_bins,
    )
    masks = {
        name: (f.source, f.evaluate(rows.frame, rows.n, where=f"evaluation.edge_cases.{name}"))
        for name, f in edge_cases.items()
    }
    cases = evaluate_edge_cases(
        rows, boot, masks, min_rows=settings.min_segment_rows, significance=settings.significance
    )
    if settings.weak_slices:
        slices = find_weak_slices(
            rows,
            boot,
            [f for f in features if f in rows.frame.columns],
            numeric=numeric,
            min_rows=settings.min_segment_rows,
            significance=settings.significance,
            bins=settings.slice_bins,
            top=settings.weak_slices,
        )
    else:
        slices = SliceFamily("weak-slice search is off (evaluation.weak_slices: 0)", 0, [])
    behaviour: list[BehaviourResult] = []
    if settings.behaviour and score is not None:
        behaviour = run_behaviour(
            settings.behaviour,
            frame=rows.frame,
            score=score,
            reference=rows.frame if reference is None else reference,
            features=features,
            numeric=numeric,
            edge_cases=cases,
            default_tolerance=default_tolerance,
            seed=settings.seed,
        )
    if rows.n < 100:
        warnings.append(
            f"only {rows.n} evaluation rows: intervals are wide and flags rarely significant"
        )
    return EvaluationReport(
        task=rows.task,
        unit=unit,
        data=data,
        rows=rows.n,
        decision_rule=rows.decision_rule,
        confidence=settings.confidence,
        ci_method=boot.method,
        value=estimate_value(row_values, boot),
        metrics=rows.metrics(),
        metric_ci=_metric_intervals(rows, boot),
        policies=compare_policies(row_values, policies, boot, perfect=perfect),
        value_curve=curve,
        error_value=error_value,
        calibration=calibration,
        segments=segments,
        edge_cases=cases,
        weak_slices=slices,
        behaviour=behaviour,
        baseline=baseline,
        warnings=warnings,
    )


_POLICY_TEXT = {
    "act_on_everyone": "act on every row",
    "act_on_no_one": "act on no row",
    "constant_prediction": "one value-optimal prediction for every row",
}


def _metric_intervals(rows: EvaluationRows, boot: Bootstrap) -> dict[str, list[float]]:
    """Intervals of the main technical metrics over all rows, from the shared resamples."""
    out: dict[str, list[float]] = {}
    if rows.binary:
        y = np.asarray(rows.y, dtype=bool)
        act = rows.decisions
        p = np.clip(rows.scores, 1e-15, 1 - 1e-15)
        columns = np.column_stack(
            [
                (p - y) ** 2,
                -np.where(y, np.log(p), np.log1p(-p)),
                act & y,  # true positives
                act,  # acted
                y,  # positives
            ]
        ).astype(np.float64)
        sums = boot.sums(columns)
        with np.errstate(invalid="ignore", divide="ignore"):
            stats = {
                "brier": sums[:, 0] / boot.n_rows,
                "log_loss": sums[:, 1] / boot.n_rows,
                "precision": sums[:, 2] / sums[:, 3],
                "recall": sums[:, 2] / sums[:, 4],
            }
        if 0 < y.sum() < len(y):
            stats["roc_auc"] = boot.apply(lambda w: weighted_auc(w, y, rows.scores))
    else:
        y_float = np.asarray(rows.y, dtype=np.float64)
        error = rows.decisions - y_float
        sums = boot.sums(np.column_stack([np.abs(error), error**2, error]))
        stats = {
            "mae": sums[:, 0] / boot.n_rows,
            "rmse": np.sqrt(sums[:, 1] / boot.n_rows),
            "bias": sums[:, 2] / boot.n_rows,
        }
    for name, replicates in stats.items():
        low, high = boot.interval(replicates)
        out[name] = [float(low), float(high)]
    return out
