"""Performance once labels arrive: realised value per decision (with a confidence interval),
the technical metrics, per window and per segment, and the share of decisions labelled.

Labels arrive late and never for every decision (a loan's outcome is known months later, a
declined applicant's never), so every figure says how many labelled rows it rests on. Values
come from the project's value expressions evaluated on the features the model saw, so a row's
value is exactly what training and evaluation would have counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from prodml.evaluate.bootstrap import Bootstrap
from prodml.evaluate.metrics import binary_metrics, regression_metrics
from prodml.evaluate.value import (
    BinaryValues,
    RegressionValues,
    binary_row_values,
    regression_row_values,
)
from prodml.expressions import Expression

__all__ = ["labels_of", "realised_performance", "row_values"]

MAX_SEGMENT_LEVELS = 10


def row_values(
    task: str, expressions: Mapping[str, Expression], data: Mapping[str, np.ndarray], n: int
) -> BinaryValues | RegressionValues | None:
    """Per-row outcome values, or None when an expression reads a column the log lacks."""
    if any(not e.columns <= set(data) for e in expressions.values()):
        return None
    if task == "binary":
        return BinaryValues.from_expressions(expressions, data, n)
    return RegressionValues.from_expressions(expressions, data, n)


def labels_of(
    task: str, label: np.ndarray, label_value: np.ndarray, positive: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """``(labelled mask, y)``: y is True/False (binary) or the observed number (regression)."""
    text = np.asarray(label, dtype=object)
    labelled = _present(text)
    if task == "binary":
        return labelled, np.asarray(text == str(positive), dtype=bool)
    numbers = np.asarray(label_value, dtype=np.float64)
    numbers = np.where(np.isfinite(numbers), numbers, np.nan)
    labelled &= np.isfinite(numbers)
    return labelled, np.nan_to_num(numbers)


def _present(text: np.ndarray) -> np.ndarray:
    """``pandas.notna`` of an object array; without importing pandas (half a second) when the
    values are texts and None, as the log's labels are."""
    present = np.not_equal(text, np.array(None, dtype=object))
    if set(map(type, text[present])) <= {str}:
        return present
    import pandas as pd

    return np.asarray(pd.notna(text), dtype=bool)


def realised_performance(
    *,
    task: str,
    score: np.ndarray,
    decision: np.ndarray,
    labelled: np.ndarray,
    y: np.ndarray,
    values: BinaryValues | RegressionValues | None,
    threshold: float,
    segments: Mapping[str, np.ndarray] | None = None,
    resamples: int = 500,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Realised value per decision (CI), metrics and per-segment value on the labelled rows."""
    n = len(score)
    rows = np.flatnonzero(labelled)
    out: dict[str, Any] = {
        "rows": n,
        "labelled": len(rows),
        "labelled_share": len(rows) / n if n else 0.0,
    }
    if len(rows) == 0:
        return out
    y_l, score_l, decision_l = y[rows], score[rows], decision[rows]
    if task == "binary":
        labels = np.asarray(y_l, dtype=bool)
        metrics = binary_metrics(labels, score_l, threshold) if len(rows) else {}
    else:
        metrics = regression_metrics(y_l, score_l)
    out["metrics"] = metrics
    if values is None:
        out["note"] = "value not computed: a value expression reads a column the log lacks"
        return out
    taken = values.take(rows)
    if isinstance(taken, BinaryValues):
        per_row = binary_row_values(y_l, decision_l >= 0.5, taken)
    else:
        per_row = regression_row_values(y_l, decision_l, taken)
    boot = Bootstrap(len(rows), resamples=resamples, seed=seed, confidence=confidence)
    masks = [np.ones(len(rows), dtype=bool)]
    names: list[tuple[str, str]] = []
    for column, levels in (segments or {}).items():
        level_values = np.asarray(levels, dtype=object)[rows]
        keys, counts = np.unique(level_values.astype(str), return_counts=True)
        for key in keys[np.argsort(-counts)][:MAX_SEGMENT_LEVELS]:
            masks.append(level_values.astype(str) == key)
            names.append((column, str(key)))
    stacked = np.vstack(masks)
    low_high = boot.interval(boot.means(per_row, stacked)) if len(rows) > 1 else None
    out["value_per_decision"] = float(per_row.mean())
    out["value_ci"] = _pair(low_high, 0)
    out["segments"] = [
        {
            "column": column,
            "level": level,
            "labelled": int(stacked[k + 1].sum()),
            "value_per_decision": float(per_row[stacked[k + 1]].mean()),
            "value_ci": _pair(low_high, k + 1),
        }
        for k, (column, level) in enumerate(names)
    ]
    return out


def _pair(interval: np.ndarray | None, k: int) -> list[float | None]:
    if interval is None:
        return [None, None]
    low, high = interval[0][k], interval[1][k]
    return [
        float(low) if np.isfinite(low) else None,
        float(high) if np.isfinite(high) else None,
    ]
