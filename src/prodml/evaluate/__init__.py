"""Judging a model's decisions on labelled rows, in money first.

``metrics`` (technical metrics), ``value`` (value of decisions, optimal threshold or offset),
``bootstrap`` (seeded vectorised intervals), ``business`` (value with intervals, policies, value
curve, errors by size), ``calibration`` (reliability, Brier, ECE, calibrators), ``slices``
(segments, edge cases, weak slices), ``behaviour`` (behavioural tests), ``overfitting`` (gaps
and hygiene) and ``report`` (:class:`EvaluationReport`, :func:`evaluate_rows`).

Names are re-exported lazily, so ``import prodml.evaluate.value`` (used on the scoring path) does
not load the whole evaluation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prodml._lazy import lazy_exports

_EXPORTS = {
    "BaselinePolicy": "prodml.evaluate.report",
    "BehaviourResult": "prodml.evaluate.behaviour",
    "Bootstrap": "prodml.evaluate.bootstrap",
    "CalibrationReport": "prodml.evaluate.calibration",
    "Calibrator": "prodml.evaluate.calibration",
    "EvaluationReport": "prodml.evaluate.report",
    "EvaluationRows": "prodml.evaluate.rows",
    "SliceFamily": "prodml.evaluate.slices",
    "SliceResult": "prodml.evaluate.slices",
    "evaluate_labelled": "prodml.evaluate.labelled",
    "evaluate_rows": "prodml.evaluate.report",
}

__all__ = [
    "BaselinePolicy",
    "BehaviourResult",
    "Bootstrap",
    "CalibrationReport",
    "Calibrator",
    "EvaluationReport",
    "EvaluationRows",
    "SliceFamily",
    "SliceResult",
    "evaluate_labelled",
    "evaluate_rows",
]

if TYPE_CHECKING:
    from prodml.evaluate.behaviour import BehaviourResult
    from prodml.evaluate.bootstrap import Bootstrap
    from prodml.evaluate.calibration import CalibrationReport, Calibrator
    from prodml.evaluate.labelled import evaluate_labelled
    from prodml.evaluate.report import BaselinePolicy, EvaluationReport, evaluate_rows
    from prodml.evaluate.rows import EvaluationRows
    from prodml.evaluate.slices import SliceFamily, SliceResult


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
