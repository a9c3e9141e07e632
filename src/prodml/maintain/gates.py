"""Champion vs challenger gates, on the same recent labelled decisions neither model trained on.

A challenger gets traffic only if it passes all four:

* **value**: its uplift in value per decision over the champion, with a paired percentile
  bootstrap interval (both models decide the same rows, so row-to-row noise cancels), has a
  lower bound above ``gates.min_uplift``;
* **segments**: no segment level (``evaluation.segments``, levels with enough rows) surely loses
  more than ``gates.segment_tolerance`` of the champion's value per decision there (the larger
  of the segment's and the overall value): a level fails when even the low end of the paired
  interval of its loss is above the tolerance, so a small segment is not failed on noise;
* **behaviour**: the project's behavioural tests, run on the recent window; a blocking failure
  fails the gate;
* **latency**: p95 of scoring one record the way the server does (validation, repair, compiled
  fast path) within ``gates.max_latency_ms``.

Every result is kept (the events of ``prodml history``), passed or not.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from prodml.project import Project
    from prodml.registry.bundle import ModelBundle
    from prodml.spec import GateSettings

__all__ = ["GateResult", "latency_p95_ms", "paired_value", "run_gates"]

LATENCY_RECORDS = 200


@dataclass(frozen=True)
class GateResult:
    name: str  # value, segments, behaviour, latency
    passed: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def realised_values(
    project: Project, bundle: ModelBundle, frame: pd.DataFrame, y: np.ndarray
) -> np.ndarray:
    """The value each of ``bundle``'s decisions on ``frame`` earned, given the true outcomes."""
    from prodml.maintain.realised import decision_values

    scores = np.asarray(bundle.predict(frame[bundle.features]), dtype=np.float64)
    return decision_values(project.spec, frame, y, np.asarray(bundle.decide(scores)))


