"""Chart data from held-out predictions: ROC, precision-recall, value, calibration, residuals.

The report is drawn at training, when the held-out rows and the model's scores on them are at
hand. Every function here reduces those rows to a few hundred numbers (curves are thinned), so
the drawing code and the stored report stay small however large the held-out set.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from prodml.evaluate.value import (
    BinaryValues,
    RegressionValues,
    binary_row_values,
    regression_row_values,
)

__all__ = [
    "HeldOutScores",
    "calibration_bins",
    "pr_curve",
    "regression_views",
    "roc_curve",
    "score_histogram",
    "value_curve",
]

_MAX_POINTS = 200


@dataclass(frozen=True)
class HeldOutScores:
    """The model's served scores on the held-out rows, their labels and per-row values."""

    task: str
    y: np.ndarray
    scores: np.ndarray  # P(positive) for binary, the prediction for regression
    rule: float  # threshold (binary) or offset (regression)
    values: BinaryValues | RegressionValues


def roc_curve(y: np.ndarray, scores: np.ndarray) -> dict[str, Any] | None:
    from sklearn.metrics import roc_auc_score
    from sklearn.metrics import roc_curve as sk_roc

    labels = np.asarray(y, dtype=bool)
    if labels.all() or not labels.any():
        return None
    fpr, tpr, _ = sk_roc(labels, scores, drop_intermediate=True)
    keep = _thin(len(fpr))
    return {
        "fpr": fpr[keep].tolist(),
        "tpr": tpr[keep].tolist(),
        "auc": float(roc_auc_score(labels, scores)),
    }


def pr_curve(y: np.ndarray, scores: np.ndarray) -> dict[str, Any] | None:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    labels = np.asarray(y, dtype=bool)
    if labels.all() or not labels.any():
        return None
    precision, recall, _ = precision_recall_curve(labels, scores, drop_intermediate=True)
    keep = _thin(len(precision))
    return {
        "recall": recall[keep].tolist(),
        "precision": precision[keep].tolist(),
        "ap": float(average_precision_score(labels, scores)),
        "base_rate": float(labels.mean()),
    }


def value_curve(held: HeldOutScores, points: int = 101) -> dict[str, Any]:
    """Value per decision at each threshold (binary) or offset (regression) on held-out rows."""
    if held.task == "binary":
        assert isinstance(held.values, BinaryValues)
        y = np.asarray(held.y, dtype=bool)
        order = np.argsort(-held.scores, kind="stable")
        ranked = held.scores[order]
        gain = (held.values.if_acting(y) - held.values.if_passing(y))[order]
        totals = float(held.values.if_passing(y).sum()) + np.concatenate([[0.0], np.cumsum(gain)])
        thresholds = np.linspace(0.0, 1.0, points)
        acted = np.searchsorted(-ranked, -thresholds, side="right")  # rows with score >= t
        n = max(len(y), 1)
        return {
            "x": thresholds.tolist(),
            "value_per_decision": (totals[acted] / n).tolist(),
            "acted_share": (acted / n).tolist(),
            "chosen": held.rule,
            "chosen_value": float(
                binary_row_values(y, held.scores >= held.rule, held.values).mean()
            ),
        }
    assert isinstance(held.values, RegressionValues)
    residual = held.y - held.scores
    span = np.quantile(residual, [0.02, 0.98]) if len(residual) else np.array([0.0, 0.0])
    width = max(abs(span[0]), abs(span[1]), abs(held.rule)) or 1.0
    offsets = np.linspace(-width, width, points)
    value = [
        float(regression_row_values(held.y, held.scores + o, held.values).mean()) for o in offsets
    ]
    return {
        "x": offsets.tolist(),
        "value_per_decision": value,
        "chosen": held.rule,
        "chosen_value": float(
            regression_row_values(held.y, held.scores + held.rule, held.values).mean()
        ),
    }


def calibration_bins(y: np.ndarray, scores: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Equal-count bins of predicted probability: mean predicted vs observed rate, and ECE."""
    labels = np.asarray(y, dtype=np.float64)
    order = np.argsort(scores, kind="stable")
    groups = [g for g in np.array_split(order, min(bins, max(len(order), 1))) if len(g)]
    predicted = [float(scores[g].mean()) for g in groups]
    observed = [float(labels[g].mean()) for g in groups]
    counts = [len(g) for g in groups]
    n = max(sum(counts), 1)
    ece = sum(c / n * abs(p - o) for p, o, c in zip(predicted, observed, counts, strict=True))
    return {
        "predicted": predicted,
        "observed": observed,
        "counts": counts,
        "ece": float(ece),
        "brier": float(np.mean((scores - labels) ** 2)) if len(labels) else 0.0,
    }


def score_histogram(y: np.ndarray, scores: np.ndarray, bins: int = 20) -> dict[str, Any]:
    labels = np.asarray(y, dtype=bool)
    edges = np.linspace(0.0, 1.0, bins + 1)
    positive, _ = np.histogram(np.clip(scores[labels], 0, 1), bins=edges)
    negative, _ = np.histogram(np.clip(scores[~labels], 0, 1), bins=edges)
    return {"edges": edges.tolist(), "positive": positive.tolist(), "negative": negative.tolist()}


def regression_views(held: HeldOutScores, sample: int = 400, seed: int = 0) -> dict[str, Any]:
    """A predicted-vs-actual sample, the residual histogram and value by error size and sign."""
    assert isinstance(held.values, RegressionValues)
    rng = np.random.default_rng(seed)
    n = len(held.y)
    pick = np.sort(rng.choice(n, size=min(n, sample), replace=False)) if n else np.array([], int)
    decided = held.scores + held.rule
    error = decided - held.y
    finite = error[np.isfinite(error)]
    low, high = np.quantile(finite, [0.01, 0.99]) if len(finite) else (0.0, 1.0)
    if low == high:
        low, high = low - 1, high + 1
    edges = np.linspace(low, high, 25)
    counts, _ = np.histogram(np.clip(error, low, high), bins=edges)
    row_values = regression_row_values(held.y, decided, held.values)
    size_edges = np.quantile(np.abs(error), [0, 0.25, 0.5, 0.75, 0.9, 1.0]) if n else np.zeros(6)
    by_size = []
    for sign, mask in (("over", error > 0), ("under", error < 0)):
        for lo, hi in pairwise(size_edges):
            inside = mask & (np.abs(error) >= lo) & (np.abs(error) <= hi)
            if inside.any():
                by_size.append(
                    {
                        "sign": sign,
                        "from": float(lo),
                        "to": float(hi),
                        "rows": int(inside.sum()),
                        "total_value": float(row_values[inside].sum()),
                    }
                )
    return {
        "actual": held.y[pick].tolist(),
        "predicted": decided[pick].tolist(),
        "residual_edges": edges.tolist(),
        "residual_counts": counts.tolist(),
        "by_error": by_size,
    }


def _thin(length: int) -> np.ndarray:
    if length <= _MAX_POINTS:
        return np.arange(length)
    return np.unique(np.linspace(0, length - 1, _MAX_POINTS).round().astype(int))
