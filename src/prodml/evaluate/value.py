"""Business value of decisions: per row, per policy, and the value-optimal threshold or offset.

Everything is vectorised over rows because costs differ per row (``fn: -Amount``). For a binary
task the model *acts* (declines the loan, offers the retention package) when the probability of
the positive class reaches the threshold; each row's value is then its TP/FP value, otherwise its
FN/TN value. For regression the value of an error is linear and asymmetric: ``over`` per unit of
over-prediction, ``under`` per unit of under-prediction; the decision is the prediction shifted by
an offset chosen to maximise value (with asymmetric costs the best point is not the mean).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from prodml.expressions import Expression

__all__ = [
    "BinaryValues",
    "RegressionValues",
    "ThresholdChoice",
    "best_offset",
    "best_threshold",
    "binary_row_values",
    "perfect_value_per_decision",
    "regression_row_values",
    "trivial_policies",
]


@dataclass(frozen=True)
class BinaryValues:
    """Per-row value of each outcome; arrays of equal length."""

    tp: np.ndarray
    fp: np.ndarray
    tn: np.ndarray
    fn: np.ndarray

    @classmethod
    def from_expressions(
        cls, expressions: Mapping[str, Expression], data: Mapping[str, Any], n_rows: int
    ) -> BinaryValues:
        arrays = {
            name: expressions[name].evaluate(data, n_rows, where=f"problem.value.{name}")
            for name in ("tp", "fp", "tn", "fn")
        }
        return cls(**arrays)

    def take(self, index: np.ndarray) -> BinaryValues:
        return BinaryValues(self.tp[index], self.fp[index], self.tn[index], self.fn[index])

    def if_acting(self, y: np.ndarray) -> np.ndarray:
        return np.where(y, self.tp, self.fp)

    def if_passing(self, y: np.ndarray) -> np.ndarray:
        return np.where(y, self.fn, self.tn)


@dataclass(frozen=True)
class RegressionValues:
    """Per-row value of one unit of over- and of under-prediction (usually negative)."""

    over: np.ndarray
    under: np.ndarray

    @classmethod
    def from_expressions(
        cls, expressions: Mapping[str, Expression], data: Mapping[str, Any], n_rows: int
    ) -> RegressionValues:
        return cls(
            over=expressions["over"].evaluate(data, n_rows, where="problem.value.over"),
            under=expressions["under"].evaluate(data, n_rows, where="problem.value.under"),
        )

    def take(self, index: np.ndarray) -> RegressionValues:
        return RegressionValues(self.over[index], self.under[index])


def binary_row_values(y: np.ndarray, act: np.ndarray, values: BinaryValues) -> np.ndarray:
    """The realised value of each decision."""
    y = np.asarray(y, dtype=bool)
    return np.where(np.asarray(act, dtype=bool), values.if_acting(y), values.if_passing(y))


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    value_per_decision: float
    acted_share: float


def best_threshold(y: np.ndarray, proba: np.ndarray, values: BinaryValues) -> ThresholdChoice:
    """The probability threshold that maximises total value, in one sort and one cumsum.

    Acting on the k most likely rows is worth ``sum(pass) + cumsum(act - pass)[k]``; only cuts
    between distinct probabilities are feasible. The threshold is placed midway between the last
    acted and the first passed probability so that it generalises rather than sitting on a point.
    """
    y = np.asarray(y, dtype=bool)
    proba = np.asarray(proba, dtype=np.float64)
    n = len(y)
    if n == 0:
        raise ValueError("best_threshold needs at least one row")
    order = np.argsort(-proba, kind="stable")
    p_sorted = proba[order]
    gain = (values.if_acting(y) - values.if_passing(y))[order]
    base = float(values.if_passing(y).sum())
    totals = base + np.concatenate([[0.0], np.cumsum(gain)])  # totals[k]: act on top k
    # feasible k: 0, n, and k where p_sorted[k-1] > p_sorted[k]
    feasible = np.zeros(n + 1, dtype=bool)
    feasible[0] = feasible[n] = True
    feasible[1:n] = p_sorted[:-1] > p_sorted[1:]
    candidates = np.flatnonzero(feasible)
    best_k = int(candidates[np.argmax(totals[candidates])])
    if best_k == 0:
        threshold = float(np.nextafter(max(1.0, float(p_sorted[0])), np.inf))
    elif best_k == n:
        threshold = float(min(0.0, float(p_sorted[-1])))
    else:
        threshold = float((p_sorted[best_k - 1] + p_sorted[best_k]) / 2.0)
    return ThresholdChoice(
        threshold=threshold,
        value_per_decision=float(totals[best_k] / n),
        acted_share=best_k / n,
    )


def trivial_policies(y: np.ndarray, values: BinaryValues) -> dict[str, float]:
    """Value per decision of acting on everyone and on no one: what a model must beat."""
    y = np.asarray(y, dtype=bool)
    return {
        "act_on_everyone": float(values.if_acting(y).mean()),
        "act_on_no_one": float(values.if_passing(y).mean()),
    }


def perfect_value_per_decision(y: np.ndarray, values: BinaryValues) -> float:
    """Value with perfect foresight: the ceiling that defines the headroom over trivial."""
    y = np.asarray(y, dtype=bool)
    return float(np.maximum(values.if_acting(y), values.if_passing(y)).mean())


def regression_row_values(y: np.ndarray, pred: np.ndarray, values: RegressionValues) -> np.ndarray:
    error = np.asarray(pred, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    return np.where(error > 0, values.over * error, values.under * -error)


def best_offset(
    y: np.ndarray, pred: np.ndarray, values: RegressionValues, *, grid: int = 201
) -> tuple[float, float]:
    """The shift of predictions that maximises value, searched over residual quantiles.

    Returns ``(offset, value_per_decision)``. With costs ``over`` and ``under`` the optimum is a
    quantile of the residuals; per-row costs make it a weighted quantile, so we search a grid of
    residual quantiles (vectorised: grid x rows) plus zero, and keep zero unless another is better.
    """
    y = np.asarray(y, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    residual = y - pred
    offsets = np.unique(np.concatenate([[0.0], np.quantile(residual, np.linspace(0, 1, grid))]))
    best = (0.0, float(regression_row_values(y, pred, values).mean()))
    for chunk in np.array_split(offsets, max(1, len(offsets) // 32)):
        error = (pred[None, :] + chunk[:, None]) - y[None, :]
        value = np.where(error > 0, values.over * error, values.under * -error).mean(axis=1)
        i = int(np.argmax(value))
        if value[i] > best[1] + 1e-12:
            best = (float(chunk[i]), float(value[i]))
    return best