def paired_value(
    champion: np.ndarray,
    challenger: np.ndarray,
    *,
    masks: np.ndarray | None = None,
    resamples: int,
    confidence: float,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Uplift (challenger minus champion) per mask, and its paired bootstrap interval (2 x k)."""
    from prodml.evaluate.bootstrap import Bootstrap

    difference = np.asarray(challenger, dtype=np.float64) - np.asarray(champion, dtype=np.float64)
    if masks is None:
        masks = np.ones((1, len(difference)), dtype=bool)
    boot = Bootstrap(len(difference), resamples=resamples, seed=seed, confidence=confidence)
    interval = boot.interval(boot.means(difference, masks))
    means = np.array([difference[m].mean() if m.any() else np.nan for m in masks])
    return means, interval.reshape(2, -1)


def run_gates(
    project: Project,
    champion: tuple[int, ModelBundle],
    challenger: tuple[int, ModelBundle],
    recent: pd.DataFrame,
) -> list[GateResult]:
    from prodml.train.target import prepare_target

    settings = project.spec.maintenance.gates
    problem = project.spec.problem
    labels = prepare_target(recent, problem)
    frame = recent.iloc[labels.rows].reset_index(drop=True)
    y = labels.y
    old = realised_values(project, champion[1], frame, y)
    new = realised_values(project, challenger[1], frame, y)
    results = [
        _value_gate(old, new, settings, seed=project.spec.evaluation.seed, unit=problem.unit),
        _segment_gate(project, frame, old, new, settings),
        _behaviour_gate(project, challenger[0], recent),
        _latency_gate(project, challenger, frame),
    ]
    return results


def _value_gate(
    old: np.ndarray, new: np.ndarray, settings: GateSettings, *, seed: int, unit: str
) -> GateResult:
    means, interval = paired_value(
        old, new, resamples=settings.resamples, confidence=settings.confidence, seed=seed
    )
    uplift, low, high = float(means[0]), float(interval[0, 0]), float(interval[1, 0])
    passed = bool(np.isfinite(low) and low > settings.min_uplift)
    text = (
        f"uplift {uplift:+.2f} {unit} per decision, {settings.confidence:.0%} interval "
        f"[{low:+.2f}, {high:+.2f}] on {len(old)} recent decisions"
    )
    verdict = "above" if passed else "not above"
    return GateResult(
        "value",
        passed,
        f"{text}: lower bound {verdict} {settings.min_uplift:g}",
        {
            "rows": len(old),
            "champion_value_per_decision": float(old.mean()),
            "challenger_value_per_decision": float(new.mean()),
            "uplift": uplift,
            "interval": [low, high],
            "confidence": settings.confidence,
            "min_uplift": settings.min_uplift,
        },
    )


def _segment_gate(
    project: Project,
    frame: pd.DataFrame,
    old: np.ndarray,
    new: np.ndarray,
    settings: GateSettings,
) -> GateResult:
    overall = abs(float(old.mean()))
    names: list[tuple[str, str, int]] = []
    masks: list[np.ndarray] = []
    for column in project.spec.evaluation.segments:
        if column not in frame.columns:
            continue
        levels = frame[column].astype(str).where(frame[column].notna(), "(missing)")
        for level, count in levels.value_counts().items():
            if count >= settings.min_segment_rows:
                names.append((column, str(level), int(count)))
                masks.append(np.asarray(levels == level))
    if not masks:
        return GateResult(
            "segments", True, "no segment level has enough recent rows to judge", {"levels": []}
        )
    # the loss is champion minus challenger: its interval is minus the uplift's, reversed
    uplift, interval = paired_value(
        old,
        new,
        masks=np.vstack(masks),
        resamples=settings.resamples,
        confidence=settings.confidence,
        seed=project.spec.evaluation.seed,
    )
    checked: list[dict[str, Any]] = []
    for k, (column, level, count) in enumerate(names):
        before = float(old[masks[k]].mean())
        allowed = settings.segment_tolerance * max(abs(before), overall)
        surely_lost = float(-interval[1, k])  # the smallest loss the interval allows
        checked.append(
            {
                "column": column,
                "level": level,
                "rows": count,
                "champion": before,
                "challenger": float(new[masks[k]].mean()),
                "loss": float(-uplift[k]),
                "loss_lower_bound": surely_lost,
                "allowed": allowed,
                "passed": not surely_lost > allowed,
            }
        )
    failing = [c for c in checked if not c["passed"]]
    if not failing:
        message = (
            f"no segment surely loses more than its tolerance ({len(checked)} levels, "
            f"{settings.confidence:.0%} paired intervals)"
        )
        return GateResult("segments", True, message, {"levels": checked})
    worst = max(failing, key=lambda c: c["loss_lower_bound"] - c["allowed"])
    message = (
        f"{worst['column']} = {worst['level']} loses {worst['loss']:.2f} per decision, at least "
        f"{worst['loss_lower_bound']:.2f} (allowed {worst['allowed']:.2f}) over {worst['rows']} "
        "rows"
    )
    return GateResult("segments", False, message, {"levels": checked})


def _behaviour_gate(project: Project, version: int, recent: pd.DataFrame) -> GateResult:
    if not project.spec.evaluation.behaviour:
        return GateResult("behaviour", True, "no behavioural tests in the project file")
    report = project.evaluate(version, data=recent)
    results = [
        {"name": b.name, "status": b.status, "blocking": b.blocking, "message": b.message}
        for b in report.behaviour
    ]
    failing = report.blocking_failures
    if failing:
        message = "; ".join(f"{b.name}: {b.message}" for b in failing)
        return GateResult("behaviour", False, message, {"tests": results})
    return GateResult(
        "behaviour",
        True,
        f"{len(results)} tests, no blocking failure on the recent window",
        {"tests": results},
    )


def _latency_gate(
    project: Project, challenger: tuple[int, ModelBundle], frame: pd.DataFrame
) -> GateResult:
    limit = project.spec.maintenance.gates.max_latency_ms
    p95 = latency_p95_ms(project, challenger, frame)
    return GateResult(
        "latency",
        p95 <= limit,
        f"one record scored in {p95:.2f} ms at p95 (budget {limit:g} ms)",
        {"p95_ms": p95, "budget_ms": limit},
    )


def latency_p95_ms(project: Project, model: tuple[int, ModelBundle], frame: pd.DataFrame) -> float:
    """p95 of validating, repairing and scoring one record at a time, as the server does."""
    from prodml.serve._model import serve_bundle
    from prodml.serve._validation import check_records

    version, bundle = model
    served = serve_bundle(bundle, version, project.spec)
    records = frame[bundle.features].head(LATENCY_RECORDS).to_dict("records")
    timings = []
    for record in records:
        started = time.perf_counter()
        checked = check_records(served.validator, [record])
        if len(checked.accepted):
            served.scores(checked.columns, len(checked.accepted))
        timings.append((time.perf_counter() - started) * 1000.0)
    return float(np.percentile(timings, 95)) if timings else 0.0
