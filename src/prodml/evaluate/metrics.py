"""Technical metrics, always reported beside business value, never instead of it."""

from __future__ import annotations

import numpy as np

__all__ = ["binary_metrics", "regression_metrics"]


def binary_metrics(y: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, float]:
    """Ranking, probability and decision metrics at the chosen threshold.

    AUCs are undefined on a single-class sample; they are then reported as NaN-free ``None``-like
    absence (the key is omitted) rather than a misleading 0.5.
    """
    from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

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
        "log_loss": float(log_loss(y, proba, labels=[False, True])),
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "acted_share": float(act.mean()),
        "positive_rate": float(y.mean()),
    }
    if 0 < y.sum() < len(y):
        out["roc_auc"] = float(roc_auc_score(y, proba))
        out["pr_auc"] = float(average_precision_score(y, proba))
    return out


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
