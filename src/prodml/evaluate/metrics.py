"""Technical metrics, always reported beside business value, never instead of it."""

from __future__ import annotations

import numpy as np

__all__ = ["binary_metrics", "regression_metrics"]


def binary_metrics(y: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, float]:
    """Ranking, probability and decision metrics at the chosen threshold.

    AUCs are undefined on a single-class sample; they are then reported as NaN-free ``None``-like
    absence (the key is omitted) rather than a misleading 0.5.
    """
    y = np.asarray(y, dtype=bool)
    proba = np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)
    act = proba >= threshold
    tp = int(np.sum(act & y))
    fp = int(np.sum(act & ~y))
    tn = int(np.sum(~act & ~y))
    fn = int(np.sum(~act & y))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    out: dict[str, float] = {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": (tp + tn) / len(y),
        "brier": float(np.mean((proba - y) ** 2)),
        "log_loss": _log_loss(y, proba),
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "acted_share": float(act.mean()),
        "positive_rate": float(y.mean()),
    }
    if 0 < y.sum() < len(y):
        out["roc_auc"], out["pr_auc"] = _ranking(y, proba)
    return out


def _log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    """As ``sklearn.metrics.log_loss`` (probabilities clipped to float64 eps)."""
    eps = np.finfo(np.float64).eps
    p = np.clip(proba, eps, 1.0 - eps)
    return float(-np.mean(np.where(y, np.log(p), np.log1p(-p))))


def _ranking(y: np.ndarray, proba: np.ndarray) -> tuple[float, float]:
    """ROC AUC and average precision (as scikit-learn computes them), from one sort.

    Ties count as one half in the AUC; average precision is the sum over distinct scores,
    highest first, of precision times the gain in recall. Numpy only: these run for every
    candidate, fold, segment and slice, where scikit-learn's input checks cost more than the sums.
    """
    order = np.argsort(-proba, kind="stable")
    scores, hits = proba[order], y[order]
    last = np.r_[np.flatnonzero(scores[1:] != scores[:-1]), len(scores) - 1]  # end of each tie
    tp = np.cumsum(hits)[last].astype(np.float64)
    fp = (last + 1) - tp
    positives, negatives = tp[-1], fp[-1]
    tp_step = np.diff(np.r_[0.0, tp])
    fp_step = np.diff(np.r_[0.0, fp])
    fp_before = fp - fp_step
    # a positive ranks above every negative of a lower score, and half above those tied with it
    auc = float(np.sum(tp_step * (negatives - fp_before - 0.5 * fp_step)) / (positives * negatives))
    precision = tp / (tp + fp)
    average_precision = float(np.sum(tp_step / positives * precision))
    return auc, average_precision


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, R² and MAPE (over rows with a non-zero target, so it stays finite)."""
    y = np.asarray(y, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    error = pred - y
    total = float(np.sum((y - y.mean()) ** 2))
    nonzero = y != 0
    out = {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "r2": 1.0 - float(np.sum(error**2)) / total if total > 0 else 0.0,
        "bias": float(np.mean(error)),
    }
    if nonzero.any():
        out["mape"] = float(np.mean(np.abs(error[nonzero] / y[nonzero])))
    return out
