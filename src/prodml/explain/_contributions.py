"""Exact additive contributions of each feature to the model's raw score.

For every explained row, ``base + contributions.sum() == raw score``, where the raw score is the
model's own output before any link function or calibration: log-odds for a binary task, the
prediction itself for regression.

* **LightGBM**: TreeSHAP, computed by LightGBM itself (``booster_.predict(pred_contrib=True)``).
  The tree encoder keeps one column per feature, so contributions map back one to one.
* **Linear** (logistic or ridge regression): ``coefficient x (encoded value - its training mean)``,
  the exact SHAP values of a linear model with independent features. A one-hot encoded category
  and a numeric column's missing-value indicator are summed back into their original feature.
* **Baseline**: it predicts the same for everyone, so every contribution is zero and the base is
  the raw score.

The training means a linear model is centred on are computed once, at training, and stored with
the model (:func:`linear_state`); a bundle without them falls back to means rebuilt from the data
contract (numeric columns are standardised, so their training mean is 0; a category's mean is its
share of training rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from prodml.errors import ProdmlError

__all__ = ["Contributions", "compute_contributions", "linear_state", "score_name"]


@dataclass(frozen=True)
class Contributions:
    """Per-row contributions of each original feature; ``raw == base + values.sum(axis=1)``."""

    features: list[str]
    base: np.ndarray  # (rows,)
    values: np.ndarray  # (rows, features)
    raw: np.ndarray  # (rows,)
    method: str  # "treeshap", "linear" or "none"
    score: str  # "log-odds" or "prediction"


def score_name(task: str) -> str:
    return "log-odds" if task == "binary" else "prediction"


def compute_contributions(
    pipeline: Any,
    *,
    task: str,
    features: Sequence[str],
    frame: pd.DataFrame,
    state: Mapping[str, Any] | None = None,
    contract: Mapping[str, Any] | None = None,
) -> Contributions:
    """Contributions of ``features`` for every row of ``frame`` (raw input columns)."""
    model = pipeline.steps[-1][1]
    kind = _model_family(model)
    features = list(features)
    if kind == "none":
        raw = _raw_scores(pipeline, frame, task)
        return Contributions(
            features=features,
            base=raw,
            values=np.zeros((len(frame), len(features))),
            raw=raw,
            method="none",
            score=score_name(task),
        )
    encoder = pipeline[:-1]
    encoded = np.asarray(encoder.transform(frame), dtype=np.float64)
    sources = encoded_sources(pipeline.named_steps["encode"])
    if len(sources) != encoded.shape[1]:
        raise ProdmlError(
            f"cannot map {encoded.shape[1]} encoded columns back to the model's features "
            f"({len(sources)} mapped)",
            where="explanation",
            fix="report this as a bug in prodml; the model itself still scores normally",
        )
    if kind == "lightgbm":
        matrix = np.asarray(model.booster_.predict(encoded, pred_contrib=True), dtype=np.float64)
        per_column, base = matrix[:, :-1], matrix[:, -1]
        method = "treeshap"
    else:
        coefficients = np.ravel(np.asarray(model.coef_, dtype=np.float64))
        intercept = float(np.ravel(np.asarray(model.intercept_, dtype=np.float64))[0])
        means = _encoded_means(pipeline, state, contract, encoded.shape[1])
        per_column = (encoded - means) * coefficients
        base = np.full(len(frame), intercept + float(coefficients @ means))
        method = "linear"
    values = _sum_by_feature(per_column, sources, features)
    return Contributions(
        features=features,
        base=np.asarray(base, dtype=np.float64),
        values=values,
        raw=np.asarray(base, dtype=np.float64) + values.sum(axis=1),
        method=method,
        score=score_name(task),
    )


def linear_state(pipeline: Any, frame: pd.DataFrame) -> dict[str, Any]:
    """What a linear model's explanations are centred on: encoded means over training rows."""
    model = pipeline.steps[-1][1]
    if _model_family(model) != "linear":
        return {}
    encoded = np.asarray(pipeline[:-1].transform(frame), dtype=np.float64)
    return {"encoded_means": [float(v) for v in encoded.mean(axis=0)]}


