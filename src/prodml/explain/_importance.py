"""Global importance: what each feature is worth to the business, measured on held-out rows.

**Permutation importance** shuffles one feature across the held-out rows (breaking its link to
the outcome while keeping its distribution) and measures how much the model's decisions lose:
in value per decision, at the model's own decision rule, and in its main technical metric (ROC
AUC for binary, RMSE for regression). Each feature is shuffled ``repeats`` times with a seeded
generator; the mean and standard deviation of the loss are kept. A feature whose loss is within
noise of zero is one the model could do without.

**Mean absolute contribution** is the average size of the feature's exact contribution to the
raw score (TreeSHAP for LightGBM, coefficient x centred value for linear models): how much the
feature moves individual scores, whether or not that changes decisions.

Both are computed once, at training, on the held-out rows, and stored with the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from prodml.evaluate.value import (
    BinaryValues,
    RegressionValues,
    binary_row_values,
    regression_row_values,
)
from prodml.explain._contributions import compute_contributions
from prodml.explain._permute import permutable_rows

if TYPE_CHECKING:
    from prodml.registry.bundle import ModelBundle

__all__ = ["global_importance"]

_CONTRIBUTION_ROWS = 500


def global_importance(
    bundle: ModelBundle,
    X: pd.DataFrame,
    y: np.ndarray,
    values: BinaryValues | RegressionValues,
    *,
    state: dict[str, Any] | None = None,
    seed: int = 0,
    repeats: int = 5,
    max_rows: int = 5000,
) -> dict[str, Any]:
    """Permutation importance (value and metric) and mean |contribution| for every feature.

    At most ``max_rows`` held-out rows are used (a seeded sample), so the cost stays bounded:
    one batched prediction of ``repeats x rows`` rows per feature, on rows encoded once
    (:mod:`prodml.explain._permute`).
    """
    rng = np.random.default_rng(seed)
    n = len(X)
    if n > max_rows:
        keep = np.sort(rng.choice(n, size=max_rows, replace=False))
        X = X.iloc[keep].reset_index(drop=True)
        y = np.asarray(y)[keep]
        values = values.take(keep)
        n = max_rows
    else:
        X = X.reset_index(drop=True)
    metric_name = "roc_auc" if bundle.task == "binary" else "rmse"
    held = permutable_rows(bundle, X)
    base_scores = held.scores()
    base_value = _value_from_scores(bundle, base_scores, y, values)
    base_metric = _metric_from_scores(bundle.task, base_scores, y)
    # TreeSHAP costs trees x leaves x depth^2 per row: a seeded sample of rows is plenty for a mean
    sample = np.sort(rng.choice(n, size=min(n, _CONTRIBUTION_ROWS), replace=False))
    contributions = compute_contributions(
        bundle.pipeline,
        task=bundle.task,
        features=bundle.features,
        frame=X.iloc[sample],
        state=state,
        contract=bundle.contract,
    )
    mean_abs = np.abs(contributions.values).mean(axis=0) if n else np.zeros(len(bundle.features))
    rows: list[dict[str, Any]] = []
    for j, feature in enumerate(bundle.features):
        permutations = [rng.permutation(n) for _ in range(repeats)]
        scores = held.permuted_scores(feature, permutations).reshape(repeats, n)
        value_losses = []
        metric_losses = []
        for r in range(repeats):
            value_losses.append(base_value - _value_from_scores(bundle, scores[r], y, values))
            permuted = _metric_from_scores(bundle.task, scores[r], y)
            if base_metric is None or permuted is None:
                metric_losses.append(0.0)
            elif bundle.task == "binary":
                metric_losses.append(base_metric - permuted)
            else:
                metric_losses.append(permuted - base_metric)
        rows.append(
            {
                "feature": feature,
                "value_loss": float(np.mean(value_losses)),
                "value_loss_std": float(np.std(value_losses, ddof=1)) if repeats > 1 else 0.0,
                "metric_loss": float(np.mean(metric_losses)),
                "metric_loss_std": float(np.std(metric_losses, ddof=1)) if repeats > 1 else 0.0,
                "mean_abs_contribution": float(mean_abs[j]),
            }
        )
    rows.sort(key=lambda r: (-r["value_loss"], -r["metric_loss"], -r["mean_abs_contribution"]))
    return {
        "rows": n,
        "repeats": repeats,
        "seed": seed,
        "value_per_decision": base_value,
        "metric": metric_name,
        "metric_value": base_metric,
        "contribution_method": contributions.method,
        "contribution_score": contributions.score,
        "features": rows,
    }


def _value_from_scores(
    bundle: ModelBundle,
    scores: np.ndarray,
    y: np.ndarray,
    values: BinaryValues | RegressionValues,
) -> float:
    decided = bundle.decide(scores)
    if isinstance(values, BinaryValues):
        return float(binary_row_values(y, decided, values).mean())
    return float(regression_row_values(y, decided, values).mean())


def _metric_from_scores(task: str, scores: np.ndarray, y: np.ndarray) -> float | None:
    if task == "binary":
        from scipy.stats import rankdata

        labels = np.asarray(y, dtype=bool)
        positives = int(labels.sum())
        negatives = len(labels) - positives
        if not positives or not negatives:
            return None
        # ROC AUC as the Mann-Whitney statistic (ties count half), as roc_auc_score computes it,
        # without its per-call validation: this runs features x repeats times
        ranks = rankdata(scores)
        return float(
            (ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives)
        )
    error = scores - np.asarray(y, dtype=np.float64)
    return float(np.sqrt(np.mean(error**2)))
