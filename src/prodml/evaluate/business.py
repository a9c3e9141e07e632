"""Business evaluation: value with intervals, against other policies, over thresholds, by error.

The value of a model is the value of the decisions it drives on rows it has not seen. Here that
value gets an interval (from :class:`~prodml.evaluate.bootstrap.Bootstrap`), is compared with the
policies a business could use instead (act on everyone, on no one, the baseline model) by paired
differences with their own intervals, and is shown over every threshold (binary) or offset
(regression), so a reader sees how flat or sharp the optimum is. For regression, the value lost to
errors is broken down by the size and sign of the error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from prodml.evaluate.bootstrap import Bootstrap
from prodml.evaluate.value import BinaryValues, RegressionValues, regression_row_values

__all__ = [
    "PolicyComparison",
    "ValueEstimate",
    "compare_policies",
    "error_value_bins",
    "estimate_value",
    "offset_curve",
    "threshold_curve",
]


@dataclass(frozen=True)
class ValueEstimate:
    """Value per decision and in total over the evaluated rows, each with an interval."""

    value_per_decision: float
    ci: list[float]
    total_value: float
    total_ci: list[float]
    rows: int


@dataclass(frozen=True)
class PolicyComparison:
    """Another policy's value, and how much more the model earns than it (paired)."""

    name: str  # act_on_everyone | act_on_no_one | baseline | constant_prediction | perfect
    description: str
    value_per_decision: float
    difference: float  # model minus this policy, per decision
    difference_ci: list[float] | None  # None for the perfect-information ceiling
    significant: bool  # the interval of the difference excludes zero


def estimate_value(row_values: np.ndarray, boot: Bootstrap) -> ValueEstimate:
    values = np.asarray(row_values, dtype=np.float64)
    n = len(values)
    low, high = boot.interval(boot.means(values)[:, 0])
    vpd = float(values.mean())
    return ValueEstimate(
        value_per_decision=vpd,
        ci=[float(low), float(high)],
        total_value=vpd * n,
        total_ci=[float(low) * n, float(high) * n],
        rows=n,
    )


def compare_policies(
    model_values: np.ndarray,
    policies: dict[str, tuple[str, np.ndarray]],
    boot: Bootstrap,
    *,
    perfect: np.ndarray | None = None,
) -> list[PolicyComparison]:
    """Paired comparison of the model with each ``name -> (description, row values)``."""
    model_values = np.asarray(model_values, dtype=np.float64)
    names = list(policies)
    out: list[PolicyComparison] = []
    if names:
        differences = np.stack([model_values - policies[n][1] for n in names])
        replicates = boot.sums(differences.T) / boot.n_rows
        intervals = boot.interval(replicates)
        for i, name in enumerate(names):
            low, high = float(intervals[0, i]), float(intervals[1, i])
            out.append(
                PolicyComparison(
                    name=name,
                    description=policies[name][0],
                    value_per_decision=float(np.mean(policies[name][1])),
                    difference=float(differences[i].mean()),
                    difference_ci=[low, high],
                    significant=bool(low > 0 or high < 0),
                )
            )
    if perfect is not None:
        ceiling = float(np.mean(perfect))
        out.append(
            PolicyComparison(
                name="perfect",
                description="perfect foresight (the ceiling, not a policy one can run)",
                value_per_decision=ceiling,
                difference=float(model_values.mean()) - ceiling,
                difference_ci=None,
                significant=False,
            )
        )
    return out


def threshold_curve(
    y: np.ndarray, scores: np.ndarray, values: BinaryValues, *, chosen: float, points: int = 101
) -> dict[str, list[float]]:
    """Value per decision and share acted on at each threshold (a grid plus the chosen one).

    Acting on rows with ``score >= t`` is acting on the top ``k(t)`` rows by score, so one sort
    and one cumulative sum give every point.
    """
    y = np.asarray(y, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    n = len(y)
    order = np.argsort(-scores, kind="stable")
    gain = (values.if_acting(y) - values.if_passing(y))[order]
    totals = float(values.if_passing(y).sum()) + np.concatenate([[0.0], np.cumsum(gain)])
    grid = np.linspace(0.0, 1.0, points)
    if 0.0 <= chosen <= 1.0:
        grid = np.unique(np.append(grid, chosen))
    ascending = np.sort(scores)
    acted = n - np.searchsorted(ascending, grid, side="left")
    return {
        "threshold": [float(t) for t in grid],
        "value_per_decision": [float(v) for v in totals[acted] / n],
        "acted_share": [float(a) for a in acted / n],
    }


def offset_curve(
    y: np.ndarray, predictions: np.ndarray, values: RegressionValues, *, chosen: float
) -> dict[str, list[float]]:
    """Value per decision for offsets between the 5% and 95% residual quantiles (and chosen)."""
    y = np.asarray(y, dtype=np.float64)
    predictions = np.asarray(predictions, dtype=np.float64)
    residual = y - predictions
    grid = np.unique(np.append(np.quantile(residual, np.linspace(0.05, 0.95, 41)), chosen))
    out = []
    for chunk in np.array_split(grid, max(1, len(grid) // 16)):
        error = (predictions[None, :] + chunk[:, None]) - y[None, :]
        out.append(np.where(error > 0, values.over * error, values.under * -error).mean(axis=1))
    return {
        "offset": [float(o) for o in grid],
        "value_per_decision": [float(v) for v in np.concatenate(out)],
    }


def error_value_bins(
    y: np.ndarray, decisions: np.ndarray, values: RegressionValues, *, bins: int = 5
) -> list[dict[str, Any]]:
    """Value lost to errors, by sign (over / under) and size (quantile bins of |error|)."""
    y = np.asarray(y, dtype=np.float64)
    decisions = np.asarray(decisions, dtype=np.float64)
    error = decisions - y
    row_values = regression_row_values(y, decisions, values)
    size = np.abs(error)
    edges = np.unique(np.quantile(size, np.linspace(0.0, 1.0, bins + 1)))
    index = np.clip(np.searchsorted(edges, size, side="right") - 1, 0, max(len(edges) - 2, 0))
    total_loss = float(-row_values[row_values < 0].sum()) or 1.0
    out: list[dict[str, Any]] = []
    n = len(y)
    for sign, chosen in (("over", error > 0), ("under", error < 0)):
        for b in range(max(len(edges) - 1, 1)):
            mask = chosen & (index == b)
            rows = int(mask.sum())
            if not rows:
                continue
            value = float(row_values[mask].sum())
            out.append(
                {
                    "sign": sign,
                    "lower": float(edges[b]),
                    "upper": float(edges[min(b + 1, len(edges) - 1)]),
                    "rows": rows,
                    "share_of_rows": rows / n,
                    "mean_error": float(error[mask].mean()),
                    "total_value": value,
                    "value_per_decision": value / rows,
                    "share_of_loss": -value / total_loss,
                }
            )
    return out