def encoded_sources(transformer: Any) -> list[str]:
    """The original feature behind each column a fitted ColumnTransformer outputs."""
    from sklearn.preprocessing import OneHotEncoder

    sources: list[str] = [""] * _width(transformer)
    for name, fitted, columns in transformer.transformers_:
        span = transformer.output_indices_.get(name, slice(0, 0))
        width = span.stop - span.start
        if fitted == "drop" or width == 0:
            continue
        columns = list(columns)
        onehot = _find_step(fitted, OneHotEncoder)
        if onehot is not None:
            mapped = [
                c for c, levels in zip(columns, onehot.categories_, strict=True) for _ in levels
            ]
        elif width == len(columns) and not _has_indicator(fitted):
            mapped = columns
        else:
            names = [str(n) for n in fitted.get_feature_names_out(columns)]
            mapped = [_source_of(n, columns) for n in names]
        if len(mapped) != width:
            raise ProdmlError(
                f"the {name!r} encoder outputs {width} columns for {len(columns)} features "
                f"and they cannot be mapped back ({len(mapped)} mapped)",
                where="explanation",
                fix="report this as a bug in prodml; the model itself still scores normally",
            )
        sources[span.start : span.stop] = mapped
    return sources


def _width(transformer: Any) -> int:
    return max((s.stop for s in transformer.output_indices_.values()), default=0)


def _source_of(name: str, columns: list[str]) -> str:
    if name in columns:
        return name
    stripped = name.removeprefix("missingindicator_")
    if stripped in columns:
        return stripped
    raise ProdmlError(
        f"encoded column {name!r} matches no feature",
        where="explanation",
        fix="report this as a bug in prodml; the model itself still scores normally",
    )


def _find_step(fitted: Any, kind: type) -> Any:
    if isinstance(fitted, kind):
        return fitted
    for _, step in getattr(fitted, "steps", []):
        if isinstance(step, kind):
            return step
    return None


def _has_indicator(fitted: Any) -> bool:
    steps = [fitted, *[step for _, step in getattr(fitted, "steps", [])]]
    return any(getattr(step, "indicator_", None) is not None for step in steps)


def _model_family(model: Any) -> str:
    module = type(model).__module__
    if module.startswith("lightgbm"):
        return "lightgbm"
    if hasattr(model, "coef_") and hasattr(model, "intercept_"):
        return "linear"
    return "none"


def _raw_scores(pipeline: Any, frame: pd.DataFrame, task: str) -> np.ndarray:
    if task == "binary":
        proba = np.clip(np.asarray(pipeline.predict_proba(frame)[:, 1], dtype=np.float64), 0, 1)
        with np.errstate(divide="ignore"):
            return np.asarray(np.log(proba) - np.log1p(-proba), dtype=np.float64)
    return np.asarray(pipeline.predict(frame), dtype=np.float64)


def _sum_by_feature(per_column: np.ndarray, sources: list[str], features: list[str]) -> np.ndarray:
    position = {name: i for i, name in enumerate(features)}
    index = np.array([position[s] for s in sources], dtype=np.int64)
    out = np.zeros((per_column.shape[0], len(features)))
    for column in range(per_column.shape[1]):
        out[:, index[column]] += per_column[:, column]
    return out


def _encoded_means(
    pipeline: Any,
    state: Mapping[str, Any] | None,
    contract: Mapping[str, Any] | None,
    width: int,
) -> np.ndarray:
    stored = (state or {}).get("encoded_means")
    if stored is not None and len(stored) == width:
        return np.asarray(stored, dtype=np.float64)
    return _means_from_contract(pipeline.named_steps["encode"], contract or {}, width)


def _means_from_contract(transformer: Any, contract: Mapping[str, Any], width: int) -> np.ndarray:
    """Approximate training means: 0 for standardised columns, category shares for one-hot."""
    from sklearn.preprocessing import OneHotEncoder

    columns = {c["name"]: c for c in contract.get("columns", [])}
    rows = max(int(contract.get("n_rows") or 0), 1)
    means = np.zeros(width)
    for name, fitted, names in transformer.transformers_:
        span = transformer.output_indices_.get(name, slice(0, 0))
        onehot = _find_step(fitted, OneHotEncoder)
        if onehot is None or fitted == "drop":
            continue
        position = span.start
        for column, levels in zip(names, onehot.categories_, strict=True):
            info = columns.get(column, {})
            counts = info.get("categories") or {}
            for level in levels:
                if level == "__missing__":
                    means[position] = float(info.get("missing_rate") or 0.0)
                else:
                    means[position] = counts.get(str(level), 0) / rows
                position += 1
    return means
