"""Which columns feed the model, and the one coercion every pipeline starts with.

Training and inference must see identical types: a category read as ``1`` from CSV and ``"1"``
from JSON, or a boolean column read as ``True`` versus ``"yes"``, would otherwise encode
differently. ``FrameCoercer`` is the first step of every fitted pipeline, so whatever calls the
pipeline (batch, API, export) gets the same coercion the model was trained with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from prodml.data.contract import category_text

__all__ = ["FeaturePlan", "FrameCoercer", "plan_features"]

# Column kinds a model cannot use as they are (see prodml.data.kinds).
UNUSABLE_KINDS = {"text": "free text", "identifier": "identifier-like", "datetime": "a date/time"}


@dataclass(frozen=True)
class FeaturePlan:
    numeric: list[str]
    categorical: list[str]
    skipped: dict[str, str] = field(default_factory=dict)  # column -> why it is not a feature

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]


def plan_features(
    kinds: Mapping[str, str],
    *,
    target: str,
    id_column: str | None,
    time_column: str | None,
    include: Sequence[str] | None,
    exclude: Sequence[str],
) -> FeaturePlan:
    """Features are all columns but the target, id, time and excluded ones, unless ``include``.

    Explicitly included columns are used whatever their inferred kind (numeric if numeric,
    categorical otherwise); otherwise free text, identifiers and timestamps are skipped with a
    reason the run records, because they would let the model memorise rows rather than learn.
    """
    reserved = {target: "the target", id_column: "the id column", time_column: "the time column"}
    numeric: list[str] = []
    categorical: list[str] = []
    skipped: dict[str, str] = {}
    for column, kind in kinds.items():
        if column in reserved and column is not None:
            skipped[column] = str(reserved[column])
            continue
        if include is not None and column not in include:
            skipped[column] = "not in data.include"
            continue
        if column in exclude:
            skipped[column] = "in data.exclude"
            continue
        if include is None and kind in UNUSABLE_KINDS:
            skipped[column] = f"{UNUSABLE_KINDS[kind]} column (name it in data.include to use it)"
            continue
        (numeric if kind == "numeric" else categorical).append(column)
    return FeaturePlan(numeric=numeric, categorical=categorical, skipped=skipped)


class FrameCoercer(TransformerMixin, BaseEstimator):
    """Select the feature columns in training order and give them their training types.

    Numeric columns become float64 (unparseable values become missing, which the contract
    validator reports before they get here); categorical columns become strings, with missing
    values kept missing so the imputer or LightGBM treats them as such.
    """

    def __init__(self, numeric: Sequence[str] = (), categorical: Sequence[str] = ()) -> None:
        self.numeric = numeric
        self.categorical = categorical

    def fit(self, X: pd.DataFrame, y: Any = None) -> FrameCoercer:
        self.n_features_in_ = len(self.numeric) + len(self.categorical)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out: dict[str, Any] = {}
        for column in self.numeric:
            out[column] = pd.to_numeric(X[column], errors="coerce").astype("float64")
        for column in self.categorical:
            out[column] = _as_category_text(X[column])
        return pd.DataFrame(out, index=X.index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray([*self.numeric, *self.categorical], dtype=object)


def _as_category_text(series: pd.Series) -> pd.Series:
    """Strings for every present value, NaN (object dtype) for missing ones; vectorised.

    Delegates to :func:`prodml.data.contract.category_text`, which the inference validator
    uses too: what the validator calls a known category is what the encoder will recognise.
    """
    return category_text(series)
