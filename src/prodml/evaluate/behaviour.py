"""Behavioural tests: what the model must (not) do, declared in the project file, checked on rows.

Metrics say how well a model does on average; behavioural tests say whether it does what the
business and the law expect, row by row (after Ribeiro et al., "Beyond Accuracy: Behavioral
Testing of NLP Models", 2020, adapted to tables):

* ``monotonic``: on each sampled evaluation row, ``feature`` is set to each point of a grid (the
  0%, 10%, ..., 100% quantiles of the reference data, i.e. the training rows) with every other
  input kept; the score must not move against ``direction`` by more than ``tolerance`` between
  any two grid points (a rise after a lower point, for ``decreasing``);
* ``invariant``: the same perturbation (quantiles of a number, or the most frequent categories);
  the score must stay within ``tolerance`` of the row's own score;
* ``min_performance``: a metric on the rows of a named edge case must be at least / at most a
  bound (the point estimate; the interval is reported beside it).

The scores checked are the served ones (calibrated probability, or the prediction). All rows of
one test are scored in one call on a stacked frame: no per-row Python. A failed test reports how
many rows broke it and the worst examples. A failing ``blocking`` test stops registration unless
``evaluation.allow_behaviour_failures`` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from prodml.errors import SpecError
from prodml.evaluate.slices import SliceFamily
from prodml.spec import BehaviourTest, InvariantCheck, MinPerformanceCheck, MonotonicCheck

__all__ = ["BehaviourResult", "check_behaviour_settings", "run_behaviour"]

Status = Literal["passed", "failed", "skipped"]
GRID_QUANTILES = np.linspace(0.0, 1.0, 11)
MAX_LEVELS = 30
MAX_EXAMPLES = 3
BINARY_METRICS = {"roc_auc", "pr_auc", "precision", "recall", "f1", "accuracy", "brier"}
BINARY_METRICS |= {"log_loss", "acted_share"}
REGRESSION_METRICS = {"mae", "rmse", "r2", "bias", "mape"}


@dataclass(frozen=True)
class BehaviourResult:
    index: int  # position in evaluation.behaviour
    kind: str  # monotonic | invariant | min_performance
    name: str  # "Income: decreasing"
    status: Status
    blocking: bool
    message: str
    rows_checked: int = 0
    violations: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    setting: dict[str, Any] = field(default_factory=dict)  # the test as declared

    @property
    def blocks(self) -> bool:
        return self.status == "failed" and self.blocking


def check_behaviour_settings(
    tests: list[BehaviourTest], *, task: str, numeric: set[str], features: list[str], where: str
) -> None:
    """Refuse, before training, tests the model cannot be checked against."""
    for i, test in enumerate(tests):
        check = test.check
        field_path = f"evaluation.behaviour[{i}].{test.kind}"
        if isinstance(check, MonotonicCheck):
            if check.feature not in features:
                raise SpecError(
                    f"{field_path}.feature: {check.feature!r} is not a feature of the model",
                    where=where,
                    fix="name one of the features: " + ", ".join(features[:30]),
                )
            if check.feature not in numeric:
                raise SpecError(
                    f"{field_path}.feature: {check.feature!r} is categorical; a direction "
                    "needs a number",
                    where=where,
                    fix="use invariant for a categorical feature, or a numeric feature here",
                )
        if isinstance(check, MinPerformanceCheck):
            wrong = REGRESSION_METRICS if task == "binary" else BINARY_METRICS
            if check.metric in wrong:
                raise SpecError(
                    f"{field_path}.metric: {check.metric!r} does not apply to a {task} task",
                    where=where,
                    fix="use value_per_decision or one of: "
                    + ", ".join(sorted(BINARY_METRICS if task == "binary" else REGRESSION_METRICS)),
                )


def run_behaviour(
    tests: list[BehaviourTest],
    *,
    frame: pd.DataFrame,
    score: Callable[[pd.DataFrame], np.ndarray],
    reference: pd.DataFrame,
    features: list[str],
    numeric: set[str],
    edge_cases: SliceFamily,
    default_tolerance: float,
    seed: int,
    max_rows: int = 200,
) -> list[BehaviourResult]:
    """Run every test on (a seeded sample of at most ``max_rows`` of) ``frame``."""
    frame = frame.reset_index(drop=True)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.permutation(len(frame))[:max_rows])
    rows = frame.iloc[sample].reset_index(drop=True)
    cases = {r.name: r for r in edge_cases.results}
    results: list[BehaviourResult] = []
    for i, test in enumerate(tests):
        check = test.check
        setting = {test.kind: check.model_dump(mode="json")}
        if isinstance(check, MinPerformanceCheck):
            results.append(_min_performance(i, check, cases, setting))
            continue
        tolerance = default_tolerance if check.tolerance is None else check.tolerance
        if check.feature not in features:
            # only invariant can get here (monotonic was refused before training)
            results.append(
                BehaviourResult(
                    i,
                    test.kind,
                    f"{check.feature}: invariant",
                    "passed",
                    check.blocking,
                    f"{check.feature} is not a feature of the model: the score cannot depend on it",
                    setting=setting,
                )
            )
            continue
        grid = _grid(reference[check.feature], numeric=check.feature in numeric)
        if len(grid) < 2 or len(rows) == 0:
            results.append(
                BehaviourResult(
                    i,
                    test.kind,
                    _name(check),
                    "skipped",
                    check.blocking,
                    f"{check.feature} takes a single value in the data: nothing to vary",
                    setting=setting,
                )
            )
            continue
        surface = _perturbed_scores(rows, check.feature, grid, score)
        if isinstance(check, MonotonicCheck):
            results.append(
                _monotonic(i, check, surface, grid, sample, tolerance, setting, test.kind)
            )
        else:
            original = np.asarray(score(rows), dtype=np.float64)
            results.append(
                _invariant(i, check, surface, original, grid, sample, tolerance, setting)
            )
    return results


def _name(check: MonotonicCheck | InvariantCheck) -> str:
    if isinstance(check, MonotonicCheck):
        return f"{check.feature}: {check.direction}"
    return f"{check.feature}: invariant"


def _grid(column: pd.Series, *, numeric: bool) -> np.ndarray:
    if numeric:
        x = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
        x = x[np.isfinite(x)]
        return np.unique(np.quantile(x, GRID_QUANTILES)) if len(x) else np.zeros(0)
    counts = column.dropna().astype(str).value_counts(sort=False)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_LEVELS]
    return np.asarray([level for level, _ in ordered], dtype=object)


def _perturbed_scores(
    rows: pd.DataFrame,
    feature: str,
    grid: np.ndarray,
    score: Callable[[pd.DataFrame], np.ndarray],
) -> np.ndarray:
    """Scores of every row with ``feature`` set to every grid value: shape (rows, grid)."""
    r, g = len(rows), len(grid)
    stacked = rows.iloc[np.repeat(np.arange(r), g)].reset_index(drop=True)
    stacked[feature] = pd.Series(np.tile(grid, r), dtype=grid.dtype)
    return np.asarray(score(stacked), dtype=np.float64).reshape(r, g)


def _value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _monotonic(
    index: int,
    check: MonotonicCheck,
    surface: np.ndarray,
    grid: np.ndarray,
    sample: np.ndarray,
    tolerance: float,
    setting: dict[str, Any],
    kind: str,
) -> BehaviourResult:
    if check.direction == "decreasing":
        # a rise above the lowest score seen at any smaller value of the feature
        anchor = np.minimum.accumulate(surface, axis=1)
        excess = surface - anchor
    else:
        anchor = np.maximum.accumulate(surface, axis=1)
        excess = anchor - surface
    worst = excess.max(axis=1)
    bad = np.flatnonzero(worst > tolerance)
    examples = []
    for row in bad[np.argsort(-worst[bad], kind="stable")][:MAX_EXAMPLES]:
        to = int(np.argmax(excess[row]))
        prefix = surface[row, : to + 1]
        start = int(np.argmin(prefix) if check.direction == "decreasing" else np.argmax(prefix))
        examples.append(
            {
                "row": int(sample[row]),
                "feature": check.feature,
                "from_value": _value(grid[start]),
                "to_value": _value(grid[to]),
                "score_from": float(surface[row, start]),
                "score_to": float(surface[row, to]),
            }
        )
    moved = "rose" if check.direction == "decreasing" else "fell"
    if len(bad):
        message = (
            f"on {len(bad)} of {len(surface)} rows the score {moved} by up to "
            f"{float(worst.max()):.4g} as {check.feature} increased (tolerance {tolerance:.4g})"
        )
    else:
        message = (
            f"{check.direction} on all {len(surface)} rows checked over {len(grid)} values of "
            f"{check.feature} (largest move the wrong way {float(worst.max()):.4g}, tolerance "
            f"{tolerance:.4g})"
        )
    return BehaviourResult(
        index,
        kind,
        _name(check),
        "failed" if len(bad) else "passed",
        check.blocking,
        message,
        rows_checked=len(surface),
        violations=len(bad),
        examples=examples,
        setting=setting,
    )


def _invariant(
    index: int,
    check: InvariantCheck,
    surface: np.ndarray,
    original: np.ndarray,
    grid: np.ndarray,
    sample: np.ndarray,
    tolerance: float,
    setting: dict[str, Any],
) -> BehaviourResult:
    change = np.abs(surface - original[:, None])
    worst = change.max(axis=1)
    bad = np.flatnonzero(worst > tolerance)
    examples = []
    for row in bad[np.argsort(-worst[bad], kind="stable")][:MAX_EXAMPLES]:
        at = int(np.argmax(change[row]))
        examples.append(
            {
                "row": int(sample[row]),
                "feature": check.feature,
                "to_value": _value(grid[at]),
                "score_from": float(original[row]),
                "score_to": float(surface[row, at]),
            }
        )
    if len(bad):
        message = (
            f"changing {check.feature} moved the score on {len(bad)} of {len(surface)} rows, by "
            f"up to {float(worst.max()):.4g} (tolerance {tolerance:.4g})"
        )
    else:
        message = (
            f"the score stayed within {tolerance:.4g} on all {len(surface)} rows over "
            f"{len(grid)} values of {check.feature} (largest change {float(worst.max()):.4g})"
        )
    return BehaviourResult(
        index,
        "invariant",
        _name(check),
        "failed" if len(bad) else "passed",
        check.blocking,
        message,
        rows_checked=len(surface),
        violations=len(bad),
        examples=examples,
        setting=setting,
    )


def _min_performance(
    index: int, check: MinPerformanceCheck, cases: dict[str, Any], setting: dict[str, Any]
) -> BehaviourResult:
    name = f"{check.edge_case}: {check.metric}"
    bounds = " and ".join(
        text
        for text in (
            None if check.at_least is None else f"at least {check.at_least:g}",
            None if check.at_most is None else f"at most {check.at_most:g}",
        )
        if text
    )
    case = cases.get(check.edge_case)
    if case is None or not case.tested:
        rows = 0 if case is None else case.rows
        return BehaviourResult(
            index,
            "min_performance",
            name,
            "skipped",
            check.blocking,
            f"edge case {check.edge_case} has only {rows} evaluation rows, too few to judge "
            "(evaluation.min_segment_rows)",
            rows_checked=rows,
            setting=setting,
        )
    value = (
        case.value_per_decision
        if check.metric == "value_per_decision"
        else case.metrics.get(check.metric)
    )
    if value is None:
        return BehaviourResult(
            index,
            "min_performance",
            name,
            "skipped",
            check.blocking,
            f"{check.metric} is not defined on edge case {check.edge_case} (a single class?)",
            rows_checked=case.rows,
            setting=setting,
        )
    ok = (check.at_least is None or value >= check.at_least) and (
        check.at_most is None or value <= check.at_most
    )
    interval = ""
    if check.metric == "value_per_decision" and case.ci:
        interval = f" (interval {case.ci[0]:.4g} to {case.ci[1]:.4g})"
    return BehaviourResult(
        index,
        "min_performance",
        name,
        "passed" if ok else "failed",
        check.blocking,
        f"{check.metric} {value:.4g}{interval} on {case.rows} rows of {check.edge_case}; "
        f"required {bounds}",
        rows_checked=case.rows,
        violations=0 if ok else 1,
        setting=setting,
    )
