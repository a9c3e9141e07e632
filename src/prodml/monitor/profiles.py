"""Mergeable profiles: what a column (or the prediction) looked like, in a few hundred numbers.

Monitoring compares profiles, never raw rows, so a year of prediction log is summarised in
bounded memory and any window (hour, day, week) or segment is the sum of smaller ones.

A numeric column is summarised over **fixed bins whose edges are the reference's quantiles**
(percentiles, or every distinct value when there are at most :data:`MAX_EXACT_VALUES`, which
makes every statistic exact): bin ``i`` holds the values in ``(edges[i-1], edges[i]]``, the first
bin everything up to ``edges[0]``, the last everything above ``edges[-1]``. With the counts come
the count, sum and sum of squares (mean and variance), minimum and maximum, and the sums of the
two open-ended tail bins (where a shifted distribution piles up). The reference also keeps each
bin's mean, which places the mass of a bin for the Wasserstein distance. A categorical column is
summarised by the count of each level (text keys as :func:`prodml.data.contract.category_keys`
spells them), at most :data:`MAX_LEVELS` of them. Missing values are counted apart.

Two profiles over the same edges merge by adding their numbers (:meth:`ColumnProfile.merge`).
The reference profile is built at training (:func:`reference_profile`) from the training rows
and the model's held-out predictions, and stored with the model; window profiles come from the
prediction log in DuckDB (:mod:`prodml.monitor.logquery`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = [
    "MAX_EXACT_VALUES",
    "MAX_LEVELS",
    "PREDICTION",
    "PROFILE_FORMAT",
    "ColumnProfile",
    "Profile",
    "feature_kinds",
    "profile_column",
    "quantile_edges",
    "reference_profile",
]

PROFILE_FORMAT = 1
MAX_EXACT_VALUES = 100
QUANTILE_BINS = 100
MAX_LEVELS = 1000
PREDICTION = "prediction"
ProfileKind = Literal["numeric", "categorical"]


@dataclass
class ColumnProfile:
    """One column's mergeable summary; fields that do not apply to its kind stay empty."""

    name: str
    kind: ProfileKind
    rows: int = 0
    missing: int = 0
    edges: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    total_sq: float = 0.0
    minimum: float | None = None
    maximum: float | None = None
    low_sum: float = 0.0
    high_sum: float = 0.0
    means: list[float | None] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)

    @property
    def present(self) -> int:
        return self.rows - self.missing

    @property
    def mean(self) -> float | None:
        return self.total / self.present if self.present else None

    @property
    def std(self) -> float | None:
        n = self.present
        if n < 2:
            return None
        variance = (self.total_sq - self.total**2 / n) / (n - 1)
        return float(np.sqrt(max(variance, 0.0)))

    @property
    def missing_share(self) -> float:
        return self.missing / self.rows if self.rows else 0.0

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        """The profile of both sets of rows (same column, same edges)."""
        if other.kind != self.kind or other.edges != self.edges:
            raise ValueError(f"profiles of {self.name!r} have different bins; cannot merge")
        counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        categories = dict(self.categories)
        for key, count in other.categories.items():
            categories[key] = categories.get(key, 0) + count
        return dataclasses.replace(
            self,
            rows=self.rows + other.rows,
            missing=self.missing + other.missing,
            counts=counts,
            total=self.total + other.total,
            total_sq=self.total_sq + other.total_sq,
            minimum=_pick(min, self.minimum, other.minimum),
            maximum=_pick(max, self.maximum, other.maximum),
            low_sum=self.low_sum + other.low_sum,
            high_sum=self.high_sum + other.high_sum,
            categories=categories,
        )

    def empty_like(self) -> ColumnProfile:
        """A profile over the same bins with no rows (what a window is built into)."""
        return ColumnProfile(
            name=self.name,
            kind=self.kind,
            edges=list(self.edges),
            counts=[0] * len(self.counts),
            means=list(self.means),
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnProfile:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Profile:
    """Every feature's profile and the prediction's, over ``rows`` rows."""

    features: dict[str, ColumnProfile]
    prediction: ColumnProfile | None
    rows: int
    source: str = ""
    # regression: held-out errors by prediction bin (prodml.monitor.estimation.error_model)
    errors: dict[str, Any] = field(default_factory=dict)

    def merge(self, other: Profile) -> Profile:
        features = {
            name: column.merge(other.features[name]) if name in other.features else column
            for name, column in self.features.items()
        }
        prediction = self.prediction
        if prediction is not None and other.prediction is not None:
            prediction = prediction.merge(other.prediction)
        return Profile(features, prediction, self.rows + other.rows, self.source)

    def empty_like(self) -> Profile:
        return Profile(
            {name: column.empty_like() for name, column in self.features.items()},
            self.prediction.empty_like() if self.prediction is not None else None,
            0,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PROFILE_FORMAT,
            "rows": self.rows,
            "source": self.source,
            "features": [column.to_dict() for column in self.features.values()],
            "prediction": self.prediction.to_dict() if self.prediction else None,
            "errors": self.errors,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        columns = [ColumnProfile.from_dict(c) for c in data.get("features", [])]
        prediction = data.get("prediction")
        return cls(
            features={c.name: c for c in columns},
            prediction=ColumnProfile.from_dict(prediction) if prediction else None,
            rows=int(data.get("rows", 0)),
            source=str(data.get("source", "")),
            errors=dict(data.get("errors") or {}),
        )


def profile_column(
    name: str, values: Any, kind: ProfileKind, *, edges: list[float] | None = None
) -> ColumnProfile:
    """Profile one column of values (numpy or pandas); ``edges`` default to its own quantiles."""
    import pandas as pd

    series = pd.Series(values)
    rows = len(series)
    if kind == "categorical":
        from prodml.data.contract import category_keys

        keys = category_keys(series)
        missing = int(keys.isna().sum())
        counts = keys.dropna().value_counts()
        kept = counts.iloc[:MAX_LEVELS]
        categories = {str(k): int(v) for k, v in kept.items()}
        if len(counts) > MAX_LEVELS:
            categories["__other__"] = int(counts.iloc[MAX_LEVELS:].sum())
        return ColumnProfile(name, "categorical", rows, missing, categories=categories)
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    finite = numbers[np.isfinite(numbers)]
    missing = rows - len(finite)
    if edges is None:
        edges = quantile_edges(finite)
    cuts = np.asarray(edges, dtype=np.float64)
    index = np.searchsorted(cuts, finite, side="left")  # x <= edge[i] -> bin i
    k = len(cuts) + 1
    binned = np.bincount(index, minlength=k)
    sums = np.bincount(index, weights=finite, minlength=k)
    means = [float(s / c) if c else None for s, c in zip(sums, binned, strict=True)]
    return ColumnProfile(
        name,
        "numeric",
        rows,
        missing,
        edges=[float(e) for e in cuts],
        counts=[int(c) for c in binned],
        total=float(finite.sum()),
        total_sq=float(np.square(finite).sum()),
        minimum=float(finite.min()) if len(finite) else None,
        maximum=float(finite.max()) if len(finite) else None,
        low_sum=float(sums[0]),
        high_sum=float(sums[-1]),
        means=means,
    )


def quantile_edges(finite: np.ndarray, bins: int = QUANTILE_BINS) -> list[float]:
    """Every distinct value when there are few (exact statistics), else the percentiles."""
    distinct = np.unique(finite)
    if len(distinct) <= MAX_EXACT_VALUES:
        return [float(v) for v in distinct]
    levels = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    return [float(v) for v in np.unique(np.quantile(finite, levels))]


def reference_profile(
    frame: Any,
    kinds: Mapping[str, ProfileKind],
    scores: Any | None,
    *,
    source: str = "training data",
) -> Profile:
    """The reference: each feature of ``frame`` (the training rows), and the model's scores
    (on held-out rows, so their spread is what production should see)."""
    features = {name: profile_column(name, frame[name], kind) for name, kind in kinds.items()}
    prediction = None
    if scores is not None:
        prediction = profile_column(PREDICTION, np.asarray(scores, dtype=np.float64), "numeric")
    return Profile(features, prediction, len(frame), source)


def feature_kinds(contract: Mapping[str, Any], features: list[str]) -> dict[str, ProfileKind]:
    """Numeric or categorical per model feature, from the model's data contract."""
    kinds = {c["name"]: c["kind"] for c in contract.get("columns", [])}
    return {name: "numeric" if kinds.get(name) == "numeric" else "categorical" for name in features}


def _pick(how: Any, a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return float(how(a, b))
