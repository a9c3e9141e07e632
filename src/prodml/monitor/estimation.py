"""Performance before labels arrive: confidence-based performance estimation (CBPE).

A calibrated probability ``p`` means that among rows scored ``p`` a share ``p`` turn out
positive (this is why training calibrates, and why the calibration report matters). So, for a
window of scored rows and the decisions taken, the **expected** confusion matrix is

    E[TP] = sum act * p        E[FP] = sum act * (1 - p)
    E[FN] = sum (1-act) * p    E[TN] = sum (1-act) * (1 - p)

and the **expected value per decision** is the mean over rows of
``act * (p * tp + (1 - p) * fp) + (1 - act) * (p * fn + (1 - p) * tn)``, with each row's own
outcome values. Expected precision and recall follow from the matrix; the expected ROC AUC is the
AUC with every row counted as positive with weight ``p`` and negative with weight ``1 - p``.

The interval given with the value is the spread the *realised* value will have around the
estimate from the luck of the outcomes alone (each row a Bernoulli draw): the estimate is
right, and the realised value should land inside it, as long as the model stays calibrated on
the new data. Covariate shift that keeps ``P(y | x)`` intact is handled; a change of the
relation itself (concept drift) is not visible without labels, which is why realised value is
shown beside the estimate once labels arrive.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from prodml.evaluate.value import BinaryValues, RegressionValues, regression_row_values

__all__ = ["error_model", "estimate_binary", "estimate_regression", "expected_auc"]

ERROR_BINS = 10


def expected_auc(proba: np.ndarray) -> float | None:
    """ROC AUC with each row a positive of weight ``p`` and a negative of weight ``1 - p``.

    One sort; per distinct score ``g``: ``AUC = sum_g P_g (N_below_g + N_g / 2) / (P N)``, as
    :func:`prodml.evaluate.bootstrap.weighted_auc` computes it for hard labels.
    """
    p = np.sort(np.asarray(proba, dtype=np.float64))
    if len(p) == 0:
        return None
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    positives = np.add.reduceat(p, starts)
    negatives = np.add.reduceat(1.0 - p, starts)
    below = np.cumsum(negatives) - negatives
    denominator = positives.sum() * negatives.sum()
    if denominator <= 0:
        return None
    return float((positives * (below + 0.5 * negatives)).sum() / denominator)


def estimate_binary(
    proba: np.ndarray, act: np.ndarray, values: BinaryValues | None, *, confidence: float = 0.95
) -> dict[str, Any]:
    """Expected confusion matrix, value per decision (with interval), precision, recall, AUC."""
    from statistics import NormalDist

    p = np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)
    acted = np.asarray(act, dtype=bool)
    n = len(p)
    if n == 0:
        return {"rows": 0}
    tp = float(np.sum(p[acted]))
    fp = float(np.sum(1.0 - p[acted]))
    fn = float(np.sum(p[~acted]))
    tn = float(np.sum(1.0 - p[~acted]))
    out: dict[str, Any] = {
        "rows": n,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": tp / (tp + fp) if tp + fp > 0 else None,
        "recall": tp / (tp + fn) if tp + fn > 0 else None,
        "positive_rate": float(p.mean()),
        "acted_share": float(acted.mean()),
    }
    out["roc_auc"] = expected_auc(p)
    if values is not None:
        if_positive = np.where(acted, values.tp, values.fn)
        if_negative = np.where(acted, values.fp, values.tn)
        expected = p * if_positive + (1.0 - p) * if_negative
        variance = p * (1.0 - p) * (if_positive - if_negative) ** 2
        z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
        half = float(z * np.sqrt(variance.sum()) / n)
        mean = float(expected.mean())
        out["value_per_decision"] = mean
        out["value_ci"] = [mean - half, mean + half]
    return out


def error_model(
    bundle: Any,
    scores: np.ndarray,
    y: Any,
    values: RegressionValues,
    frame: Any | None = None,
    *,
    seed: int = 0,
) -> dict[str, Any]:
    """Regression: the held-out rows' value per decision, absolute and squared error, by bin of
    the prediction (deciles). Production rows predicted in a bin are expected to do as the
    held-out rows of that bin did: errors depend on where the model predicts (large prices are
    missed by more), and that is what a shift in the predictions moves."""
    truth = np.asarray(y, dtype=np.float64)
    decided = np.asarray(bundle.decide(scores), dtype=np.float64)
    value = regression_row_values(truth, decided, values)
    error = scores - truth
    edges = np.unique(np.quantile(scores, np.linspace(0, 1, ERROR_BINS + 1)[1:-1]))
    index = np.searchsorted(edges, scores, side="left")
    k = len(edges) + 1
    counts = np.bincount(index, minlength=k).astype(np.float64)
    safe = np.maximum(counts, 1.0)
    overall = [float(value.mean()), float(np.abs(error).mean()), float(np.square(error).mean())]
    columns = [value, np.abs(error), np.square(error)]
    means = [
        np.where(counts > 0, np.bincount(index, weights=c, minlength=k) / safe, fill)
        for c, fill in zip(columns, overall, strict=True)
    ]
    learned = None
    if frame is not None:
        from prodml.monitor.errormodel import fit_error_model
        from prodml.monitor.profiles import feature_kinds

        kinds = feature_kinds(bundle.contract, list(bundle.features))
        targets = {"value": value, "abs_error": np.abs(error), "sq_error": np.square(error)}
        learned = fit_error_model(frame, kinds, scores, targets, seed=seed)
    return {
        "learned": learned,
        "method": "held-out errors by prediction decile",
        "edges": [float(e) for e in edges],
        "rows": [int(c) for c in counts],
        "value": [float(v) for v in means[0]],
        "mae": [float(v) for v in means[1]],
        "mse": [float(v) for v in means[2]],
    }


def estimate_regression(
    scores: np.ndarray, model: dict[str, Any], estimates: dict[str, np.ndarray] | None = None
) -> dict[str, Any]:
    """Expected value per decision, MAE and RMSE of a window: the mean of each row's estimate
    from the error models (:mod:`prodml.monitor.errormodel`) when they were trained, else the
    held-out decile table weighted by where the window's predictions fall."""
    predictions = np.asarray(scores, dtype=np.float64)
    if len(predictions) == 0 or not model:
        return {"rows": len(predictions)}
    if estimates and all(t in estimates for t in ("value", "abs_error", "sq_error")):
        return {
            "rows": len(predictions),
            "method": str((model.get("learned") or {}).get("method", "error models")),
            "value_per_decision": float(np.mean(estimates["value"])),
            "mae": float(np.mean(np.maximum(estimates["abs_error"], 0.0))),
            "rmse": float(np.sqrt(np.mean(np.maximum(estimates["sq_error"], 0.0)))),
        }
    index = np.searchsorted(np.asarray(model["edges"], dtype=np.float64), predictions, "left")
    k = len(model["edges"]) + 1
    counts = np.bincount(index, minlength=k).astype(np.float64)
    share = counts / counts.sum()
    return {
        "rows": len(predictions),
        "method": model.get("method", ""),
        "value_per_decision": float(share @ np.asarray(model["value"])),
        "mae": float(share @ np.asarray(model["mae"])),
        "rmse": float(np.sqrt(share @ np.asarray(model["mse"]))),
    }
